"""Fast, hand-rolled RFC 5322 / MIME serialization for generated mail.

The stdlib `email` generator is correct but far too slow to write 50,000 messages in
a few seconds, so the corpus builds the bytes itself: headers with RFC 2047 encoded
words, quoted-printable and base64 bodies, multipart trees, CRLF line endings.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime

CRLF = "\r\n"
_MAX_WORD = 75  # RFC 2047 limit for one encoded word
_ATOM_SAFE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$")
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_NON_LATIN = re.compile("[^\u0000-\u024f]")
_LONG_LINE = re.compile(r"[^\n]{77}")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def needs_encoding(text: str) -> bool:
    return not text.isascii() or "\n" in text or "\r" in text or "\0" in text


def encoded_words(text: str, charset: str = "utf-8", mode: str = "B") -> list[str]:
    """Encode `text` as RFC 2047 words of at most 75 characters each.

    Words are cut between characters, never inside one, and each word is encoded on
    its own so stateful charsets such as ISO-2022-JP return to ASCII at its end.
    """
    prefix = f"=?{charset}?{mode}?"
    budget = _MAX_WORD - len(prefix) - 2
    stateful = charset.lower().startswith("iso-2022")
    limit = budget // 4 * 3 if mode == "B" else budget
    words: list[str] = []
    chunk: list[str] = []
    used = 0
    for ch in text:
        if stateful:
            fits = len(_encode_payload("".join(chunk) + ch, charset, mode)) <= budget
        else:
            data = ch.encode(charset)
            cost = len(data) if mode == "B" else sum(1 if b in _Q_SAFE or b == 0x20 else 3 for b in data)
            fits = used + cost <= limit
            used = used + cost if fits else cost
        if chunk and not fits:
            words.append(prefix + _encode_payload("".join(chunk), charset, mode) + "?=")
            chunk = []
        chunk.append(ch)
    if chunk:
        words.append(prefix + _encode_payload("".join(chunk), charset, mode) + "?=")
    return words


def _encode_payload(text: str, charset: str, mode: str) -> str:
    data = text.encode(charset)
    if mode == "B":
        return base64.b64encode(data).decode("ascii")
    return "".join("_" if byte == 0x20 else chr(byte) if byte in _Q_SAFE else f"={byte:02X}" for byte in data)


def unstructured(text: str, charset: str = "utf-8", mode: str = "B") -> str:
    """A header value for free text (Subject): plain when ASCII, else encoded words.

    A leading ASCII reply prefix ("Re: ", "AW: ") stays readable, as mail clients do.
    """
    if not needs_encoding(text):
        return fold_words(text.split(" "))
    match = re.match(r"^((?:(?:Re|RE|AW|Aw|WG|Fwd|FW|TR|RE ):\s*)+)", text)
    head = match.group(1) if match else ""
    rest = text[len(head) :]
    words = encoded_words(rest, charset, mode)
    return (head + fold_words(words, "\r\n ")) if head else fold_words(words, "\r\n ")


def fold_words(words: list[str], separator: str = " ", width: int = 76) -> str:
    """Join words, folding onto continuation lines before a line grows past `width`."""
    if separator != " ":
        return separator.join(words)
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\r\n ".join(lines)


def address(name: str, email: str, charset: str = "utf-8", mode: str = "B") -> str:
    """One mailbox for From/To/Cc: `Name <addr>`, quoting or encoding the name as needed."""
    if not name:
        return email
    if needs_encoding(name):
        return " ".join(encoded_words(name, charset, mode)) + f" <{email}>"
    if _ATOM_SAFE.match(name) and "  " not in name:
        return f"{name} <{email}>"
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}" <{email}>'


def address_list(addresses: tuple[tuple[str, str], ...], charset: str = "utf-8", mode: str = "B") -> str:
    """Several mailboxes, one per continuation line."""
    return ",\r\n ".join(address(name, email, charset, mode) for name, email in addresses)


def message_id_list(ids: list[str] | tuple[str, ...]) -> str:
    """References-style list, one id per continuation line once it gets long."""
    return fold_words([f"<{mid}>" for mid in ids])


def rfc5322_date(when: datetime) -> str:
    """Date header text in the sender's own offset (the datetime must be aware)."""
    offset = when.utcoffset()
    assert offset is not None, "dates must be timezone-aware"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return (
        f"{_DAYS[when.weekday()]}, {when.day:02d} {_MONTHS[when.month - 1]} {when.year} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} {sign}{hours:02d}{mins:02d}"
    )


