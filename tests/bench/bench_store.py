"""Benchmark the local store at a realistic size and print a table.

Builds a store with 50k messages (15k conversations) and their events, then
times single state changes, a 500-message sync batch, and opening the store.

    /work/venv/bin/python tests/bench/bench_store.py [--messages N] [--conversations N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared_inbox.domain.model import SEEN, Address, Location, MessageMeta
from shared_inbox.store import Store

WORDS = ("invoice", "refund", "login", "broken", "export", "billing", "shipping", "delay")
BATCH = 500


def make_messages(
    count: int, conversations: int, rng: random.Random, uid_start: int = 1
) -> list[MessageMeta]:
    start = datetime(2023, 1, 1, tzinfo=UTC)
    roots: dict[int, list[str]] = {}
    metas = []
    for n in range(count):
        conv = rng.randrange(conversations)
        thread = roots.setdefault(conv, [])
        mid = f"{uuid.UUID(int=rng.getrandbits(128)).hex}@mail.example.com"
        customer = Address(f"Customer {conv}", f"customer{conv}@example.org")
        subject = " ".join(rng.choice(WORDS) for _ in range(5))
        metas.append(
            MessageMeta(
                message_id=mid,
                subject=("Re: " if thread else "") + subject,
                sender=customer,
                to=(Address("Support", "support@example.com"),),
                cc=(),
                date=start + timedelta(minutes=7 * n),
                in_reply_to=tuple(thread[-1:]),
                references=tuple(thread[-10:]),
                flags=frozenset({SEEN}) if rng.random() < 0.8 else frozenset(),
                size=rng.randrange(2_000, 80_000),
                locations=(Location("INBOX", 1700000000, uid_start + n),),
                has_attachments=rng.random() < 0.1,
            )
        )
        thread.append(mid)
    return metas


def make_event(rng: random.Random, anchor: str, at: datetime) -> dict[str, object]:
    kind, data = rng.choice(
        [
            ("assign", {"assignee": "ann@example.com"}),
            ("status", {"status": "closed"}),
            ("tag", {"tag": "vip"}),
        ]
    )
    wall = int(at.timestamp() * 1000)
    return {
        "id": uuid.UUID(int=rng.getrandbits(128)).hex,
        "kind": kind,
        "anchor": anchor,
        "author": "ann@example.com",
        "at": at.isoformat(),
        "clock": f"{wall:013d}-0000-ann",
        "data": data,
    }


def timed(samples: int, action: Callable[[int], object]) -> list[float]:
    out = []
    for i in range(samples):
        began = time.perf_counter()
        action(i)
        out.append((time.perf_counter() - began) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


OPEN_PROBE = """
import json, sys, time, psutil
from pathlib import Path
from shared_inbox.store import Store
proc = psutil.Process()
before = proc.memory_info().rss
began = time.perf_counter()
store = Store.open(Path(sys.argv[1]), create=False)
elapsed = time.perf_counter() - began
after = proc.memory_info().rss
print(json.dumps({"ms": elapsed * 1000, "rss_mb": after / 2**20, "delta_mb": (after - before) / 2**20,
                  "messages": store.message_count(), "events": store.event_count()}))
store.close()
"""


def probe_open(path: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", OPEN_PROBE, str(path)], check=True, capture_output=True, text=True
    )
    parsed: dict[str, float] = json.loads(result.stdout)
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--conversations", type=int, default=15_000)
    parser.add_argument("--events-per-conversation", type=int, default=3)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="build the store here and keep it")
    args = parser.parse_args()
    rng = random.Random(7)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "store"
        metas = make_messages(args.messages, args.conversations, rng)
        began = time.perf_counter()
        with Store.open(path) as store:
            for start in range(0, len(metas), BATCH):
                store.upsert_messages(metas[start : start + BATCH])
            built_messages = time.perf_counter() - began
            anchors = [metas[rng.randrange(len(metas))].message_id for _ in range(args.conversations)]
            began = time.perf_counter()
            for anchor in anchors:
                for _ in range(args.events_per_conversation):
                    store.append_event(make_event(rng, anchor, datetime(2024, 1, 1, tzinfo=UTC)))
            built_events = time.perf_counter() - began
            print(
                f"built {store.message_count()} messages in {built_messages:.1f} s, "
                f"{store.event_count()} events in {built_events:.1f} s"
            )

            rows: list[tuple[str, list[float]]] = []
            rows.append(
                (
                    "append_event",
                    timed(
                        args.samples,
                        lambda _: store.append_event(
                            make_event(rng, rng.choice(anchors), datetime(2024, 2, 1, tzinfo=UTC))
                        ),
                    ),
                )
            )
            batch_size = 1000  # a teammate's replay arrives in batches like this one
            rows.append(
                (
                    f"append_events ({batch_size} at once)",
                    timed(
                        10,
                        lambda _: store.append_events(
                            [
                                make_event(rng, rng.choice(anchors), datetime(2024, 3, 1, tzinfo=UTC))
                                for _ in range(batch_size)
                            ]
                        ),
                    ),
                )
            )

            def flip_flag(_: int) -> None:
                meta = metas[rng.randrange(len(metas))]
                current = store.message(meta.message_id)
                assert current is not None
                store.update_flags({meta.message_id: current.flags ^ {SEEN}})

            rows.append(("update_flags (1 message)", timed(args.samples, flip_flag)))
            rows.append(("set_setting", timed(args.samples, lambda i: store.set_setting("bench", {"n": i}))))
            extra = make_messages(BATCH * 20, args.conversations, rng, uid_start=args.messages + 1)
            rows.append(
                (
                    "upsert 500 new messages",
                    timed(20, lambda i: store.upsert_messages(extra[i * BATCH : (i + 1) * BATCH])),
                )
            )
            resync = [metas[rng.randrange(len(metas))] for _ in range(BATCH)]
            moved = [replace(m, locations=(Location("Archive", 5, i + 1),)) for i, m in enumerate(resync)]
            rows.append(("upsert 500 known (merge)", timed(1, lambda _: store.upsert_messages(moved))))
            rows.append(
                (
                    "message() lookup",
                    timed(args.samples, lambda _: store.message(rng.choice(metas).message_id)),
                )
            )
            rows.append(("messages() all", timed(3, lambda _: sum(1 for _ in store.messages()))))
            rows.append(("uid_map(INBOX)", timed(3, lambda _: store.uid_map("INBOX"))))

        opened = [probe_open(path) for _ in range(3)]
        rows.append(("open (load), fresh process", [o["ms"] for o in opened]))

        print(f"\n{'operation':32} {'n':>5} {'median ms':>10} {'p95 ms':>10}")
        for name, values in rows:
            print(f"{name:32} {len(values):5d} {statistics.median(values):10.2f} {p95(values):10.2f}")
        last = opened[-1]
        print(
            f"\nafter open: {int(last['messages'])} messages, {int(last['events'])} events; "
            f"RSS {last['rss_mb']:.0f} MB ({last['delta_mb']:.0f} MB for the store)"
        )
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        print(f"on disk: {size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
