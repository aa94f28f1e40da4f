"""Command line: write a generated corpus as .eml files, e.g.

    python -m shared_inbox.corpus --count 50000 --seed 1 --out /tmp/corpus

gives /tmp/corpus/INBOX/000001.eml ... and /tmp/corpus/Sent/000001.eml ...
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from shared_inbox.corpus.demo import support_mail_demo
from shared_inbox.corpus.generator import generate
from shared_inbox.corpus.output import write_eml_dir, write_mbox

DEFAULT_START = "2026-01-01"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared_inbox.corpus", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--count", type=int, default=1000, help="number of messages (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same bytes (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--start", default=DEFAULT_START, help=f"first day, UTC (default {DEFAULT_START})")
    parser.add_argument("--mbox", action="store_true", help="write INBOX.mbox and Sent.mbox instead of .eml")
    parser.add_argument("--demo", action="store_true", help="write the hand-written demo mailbox instead")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must not be negative")
    try:
        start = datetime.fromisoformat(args.start)
    except ValueError:
        parser.error(f"--start is not an ISO date: {args.start!r}")
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    messages = support_mail_demo(start) if args.demo else list(generate(args.count, args.seed, start=start))
    if args.mbox:
        args.out.mkdir(parents=True, exist_ok=True)
        counts = {
            folder: write_mbox((raw for f, raw in messages if f == folder), args.out / f"{folder}.mbox")
            for folder in sorted({f for f, _ in messages})
        }
    else:
        counts = write_eml_dir(messages, args.out)
    summary = ", ".join(f"{folder}: {n}" for folder, n in sorted(counts.items()))
    print(f"wrote {sum(counts.values())} messages to {args.out} ({summary})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
