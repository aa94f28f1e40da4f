"""Turn address header values (From, To, Cc, Reply-To, ...) into sanitized :class:`Address` tuples.

Plain lists are read with a regex (fast); anything else with the strict ``email.policy.default``
parser, which decodes encoded words and understands groups; what that cannot handle, or is too
long for it, goes to the lenient ``email.utils`` parser. A broken header therefore degrades to
fewer or rougher addresses, never to an exception.
"""

from __future__ import annotations

import email.utils
import re
from email import policy
from email.errors import InvalidHeaderDefect
from email.header import decode_header, make_header

from shared_inbox.domain.model import Address
from shared_inbox.mail.sanitize import clean_line, has_forbidden

__all__ = [
    "MAX_ADDRESSES",
    "MAX_EMAIL_CHARS",
    "MAX_NAME_CHARS",
    "STRICT_MAX_CHARS",
    "decode_words",
    "parse_addresses",
    "simple_address_pairs",
    "strict_address_pairs",
]

MAX_ADDRESSES = 200  # per header; a hostile To with 100k entries should not bloat the store
MAX_NAME_CHARS = 256
MAX_EMAIL_CHARS = 320
# The strict parser is quadratic on some hostile input (about 0.1 s for 2 KB of quotes), so
# longer lists, which are rare and almost always plain, go to the linear lenient parser.
STRICT_MAX_CHARS = 1024

_POLICY = policy.default

# The common case ("Name <a@b.c>, d@e.f") is read with a regex because the strict parser costs
# about half a millisecond per header; anything with quotes, comments, groups, encoded words or
# obsolete syntax goes to the strict parser. Both must give the same result (tested).
_NEEDS_STRICT = re.compile(r'["()\\:;\[\]]|=\?')
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_NAME_WORD = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\x80-\U0010ffff-][A-Za-z0-9!#$%&'*+/=?^_`{|}~.\x80-\U0010ffff-]*"
_ADDR_SPEC = rf"{_DOT_ATOM}@{_DOT_ATOM}"
_PHRASE = rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD})*"
_SIMPLE_ITEM = re.compile(
    rf"[ \t]*(?:(?:(?P<name>{_PHRASE})[ \t]*)?<(?P<bracketed>{_ADDR_SPEC})>|(?P<bare>{_ADDR_SPEC}))[ \t]*"
)
_BLANKS = re.compile(r"[ \t]+")


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words with the lenient legacy decoder; the value itself on failure."""
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # the legacy decoder raises a variety of errors on hostile input
        return value


def parse_addresses(header_name: str, value: str, notes: list[str]) -> tuple[Address, ...]:
    """All addresses in one header value, groups flattened, duplicates (by email) dropped.

    ``value`` is the unfolded raw header value; problems are appended to ``notes``. Entries
    without an email (``Mailer Daemon <>``) are kept when they have a name.
    """
    pairs = simple_address_pairs(value)
    if pairs is None and len(value) <= STRICT_MAX_CHARS:
        try:
            pairs = strict_address_pairs(header_name, value, notes)
        except Exception:  # the strict parser has known crashes on malformed input
            notes.append(f"{header_name}: could not be parsed strictly; parsed leniently")
    if pairs is None:
        try:
            pairs = _lenient_pairs(value)
        except Exception:  # e.g. RecursionError on thousands of nested comments
            notes.append(f"{header_name}: could not be parsed; ignored")
            pairs = []
    if any(has_forbidden(raw_name) or has_forbidden(raw_email) for raw_name, raw_email in pairs):
        notes.append(f"{header_name}: contained control or invisible characters; they were removed")
    addresses: dict[str, Address] = {}
    for raw_name, raw_email in pairs:
        address = _make_address(raw_name, raw_email)
        if address is None or address.email in addresses:
            continue
        if len(addresses) == MAX_ADDRESSES:
            notes.append(f"{header_name}: more than {MAX_ADDRESSES} addresses; the rest ignored")
            break
        addresses[address.email] = address
    return tuple(addresses.values())


def simple_address_pairs(value: str) -> list[tuple[str, str]] | None:
    """(display name, address) pairs of a plain address list, or ``None`` if it is not plain."""
    if _NEEDS_STRICT.search(value) is not None:
        return None
    pairs: list[tuple[str, str]] = []
    for item in value.split(","):
        match = _SIMPLE_ITEM.fullmatch(item)
        if match is None:
            return None
        name, bracketed, bare = match.group("name", "bracketed", "bare")
        pairs.append((_BLANKS.sub(" ", name or ""), bracketed or bare))
    return pairs


def strict_address_pairs(header_name: str, value: str, notes: list[str]) -> list[tuple[str, str]]:
    """(display name, address) pairs from the ``email.policy.default`` parser. May raise."""
    # Every address header is parsed as an address *list*: a From or Sender with several
    # entries is malformed but still worth reading.
    header = _POLICY.header_factory("to", value)
    if any(isinstance(defect, InvalidHeaderDefect) for defect in header.defects):
        notes.append(f"{header_name}: malformed address list; read as far as possible")
    pairs: list[tuple[str, str]] = []
    comment_names: dict[str, str] | None = None
    for item in header.addresses:
        addr_spec = item.addr_spec if (item.username or item.domain) else ""
        name = item.display_name
        if not name and addr_spec and "(" in value:
            # "jane@example.com (Jane Doe)": the modern parser drops comments; the old one keeps
            # them as the display name, which is what the sender meant.
            if comment_names is None:
                comment_names = {mail.lower(): decode_words(text) for text, mail in _lenient_pairs(value)}
            name = comment_names.get(addr_spec.lower(), "")
        pairs.append((name, addr_spec))
    return pairs


def _lenient_pairs(value: str) -> list[tuple[str, str]]:
    return [(decode_words(name), mail) for name, mail in email.utils.getaddresses([value])]


def _make_address(raw_name: str, raw_email: str) -> Address | None:
    mail = "".join(clean_line(raw_email).split()).lower()[:MAX_EMAIL_CHARS]
    name = clean_line(raw_name)[:MAX_NAME_CHARS].strip()
    if not mail and not name:
        return None
    if name.lower() == mail:
        name = ""
    return Address(name=name, email=mail)
