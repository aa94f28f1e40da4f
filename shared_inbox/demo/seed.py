"""Turning the demo corpus into mailbox deliveries with believable flags and dates.

A real support mailbox is not all unread: mail the team answered has been read
and carries \\Answered, and every message's arrival time matches its Date. Both
are worked out here from the messages themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime

from shared_inbox.demo.imap_server import Delivery

SEEN = "\\Seen"
ANSWERED = "\\Answered"
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


def _headers(raw: bytes) -> tuple[str, tuple[str, ...], datetime | None]:
    """Message-ID, the ids it replies to, and its Date (None when unreadable)."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    own = _MESSAGE_ID.findall(str(headers.get("Message-ID", "")))
    parents = _MESSAGE_ID.findall(f"{headers.get('In-Reply-To', '')} {headers.get('References', '')}")
    try:
        date = parsedate_to_datetime(str(headers.get("Date", "")))
    except (TypeError, ValueError):
        date = None
    if date is not None and date.tzinfo is None:
        date = None
    return (own[0] if own else ""), tuple(parents), date


def demo_deliveries(mail: Sequence[tuple[str, bytes]], now: datetime) -> list[Delivery]:
    """(folder, raw) pairs, oldest first, as deliveries: answered mail read, the rest unread."""
    parsed = [(folder, raw, *_headers(raw)) for folder, raw in mail]
    answered = {parent for folder, _, _, parents, _ in parsed if folder != "INBOX" for parent in parents}
    deliveries = []
    for folder, raw, message_id, _, date in parsed:
        if folder != "INBOX":
            flags = frozenset({SEEN})
        elif message_id in answered:
            flags = frozenset({SEEN, ANSWERED})
        else:
            flags = frozenset()
        deliveries.append(Delivery(folder=folder, raw=raw, flags=flags, when=date or now))
    return deliveries
