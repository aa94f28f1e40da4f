"""Generated broken MIME: reading never fails, and nothing unsafe ever comes out."""

from __future__ import annotations

import base64
import logging
import quopri
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared_inbox.mail.attachments import MAX_FILENAME_BYTES, attachment_bytes
from shared_inbox.mail.body import ReadMessage, raw_source, read_message
from shared_inbox.mail.charset import decode_text
from shared_inbox.mail.sanitize import has_forbidden

SAMPLES_DIR = Path(__file__).parent.parent / "data" / "eml"
SAMPLES = sorted(SAMPLES_DIR.rglob("*.eml"))
LAST_RESORT = ("could not be read", "nested too deeply")

NASTY_TEXT = [
    "\x1b[2J", "\x1b]0;title\x07", "\x1b]8;;https://evil.example\x1b\\", "\x9b31m", "\x85", "\u202e",
    "\u2066", "\u200b", "\ufeff", "\r", "\n", "\r\n", "\x00", "[@click=app.quit]", "[/]", "> ", "-- \n",
    "On 1 Jan 2024, x wrote:\n", "\udce9", "é", "€", "日本", "<", "&#x1b;", "=?utf-8?B?w6k=?=", "--",
    "boundary",
]  # fmt: skip
CHARSETS = [
    None, "utf-8", "us-ascii", "iso-8859-1", "windows-1252", "shift_jis", "utf-16", "utf-7", "koi8-r",
    "gb2312", "x-unknown", "unknown-8bit", "base64", "rot13", "punycode", "unicode_escape", "\x1b[31m",
    "utf-8\u202e", "", "a" * 200, "../../../etc/passwd",
]  # fmt: skip
FILENAMES = [
    None, "report.pdf", "../../../.bashrc", "..\\..\\evil.bat", "/etc/passwd", "CON", "invoice\u202efdp.exe",
    "a\x1b[31m.txt", "..", ".", "", "x" * 600, "=?utf-8?B?UmVjaG51bmcucGRm?=", "naïve résumé.doc",
]  # fmt: skip
CONTENT_TYPES = [
    "text/plain", "text/html", "text/calendar", "application/pdf", "image/png", "message/rfc822",
    "message/delivery-status", "text/plain\x1b", "garbage", "", "text/", "/plain", "application/octet-stream",
]  # fmt: skip
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bogus", None]

nasty_text = st.lists(st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=12)), max_size=25).map("".join)


@st.composite
def leaf_parts(draw: st.DrawFn) -> bytes:
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    filename = draw(st.sampled_from(FILENAMES))
    encoding = draw(st.sampled_from(ENCODINGS))
    text = draw(nasty_text)
    if content_type == "text/html":
        text = f"<html><body><p>{text}</p><a href='{draw(nasty_text)}'>{draw(nasty_text)}</a></body></html>"
    codec = charset if charset in ("utf-8", "iso-8859-1", "windows-1252", "koi8-r", "shift_jis") else "utf-8"
    body = text.encode(codec, "surrogateescape" if codec == "utf-8" else "replace")
    if draw(st.booleans()):
        body = draw(st.binary(max_size=60)) + body
    if encoding == "base64":
        encoded = base64.encodebytes(body)
        if draw(st.booleans()):
            encoded = encoded[: draw(st.integers(0, len(encoded)))] + draw(
                st.sampled_from([b"", b"!!", b"=", b"@#"])
            )
        body = encoded
    elif encoding == "quoted-printable":
        body = quopri.encodestring(body) + draw(st.sampled_from([b"", b"=", b"=Z", b"=1B[31m"]))
    headers = [f"Content-Type: {content_type}" + (f'; charset="{charset}"' if charset is not None else "")]
    if filename is not None:
        disposition = draw(st.sampled_from(["attachment", "inline", "bogus"]))
        headers.append(f'Content-Disposition: {disposition}; filename="{filename}"')
    if encoding is not None:
        headers.append(f"Content-Transfer-Encoding: {encoding}")
    header_bytes = "\n".join(headers).encode("utf-8", "surrogateescape")
    return header_bytes + b"\n\n" + body


