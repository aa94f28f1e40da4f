"""`shared-inbox due` and the deadline fields of `list --json`: what is owed, and by when.

`due` is meant for cron digests: it lists what falls due within the window or is overdue
and always exits 0 when it could read the store, whether or not anything is due.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from shared_inbox.display.text import countdown, fit, inert
from shared_inbox.domain.model import Conversation
from shared_inbox.services.deadlines import DeadlineItem, Deadlines, ItemKind, tracker_for
from shared_inbox.services.server_history import working_conversations
from shared_inbox.services.session import Session

EXIT_OK = 0
_WINDOW = re.compile(r"^\s*(\d{1,4})\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def window(text: str) -> timedelta:
    """`--within` values: "30m", "4h", "2d", "1w"."""
    match = _WINDOW.match(text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a window like 30m, 4h, 2d or 1w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def add_due_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    due = sub.add_parser("due", help="what is overdue or falls due soon (promises, follow-ups, SLAs)")
    due.add_argument(
        "--within",
        type=window,
        default=timedelta(hours=4),
        metavar="WINDOW",
        help="include what falls due within this window: 30m, 4h (default), 2d, 1w",
    )
    due.add_argument("--json", action="store_true", help="JSON for scripts")


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def deadlines_json(deadlines: Deadlines) -> dict[str, Any]:
    """The `promises`, `sla` and `next_due` fields of a conversation in `list --json`."""
    return {
        "promises": [
            {
                "id": item.promise_id,
                "text": item.text,
                "due": _when(item.due),
                "state": item.state,
                "author": item.author,
                "follow_up": item.kind is ItemKind.FOLLOW_UP,
            }
            for item in deadlines.promises
        ],
        "sla": [
            {"policy": item.policy, "target": item.text, "due": _when(item.due), "state": item.state}
            for item in deadlines.clocks
        ],
        "next_due": _when(deadlines.next_due),
    }


def deadline_fields(session: Session, conv: Conversation, now: datetime) -> dict[str, Any]:
    return deadlines_json(tracker_for(session).of(conv, now))


def run_due(args: argparse.Namespace, session: Session) -> int:
    now = datetime.now(UTC)
    found = tracker_for(session).due_within(working_conversations(session.inbox), now, args.within)
    if args.json:
        rows = [
            {"id": conv.id, "subject": conv.subject, "urgency": owed.urgency.value, **deadlines_json(owed)}
            for conv, owed in found
        ]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    if not found:
        print("Nothing is overdue or due soon.")
        return EXIT_OK
    for conv, owed in found:
        for item in _owed_by(owed, now + args.within):
            left = countdown(item.due, now)
            subject = fit(conv.subject or "(no subject)", 40)
            print(f"{left:>5}  {conv.id}  {subject}  {inert(_label(item))}")
    return EXIT_OK


def _owed_by(owed: Deadlines, until: datetime) -> list[DeadlineItem]:
    items = [i for i in owed.items if i.outstanding and i.due is not None and i.due <= until]
    return sorted(items, key=lambda item: item.due or until)


def _label(item: DeadlineItem) -> str:
    if item.kind is ItemKind.SLA:
        return f"SLA {item.policy}: {item.text.replace('_', ' ')} ({item.state.replace('_', ' ')})"
    return item.text
