"""Hostile writers in the events folder, on a real Dovecot: forged batches, mail delivered by a
server (SMTP into Dovecot's LMTP, filed by `+folder`), clocks far ahead, and key changes."""

from __future__ import annotations

import base64
import json
import re
import smtplib
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared_inbox.cli.team_cmd import describe_status
from shared_inbox.domain.clock import Hlc, wall_ms
from shared_inbox.domain.events import Event, EventKind
from shared_inbox.domain.presence import Presence
from shared_inbox.team.encoding import encode_batch
from shared_inbox.team.folder import server_name
from shared_inbox.team.presence import encode_presence, new_note
from shared_inbox.team.signing import TeamKeys, new_key
from tests.integration.support import cli, list_json, write_config
from tests.integration.team_support import Agent, customer_mail, key_lines, make_agent
from tests.rig.smtp import OnwardDelivery

pytestmark = pytest.mark.integration

FOLDER = "SharedInbox/Events"
KEY = new_key()
ALICE, BOB = "alice@example.com", "bob@example.com"


@pytest.fixture
def keyed(mailbox: Any, tmp_path: Path) -> Iterator[tuple[Agent, Agent]]:
    """Alice and Bob, both with the team key."""
    mailbox.deliver(customer_mail(1))
    alice = make_agent(tmp_path / "alice", mailbox, ALICE, team=key_lines(KEY))
    bob = make_agent(tmp_path / "bob", mailbox, BOB, team=key_lines(KEY))
    try:
        yield alice, bob
    finally:
        alice.close()
        bob.close()


def team_status(agent: Agent) -> str:
    """What `shared-inbox team status` prints for the agent (its store is open here, so in process)."""
    return describe_status(agent.team.status())


def conv_id(agent: Agent) -> str:
    conv = agent.session.inbox.conversation("q1@customer.test")
    assert conv is not None
    return conv.id


def assignee(agent: Agent) -> str | None:
    return agent.session.inbox.conversation(conv_id(agent)).state.assignee  # type: ignore[union-attr]


def folder_raws(mailbox: Any) -> dict[int, bytes]:
    with mailbox.imap() as client:
        client.select_folder(server_name(client, FOLDER), readonly=True)
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    return {uid: data[b"BODY[]"] for uid, data in fetched.items()}


def append(mailbox: Any, raw: bytes) -> None:
    with mailbox.imap() as client:
        client.append(server_name(client, FOLDER), raw, flags=(b"\\Seen",))


def forged_copy(raw: bytes, edit: Any) -> bytes:
    """The message with the same headers (signature included) and its events edited by `edit`."""
    head, _, body = raw.partition(b"\r\n\r\n")
    payload = json.loads(zlib.decompress(base64.b64decode(b"".join(body.split()))))
    payload["events"] = edit(payload["events"])
    packed = zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9)
    return head + b"\r\n\r\n" + base64.encodebytes(packed).replace(b"\n", b"\r\n")