@dataclass(slots=True)
class Part:
    """A MIME entity: its headers and its already-encoded body, or its children."""

    headers: list[tuple[str, str]]
    body: str = ""
    children: list[Part] = field(default_factory=list)
    boundary: str = ""


def text_part(text: str, subtype: str = "plain", charset: str = "utf-8") -> Part:
    """A text/* part in the cheapest safe transfer encoding for its content."""
    content_type = f"text/{subtype}; charset={charset}"
    if subtype == "plain" and charset == "utf-8" and text.isascii():
        content_type = "text/plain; charset=us-ascii"
    if charset.lower() == "iso-2022-jp":
        data = text.replace("\n", CRLF).encode(charset)
        return Part(
            [("Content-Type", content_type), ("Content-Transfer-Encoding", "7bit")], data.decode("ascii")
        )
    if subtype == "plain" and text.isascii() and not _LONG_LINE.search(text):
        return Part(
            [("Content-Type", content_type), ("Content-Transfer-Encoding", "7bit")], text.replace("\n", CRLF)
        )
    if charset.lower() == "utf-8" and not text.isascii() and not _mostly_latin(text):
        return Part(
            [("Content-Type", content_type), ("Content-Transfer-Encoding", "base64")],
            base64_lines(text.encode()),
        )
    encoded = binascii.b2a_qp(text.encode(charset), istext=True).decode("ascii")
    return Part(
        [("Content-Type", content_type), ("Content-Transfer-Encoding", "quoted-printable")],
        encoded.replace("\r\n", "\n").replace("\n", CRLF),
    )


def _mostly_latin(text: str) -> bool:
    """Latin text reads best as quoted-printable; CJK is smaller as base64."""
    return len(_NON_LATIN.findall(text)) * 4 < len(text)


def attachment_part(data: bytes, mime_type: str, filename: str, *, inline: bool = False) -> Part:
    """A base64 attachment; non-ASCII file names use RFC 2231 as real clients do."""
    if filename.isascii():
        escaped = filename.replace("\\", "\\\\").replace('"', '\\"')
        type_param, disposition_param = f'; name="{escaped}"', f'; filename="{escaped}"'
    else:
        quoted = "".join(
            chr(b) if chr(b).isalnum() and b < 128 or chr(b) in "._-" else f"%{b:02X}"
            for b in filename.encode()
        )
        type_param, disposition_param = "", f"; filename*=utf-8''{quoted}"
    disposition = "inline" if inline else "attachment"
    return Part(
        [
            ("Content-Type", f"{mime_type}{type_param}"),
            ("Content-Disposition", f"{disposition}{disposition_param}"),
            ("Content-Transfer-Encoding", "base64"),
        ],
        base64_lines(data),
    )


def multipart(subtype: str, children: list[Part], boundary: str) -> Part:
    return Part(
        [("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')],
        children=children,
        boundary=boundary,
    )


def base64_lines(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF).rstrip(CRLF)


def render(headers: list[tuple[str, str]], part: Part) -> bytes:
    """The complete message: top-level headers, then the entity's own headers and body."""
    out: list[str] = []
    for name, value in headers:
        out.append(f"{name}: {value}{CRLF}")
    out.append(f"MIME-Version: 1.0{CRLF}")
    _render_entity(part, out)
    return "".join(out).encode("utf-8")


def _render_entity(part: Part, out: list[str]) -> None:
    for name, value in part.headers:
        out.append(f"{name}: {value}{CRLF}")
    out.append(CRLF)
    if not part.children:
        out.append(part.body)
        out.append(CRLF)
        return
    out.append(f"This is a multi-part message in MIME format.{CRLF}")
    for child in part.children:
        out.append(f"{CRLF}--{part.boundary}{CRLF}")
        _render_entity(child, out)
    out.append(f"{CRLF}--{part.boundary}--{CRLF}")
