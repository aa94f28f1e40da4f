"""How well the summary finds the ask, open questions and open promises, on a labelled set.

The set (tests/data/summary/labelled_threads.json) holds threads from the corpus generator and
hand-written hard cases, each with the sentences a person picked as its ask, its open questions
and its open promises. Bodies are passed through the same quote and signature cutting as in the
application. A found sentence matches a labelled one when, lower-cased and with whitespace and end
punctuation ignored, one contains the other.

    python tests/bench/eval_summary.py [--verbose] [--holdout]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from shared_inbox.domain.model import MessageKind
from shared_inbox.domain.summary import Thread, ThreadMessage, summarize
from shared_inbox.domain.summary.ask import ask_sentences
from shared_inbox.services.summary import own_words

DATA = Path(__file__).resolve().parents[1] / "data" / "summary"
LABELLED = DATA / "labelled_threads.json"
HOLDOUT = DATA / "holdout_threads.json"  # labelled after the rules were tuned; never tuned on
PARTS = ("ask", "open_questions", "promises")


@dataclass
class Score:
    true_positives: int = 0
    found: int = 0
    expected: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0


def normalise(sentence: str) -> str:
    return " ".join(sentence.split()).casefold().rstrip(" .!?？。")


def same(found: str, expected: str) -> bool:
    a, b = normalise(found), normalise(expected)
    return bool(a and b) and (a in b or b in a)


def thread_from(doc: dict[str, object]) -> Thread:
    messages = tuple(
        ThreadMessage(
            f"{doc['id']}-{index}",
            datetime.fromisoformat(str(item["when"])),
            MessageKind(item["kind"]),
            str(item["author"]),
            own_words(str(item["body"])),
            tuple(item.get("attachments", ())),
        )
        for index, item in enumerate(doc["messages"])  # type: ignore[arg-type]
    )
    return Thread(str(doc["subject"]), messages)


def predictions(thread: Thread) -> dict[str, list[str]]:
    now = max(m.when for m in thread.messages) + timedelta(hours=1)
    summary = summarize(thread, now)
    return {
        "ask": ask_sentences(sorted(thread.messages, key=lambda m: m.when)),
        "open_questions": list(summary.open_questions),
        "promises": [promise.text for promise in summary.promises],
    }


def evaluate(path: Path = LABELLED) -> dict[str, Score]:
    scores = {part: Score() for part in PARTS}
    for doc in json.loads(path.read_text(encoding="utf-8")):
        found = predictions(thread_from(doc))
        for part in PARTS:
            score, expected, got = scores[part], doc["expected"][part], found[part]
            score.found += len(got)
            score.expected += len(expected)
            hits = [e for e in expected if any(same(g, e) for g in got)]
            score.true_positives += len(hits)
            score.misses += [f"{doc['id']}: missed {e!r}" for e in expected if e not in hits]
            score.misses += [
                f"{doc['id']}: wrongly found {g!r}" for g in got if not any(same(g, e) for e in expected)
            ]
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every miss and false find")
    parser.add_argument("--holdout", action="store_true", help="the held-out set instead of the main one")
    args = parser.parse_args(argv)
    path = HOLDOUT if args.holdout else LABELLED
    scores = evaluate(path)
    threads = len(json.loads(path.read_text(encoding="utf-8")))
    print(f"{threads} labelled threads ({path.name})")
    print(f"{'part':<16}{'precision':>10}{'recall':>8}{'found':>7}{'expected':>9}")
    for part, score in scores.items():
        print(f"{part:<16}{score.precision:>10.2f}{score.recall:>8.2f}{score.found:>7}{score.expected:>9}")
        if args.verbose:
            for miss in score.misses:
                print(f"    {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
