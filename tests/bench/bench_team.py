"""Team events benchmark against a real Dovecot on loopback.

Run:  /work/venv/bin/python tests/bench/bench_team.py [--events 10000] [--latency-rounds 5]

Measures: wall time from `shared-inbox set` on one agent to the event being taken in by
another agent's watch loop; replaying a long log into a new agent's empty store; the
same after compaction; bytes per event on the server; the cost of a STATUS poll (the
alternative to a second IDLE connection). Figures, not pass/fail; budgets are printed
beside them. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared_inbox.services.syncing import SyncRound  # noqa: E402
from shared_inbox.services.team import apply_remote  # noqa: E402
from shared_inbox.team.folder import server_name  # noqa: E402
from tests.integration.support import write_config  # noqa: E402
from tests.integration.team_support import Agent, customer_mail, open_agent  # noqa: E402
from tests.rig.dovecot import DovecotServer, RigMailbox  # noqa: E402
from tests.rig.tls import make_tls_files  # noqa: E402

FOLDER = "SharedInbox/Events"
CONVERSATIONS = 300


def folder_bytes(mailbox: RigMailbox) -> tuple[int, int]:
    """(messages, total RFC822 size) of the events folder."""
    with mailbox.imap() as client:
        client.select_folder(server_name(client, FOLDER), readonly=True)
        uids = client.search(["ALL"])
        sizes = client.fetch(uids, ["RFC822.SIZE"]) if uids else {}
    return len(uids), sum(int(v[b"RFC822.SIZE"]) for v in sizes.values())


def measure_latency(a_config: Path, bob: Agent, rounds: int) -> list[float]:
    arrived: queue.Queue[tuple[float, list[str]]] = queue.Queue()
    stop = threading.Event()
    service = bob.session.sync_service(fetch_bodies=False)
    service.team = bob.team

    def on_round(result: SyncRound) -> None:
        tags = [str(event.data.get("tag")) for event in result.team_events]
        arrived.put((time.perf_counter(), tags))

    watcher = threading.Thread(target=service.watch, args=(stop, on_round), daemon=True)
    watcher.start()
    arrived.get(timeout=60)  # first full round
    env = {k: v for k, v in os.environ.items() if k != "SHARED_INBOX_CONFIG"}
    latencies = []
    try:
        for n in range(rounds):
            tag = f"latency{n}"
            started = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "shared_inbox",
                    "--config",
                    str(a_config),
                    "set",
                    "q1@customer.test",
                    "--tag",
                    tag,
                ],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            while True:
                when, tags = arrived.get(timeout=60)
                if tag in tags:
                    latencies.append(when - started)
                    break
    finally:
        stop.set()
        watcher.join(timeout=30)
    return latencies


def status_cost(mailbox: RigMailbox, calls: int = 200) -> float:
    with mailbox.imap() as client:
        name = server_name(client, FOLDER)
        started = time.perf_counter()
        for _ in range(calls):
            client.folder_status(name, [b"UIDNEXT", b"UIDVALIDITY", b"MESSAGES"])
        return (time.perf_counter() - started) / calls


def make_events(agent: Agent, count: int) -> float:
    refs = [f"q{n}@customer.test" for n in range(1, CONVERSATIONS + 1)]
    started = time.perf_counter()
    for n in range(count):
        ref = refs[(n * 7) % len(refs)]
        match n % 4:
            case 0:
                agent.commands.tag(ref, f"t{n % 17}")
            case 1:
                agent.commands.set_status(ref, ["pending", "closed", "active"][n % 3])
            case 2:
                agent.commands.assign(ref, "bob@example.com" if n % 8 < 4 else "alice@example.com")
            case _:
                agent.commands.untag(ref, f"t{(n + 5) % 17}")
    return time.perf_counter() - started


def replay_into_new_agent(work: Path, mailbox: RigMailbox, name: str) -> str:
    """How long a new agent takes to get the team state: fetch + store, then into the inbox."""
    config = write_config(work / name, mailbox, me="bob@example.com")
    agent = open_agent(config)
    try:
        client = agent.connect()
        started = time.perf_counter()
        result = agent.team.exchange(client)
        fetched = time.perf_counter() - started
        client.logout()
        started = time.perf_counter()
        apply_remote(agent.session.inbox, agent.session.commands, result.fetched)
        applied = time.perf_counter() - started
        stored = agent.session.store.event_count()
    finally:
        agent.close()
    started = time.perf_counter()
    again = open_agent(config)
    reopen = time.perf_counter() - started
    again.close()
    return (
        f"{stored} events: fetched and stored in {fetched:.2f} s, applied to the inbox in {applied:.2f} s "
        f"(budget 2 s in all); opening that store later: {reopen:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--latency-rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-team-") as tmp:
        work = Path(tmp)
        server = DovecotServer(tls=make_tls_files(work / "tls"))
        server.add_user("support", "support-pass")
        server.start()
        try:
            run(server, work, args)
        finally:
            server.close()


def run(server: DovecotServer, work: Path, args: argparse.Namespace) -> None:
    mailbox = RigMailbox(server, "support")
    mailbox.bulk_seed(customer_mail(n) for n in range(1, CONVERSATIONS + 1))
    a_config = write_config(work / "a", mailbox, me="alice@example.com")
    alice = open_agent(a_config)
    alice.exchange()
    alice.close()
    bob = open_agent(write_config(work / "b", mailbox, me="bob@example.com"))
    try:
        latencies = measure_latency(a_config, bob, args.latency_rounds)
    finally:
        bob.close()
    single_messages, single_bytes = folder_bytes(mailbox)
    poll = status_cost(mailbox)
    print(
        f"set on A -> taken in by B's watch loop: median {statistics.median(latencies):.2f} s, "
        f"max {max(latencies):.2f} s (budget 2 s; includes ~0.5 s start-up of the `set` process)"
    )
    per_event = single_bytes / max(1, single_messages)
    print(f"one event per message: {per_event:.0f} bytes per event on the server")
    print(
        f"STATUS of the events folder: {poll * 1000:.2f} ms per call (polling it every second instead of "
        "a second IDLE connection would cost 3600 round trips an hour per agent)"
    )

    producer = open_agent(write_config(work / "p", mailbox, me="alice@example.com"))
    try:
        made = make_events(producer, args.events)
        started = time.perf_counter()
        producer.exchange()
        shipped = time.perf_counter() - started
    finally:
        producer.close()
    messages, total = folder_bytes(mailbox)
    print(
        f"{args.events} events recorded in {made:.2f} s, shipped in {shipped:.2f} s "
        f"({messages} messages, {(total - single_bytes) / args.events:.0f} bytes per event batched)"
    )
    print("new agent takes in the log:", replay_into_new_agent(work, mailbox, "new1"))

    compactor = open_agent(write_config(work / "c", mailbox, me="alice@example.com"))
    try:
        started = time.perf_counter()
        result = compactor.compact()
        compacting = time.perf_counter() - started
    finally:
        compactor.close()
    report = result.compacted
    messages, total = folder_bytes(mailbox)
    kept = report.events_kept if report else 0
    print(
        f"compaction: {compacting:.2f} s, {report.events_before if report else 0} events -> {kept}, "
        f"folder now {messages} message(s), {total} bytes"
    )
    print("new agent after compaction:", replay_into_new_agent(work, mailbox, "new2"))


if __name__ == "__main__":
    main()
