"""Find quoted text and signatures in a mail body, so the interface can fold them.

:func:`split_segments` cuts a body into consecutive :class:`Segment` s of kind ``"text"``,
``"quote"`` or ``"signature"``; joined back together they are the body, unchanged. What counts:

* lines starting with ``>`` (any depth), and blank lines between two of them;
* an attribution line before a quote: "On <date>, <name> wrote:", German "Am <date> schrieb
  <name>:", French "Le <date>, <name> a écrit :", possibly wrapped over a few lines. When no
  ``>`` lines follow it (mail clients that quote without prefixes), the rest of the body is
  the quote;
* Outlook's "-----Original Message-----" line (and its German and French forms), or a
  "From: / Sent: / To: / Subject:" header block: everything after it is the quote;
* a "-- " signature separator starts a signature that runs to the next quote;
* one-line mobile signatures such as "Sent from my iPhone".

Detection only looks at line starts and line ends with anchored patterns, so it stays linear on
hostile input. It errs towards showing text: a line is only folded when a rule matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Segment", "SegmentKind", "split_segments"]

SegmentKind = Literal["text", "quote", "signature"]


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of consecutive lines of one kind; ``text`` keeps its line breaks."""

    kind: SegmentKind
    text: str


_MAX_ATTRIBUTION_LINES = 3  # an attribution wrapped by the sender's client over this many lines
_MAX_HEADER_BLOCK_LINES = 8  # how far "Sent:"/"To:" may be from the "From:" that opens the block
_MAX_ATTRIBUTION_CHARS = 400
_MAX_MOBILE_SIGNATURE_CHARS = 80

