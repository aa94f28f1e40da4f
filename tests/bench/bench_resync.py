"""Resync after a day's changes, with and without QRESYNC (RFC 7162), against a real Dovecot.

Run:  .venv/bin/python tests/bench/bench_resync.py [--sizes 10000 50000] [--changes 0.01]

A mirrored INBOX of SIZE messages; then a teammate expunges and flags a share of them
elsewhere and new mail arrives. Prints the time and the commands a resync of the folder
takes both ways (median of three), beside the budget. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared_inbox.corpus import generate  # noqa: E402
from shared_inbox.imap.connection import enable_condstore  # noqa: E402
from shared_inbox.imap.sync import FolderSync  # noqa: E402
from shared_inbox.store import Store  # noqa: E402
from tests.rig.dovecot import DovecotServer  # noqa: E402

USER, PASSWORD = "bench", "bench-pass"
START = datetime(2026, 8, 1, tzinfo=UTC)
BUDGET = "<= 0.5 s at 50k (a day's changes)"


def _engine(server: DovecotServer, store: Store, qresync: bool) -> tuple[FolderSync, list[str]]:
    client = server.imap(USER, PASSWORD)
    enable_condstore(client)
    sent: list[str] = []
    original = client._imap._command

    def command(name, *args):  # type: ignore[no-untyped-def]
        sent.append(name)
        return original(name, *args)

    client._imap._command = command
    engine = FolderSync(client, store, our_addresses=frozenset({"support@example.com"}), sent_folder="Sent")
    engine.qresync = qresync and engine.qresync
    return engine, sent


def _change(server: DovecotServer, share: float, rng: random.Random) -> None:
    with server.imap(USER, PASSWORD) as client:
        client.select_folder("INBOX")
        uids = sorted(client.search("ALL"))
        picked = rng.sample(uids, max(1, int(len(uids) * share)))
        half = len(picked) // 2
        client.add_flags(picked[:half], [b"\\Seen", b"\\Flagged"])
        client.delete_messages(picked[half:])
        client.expunge()
    server.bulk_seed(USER, [raw for _f, raw in generate(20, seed=rng.randrange(10**6), start=START)], "INBOX")


def bench_size(count: int, share: float, verbose: bool = False) -> None:
    work = Path(tempfile.mkdtemp(prefix="si-resync-"))
    server = DovecotServer()
    server.add_user(USER, PASSWORD)
    server.start()
    rng = random.Random(3)
    try:
        server.bulk_seed(
            USER, [raw for folder, raw in generate(count, seed=7, start=START) if folder == "INBOX"]
        )
        figures: dict[str, list[float]] = {"QRESYNC": [], "CONDSTORE only": []}
        commands: dict[str, int] = {}
        for _round in range(3):
            for way, qresync in (("QRESYNC", True), ("CONDSTORE only", False)):
                store_dir = work / f"store-{way.replace(' ', '-')}"
                with Store.open(store_dir) as store:
                    engine, _ = _engine(server, store, qresync)
                    engine.sync_folder("INBOX")  # catch up, untimed
                    engine.close()
                    engine.client.logout()
            _change(server, share, rng)
            for way, qresync in (("QRESYNC", True), ("CONDSTORE only", False)):
                store_dir = work / f"store-{way.replace(' ', '-')}"
                with Store.open(store_dir) as store:
                    engine, sent = _engine(server, store, qresync)
                    started = time.perf_counter()
                    engine.sync_folder("INBOX")
                    figures[way].append(time.perf_counter() - started)
                    commands[way] = len(sent)
                    if verbose:
                        print(way, sent)
                    engine.close()
                    engine.client.logout()
        print(f"\n== {count:,} messages, {share:.1%} expunged or flagged, 20 new (Dovecot on loopback) ==")
        for way, times in figures.items():
            print(
                f"resync, {way:<15} {statistics.median(times):7.3f} s  {commands[way]:>4} commands  {BUDGET}"
            )
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--changes", type=float, default=0.01)
    parser.add_argument("--verbose", action="store_true", help="print the commands each way sends")
    args = parser.parse_args()
    for size in args.sizes:
        bench_size(size, args.changes, args.verbose)


if __name__ == "__main__":
    main()
