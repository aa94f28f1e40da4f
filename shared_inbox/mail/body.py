"""Read a whole raw message into what a reader sees: body text, attachments, notes, quote folds.

:func:`read_message` never raises and never returns unsafe text: bad charsets, damaged base64,
missing boundaries and absurd nesting degrade to the best readable result plus a note saying
what went wrong. Plain text is preferred over HTML; HTML-only mail is rendered to text with
its links' real targets visible (:mod:`shared_inbox.mail.html_text`).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from shared_inbox.mail.attachments import AttachmentInfo, attachment_infos
from shared_inbox.mail.charset import DecodedText, decode_text, sniff_html_charset
from shared_inbox.mail.html_text import html_to_text
from shared_inbox.mail.mime_tree import Leaf, read_structure
from shared_inbox.mail.quotes import Segment, split_segments
from shared_inbox.mail.sanitize import clean_text

__all__ = [
    "MAX_HTML_CHARS",
    "MAX_SOURCE_BYTES",
    "MAX_TEXT_CHARS",
    "ReadMessage",
    "raw_source",
    "read_message",
]

_log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 1_000_000  # more body text than anyone reads in a terminal
MAX_HTML_CHARS = 2_000_000  # HTML beyond this is not rendered, which bounds rendering time
MAX_SOURCE_BYTES = 4 * 1024 * 1024
_BYTES_PER_CHAR = 4  # no charset needs more, so cutting bytes at this ratio never cuts shown text


@dataclass(frozen=True, slots=True)
class ReadMessage:
    """A message as the reader sees it. All strings are sanitized."""

    text: str
    html_rendered: bool  # the text (or part of it) was rendered from HTML
    attachments: tuple[AttachmentInfo, ...]
    notes: tuple[str, ...]  # what was degraded, for the reader
    segments: tuple[Segment, ...]  # ``text`` cut into text / quote / signature runs


def read_message(raw: bytes) -> ReadMessage:
    """Read a raw message (as stored in the raw cache). Never raises.

    The latest messages read are kept: opening a conversation reads each body for its preview,
    its text and the customer's link suggestions, and going back and forth reads them again.
    """
    return _read_kept(bytes(raw))


READ_KEPT = 64  # messages: a long thread and the customer's latest mail


@functools.lru_cache(maxsize=READ_KEPT)
def _read_kept(raw: bytes) -> ReadMessage:
    try:
        return _read(raw)
    except Exception as exc:  # last line of defence: one bad message must not break the reader
        _log.warning("unreadable message of %d bytes (%s)", len(raw), type(exc).__name__)
        return ReadMessage(
            text="",
            html_rendered=False,
            attachments=(),
            notes=("the message could not be read; use view source to see it",),
            segments=(),
        )


def _read(raw: bytes) -> ReadMessage:
    structure = read_structure(raw)
    notes = list(structure.notes)
    texts: list[str] = []
    html_rendered = False
    for leaf in structure.body:
        text, rendered = _leaf_text(leaf, notes)
        if text.strip():
            texts.append(text)
            html_rendered = html_rendered or rendered
    text = "\n\n".join(texts)
    if len(text) > MAX_TEXT_CHARS:
        notes.append(f"the body is longer than {MAX_TEXT_CHARS:,} characters; the rest is not shown")
        text = text[:MAX_TEXT_CHARS]
    return ReadMessage(
        text=text,
        html_rendered=html_rendered,
        attachments=attachment_infos(structure.attachments),
        notes=tuple(dict.fromkeys(notes)),
        segments=split_segments(text),
    )


def _leaf_text(leaf: Leaf, notes: list[str]) -> tuple[str, bool]:
    """The sanitized text of one body part, and whether it was rendered from HTML."""
    is_html = leaf.content_type == "text/html"
    limit = MAX_HTML_CHARS if is_html else MAX_TEXT_CHARS
    payload = _cut(leaf.payload, limit * _BYTES_PER_CHAR)
    declared = leaf.charset or (sniff_html_charset(payload) if is_html else None)
    decoded = decode_text(payload, declared)
    _note(decoded, leaf, notes)
    source = decoded.text
    if is_html and len(source) > MAX_HTML_CHARS:
        notes.append(f"part {leaf.part}: HTML longer than {MAX_HTML_CHARS:,} characters; the rest not shown")
        source = source[:MAX_HTML_CHARS]
    text = html_to_text(source) if is_html else clean_text(source)
    return _trim(text), is_html


def _cut(payload: bytes, limit: int) -> bytes:
    """At most ``limit`` bytes, cut after a line feed so no multi-byte character is split."""
    if len(payload) <= limit:
        return payload
    line_end = payload.rfind(b"\n", 0, limit)
    return payload[: line_end + 1] if line_end > 0 else payload[:limit]


def _note(decoded: DecodedText, leaf: Leaf, notes: list[str]) -> None:
    if decoded.note:
        notes.append(f"part {leaf.part}: {decoded.note}")


def _trim(text: str) -> str:
    """No blank lines before the first line or after the last; trailing spaces of the end gone."""
    return text.lstrip("\n").rstrip()


def raw_source(raw: bytes, *, max_bytes: int = MAX_SOURCE_BYTES) -> str:
    """The message's source for "view source": each line UTF-8 where valid, else windows-1252.

    Sanitized like everything else shown; longer messages are cut with a visible remark.
    """
    data = bytes(raw)
    shown = data[:max_bytes]
    lines = []
    for line in shown.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", "replace"))
    text = clean_text("\n".join(lines))
    if len(data) > len(shown):
        text += f"\n[{len(data) - len(shown):,} more bytes not shown]"
    return text
