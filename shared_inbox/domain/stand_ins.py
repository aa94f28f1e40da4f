"""Stand-in Message-IDs, made for mail that has none: their two forms and how one names the other.

A stand-in id reads ``synthetic.<headers>.<content>@shared-inbox.invalid``: a digest of the
headers, then one of the message's text (or, until that is known, its size). Stores and team
events written before the content part existed hold ``synthetic.<headers>@shared-inbox.invalid``;
either form names the same message, so old anchors and ids keep working.
"""

from __future__ import annotations

import re

__all__ = ["SYNTHETIC_DOMAIN", "header_only_form", "stand_in_parts"]

SYNTHETIC_DOMAIN = "shared-inbox.invalid"
_STAND_IN = re.compile(rf"synthetic\.([0-9a-f]{{24}})(?:\.([0-9a-f]{{16}}))?@{re.escape(SYNTHETIC_DOMAIN)}")


def stand_in_parts(message_id: str) -> tuple[str, str] | None:
    """(headers part, content part or "" for the header-only form) of a stand-in id; None otherwise."""
    match = _STAND_IN.fullmatch(message_id)
    return (match.group(1), match.group(2) or "") if match else None


def header_only_form(message_id: str) -> str | None:
    """The header-only form of a stand-in id that has a content part; None for any other id."""
    parts = stand_in_parts(message_id)
    return f"synthetic.{parts[0]}@{SYNTHETIC_DOMAIN}" if parts is not None and parts[1] else None
