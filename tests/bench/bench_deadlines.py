"""Benchmark deadlines over a large store: every open conversation's promises and SLA clocks.

Builds the 50k-message store of bench_store.py, records a promise on one conversation in ten,
configures an SLA policy in business hours, then times the first pass (computing every
conversation) and later passes (judging the cached facts at a later time).

    /work/venv/bin/python tests/bench/bench_deadlines.py [--messages N] [--conversations N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from shared_inbox.domain.business_hours import BusinessCalendar  # noqa: E402
from shared_inbox.domain.model import Status  # noqa: E402
from shared_inbox.domain.sla import SlaPolicy  # noqa: E402
from shared_inbox.services.commands import Commands  # noqa: E402
from shared_inbox.services.deadlines import DeadlineTracker  # noqa: E402
from shared_inbox.services.inbox import Inbox  # noqa: E402
from shared_inbox.store import Store  # noqa: E402
from tests.bench.bench_store import make_messages  # noqa: E402

POLICY = SlaPolicy(
    "standard",
    first_response=timedelta(hours=4),
    next_response=timedelta(hours=8),
    resolution=timedelta(days=5),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--conversations", type=int, default=15_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "store") as store:
        metas = make_messages(args.messages, args.conversations, rng)
        store.upsert_messages(metas)
        now = max(meta.date for meta in metas) + timedelta(hours=1)
        inbox = Inbox(store, our_addresses=frozenset({"support@example.com"}), me="alice@example.com").load()
        commands = Commands(inbox, author="alice@example.com", now=lambda: now)
        convs = inbox.conversations()
        for conv in convs[::10]:
            commands.set_promise(
                conv.id, "Get back to the customer", now + timedelta(hours=rng.randrange(-48, 96))
            )
        open_convs = [c for c in inbox.conversations() if c.state.status is Status.ACTIVE]
        tracker = DeadlineTracker(inbox, (POLICY,), BusinessCalendar.weekdays("Europe/Berlin"))
        started = time.perf_counter()
        for conv in open_convs:
            tracker.of(conv, now)
        first = time.perf_counter() - started
        cached = []
        for run in range(args.runs):
            later = now + timedelta(minutes=30 * (run + 1))
            started = time.perf_counter()
            for conv in open_convs:
                tracker.of(conv, later)
            cached.append(time.perf_counter() - started)
        print(f"{len(open_convs)} open conversations of {len(convs)}, {args.messages} messages")
        print(f"first pass (computing): {first * 1000:8.0f} ms")
        print(f"later passes (cached):  {statistics.median(cached) * 1000:8.0f} ms median of {args.runs}")


if __name__ == "__main__":
    main()