def multipart(children: list[bytes], subtype: str, boundary: str, mode: str) -> bytes:
    """A multipart entity; ``mode`` breaks it in the ways mail software does."""
    parameter = "" if mode == "no-boundary-parameter" else f'; boundary="{boundary}"'
    used = "other-boundary" if mode == "wrong-boundary" else boundary
    lines = [f"Content-Type: multipart/{subtype}{parameter}".encode(), b"", b"preamble"]
    for child in children:
        lines += [f"--{used}".encode(), child]
    if mode != "unclosed":
        lines.append(f"--{used}--".encode())
    lines.append(b"epilogue")
    return b"\n".join(lines)


def parts(depth: int) -> st.SearchStrategy[bytes]:
    if depth == 0:
        return leaf_parts()
    return st.one_of(
        leaf_parts(),
        st.builds(
            multipart,
            st.lists(parts(depth - 1), max_size=4),
            st.sampled_from(["mixed", "alternative", "related", "signed", "report", "x-bogus"]),
            st.sampled_from(["b1", "b2", "=_Part_0", "a" * 80, "same"]),
            st.sampled_from(["ok", "ok", "ok", "no-boundary-parameter", "wrong-boundary", "unclosed"]),
        ),
    )


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    headers = [b"From: fuzz@example.com", b"Subject: fuzz", b"MIME-Version: 1.0"]
    if draw(st.booleans()):
        headers.append(b"X-Long: " + b"x" * draw(st.integers(0, 20_000)))
    if draw(st.booleans()):
        headers.append(draw(st.binary(max_size=40)).replace(b"\n", b" "))
    raw = b"\n".join(headers) + b"\n" + draw(parts(3))
    if draw(st.booleans()):
        raw = raw.replace(b"\n", b"\r\n")
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def no_fallback_warnings() -> Iterator[None]:
    """Fail if any last-resort path (unreadable message, failed HTML layout) was taken."""
    collector = _Collector()
    logger = logging.getLogger("shared_inbox.mail")
    logger.addHandler(collector)
    try:
        yield
    finally:
        logger.removeHandler(collector)
    assert not collector.messages, collector.messages


def read_soundly(raw: bytes) -> ReadMessage:
    with no_fallback_warnings():
        message = read_message(raw)
    assert_sound(raw, message)
    return message


def assert_sound(raw: bytes, message: ReadMessage) -> None:
    shown = [message.text, *message.notes, *(s.text for s in message.segments)]
    shown += [a.filename for a in message.attachments] + [a.content_type for a in message.attachments]
    for value in shown:
        assert not has_forbidden(value), repr(value)
    assert "".join(segment.text for segment in message.segments) == message.text
    assert not any(marker in note for note in message.notes for marker in LAST_RESORT), message.notes
    for info in message.attachments:
        assert info.filename and "/" not in info.filename and "\\" not in info.filename
        assert not info.filename.startswith(".")
        assert len(info.filename.encode("utf-8")) <= MAX_FILENAME_BYTES
        assert len(attachment_bytes(raw, info.index)) == info.size


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(messages())
def test_generated_mime_reads_soundly(raw: bytes) -> None:
    read_soundly(raw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=6), st.integers(0, 8)), max_size=6),
    st.integers(0, 10_000),
)
@example(SAMPLES_DIR / "rfc2231_params.eml", [(0, b"", 2), (3, b"\x00" * 6, 0)], 328)  # a cut-off filename*
def test_damaged_samples_read_soundly(path: Path, edits: list[tuple[int, bytes, int]], cut: int) -> None:
    raw = bytearray(path.read_bytes())
    for position, inserted, removed in edits:
        position %= len(raw) + 1
        raw[position : position + removed] = inserted
    read_soundly(bytes(raw[: max(cut, len(raw) // 2)]))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_read_soundly(raw: bytes) -> None:
    read_soundly(raw)
    assert not has_forbidden(raw_source(raw))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200), st.one_of(st.sampled_from(CHARSETS), st.text(max_size=30)))
def test_decode_text_never_raises(data: bytes, label: str | None) -> None:
    decoded = decode_text(data, label)
    assert isinstance(decoded.text, str)
    if data.isascii() and label in (None, "utf-8", "us-ascii"):
        assert decoded.text == data.decode("ascii")
    if decoded.note is not None:
        assert not has_forbidden(decoded.note)
