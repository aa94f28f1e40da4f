"""Presence traffic against a real Dovecot on loopback: bytes and IMAP commands per agent per minute.

Run:  /work/venv/bin/python tests/bench/bench_presence.py [--minutes 10]

Alice works through the inbox on a scripted clock (one conversation every 20 s, the
composer open on every third for 40 s), and also sits on one conversation without moving
(refreshes only). Each of her presence changes is exchanged as her watch loop would: her
round (append the note, delete her superseded one), the echo round her own IDLE wakes for,
and Bob's round his IDLE wakes for; every round ends by going back to IDLE (SELECT, IDLE,
DONE), as the watcher does. Every byte and command on both connections is counted.
Figures, not pass/fail; nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared_inbox.domain.presence import Presence  # noqa: E402
from shared_inbox.team.folder import server_name  # noqa: E402
from tests.integration.support import write_config  # noqa: E402
from tests.integration.team_support import BASE, Agent, customer_mail, open_agent  # noqa: E402
from tests.rig.dovecot import DovecotServer, RigMailbox  # noqa: E402
from tests.rig.tls import make_tls_files  # noqa: E402

CONVERSATIONS = 60
STEP = timedelta(seconds=1)
PUSH_WAIT = 5.0  # seconds; the push comes well before, the wait ends with it


@dataclass
class Traffic:
    commands: int = 0
    sent: int = 0
    received: int = 0


def counted(client: Any) -> Traffic:
    """Count every command and byte on an IMAPClient connection from now on."""
    traffic = Traffic()
    imap = client._imap
    command, send, read, readline = imap._command, imap.send, imap.read, imap.readline

    def on_command(name: str, *args: Any) -> Any:
        traffic.commands += 1
        return command(name, *args)

    def on_send(data: bytes) -> Any:
        traffic.sent += len(data)
        if data.strip() == b"DONE":
            traffic.commands += 1
        return send(data)

    def on_read(size: int) -> bytes:
        data: bytes = read(size)
        traffic.received += len(data)
        return data

    def on_readline() -> bytes:
        data: bytes = readline()
        traffic.received += len(data)
        return data

    imap._command, imap.send, imap.read, imap.readline = on_command, on_send, on_read, on_readline
    return traffic


class Round:
    """One agent's watch loop, driven by hand: exchange, then back to IDLE."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.client = agent.connect()
        self.agent.team.exchange(self.client)
        self.traffic = counted(self.client)
        self.folder = server_name(self.client, "SharedInbox/Events")

        self._idle()

    def _idle(self) -> None:
        self.client.select_folder(self.folder, readonly=True)
        self.client.idle()

    def run(self, *, pushed: bool = True) -> int:
        """Woken by a push (or a local nudge): leave IDLE, exchange, idle again."""
        if pushed:
            self.client.idle_check(timeout=PUSH_WAIT)  # the server's push that wakes the watcher
        self.client.idle_done()
        result = self.agent.team.exchange(self.client)
        self._idle()
        return len(result.presence)

    def close(self) -> None:
        self.client.idle_done()
        self.client.logout()


def scripted(second: int, conversations: list[str], moving: bool) -> set[Presence]:
    if not moving:
        return {Presence(conversations[0], "viewing")}
    index = second // 20
    anchor = conversations[index % len(conversations)]
    replying = index % 3 == 0  # every third conversation is answered: the composer stays open on it
    return {Presence(anchor, "replying" if replying else "viewing")}


def simulate(alice: Agent, bob: Agent, minutes: int, moving: bool) -> tuple[Traffic, Traffic, int, int]:
    clock = [BASE]
    alice.team.now = lambda: clock[0]
    bob.team.now = lambda: clock[0]
    a, b = Round(alice), Round(bob)
    anchors = [f"q{n}@customer.test" for n in range(CONVERSATIONS)]
    notes = received = 0
    try:
        for second in range(minutes * 60):
            clock[0] = BASE + second * STEP
            if alice.team.presence.want(scripted(second, anchors, moving), clock[0]):
                a.run(pushed=False)  # Alice's nudged round: append, delete the superseded note
                a.run()  # the echo her IDLE wakes for
                received += b.run()  # Bob's IDLE wakes for the append (and the expunge)
                notes += 1
        return a.traffic, b.traffic, notes, received
    finally:
        a.close()
        b.close()


def report(label: str, minutes: int, traffic: Traffic) -> None:
    print(
        f"  {label:<22} {traffic.commands / minutes:7.1f} commands/min  "
        f"{traffic.sent / minutes:9.0f} B/min sent  {traffic.received / minutes:9.0f} B/min received"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-presence-") as tmp:
        work = Path(tmp)
        server = DovecotServer(tls=make_tls_files(work / "tls"))
        server.add_user("support", "support-pass")
        server.start()
        try:
            mailbox = RigMailbox(server, "support")
            mailbox.bulk_seed(customer_mail(n) for n in range(CONVERSATIONS))
            alice = open_agent(write_config(work / "a", mailbox, me="alice@example.com"))
            bob = open_agent(write_config(work / "b", mailbox, me="bob@example.com"))
            try:
                for moving in (True, False):
                    title = "moving through the inbox" if moving else "sitting on one conversation"
                    sent, got, notes, received = simulate(alice, bob, args.minutes, moving)
                    print(f"{title}: {notes / args.minutes:.1f} presence notes/min, Bob took in {received}")
                    report("Alice (publishing)", args.minutes, sent)
                    report("Bob (receiving)", args.minutes, got)
                events = alice.session.store.event_count() + bob.session.store.event_count()
                print(f"events in the agents' logs after all of it: {events} (presence is not an event)")
            finally:
                alice.close()
                bob.close()
        finally:
            server.close()


if __name__ == "__main__":
    main()
