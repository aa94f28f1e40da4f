"""Team state through one real Dovecot mailbox: two and three agents with separate stores."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from shared_inbox.domain.events import event_to_json
from shared_inbox.domain.model import Status
from shared_inbox.services.syncing import SyncRound
from shared_inbox.services.team import TeamSync
from shared_inbox.team.encoding import encode_batch
from shared_inbox.team.folder import server_name
from tests.integration.support import cli, list_json, write_config
from tests.integration.team_support import CAROL, Agent, customer_mail, make_agent

pytestmark = pytest.mark.integration

FOLDER = "SharedInbox/Events"


@pytest.fixture
def agents(mailbox, tmp_path) -> Iterator[list[Agent]]:
    for n in range(1, 4):
        mailbox.deliver(customer_mail(n))
    made: list[Agent] = []
    try:
        for name in ("alice", "bob", "carol"):
            made.append(make_agent(tmp_path / name, mailbox, f"{name}@example.com"))
        yield made
    finally:
        for agent in made:
            agent.close()


def conv_id(agent: Agent, n: int) -> str:
    conv = agent.session.inbox.conversation(f"q{n}@customer.test")
    assert conv is not None
    return conv.id


def folder_messages(mailbox) -> dict[int, dict[bytes, object]]:
    client = mailbox.imap()
    try:
        name = server_name(client, FOLDER)
        client.select_folder(name, readonly=True)
        return client.fetch(client.search(["ALL"]), ["FLAGS", "BODY.PEEK[HEADER]"])
    finally:
        client.logout()


def test_an_assignment_on_one_agent_shows_on_another(agents, mailbox):
    alice, bob, _ = agents
    alice.commands.assign(conv_id(alice, 1), "bob@example.com")
    assert alice.exchange().shipped == 1
    fetched = bob.exchange().fetched
    assert [event.kind for event in fetched] == ["assign"]
    assert bob.session.inbox.conversation(conv_id(bob, 1)).state.assignee == "bob@example.com"
    messages = folder_messages(mailbox)
    assert len(messages) == 1
    (data,) = messages.values()
    assert b"\\Seen" in data[b"FLAGS"]
    assert b"X-Shared-Inbox: events 1" in data[b"BODY[HEADER]"]


def test_replaying_the_same_events_changes_nothing(agents):
    alice, bob, _ = agents
    alice.commands.tag(conv_id(alice, 2), "vip")
    alice.exchange()
    assert len(bob.exchange().fetched) == 1
    alice.session.store.set_setting("team.shipped", 0)  # as if killed before the cursor write
    alice.team = TeamSync(alice.session.store, me="alice@example.com")  # and started again
    assert alice.exchange().shipped == 1
    assert bob.exchange().fetched == []
    assert bob.session.store.event_count() == 1


def test_conflicting_concurrent_edits_converge_on_three_agents(agents):
    alice, bob, carol = agents
    ref = conv_id(alice, 1)
    alice.commands.set_status(ref, "pending")
    bob.commands.set_status(ref, "closed")
    carol.commands.set_status(ref, "spam")
    alice.commands.assign(ref, "alice@example.com")
    bob.commands.assign(ref, "bob@example.com")
    carol.commands.tag(ref, "urgent")
    bob.commands.untag(ref, "urgent")
    for agent in (carol, alice, bob, carol, alice):
        agent.exchange()
    assert alice.states() == bob.states() == carol.states()
    # A change made after seeing the others wins everywhere, even from the agent whose clock lost.
    loser = min(agents, key=lambda a: a.session.commands.clock.last.node)
    loser.commands.set_status(ref, "active")
    for agent in (loser, *agents):
        agent.exchange()
    assert {agent.session.inbox.conversation(ref).state.status for agent in agents} == {Status.ACTIVE}


def test_edits_made_offline_merge_on_reconnect(dovecot, mailbox, tmp_path):
    mailbox.deliver(customer_mail(1))
    config_a = write_config(tmp_path / "a", mailbox, me="alice@example.com")
    config_b = write_config(tmp_path / "b", mailbox, me="bob@example.com")
    for config in (config_a, config_b):
        assert cli(config, "sync", "--once").returncode == 0
    dovecot.stop()
    try:
        done = cli(config_a, "set", "q1@customer.test", "--assign", "me", "--tag", "offline")
        assert done.returncode == 0, done.stderr
        assert "next sync" in done.stderr
        done = cli(config_b, "set", "q1@customer.test", "--status", "pending")
        assert done.returncode == 0, done.stderr
    finally:
        dovecot.start()
    for config in (config_a, config_b, config_a):
        done = cli(config, "sync", "--once")
        assert done.returncode == 0, done.stderr
    seen = [list_json(config) for config in (config_a, config_b)]
    assert seen[0] == seen[1]
    (conv,) = seen[0]
    assert (conv["assignee"], conv["status"], conv["tags"]) == ("alice@example.com", "pending", ["offline"])


def test_set_ships_at_once_and_sync_brings_it_in(any_mailbox, tmp_path):
    any_mailbox.deliver(customer_mail(1))
    config_a = write_config(tmp_path / "a", any_mailbox, me="alice@example.com")
    config_b = write_config(tmp_path / "b", any_mailbox, me="bob@example.com")
    for config in (config_a, config_b):
        assert cli(config, "sync", "--once").returncode == 0
    done = cli(config_a, "set", "q1@customer.test", "--assign", "bob@example.com")
    assert done.returncode == 0 and "warning" not in done.stderr, done.stderr
    done = cli(config_b, "sync", "--once")
    assert "1 teammate changes" in done.stderr
    (conv,) = list_json(config_b)
    assert conv["assignee"] == "bob@example.com"
    status = cli(config_a, "team", "status")
    assert "at most 0 event(s)" in status.stdout


def test_malformed_and_hostile_messages_are_ignored(agents, mailbox, caplog):
    alice, bob, _ = agents
    alice.exchange()  # creates the folder
    client = mailbox.imap()
    name = server_name(client, FOLDER)
    now = datetime(2026, 10, 2, tzinfo=UTC)
    good = alice.commands.tag(conv_id(alice, 1), "good")
    hostile = event_to_json(good) | {"id": "forged1", "kind": "assign", "data": {"assignee": "a b"}}
    junk = [
        b"Subject: hello\r\n\r\nJust a note someone filed here.\r\n",
        b"X-Shared-Inbox: events 1\r\n\r\n!!!not base64!!!\r\n",
        b"X-Shared-Inbox: events 1\r\n\r\n" + _bomb(),
        b"X-Shared-Inbox: events 9\r\n\r\nAAAA\r\n",
        _raw_batch([hostile, {"id": "x"}, "text", event_to_json(good)]),
    ]
    for raw in junk:
        client.append(name, raw)
    client.logout()
    with caplog.at_level("WARNING"):
        fetched = bob.exchange().fetched
    assert [event.id for event in fetched] == [good.id]
    assert bob.session.inbox.conversation(conv_id(bob, 1)).state.tags == frozenset({"good"})
    assert bob.session.inbox.conversation(conv_id(bob, 1)).state.assignee is None
    assert sum("ignored" in record.message for record in caplog.records) >= 5
    assert encode_batch([good], sender="a@b", now=now)  # the encoder still works on the same event


def test_two_agents_compacting_at_once_lose_and_double_nothing(agents, mailbox, tmp_path):
    alice, bob, _ = agents
    refs = [conv_id(alice, n) for n in (1, 2, 3)]
    for round_no in range(6):
        for agent in (alice, bob):
            for ref in refs:
                agent.commands.set_status(ref, ["pending", "closed", "active"][(round_no + len(ref)) % 3])
                agent.commands.tag(ref, f"t{round_no % 2}")
                agent.commands.untag(ref, f"t{(round_no + 1) % 2}")
            agent.exchange()
    before = len(folder_messages(mailbox))
    for _ in range(3):
        threads = [threading.Thread(target=agent.compact) for agent in (alice, bob)]
        for thread in threads:
            thread.start()
        bob.commands.assign(refs[0], "bob@example.com")  # a change landing during compaction
        for thread in threads:
            thread.join()
        bob.exchange()
    for agent in (alice, bob, alice):
        agent.exchange()
    assert len(folder_messages(mailbox)) < before
    newcomer = make_agent(tmp_path / "dave", mailbox, "carol@example.com")
    try:
        newcomer.exchange()
        assert newcomer.states() == alice.states() == bob.states()
        assert newcomer.session.inbox.conversation(refs[0]).state.assignee == "bob@example.com"
        assert newcomer.session.store.event_count() < alice.session.store.event_count()
    finally:
        newcomer.close()


def test_a_new_agent_gets_the_whole_team_state(agents, mailbox, tmp_path):
    alice, bob, _ = agents
    alice.commands.assign(conv_id(alice, 1), "alice@example.com")
    bob.commands.set_status(conv_id(bob, 2), "spam")
    bob.commands.tag(conv_id(bob, 3), "vip")
    for agent in (alice, bob, alice):
        agent.exchange()
    config = write_config(tmp_path / "new", mailbox, me="carol@example.com", extra=CAROL)
    done = cli(config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    by_id = {conv["id"]: conv for conv in list_json(config)}
    assert by_id[conv_id(alice, 1)]["assignee"] == "alice@example.com"
    assert by_id[conv_id(alice, 2)]["status"] == "spam"
    assert by_id[conv_id(alice, 3)]["tags"] == ["vip"]


def _raw_batch(docs: list[object]) -> bytes:
    import base64
    import json
    import zlib

    payload = {"v": 1, "type": "events", "covers": None, "events": docs}
    body = base64.encodebytes(zlib.compress(json.dumps(payload).encode()))
    return b"X-Shared-Inbox: events 1\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body


def _bomb() -> bytes:
    import base64
    import zlib

    return base64.encodebytes(zlib.compress(b"[" + b" " * (80 * 1024 * 1024) + b"]", 9))


def test_the_watch_loop_brings_teammates_changes_in_as_they_happen(agents):
    alice, bob, _ = agents
    rounds: queue.Queue[SyncRound] = queue.Queue()
    stop = threading.Event()
    service = bob.session.sync_service(fetch_bodies=False)
    service.team = bob.team
    watcher = threading.Thread(target=service.watch, args=(stop, rounds.put))
    watcher.start()
    try:
        rounds.get(timeout=30)  # the first full round
        alice.commands.tag(conv_id(alice, 3), "watched")
        alice.exchange()
        arrived: list[str] = []
        while "watched" not in arrived:
            arrived += [str(event.data.get("tag")) for event in rounds.get(timeout=30).team_events]
        bob.commands.assign(conv_id(bob, 3), "bob@example.com")
        bob.team.nudge()  # the watcher ships it without waiting for the next round
        for _ in range(150):
            if alice.exchange().fetched:
                break
            stop.wait(0.2)
    finally:
        stop.set()
        watcher.join(timeout=60)
    assert not watcher.is_alive()
    assert alice.session.inbox.conversation(conv_id(alice, 3)).state.assignee == "bob@example.com"


def test_team_compact_on_the_command_line_keeps_the_state(mailbox, tmp_path):
    mailbox.deliver(customer_mail(1))
    config_a = write_config(tmp_path / "a", mailbox, me="alice@example.com")
    config_b = write_config(tmp_path / "b", mailbox, me="bob@example.com")
    assert cli(config_a, "sync", "--once").returncode == 0
    for status in ("pending", "closed", "active", "pending"):
        assert cli(config_a, "set", "q1@customer.test", "--status", status).returncode == 0
    assert len(folder_messages(mailbox)) == 4
    done = cli(config_a, "team", "compact")
    assert done.returncode == 0, done.stderr
    assert "Compacted 4 message(s) holding 4 event(s) into 1 event(s)." in done.stdout
    assert len(folder_messages(mailbox)) == 1
    assert "Nothing to compact." in cli(config_a, "team", "compact").stdout
    assert cli(config_b, "sync", "--once").returncode == 0
    (conv,) = list_json(config_b)
    assert conv["status"] == "pending"