def take_over(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The attacker's edit: the assignment goes to a stranger, under a fresh event id."""
    return [
        {**doc, "id": "forged-" + doc["id"][:20], "data": {"assignee": "mallory@evil.test"}} for doc in events
    ]


def test_signed_state_still_syncs_between_two_agents(keyed: tuple[Agent, Agent], mailbox: Any) -> None:
    alice, bob = keyed
    alice.commands.assign(conv_id(alice), BOB)
    assert alice.exchange().shipped == 1
    assert [event.kind for event in bob.exchange().fetched] == [EventKind.ASSIGN]
    assert assignee(bob) == BOB
    (raw,) = folder_raws(mailbox).values()
    assert re.search(rb"^X-Shared-Inbox-Signature: v1 [0-9a-f]{16} [0-9a-f]{64}\r$", raw, re.M)


def test_a_forged_copy_of_a_real_batch_is_ignored_named_and_never_compacted_away(
    keyed: tuple[Agent, Agent], mailbox: Any, tmp_path: Path
) -> None:
    alice, bob = keyed
    alice.commands.assign(conv_id(alice), ALICE)
    alice.exchange()
    (real,) = folder_raws(mailbox).values()
    append(mailbox, forged_copy(real, take_over))  # someone with the mailbox password, without the key
    unsigned = forged_copy(real, take_over).replace(b"X-Shared-Inbox-Signature", b"X-Comment")
    append(mailbox, unsigned)
    fetched = bob.exchange().fetched
    assert [event.author for event in fetched] == [ALICE]
    assert assignee(bob) == ALICE
    status = team_status(bob)
    assert "Team state: signed with the team key" in status
    assert "Ignored messages in the events folder: 2" in status
    assert "UID 2: signed with an unknown key or altered after signing" in status
    assert "UID 3: not signed with the team key" in status
    alice.commands.set_status(conv_id(alice), "pending")
    alice.exchange()
    assert alice.compact().compacted.done  # type: ignore[union-attr]
    left = folder_raws(mailbox)
    assert sorted(left)[:2] == [2, 3] and len(left) == 3  # the two forgeries and one snapshot
    newcomer = make_agent(tmp_path / "carol", mailbox, "carol@example.com", team=key_lines(KEY))
    try:
        newcomer.exchange()
        assert assignee(newcomer) == ALICE
        assert newcomer.states() == alice.states()
    finally:
        newcomer.close()


def send_through_smtp(smtp_receiver_factory: Any, mailbox: Any, raw: bytes) -> None:
    """Mail a message to support+SharedInbox/Events@: the receiver passes it to Dovecot's LMTP,
    which files it into the events folder as lmtp_save_to_detail_mailbox does on real servers."""
    onward = OnwardDelivery(mailbox.server, mailbox.user, detail=FOLDER)
    receiver = smtp_receiver_factory(onward=onward)
    with smtplib.SMTP(receiver.host, receiver.port, timeout=30) as client:
        client.sendmail("mallory@evil.test", [f"support+{FOLDER}@example.com"], raw)
    receiver.wait_for(1)


def stranger_batch(agent: Agent, assignee_email: str) -> bytes:
    """A well-formed batch a stranger writes: a fresh assignment of the conversation."""
    now = datetime.now(UTC)
    event = Event(
        id="stranger-1",
        kind=EventKind.ASSIGN,
        anchor="q1@customer.test",
        author=ALICE,
        at=now,
        clock=Hlc(wall_ms(now), 0, ALICE),
        data={"assignee": assignee_email},
    )
    return encode_batch([event], sender="mallory@evil.test", now=now)


@pytest.mark.parametrize("with_key", [False, True], ids=["without-key", "with-key"])
def test_a_batch_delivered_through_smtp_is_ignored(
    with_key: bool, mailbox: Any, tmp_path: Path, smtp_receiver_factory: Any
) -> None:
    mailbox.deliver(customer_mail(1))
    agent = make_agent(tmp_path / "bob", mailbox, BOB, team=key_lines(KEY) if with_key else "")
    try:
        agent.exchange()  # the events folder exists, as in any team
        send_through_smtp(smtp_receiver_factory, mailbox, stranger_batch(agent, "mallory@evil.test"))
        (delivered,) = folder_raws(mailbox).values()
        assert re.search(rb"^Received:", delivered, re.M | re.I)  # it did come through the server
        assert agent.exchange().fetched == []
        assert assignee(agent) is None
        status = team_status(agent)
        assert "UID 1: delivered by a mail server" in status
        assert "from 'shared-inbox <mallory@evil.test>'" in status
        assert ("Team state: signed" in status) is with_key
    finally:
        agent.close()


def test_a_batch_appended_by_a_teammate_without_a_key_is_taken_in(mailbox: Any, tmp_path: Path) -> None:
    """Without a key only the mail server's trace is refused: what is APPENDed still counts."""
    mailbox.deliver(customer_mail(1))
    agent = make_agent(tmp_path / "bob", mailbox, BOB)
    try:
        agent.exchange()
        append(mailbox, stranger_batch(agent, ALICE))
        assert [event.id for event in agent.exchange().fetched] == ["stranger-1"]
        status = team_status(agent)
        assert "Team state: unauthenticated" in status
        check = cli(agent.config, "config", "check")  # reads only the file
        assert "team state unauthenticated" in check.stdout
        assert "Team state is unauthenticated" in check.stdout
    finally:
        agent.close()


def signed_event_batch(ahead: timedelta, event_id: str, tag: str) -> bytes:
    """A batch signed with the team key (a teammate, or a leaked key) whose clock is `ahead`."""
    now = datetime.now(UTC)
    at = now + ahead
    event = Event(
        id=event_id,
        kind=EventKind.TAG,
        anchor="q1@customer.test",
        author=ALICE,
        at=at,
        clock=Hlc(wall_ms(at), 0, ALICE),
        data={"tag": tag},
    )
    return encode_batch([event], sender=ALICE, now=now, keys=TeamKeys.from_text(KEY))


def test_a_clock_far_ahead_is_refused_whoever_signed_it(keyed: tuple[Agent, Agent], mailbox: Any) -> None:
    alice, bob = keyed
    alice.exchange()
    append(mailbox, signed_event_batch(timedelta(days=365), "from-the-future", "future"))
    append(mailbox, signed_event_batch(timedelta(minutes=1), "slightly-ahead", "skewed"))
    note = new_note(
        ALICE,
        [Presence("q1@customer.test", "viewing")],
        datetime.now(UTC) + timedelta(days=1),
        timedelta(seconds=60),
    )
    append(mailbox, encode_presence(note, TeamKeys.from_text(KEY)))
    result = bob.exchange()
    assert [event.id for event in result.fetched] == ["slightly-ahead"]
    assert result.presence == []
    tags = bob.session.inbox.conversation(conv_id(bob)).state.tags  # type: ignore[union-attr]
    assert tags == frozenset({"skewed"})
    assert bob.commands.clock.last.wall_ms < wall_ms(datetime.now(UTC) + timedelta(hours=1))
    status = team_status(bob)
    assert "UID 1: 1 event(s) refused: clock more than 5 minutes ahead" in status
    assert "UID 3: 1 presence note refused: clock more than 5 minutes ahead" in status


def test_changing_the_key_reads_the_old_one_until_a_compaction_re_signs(mailbox: Any, tmp_path: Path) -> None:
    mailbox.deliver(customer_mail(1))
    old, new = new_key(), new_key()
    alice = make_agent(tmp_path / "alice", mailbox, ALICE, team=key_lines(old))
    try:
        alice.commands.assign(conv_id(alice), ALICE)
        alice.exchange()
        alice.commands.tag(conv_id(alice), "before")
        alice.exchange()
        assert alice.compact().compacted.done  # type: ignore[union-attr]
    finally:
        alice.close()
    assert len(folder_raws(mailbox)) == 1  # one snapshot, signed with the old key
    only_new = make_agent(tmp_path / "carol", mailbox, "carol@example.com", team=key_lines(new))
    bob = make_agent(tmp_path / "bob", mailbox, BOB, team=key_lines(new, previous=old))
    try:
        assert only_new.exchange().fetched == []  # the old key's messages mean nothing to it
        assert {event.author for event in bob.exchange().fetched} == {ALICE}
        assert bob.compact().compacted.done  # type: ignore[union-attr]  # nothing to shrink: re-signed
        later = make_agent(tmp_path / "dave", mailbox, "carol@example.com", team=key_lines(new))
        try:
            later.exchange()
            assert assignee(later) == ALICE
            assert later.states() == bob.states()
        finally:
            later.close()
    finally:
        only_new.close()
        bob.close()


def test_an_agent_who_gets_the_new_key_late_reads_what_it_ignored_before(
    mailbox: Any, tmp_path: Path
) -> None:
    mailbox.deliver(customer_mail(1))
    old, new = new_key(), new_key()
    alice = make_agent(tmp_path / "alice", mailbox, ALICE, team=key_lines(new, previous=old))
    bob = make_agent(tmp_path / "bob", mailbox, BOB, team=key_lines(old))
    try:
        alice.commands.assign(conv_id(alice), ALICE)
        alice.exchange()
        assert bob.exchange().fetched == []
        assert "UID 1: signed with an unknown key or altered after signing" in team_status(bob)
    finally:
        bob.close()
    bob = make_agent(tmp_path / "bob", mailbox, BOB, team=key_lines(new, previous=old))  # the same store
    try:
        assert [event.author for event in bob.exchange().fetched] == [ALICE]
        assert assignee(bob) == ALICE
        assert "Ignored messages in the events folder: 0" in team_status(bob)
    finally:
        alice.close()
        bob.close()


def test_turning_a_key_on_keeps_the_team_state_and_leaves_strangers_messages_alone(
    mailbox: Any, tmp_path: Path
) -> None:
    mailbox.deliver(customer_mail(1))
    alice = make_agent(tmp_path / "alice", mailbox, ALICE)
    bob = make_agent(tmp_path / "bob", mailbox, BOB)
    try:
        alice.commands.assign(conv_id(alice), BOB)
        alice.exchange()
        bob.commands.tag(conv_id(bob), "unsigned-era")
        bob.exchange()
        alice.exchange()
        alice.team.presence.want([Presence("q1@customer.test", "viewing")], datetime.now(UTC))
        alice.exchange()  # her presence note, unsigned, stays behind when she quits
    finally:
        alice.close()
        bob.close()
    append(mailbox, stranger_batch_for("q1@customer.test", "mallory@evil.test"))
    alice = make_agent(tmp_path / "alice", mailbox, ALICE, team=key_lines(KEY))  # the same stores, now keyed
    bob = make_agent(tmp_path / "bob", mailbox, BOB, team=key_lines(KEY))
    try:
        assert bob.exchange().fetched == []  # it reads the folder again with the key: nothing is signed yet
        assert "Ignored messages in the events folder: 4" in team_status(bob)
        alice.team.now = lambda: datetime.now(UTC) + timedelta(minutes=2)  # her old note has expired
        report = alice.compact().compacted
        assert report is not None and report.done and report.events_before == 2
        left = folder_raws(mailbox)
        assert len(left) == 2  # the stranger's batch and the new snapshot
        assert any(b"mallory@evil.test" in raw for raw in left.values())
        assert "Ignored messages in the events folder: 1" in team_status(alice)
        bob.exchange()
        assert "Ignored messages in the events folder: 1\n  UID 4:" in team_status(bob)
        newcomer = make_agent(tmp_path / "carol", mailbox, "carol@example.com", team=key_lines(KEY))
        try:
            newcomer.exchange()
            assert assignee(newcomer) == BOB
            assert newcomer.states() == alice.states() == bob.states()
        finally:
            newcomer.close()
    finally:
        alice.close()
        bob.close()


def stranger_batch_for(anchor: str, assignee_email: str) -> bytes:
    now = datetime.now(UTC)
    event = Event(
        id="stranger-2",
        kind=EventKind.ASSIGN,
        anchor=anchor,
        author=ALICE,
        at=now,
        clock=Hlc(wall_ms(now), 0, ALICE),
        data={"assignee": assignee_email},
    )
    return encode_batch([event], sender="mallory@evil.test", now=now)


def test_a_team_key_that_cannot_be_obtained_stops_the_command_with_one_sentence(
    mailbox: Any, tmp_path: Path
) -> None:
    mailbox.deliver(customer_mail(1))
    config = write_config(tmp_path / "a", mailbox, team='key_command = "false"')
    done = cli(config, "sync", "--once")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "shared-inbox: the team key could not be obtained (team.key_command: the command failed with"
        " exit status 1); `shared-inbox config check` tries each source."
    ]
    assert "Traceback" not in done.stderr
    assert cli(write_config(tmp_path / "b", mailbox), "sync", "--once").returncode == 0
    short = write_config(tmp_path / "b", mailbox, team='key_command = "printf %s short"')  # same store
    done = cli(short, "set", "q1@customer.test", "--tag", "x")
    assert done.returncode == 0, done.stderr  # the change is kept; it waits for a usable key
    assert "team key is 5 characters long" in done.stderr
    assert list_json(short)[0]["tags"] == ["x"]
