"""Presence through the events folder on Dovecot: it arrives, stays out of the log, and is cleaned up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared_inbox.domain.presence import Presence
from shared_inbox.team.folder import server_name
from shared_inbox.team.presence import decode_presence, is_presence
from tests.integration.team_support import Agent, customer_mail, make_agent

pytestmark = pytest.mark.integration

FOLDER = "SharedInbox/Events"
ALICE, BOB = "alice@example.com", "bob@example.com"


def presence_on_server(mailbox: Any) -> list[str]:
    """The agents of the presence notes in the events folder."""
    with mailbox.imap() as client:
        client.select_folder(server_name(client, FOLDER), readonly=True)
        uids = client.search(["ALL"])
        bodies = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    raws = [data[b"BODY[]"] for data in bodies.values()]
    return sorted(decode_presence(raw).agent for raw in raws if is_presence(raw))


def agents(tmp_path: Path, mailbox: Any, clock: list[datetime]) -> tuple[Agent, Agent]:
    mailbox.deliver(customer_mail(0))
    mailbox.deliver(customer_mail(1))
    alice = make_agent(tmp_path / "alice", mailbox, ALICE, now=lambda: clock[0])
    bob = make_agent(tmp_path / "bob", mailbox, BOB, now=lambda: clock[0])
    return alice, bob


def test_presence_reaches_a_teammate_without_entering_the_event_log(tmp_path: Path, mailbox: Any) -> None:
    clock = [datetime.now(UTC)]  # the team's clock; events are stamped by the commands' real clock
    alice, bob = agents(tmp_path, mailbox, clock)
    try:
        bob.exchange()
        assert alice.team.presence.want([Presence("q0@customer.test", "viewing")], clock[0])
        alice.exchange()
        got = bob.exchange()
        viewing = (Presence("q0@customer.test", "viewing"),)
        assert [(n.agent, n.entries) for n in got.presence] == [(ALICE, viewing)]
        assert got.fetched == []
        assert alice.session.store.event_count() == 0 and bob.session.store.event_count() == 0
        # Alice moves on: her earlier note is deleted by her own next round.
        alice.team.presence.want([Presence("q1@customer.test", "replying")], clock[0])
        alice.exchange()
        alice.exchange()
        assert presence_on_server(mailbox) == [ALICE]
        [latest] = bob.exchange().presence
        assert latest.entries == (Presence("q1@customer.test", "replying"),)
    finally:
        alice.close()
        bob.close()


def test_compaction_drops_stale_presence_and_snapshots_none(tmp_path: Path, mailbox: Any) -> None:
    clock = [datetime.now(UTC)]  # the team's clock; events are stamped by the commands' real clock
    alice, bob = agents(tmp_path, mailbox, clock)
    try:
        alice.commands.tag("q0@customer.test", "vip")
        alice.team.presence.want([Presence("q0@customer.test", "viewing")], clock[0])
        alice.exchange()
        clock[0] += alice.team.presence.ttl - timedelta(seconds=1)
        bob.compact()
        assert presence_on_server(mailbox) == [ALICE]  # still true: kept
        clock[0] += timedelta(seconds=2)
        bob.compact()
        assert presence_on_server(mailbox) == []
        fresh = bob.exchange()
        assert fresh.presence == []
        assert bob.states()[bob.session.inbox.conversation("q0@customer.test").id][2] == ["vip"]  # type: ignore[union-attr]
    finally:
        alice.close()
        bob.close()