_QUOTED = re.compile(r"[ \t]*>")
# Formatting that HTML rendering leaves around header names: "*From:*", "**From:**".
_DECOR = r"[ \t*_]*"
_ORIGINAL_MESSAGE = re.compile(
    r"[ \t]*-{2,}[ \t]*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)"
    r"[ \t]*-{2,}[ \t]*",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(_DECOR + r"(?:From|Von|De)[ \t]*:" + _DECOR + r"\S", re.IGNORECASE)
_HEADER_SENT = re.compile(_DECOR + r"(?:Sent|Date|Gesendet|Datum|Envoyé|Date d'envoi)[ \t]*:", re.IGNORECASE)
_HEADER_OTHER = re.compile(_DECOR + r"(?:To|An|À|Subject|Betreff|Objet|Cc)[ \t]*:", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"[ \t]*(?:On|Am|Le)[ \t]+\S", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(
    r"(?:\bwrote|\bschrieb\b.*|\ba[ \t]+écrit)[ \t]*:[ \t]*$",
    re.IGNORECASE,
)
_SIGNATURE_SEPARATOR = re.compile(r"--[ \t]?")
_MOBILE_SIGNATURE = re.compile(
    r"[ \t]*(?:"
    r"Sent from (?:my )?[\w .'-]+"
    r"|Sent with [\w .'-]+"
    r"|Get Outlook for [\w .'-]+"
    r"|Sent from (?:Mail|Outlook|Yahoo Mail) for [\w .'-]+"
    r"|(?:Von meinem|Gesendet von meinem) [\w .'-]+(?: gesendet)?"
    r"|Envoyé de mon [\w .'-]+"
    r")[ \t]*",
    re.IGNORECASE,
)


def split_segments(text: str) -> tuple[Segment, ...]:
    """Cut ``text`` into text, quote and signature segments; their texts join back to ``text``."""
    if not text:
        return ()
    lines = text.splitlines(keepends=True)
    content = [line.rstrip("\r\n") for line in lines]
    kinds = _classify(content)
    return _merge(lines, kinds)


def _classify(lines: list[str]) -> list[SegmentKind]:
    kinds: list[SegmentKind] = ["text"] * len(lines)
    cut = _quote_cut(lines)
    for index in range(cut, len(lines)):
        kinds[index] = "quote"
    for index in range(cut):
        if _QUOTED.match(lines[index]):
            kinds[index] = "quote"
    _mark_attributions(lines, kinds, cut)
    _join_blank_lines(lines, kinds, cut)
    _mark_signatures(lines, kinds, cut)
    return kinds


def _quote_cut(lines: list[str]) -> int:
    """Where an Outlook-style original message starts (everything after is quote), else the end."""
    for index, line in enumerate(lines):
        if _QUOTED.match(line):
            continue
        if _ORIGINAL_MESSAGE.fullmatch(line) or _starts_header_block(lines, index):
            return index
    return len(lines)


def _starts_header_block(lines: list[str], index: int) -> bool:
    """A "From:" line followed closely by "Sent:"/"Date:" and "To:"/"Subject:" lines."""
    if not _HEADER_FROM.match(lines[index]):
        return False
    window = lines[index + 1 : index + 1 + _MAX_HEADER_BLOCK_LINES]
    return any(_HEADER_SENT.match(line) for line in window) and any(
        _HEADER_OTHER.match(line) for line in window
    )


def _mark_attributions(lines: list[str], kinds: list[SegmentKind], cut: int) -> None:
    """Attribution lines join the quote they introduce; with no ``>`` quote after them, all after."""
    index = 0
    while index < cut:
        length = _attribution_length(lines, index, cut) if kinds[index] == "text" else 0
        if not length:
            index += 1
            continue
        after = index + length
        following = next((i for i in range(after, cut) if lines[i].strip()), None)
        if following is None or kinds[following] == "quote":
            for i in range(index, following if following is not None else cut):
                kinds[i] = "quote"
            index = after
        else:
            for i in range(index, len(lines)):
                kinds[i] = "quote"
            return


def _attribution_length(lines: list[str], index: int, cut: int) -> int:
    """How many lines the attribution starting at ``index`` spans, 0 if there is none."""
    if not _ATTRIBUTION_START.match(lines[index]):
        return 0
    joined = ""
    for length in range(1, min(_MAX_ATTRIBUTION_LINES, cut - index) + 1):
        line = lines[index + length - 1]
        if length > 1 and (not line.strip() or _QUOTED.match(line)):
            return 0
        joined = f"{joined} {line.strip()}" if joined else line.strip()
        if len(joined) > _MAX_ATTRIBUTION_CHARS:
            return 0
        if _ATTRIBUTION_END.search(joined):
            # Every client puts a date or time in it; this keeps prose like "On reflection,
            # my colleague wrote:" from folding the rest of a message.
            return length if any(char.isdigit() for char in joined) else 0
    return 0


def _join_blank_lines(lines: list[str], kinds: list[SegmentKind], cut: int) -> None:
    """Blank lines between two quote lines belong to the quote, so it folds as one block."""
    previous_kind: SegmentKind | None = None
    pending: list[int] = []
    for index in range(cut):
        if not lines[index].strip():
            pending.append(index)
            continue
        if previous_kind == "quote" and kinds[index] == "quote":
            for blank in pending:
                kinds[blank] = "quote"
        pending = []
        previous_kind = kinds[index]


def _mark_signatures(lines: list[str], kinds: list[SegmentKind], cut: int) -> None:
    """A "-- " separator starts a signature that runs up to the next quote; mobile taglines too."""
    index = 0
    while index < cut:
        if kinds[index] != "text":
            index += 1
            continue
        line = lines[index]
        if _SIGNATURE_SEPARATOR.fullmatch(line):
            while index < cut and kinds[index] == "text":
                kinds[index] = "signature"
                index += 1
            continue
        if len(line) <= _MAX_MOBILE_SIGNATURE_CHARS and _MOBILE_SIGNATURE.fullmatch(line):
            kinds[index] = "signature"
        index += 1


def _merge(lines: list[str], kinds: list[SegmentKind]) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    start = 0
    for index in range(1, len(lines) + 1):
        if index == len(lines) or kinds[index] != kinds[start]:
            segments.append(Segment(kinds[start], "".join(lines[start:index])))
            start = index
    return tuple(segments)
