"""How often threading splits a true conversation or glues two together, on the generated corpus.

    python tests/bench/eval_threading.py --count 10000 --seed 1

The corpus generator knows which conversation each message belongs to; its customers
use mail clients that drop References and In-Reply-To as real ones do. Prints, for each
threading setting, the share of true conversations split over several (goal: at most
0.5 %) and the number of wrongly merged conversations (goal: 0).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from shared_inbox.corpus.generator import generate_labelled  # noqa: E402
from shared_inbox.domain.model import MessageMeta  # noqa: E402
from shared_inbox.domain.threading import ThreadIndex  # noqa: E402
from shared_inbox.imap.second_look import distinct_identity  # noqa: E402
from shared_inbox.mail.headers import parse_header_block  # noqa: E402

SPLIT_GOAL = 0.005
START = datetime(2026, 1, 1, tzinfo=UTC)


def _arrival(head: bytes, n: int) -> datetime:
    """When the server would have received the message: a little after its Date."""
    match = re.search(rb"^Date: (.+?)\r\n", head, re.MULTILINE)
    sent = parsedate_to_datetime(match.group(1).decode()) if match else START
    return sent + timedelta(seconds=5 + n % 60)


def measure(count: int, seed: int, **options: object) -> dict[str, float]:
    """Split and wrong-merge figures for one corpus and one threading setting."""
    index = ThreadIndex(**options)  # type: ignore[arg-type]
    truth: dict[str, int] = {}
    metas: dict[str, MessageMeta] = {}
    for n, (folder, raw, thread) in enumerate(generate_labelled(count, seed, start=START)):
        head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        meta = parse_header_block(
            head,
            internal_date=_arrival(head, n),
            our_addresses=frozenset({"support@example.com"}),
            sent_folder=folder == "Sent",
        )
        meta = distinct_identity(metas.get(meta.message_id), meta)  # as the sync does
        metas[meta.message_id] = meta
        index.add(meta)
        truth[meta.message_id] = thread
    predicted: dict[str, set[int]] = defaultdict(set)
    spread: dict[int, set[str]] = defaultdict(set)
    for mid, thread in truth.items():
        conv = index.conversation_of(mid)
        predicted[conv].add(thread)
        spread[thread].add(conv)
    threads = len(spread)
    split = sum(1 for convs in spread.values() if len(convs) > 1)
    wrong = sum(1 for threads_in in predicted.values() if len(threads_in) > 1)
    return {"messages": len(truth), "threads": threads, "split": split, "wrong_merges": wrong}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    settings = {
        "headers and tokens only": {"reply_subjects": False},
        "default (replies joined by subject)": {},
        "subject merge on (any same subject)": {"subject_merge": True},
    }
    print(f"{'setting':40} {'threads':>8} {'split':>7} {'split %':>8} {'goal':>6} {'wrong':>6}  verdict")
    for name, options in settings.items():
        got = measure(args.count, args.seed, **options)
        share = got["split"] / got["threads"] if got["threads"] else 0.0
        ok = share <= SPLIT_GOAL and got["wrong_merges"] == 0
        print(
            f"{name:40} {got['threads']:>8} {got['split']:>7} {share:>8.2%} {SPLIT_GOAL:>6.1%} "
            f"{got['wrong_merges']:>6}  {'meets' if ok else 'misses'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
