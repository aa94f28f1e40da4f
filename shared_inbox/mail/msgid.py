"""Message-ID handling: extracting ids from headers, our own id format, synthetic ids.

Threading compares ids as exact strings, so Message-ID, In-Reply-To and References must all be
normalized by the same function (:func:`extract_ids`), whatever junk surrounds them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from shared_inbox.domain.stand_ins import SYNTHETIC_DOMAIN, stand_in_parts
from shared_inbox.domain.threading import token_from_message_id
from shared_inbox.mail.sanitize import clean_line

__all__ = [
    "MAX_ID_CHARS",
    "MAX_REFERENCES",
    "SYNTHETIC_DOMAIN",
    "cap_references",
    "extract_ids",
    "is_valid_token",
    "make_message_id",
    "message_text",
    "synthetic_message_id",
    "token_from_message_id",
    "with_text",
]

MAX_ID_CHARS = 998  # the RFC 5322 line limit; longer "ids" are junk
MAX_REFERENCES = 100
_SYNTHETIC_PREFIX_BYTES = 4096

_TOKEN = re.compile(r"[a-z0-9]{1,32}")
_RAND = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")

# Left to right: a bracketed id, a comment to skip, or a bare token that looks like an id.
# Bare tokens need an "@" so that the words of "(message of Mon, 1 Jan ...)" are not ids.
_ID_TOKEN = re.compile(r'<([^<>]*)>|\([^()]*\)|([^\s<>(),;"]+@[^\s<>(),;"]+)')
_WHITESPACE = re.compile(r"\s+")


def is_valid_token(token: str) -> bool:
    """Whether ``token`` has the shape of a conversation token: ``[a-z0-9]{1,32}``."""
    return _TOKEN.fullmatch(token) is not None


def make_message_id(token: str, domain: str, rand: str) -> str:
    """Our own Message-ID, ``si.<token>.<rand>@<domain>``, without angle brackets.

    Carrying the conversation token in the id lets replies find their conversation even when a
    client drops the References header. Raises ``ValueError`` on parts that would not survive
    a round trip through :func:`token_from_message_id` (the parser threading uses).
    """
    if not is_valid_token(token):
        raise ValueError("conversation token must match [a-z0-9]{1,32}")
    if _RAND.fullmatch(rand) is None:
        raise ValueError("random part must match [A-Za-z0-9_-]{1,64}")
    if len(domain) > 253 or _DOMAIN.fullmatch(domain) is None:
        raise ValueError("domain must be a plain host name")
    return f"si.{token}.{rand}@{domain}"


def extract_ids(value: str) -> list[str]:
    """All message ids in a header value, in order, normalized, duplicates kept.

    Tolerates missing angle brackets, comments and junk between ids, and folding inside an id.
    Ids are cleaned with :func:`clean_line`, lose inner whitespace and are dropped when empty or
    longer than :data:`MAX_ID_CHARS`.
    """
    ids: list[str] = []
    for match in _ID_TOKEN.finditer(value):
        candidate = match.group(1)
        if candidate is None:
            candidate = match.group(2)
            if candidate is None:
                continue  # a comment
        candidate = _WHITESPACE.sub("", clean_line(candidate))
        if candidate and len(candidate) <= MAX_ID_CHARS:
            ids.append(candidate)
    return ids


def cap_references(ids: Iterable[str], *, exclude: str, limit: int = MAX_REFERENCES) -> tuple[str, ...]:
    """Deduplicate ids keeping the first occurrence, drop ``exclude``, keep at most ``limit``.

    When trimming, the first id (the thread root) and the most recent ones are kept, as news
    and mail software conventionally do, so the root survives for threading.
    """
    unique = [mid for mid in dict.fromkeys(ids) if mid != exclude]
    if len(unique) <= limit:
        return tuple(unique)
    if limit <= 0:
        return ()
    return (unique[0], *unique[len(unique) - limit + 1 :])


def synthetic_message_id(fields: Iterable[str], raw: bytes, *, size: int = 0) -> str:
    """A deterministic stand-in Message-ID: the same message always gets the same id.

    Two parts: one from the headers, one from the content. ``fields`` are header values (From,
    Date, Subject, To); whitespace is collapsed so folding differences do not matter. Only the
    first 4 KB of the header block count, with line endings normalized and anything from the
    first blank line on ignored, so the copy in INBOX and the copy in Sent agree whether or not
    the server includes the separator line. Until the text is known (:func:`with_text`), the
    content part comes from the message's ``size``, so messages whose headers are alike but whose
    sizes differ stay apart.
    """
    digest = hashlib.sha256()
    for value in fields:
        digest.update(" ".join(value.split()).encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    head = raw[: 2 * _SYNTHETIC_PREFIX_BYTES].replace(b"\r\n", b"\n")
    end_of_headers = head.find(b"\n\n")
    if end_of_headers >= 0:
        head = head[:end_of_headers]
    elif len(raw) <= 2 * _SYNTHETIC_PREFIX_BYTES:
        head = head.rstrip(b"\r\n")
    digest.update(head[:_SYNTHETIC_PREFIX_BYTES])
    by_size = _content_part(b"size", str(max(0, size)).encode())
    return f"synthetic.{digest.hexdigest()[:24]}.{by_size}@{SYNTHETIC_DOMAIN}"


def with_text(message_id: str, text: bytes, *, size: int, complete: bool) -> str:
    """The stand-in id once the message's text (the body, after the header) is known.

    The content part then comes from the text, which the INBOX and Sent copies of one message
    share even when their trace headers (and so their sizes) differ. ``complete`` is false when
    only the start of a long text was read; the size then counts as well. Other ids are returned
    unchanged.
    """
    parts = stand_in_parts(message_id)
    if parts is None:
        return message_id
    text = text.replace(b"\r\n", b"\n").rstrip(b"\n")  # as stored by one server or another
    content = text if complete else text + b"\x00" + str(size).encode()
    return f"synthetic.{parts[0]}.{_content_part(b'text', content)}@{SYNTHETIC_DOMAIN}"


def message_text(raw: bytes) -> bytes:
    """What IMAP calls a message's TEXT: everything after the blank line that ends the header."""
    ends = [(at, len(separator)) for separator in (b"\r\n\r\n", b"\n\n") if (at := raw.find(separator)) >= 0]
    if not ends:
        return b""
    at, length = min(ends)
    return raw[at + length :]


def _content_part(kind: bytes, content: bytes) -> str:
    return hashlib.sha256(kind + b"\x00" + content).hexdigest()[:16]
