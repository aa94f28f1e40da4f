"""The mail adapter's pure parts: reading headers and bodies, and sanitizing untrusted text.

Body reading (HTML rendering, MIME walking, attachments) is imported on first use, so processes
that only parse headers, such as sync helpers, do not pay for lxml and the MIME machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from shared_inbox.mail.headers import TOKEN_HEADER, parse_header_block
from shared_inbox.mail.msgid import make_message_id, token_from_message_id
from shared_inbox.mail.sanitize import clean_line, clean_text, header_safe, looks_like_markup

if TYPE_CHECKING:
    from shared_inbox.mail.attachments import (
        AttachmentInfo,
        attachment_bytes,
        open_with_system,
        safe_filename,
        save_attachment,
        unique_path,
    )
    from shared_inbox.mail.body import ReadMessage, raw_source, read_message
    from shared_inbox.mail.html_text import html_to_text
    from shared_inbox.mail.quotes import Segment, split_segments

_LAZY = {
    "AttachmentInfo": "attachments",
    "attachment_bytes": "attachments",
    "open_with_system": "attachments",
    "safe_filename": "attachments",
    "save_attachment": "attachments",
    "unique_path": "attachments",
    "ReadMessage": "body",
    "raw_source": "body",
    "read_message": "body",
    "html_to_text": "html_text",
    "Segment": "quotes",
    "split_segments": "quotes",
}

__all__ = [
    "TOKEN_HEADER",
    "AttachmentInfo",
    "ReadMessage",
    "Segment",
    "attachment_bytes",
    "clean_line",
    "clean_text",
    "header_safe",
    "html_to_text",
    "looks_like_markup",
    "make_message_id",
    "open_with_system",
    "parse_header_block",
    "raw_source",
    "read_message",
    "safe_filename",
    "save_attachment",
    "split_segments",
    "token_from_message_id",
    "unique_path",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
