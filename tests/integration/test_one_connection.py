"""`[imap] connections = 1` against real Dovecot: the watch loop holds one IMAP connection, and
teammates' changes, new mail and local changes all travel over it."""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from shared_inbox.services.syncing import SyncRound, SyncService
from tests.integration.fault_support import LineReader, mail, start_cli
from tests.integration.support import cli, list_json, write_config
from tests.integration.team_support import CAROL, Agent, customer_mail, make_agent, open_agent
from tests.rig.dovecot import RigMailbox

pytestmark = pytest.mark.integration

BOUND = 30.0  # a bound on a hang, not a timing assertion
NEVER = 3600.0  # a team interval no test waits out: what arrives must have come another way
ONE = "connections = 1"
EVENTS = "INBOX.SharedInbox.Events"  # Cyrus keeps a user's folders under INBOX.


def one_connection_agent(directory: Path, mailbox: RigMailbox, me: str) -> Agent:
    config = write_config(directory, mailbox, me=me, extra=CAROL, imap=ONE)
    return open_agent(config)


def server_connections(mailbox: RigMailbox) -> int:
    """The mailbox user's IMAP connections, as the server counts them."""
    listing = mailbox.server.doveadm("who", "-1", mailbox.user, check=False).stdout.splitlines()[1:]
    return sum(1 for line in listing if line.split())


def until(condition: Callable[[], bool], pause: threading.Event) -> bool:
    """Whether `condition` came true within BOUND, checking in short steps."""
    for _ in range(int(BOUND / 0.1)):
        if condition():
            return True
        pause.wait(0.1)
    return condition()


class Watch:
    """The agent's watch loop in a thread, with its rounds and a count of the connections it opened."""

    def __init__(self, agent: Agent, team_every: float) -> None:
        self.rounds: queue.Queue[SyncRound] = queue.Queue()
        self.stop = threading.Event()
        self.connects = 0
        self.service: SyncService = agent.session.sync_service(fetch_bodies=False)
        self.service.plan = replace(self.service.plan, team_every=team_every)
        self.service.team = agent.team
        opened = self.service.connect

        def counted() -> Any:
            self.connects += 1
            return opened()

        self.service.connect = counted  # type: ignore[method-assign]
        self.idle = threading.Event()

        def on_state(state: str, detail: str) -> None:
            if state == "idle":
                self.idle.set()

        self.thread = threading.Thread(target=self.service.watch, args=(self.stop, self.rounds.put, on_state))

    def next_round(self, wanted: Callable[[SyncRound], bool]) -> SyncRound:
        while True:
            got = self.rounds.get(timeout=BOUND)
            if wanted(got):
                return got


@contextmanager
def watching(agent: Agent, team_every: float) -> Iterator[Watch]:
    watch = Watch(agent, team_every)
    watch.thread.start()
    try:
        watch.rounds.get(timeout=BOUND)  # the first full round
        assert watch.idle.wait(BOUND)
        yield watch
    finally:
        watch.stop.set()
        watch.thread.join(timeout=60)
    assert not watch.thread.is_alive()


@pytest.fixture
def pair(mailbox: RigMailbox, tmp_path: Path) -> Iterator[tuple[Agent, Agent]]:
    for n in range(1, 3):
        mailbox.deliver(customer_mail(n))
    made: list[Agent] = []
    try:
        made.append(make_agent(tmp_path / "alice", mailbox, "alice@example.com"))
        made.append(one_connection_agent(tmp_path / "bob", mailbox, "bob@example.com"))
        yield made[0], made[1]
    finally:
        for agent in made:
            agent.close()


def conv_id(agent: Agent, n: int) -> str:
    conv = agent.session.inbox.conversation(f"q{n}@customer.test")
    assert conv is not None
    return conv.id


def test_one_connection_carries_new_mail_teammates_changes_and_local_changes(pair, mailbox):
    alice, bob = pair
    with watching(bob, NEVER) as watch:
        # (a) one connection open while the loop idles: no team watcher beside it
        assert until(lambda: server_connections(mailbox) == 1, watch.stop)
        # (b, c) new mail wakes the IDLE, and the wake-up brings the teammate's change in with it
        alice.commands.tag(conv_id(alice, 1), "seen-by-alice")
        alice.exchange()
        mailbox.deliver(customer_mail(3))
        arrived = watch.next_round(lambda r: bool(r.new_ids))
        tags = [str(event.data.get("tag")) for event in arrived.team_events]
        assert "seen-by-alice" in tags
        # (d) a local change leaves at once: the nudge ends the IDLE, long before the team interval
        bob.commands.assign(conv_id(bob, 1), "bob@example.com")
        bob.team.nudge()
        assert until(lambda: bool(alice.exchange().fetched), watch.stop)
        assert server_connections(mailbox) == 1
    assert watch.connects == 1
    assert alice.session.inbox.conversation(conv_id(alice, 1)).state.assignee == "bob@example.com"


def test_a_teammates_change_arrives_at_the_interval_without_a_second_connection(pair, mailbox):
    alice, bob = pair
    with watching(bob, 1.0) as watch:
        alice.commands.tag(conv_id(alice, 2), "quiet")
        alice.exchange()
        got = watch.next_round(lambda r: bool(r.team_events))
        assert [str(event.data.get("tag")) for event in got.team_events] == ["quiet"]
        assert not got.new_ids  # no mail woke the loop: the interval did
        assert until(lambda: server_connections(mailbox) == 1, watch.stop)
    assert watch.connects == 1


def test_team_status_says_how_many_connections_the_agent_holds(mailbox, tmp_path):
    one = write_config(tmp_path / "one", mailbox, imap=ONE)
    two = write_config(tmp_path / "two", mailbox)
    assert "IMAP connections while syncing: 1" in cli(one, "team", "status").stdout
    assert "IMAP connections while syncing: 2" in cli(two, "team", "status").stdout
    polling = write_config(tmp_path / "polling", mailbox, imap="idle = false")
    assert "IMAP connections while syncing: 1" in cli(polling, "team", "status").stdout  # no team watcher


def test_a_refused_events_folder_turns_team_sharing_off_while_mail_idles(cyrus, tmp_path):
    box = cyrus.new_mailbox("t")
    box.deliver(mail(1))
    with box.imap() as client:
        client.create_folder(EVENTS)
    cyrus.set_rights(box.user, EVENTS, "l")  # the folder may be seen but not read or written
    config = write_config(tmp_path, box, imap=ONE)
    proc = start_cli(config, "sync", "--watch")
    reader = LineReader(proc)
    try:
        reader.wait_for("[team-off]")
        reader.wait_for("[idle] INBOX")
        proc.send_signal(signal.SIGINT)
        status = proc.wait(timeout=BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = reader.rest()
    assert status == 0, text
    assert "[offline]" not in text
    team_lines = [line for line in text.splitlines() if "[team-off]" in line]
    assert len(team_lines) == 1, text  # said once, not at every exchange
    assert "team sharing off: " in team_lines[0] and "Permission denied" in team_lines[0]
    assert [c["message_ids"] for c in list_json(config)] == [["m1@customer.test"]]
