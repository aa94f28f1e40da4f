"""The last list the agent saw, kept beside the store so the next start can show it at once.

Opening a store of tens of thousands of messages takes a second or more; a mail client that
shows a blank screen meanwhile feels broken. The inbox screen writes the top of its list and the
sidebar counts here (throttled, atomically, private to the user); the next start paints them
while the store opens in the background, then replaces them with the live list. Nothing can be
changed until the live list is there, so a stale row is only ever looked at, never acted on.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shared_inbox.domain.model import Conversation, ConversationState, Customer, Status

log = logging.getLogger(__name__)

FILE_NAME = "first-screen.json"
FORMAT = 1
ROWS_KEPT = 120  # more than any terminal shows
MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class FirstScreen:
    """What the list looked like: the view, each view's label and count, and its top rows."""

    view_id: str
    views: list[tuple[str, str, int]]  # (id, label, count)
    rows: list[Conversation]
    theme: str | None = None  # the theme last chosen in the palette: the choice persists


def path_for(store_path: Path) -> Path:
    return Path(store_path) / FILE_NAME


def save_first_screen(store_path: Path, screen: FirstScreen) -> None:
    """Write atomically (temp file + rename) with owner-only rights; failures are only logged."""
    doc = {
        "v": FORMAT,
        "view": screen.view_id,
        "theme": screen.theme,
        "views": [list(view) for view in screen.views],
        "rows": [_row(conv) for conv in screen.rows[:ROWS_KEPT]],
    }
    target = path_for(store_path)
    try:
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".first-screen.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(doc, out, ensure_ascii=False, separators=(",", ":"))
            os.chmod(temp, 0o600)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.info("could not keep the first screen: %s", type(exc).__name__)


def load_first_screen(store_path: Path) -> FirstScreen | None:
    """The saved screen, or None when there is none or it cannot be read (it is only a preview)."""
    target = path_for(store_path)
    try:
        if target.stat().st_size > MAX_BYTES:
            return None
        doc = json.loads(target.read_text(encoding="utf-8"))
        if doc.get("v") != FORMAT:
            return None
        views = [(str(v[0]), str(v[1]), int(v[2])) for v in doc["views"]]
        rows = [_conversation(row) for row in doc["rows"][:ROWS_KEPT]]
        theme = doc.get("theme")
        return FirstScreen(
            view_id=str(doc["view"]), views=views, rows=rows, theme=theme if isinstance(theme, str) else None
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _row(conv: Conversation) -> dict[str, object]:
    customer = conv.customer
    return {
        "id": conv.id,
        "subject": conv.subject,
        "messages": conv.message_ids,
        "customer": [customer.email, customer.name] if customer else None,
        "status": conv.state.status.value,
        "assignee": conv.state.assignee,
        "tags": sorted(conv.state.tags),
        "activity": _iso(conv.last_activity),
        "customer_at": _iso(conv.last_customer_message),
        "unread": conv.unread,
    }


def _conversation(row: dict[str, object]) -> Conversation:
    customer = row["customer"]
    return Conversation(
        id=str(row["id"]),
        subject=str(row["subject"]),
        message_ids=[str(m) for m in _list(row["messages"])],
        customer=Customer(str(customer[0]), str(customer[1])) if isinstance(customer, list) else None,
        state=ConversationState(
            status=Status(str(row["status"])),
            assignee=str(row["assignee"]) if row["assignee"] else None,
            tags=frozenset(str(t) for t in _list(row["tags"])),
        ),
        last_activity=_time(row["activity"]),
        last_customer_message=_time(row["customer_at"]),
        unread=int(str(row["unread"])),
    )


def _list(value: object) -> Sequence[object]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("naive time")
    return moment
