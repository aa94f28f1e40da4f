"""Turn the bytes of a text part into text, whatever charset the sender claimed.

Declared charsets are often wrong (``us-ascii`` on UTF-8 text, ``utf-8`` on windows-1252 text)
or unknown to Python (``unknown-8bit``, ``x-user-defined``), so :func:`decode_text` never raises:
it falls back to UTF-8, then windows-1252, then latin-1 (which decodes anything), and says so
in a note the reader can see.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from shared_inbox.mail.sanitize import clean_line

__all__ = ["DecodedText", "decode_text", "sniff_html_charset"]

# Labels mail clients send that Python does not know, or knows by a narrower codec than the
# one senders actually use (the same upgrades browsers make, per the WHATWG Encoding standard).
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso8859_8",
    "x-mac-roman": "mac_roman",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
}
# Labels that mean "we do not know": the fallback chain is the honest answer, without blame.
_UNKNOWN_LABELS = frozenset({"unknown-8bit", "x-unknown", "unknown", "x-user-defined", "8bit", "default"})
_ASCII_LABELS = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968", "646"})
# Codecs Python accepts that are not a sane reading of mail text: they interpret escape
# syntax (unicode_escape) or are domain-name encodings with costly decoders.
_REFUSED_CODECS = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"})
# Tried in this order when the declared charset fails: codec, and its name in notes.
_FALLBACKS = {"utf-8": "UTF-8", "cp1252": "windows-1252", "latin-1": "latin-1"}
_SHOWN_LABEL_CHARS = 40
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE
)
_SNIFF_BYTES = 4096
_LABEL = re.compile(r"[a-z0-9_.:-]{1,40}")  # what real labels look like; nothing else reaches codecs


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Decoded text, and a note for the reader when the declared charset could not be used."""

    text: str
    note: str | None = None


def decode_text(data: bytes, declared: str | None) -> DecodedText:
    """Decode ``data`` using the declared charset where it works. Never raises."""
    label = (declared or "").strip().strip("\"'").lower()
    if not label or label in _ASCII_LABELS:
        return _decode_undeclared(data, label)
    if label in _UNKNOWN_LABELS:
        return _fallback(data, f"charset {_shown(label)} is not a real charset")
    candidates = _codecs_for(label)
    if not candidates:
        return _fallback(data, f"unknown charset {_shown(label)}")
    for codec in candidates:
        try:
            return DecodedText(data.decode(codec))
        except (UnicodeDecodeError, LookupError):
            continue
    return _fallback(data, f"text is not valid {_shown(label)}", skip=candidates[0])


def sniff_html_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in a ``<meta>`` tag near its start, if any."""
    match = _META_CHARSET.search(data[:_SNIFF_BYTES])
    return match.group(1).decode("ascii").lower() if match else None


def _decode_undeclared(data: bytes, label: str) -> DecodedText:
    """No charset (or plain ASCII) declared: UTF-8 is today's likeliest reading of 8-bit bytes."""
    if data.isascii():
        return DecodedText(data.decode("ascii"))
    claim = "no charset declared" if not label else "declared as us-ascii"
    try:
        return DecodedText(data.decode("utf-8"), f"{claim} but contains 8-bit text; read as UTF-8")
    except UnicodeDecodeError:
        return _fallback(data, claim, skip="utf-8")


def _fallback(data: bytes, reason: str, skip: str | None = None) -> DecodedText:
    for codec, shown_name in _FALLBACKS.items():
        if codec == skip:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        return DecodedText(text, f"{reason}; read as {shown_name}")
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def _codecs_for(label: str) -> tuple[str, ...]:
    """Python codecs for a mail charset label, the browsers' wider reading first; empty if unusable.

    The label's own codec comes second, so ``iso-8859-1`` bytes that windows-1252 leaves
    undefined still decode as declared.
    """
    if _LABEL.fullmatch(label) is None:
        return ()
    found: list[str] = []
    for name in dict.fromkeys((_ALIASES.get(label, label), label)):
        try:
            info = codecs.lookup(name)
        except (LookupError, ValueError):
            continue
        if info.name not in _REFUSED_CODECS and getattr(info, "_is_text_encoding", True):
            found.append(info.name)
    return tuple(dict.fromkeys(found))


def _shown(label: str) -> str:
    """The label as it may appear in a note: it came from the sender, so clean and short."""
    shown = clean_line(label[:_SHOWN_LABEL_CHARS])
    return f'"{shown}"' if shown else '""'
