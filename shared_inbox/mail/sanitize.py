"""Make untrusted text from mail safe to show in a terminal and to put back into headers.

Every string taken from a message passes through here before it leaves the mail adapter, so
no other layer has to think about terminal escape sequences, reordering tricks or header
injection.

Decisions, so that callers know what to expect:

* Terminal escape sequences (CSI, OSC, DCS, APC, PM, SOS and two-byte ESC sequences, in
  both the 7-bit ``ESC x`` and the 8-bit C1 form) are removed *whole*, so a hostile
  ``ESC ]0;title BEL`` leaves nothing behind instead of a stray ``]0;title``.
* Bidi embeddings, overrides, isolates and the LRM/RLM/ALM marks are *removed*, not replaced
  by a visible marker. Right-to-left scripts still lay out correctly without them, while the
  sender loses the power to make text display in a different order from how it reads
  (the "Trojan Source" trick, or ``invoice[U+202E]fdp.exe``). A marker would litter
  legitimate Hebrew and Arabic mail, where LRM/RLM are common.
* Invisible characters that are used to spoof or hide text are removed: zero-width space,
  word joiner and invisible operators, BOM, soft hyphen, Mongolian vowel separator,
  interlinear annotation marks, Hangul fillers and Unicode tag characters (these can smuggle
  hidden ASCII; the cost is that subdivision flags such as England's degrade to a plain black
  flag). ZWJ and ZWNJ are kept: emoji sequences and several scripts need them.
* Surrogates left behind by ``surrogateescape`` decoding become U+FFFD, so the reader sees
  that bytes were lost; a correctly paired surrogate couple is joined into its character.
* CRLF and lone CR become LF; U+2028/U+2029 become LF too, because several libraries treat
  them as line breaks.
* Rich/Textual markup such as ``[@click=app.quit]`` is *kept*: it is legitimate text, and the
  interface renders untrusted text as plain ``rich.text.Text``. :func:`looks_like_markup`
  exists so tests can find such values.

All functions are idempotent: cleaning clean text changes nothing.
"""

from __future__ import annotations

import re

__all__ = ["FORBIDDEN_CHARS", "clean_line", "clean_text", "has_forbidden", "header_safe", "looks_like_markup"]

_SURROGATES = (0xD800, 0xDFFF)

# Characters that never survive clean_text, as inclusive code point ranges. CR is turned into
# LF and U+2028/U+2029 into LF before removal happens.
_FORBIDDEN_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x08),  # C0 controls except TAB and LF ...
    (0x0B, 0x1F),  # ... including ESC
    (0x7F, 0x9F),  # DEL and the C1 controls, which include 8-bit CSI/OSC/DCS/ST
    (0xAD, 0xAD),  # soft hyphen
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul choseong/jungseong fillers ...
    (0x3164, 0x3164),  # ... Hangul filler ...
    (0xFFA0, 0xFFA0),  # ... and its halfwidth form: all used to fake blank names
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200B),  # zero-width space
    (0x200E, 0x200F),  # left-to-right / right-to-left mark
    (0x2028, 0x2029),  # line and paragraph separators
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner and invisible operators
    (0x2066, 0x206F),  # bidi isolates and deprecated format characters
    (0xFEFF, 0xFEFF),  # zero-width no-break space / BOM
    (0xFFF9, 0xFFFB),  # interlinear annotation marks
    _SURROGATES,  # never valid on their own in text
    (0xE0000, 0xE007F),  # tag characters
)

#: Every character that :func:`clean_text` guarantees to be absent from its result.
FORBIDDEN_CHARS: frozenset[str] = frozenset(
    chr(code) for low, high in _FORBIDDEN_RANGES for code in range(low, high + 1)
)


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "[" + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in ranges) + "]"


_FORBIDDEN = re.compile(_char_class(_FORBIDDEN_RANGES))
_NEEDS_WORK = re.compile(_char_class((*_FORBIDDEN_RANGES, (0x0D, 0x0D))))
# What has_forbidden reports: everything removed outright (surrogates are replaced instead).
_REMOVABLE = re.compile(_char_class(tuple(r for r in _FORBIDDEN_RANGES if r != _SURROGATES)))
_SURROGATE = re.compile("[\ud800-\udfff]")
_HAS_ESCAPE_INTRODUCER = re.compile("[\x1b\x90\x98\x9b\x9d-\x9f]")

# String-type sequences stop at the next introducer or terminator, which keeps the scan linear
# even on input made of nothing but introducers.
_ESCAPE_SEQUENCE = re.compile(
    "(?:\x1b\\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"  # CSI: parameters, intermediates, final
    "|(?:\x1b[\\]P^_X]|[\x90\x98\x9d\x9e\x9f])"  # OSC, DCS, PM, APC, SOS ...
    "[^\x07\x1b\x90\x98\x9b-\x9f]*(?:\x07|\x1b\\\\|\x9c)"  # ... payload up to BEL or ST
    "|\x1b[\x20-\x2f]*[\x30-\x7e]"  # every other ESC sequence (nF, Fp, Fe, Fs)
)
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029]")
_MARKUP_TAG = re.compile(r"\[[A-Za-z#/@$][^\[\]]*\]")


def clean_text(s: str, *, keep_newlines: bool = True) -> str:
    """Remove everything from untrusted text that could control a terminal or spoof a reader.

    Line feeds and tabs are kept (line feeds become spaces when ``keep_newlines`` is false);
    see the module docstring for what goes and why.
    """
    if _NEEDS_WORK.search(s) is not None:
        if _SURROGATE.search(s) is not None:
            s = s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        if _HAS_ESCAPE_INTRODUCER.search(s) is not None:
            s = _ESCAPE_SEQUENCE.sub("", s)
        s = _LINE_BREAKS.sub("\n", s)
        s = _FORBIDDEN.sub("", s)
    if not keep_newlines:
        s = s.replace("\n", " ")
    return s


def clean_line(s: str) -> str:
    """Clean a one-line value (subject, display name): all whitespace runs become one space."""
    return " ".join(clean_text(s, keep_newlines=False).split())


def header_safe(s: str) -> str:
    """Make a value safe to put INTO an outgoing header.

    No CR, LF or other control survives, nor any character that Python's ``email`` package
    would treat as a line boundary, so a value can never start a new header.
    """
    return clean_line(s)


def has_forbidden(s: str) -> bool:
    """Whether cleaning would remove characters from ``s``, which is worth telling the reader.

    Surrogates do not count: they become a visible U+FFFD rather than disappearing.
    """
    return _REMOVABLE.search(s) is not None


def looks_like_markup(s: str) -> bool:
    """Whether ``s`` contains something Rich/Textual markup would interpret as a tag."""
    return _MARKUP_TAG.search(s) is not None
