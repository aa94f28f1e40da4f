"""Walk a raw message's MIME tree into body parts and attachments, however broken it is.

Parsing uses the standard library's ``email`` package with the modern ``policy.default``; its
header parser still has crashes on some malformed headers, so such a header is kept as plain
text and its parameters read the lenient way. Any other failure makes :func:`read_structure`
start again with the lenient ``compat32`` policy, and if even that fails the text after the
header block is shown as it is. The walk stops at
:data:`MAX_DEPTH` levels of nesting. Problems become notes a reader can see.

Everything the rest of the mail code needs from a part (type, charset, file name, decoded
bytes) is read here, inside that safety net, into plain :class:`Leaf` values.
"""

from __future__ import annotations

import email
import email.utils
import functools
import logging
import re
from dataclasses import dataclass, field
from email import errors, policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import Message
from email.policy import Policy

from shared_inbox.mail.addresses import decode_words

__all__ = ["MAX_DEPTH", "Leaf", "MimeStructure", "read_structure"]

_log = logging.getLogger(__name__)

MAX_DEPTH = 20
BODY_TYPES = frozenset({"text/plain", "text/html"})
_MAX_FILENAME_CHARS = 1024  # a longer declared name is cut before anything else looks at it
_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,64}")
_OCTET_STREAM = "application/octet-stream"
_HEADER_END = re.compile(rb"\r?\n\r?\n")

_BOUNDARY_NOTE = "a multipart section has no usable boundary; its content is shown as plain text"
_BASE64_NOTE = "base64 data is damaged or truncated; decoded what could be"
_DEFECT_NOTES: dict[type[errors.MessageDefect], str] = {
    errors.NoBoundaryInMultipartDefect: _BOUNDARY_NOTE,
    errors.StartBoundaryNotFoundDefect: _BOUNDARY_NOTE,
    errors.CloseBoundaryNotFoundDefect: "a multipart section is not closed; the message may be truncated",
    errors.MissingHeaderBodySeparatorDefect: "a header block is not ended properly; headers may show as text",
    errors.InvalidBase64PaddingDefect: _BASE64_NOTE,
    errors.InvalidBase64CharactersDefect: _BASE64_NOTE,
    errors.InvalidBase64LengthDefect: _BASE64_NOTE,
}


@dataclass(frozen=True, slots=True)
class Leaf:
    """One part of the message with content, decoded. Header-derived strings are NOT sanitized."""

    part: str  # IMAP section number, e.g. "2.1"; "1" for a message that is not multipart
    content_type: str  # lower-case "type/subtype", always well-formed
    charset: str | None
    filename: str | None
    disposition: str | None  # "inline", "attachment" or None
    in_related: bool  # inside multipart/related: a resource of an HTML body (usually an image)
    payload: bytes

    @property
    def is_body(self) -> bool:
        """Whether this part is shown as body text: plain or HTML, and not marked as an attachment.

        A named text part is shown only when explicitly inline, the way mail clients show an
        attached ``notes.txt``; it is then listed as an attachment as well, so it can be saved.
        """
        if self.content_type not in BODY_TYPES or self.disposition == "attachment":
            return False
        return not self.filename or self.disposition == "inline"


@dataclass(frozen=True, slots=True)
class MimeStructure:
    """What to show as the body, in order, and every attachment, in document order."""

    body: tuple[Leaf, ...]
    attachments: tuple[Leaf, ...]
    notes: tuple[str, ...]


@dataclass(slots=True)
class _Found:
    body: list[Leaf] = field(default_factory=list)
    attachments: list[Leaf] = field(default_factory=list)

    def readable(self) -> bool:
        return any(leaf.payload.strip() for leaf in self.body)

    def plain_only(self) -> bool:
        return self.readable() and all(leaf.content_type == "text/plain" for leaf in self.body)


class _CachingHeaderRegistry(HeaderRegistry):
    """The standard header registry, remembering recent results, and never failing on one header.

    The feed parser asks for a part's Content-Type many times and the registry parses it afresh
    each time, which made strict parsing ten times slower than the legacy policy. Parsed
    headers are immutable, so sharing them is safe; long values are not kept.

    The structured parsers crash on some malformed values (a parameter name with nothing
    after it, as in a cut-off ``filename*``). Such a header is kept as unstructured text, whose
    parameters are then read the lenient way, so one bad header does not cost the whole message
    its strict reading.
    """

    def __init__(self) -> None:
        super().__init__()
        self._unstructured = type("_UnstructuredHeader", (self.default_class, self.base_class), {})
        self._parse = functools.lru_cache(maxsize=_HEADER_CACHE_ENTRIES)(self._parse_or_keep_as_text)

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > _HEADER_CACHE_MAX_CHARS:
            return self._parse_or_keep_as_text(name, value)
        header: BaseHeader = self._parse(name, value)
        return header

    def _parse_or_keep_as_text(self, name: str, value: str) -> BaseHeader:
        try:
            return super().__call__(name, value)
        except RecursionError:
            raise
        except Exception as exc:
            _log.info("unparsable header (%s); kept as text", type(exc).__name__)
            header: BaseHeader = self._unstructured(name, value)
            return header


_HEADER_CACHE_ENTRIES = 256
_HEADER_CACHE_MAX_CHARS = 2048
_STRICT = policy.default.clone(header_factory=_CachingHeaderRegistry())


def read_structure(raw: bytes) -> MimeStructure:
    """The body parts and attachments of a whole raw message. Never raises."""
    try:
        return _Walker(_STRICT).read(raw)
    except RecursionError:
        return _unreadable(raw, "the message is nested too deeply to read; showing its text as it is")
    except Exception as exc:
        _log.info("strict MIME parsing failed (%s); parsing leniently", type(exc).__name__)
    try:
        walker = _Walker(policy.compat32)
        walker.notes.append("the message structure could not be read strictly; it was read leniently")
        return walker.read(raw)
    except Exception as exc:
        _log.warning("unreadable MIME structure (%s)", type(exc).__name__)
        return _unreadable(raw, "the message structure could not be read; showing its text as it is")


def _unreadable(raw: bytes, note: str) -> MimeStructure:
    """Last resort: everything after the header block, as plain text."""
    match = _HEADER_END.search(raw)
    text = raw[match.end() :] if match else b""
    leaf = Leaf("1", "text/plain", None, None, None, False, text)
    return MimeStructure(body=(leaf,), attachments=(), notes=(note,))


class _Walker:
    def __init__(self, parse_policy: Policy) -> None:
        self.policy = parse_policy
        self.notes: list[str] = []

    def read(self, raw: bytes) -> MimeStructure:
        message = email.message_from_bytes(bytes(raw), policy=self.policy)
        found = self._walk(message, "", 0, in_related=False)
        if not found.body:
            self.notes.append("no text part: the message has no body text to show")
        return MimeStructure(tuple(found.body), tuple(found.attachments), tuple(dict.fromkeys(self.notes)))

    def _walk(self, part: Message, path: str, depth: int, *, in_related: bool) -> _Found:
        self._note_defects(part)
        if depth > MAX_DEPTH:
            self.notes.append(f"parts nested more than {MAX_DEPTH} levels deep were not read")
            return _Found()
        content_type = _content_type(part)
        if content_type.startswith("message/"):
            return _Found(attachments=[self._leaf(part, path or "1", content_type, in_related)])
        if not part.is_multipart():
            if content_type.startswith("multipart/"):
                content_type = "text/plain"  # no boundary: the parser kept the section as text
            leaf = self._leaf(part, path or "1", content_type, in_related)
            if not leaf.is_body:
                return _Found(attachments=[leaf])
            return _Found(body=[leaf], attachments=[leaf] if leaf.filename else [])
        subtype = content_type.partition("/")[2]
        related = in_related or subtype == "related"
        children = [
            self._walk(child, f"{path}.{number}" if path else str(number), depth + 1, in_related=related)
            for number, child in enumerate(_subparts(part), start=1)
        ]
        if subtype == "alternative":
            return _choose_alternative(children)
        merged = _Found()
        for child in children:
            merged.body.extend(child.body)
            merged.attachments.extend(child.attachments)
        return merged

    def _leaf(self, part: Message, path: str, content_type: str, in_related: bool) -> Leaf:
        payload = _payload(part)
        self._note_defects(part)  # decoding base64 records its defects on the part
        disposition = part.get_content_disposition()
        return Leaf(
            part=path,
            content_type=content_type,
            charset=part.get_content_charset(None),
            filename=_filename(part),
            disposition=disposition if disposition in ("inline", "attachment") else None,
            in_related=in_related,
            payload=payload,
        )

    def _note_defects(self, part: Message) -> None:
        for defect in getattr(part, "defects", ()):
            note = _DEFECT_NOTES.get(type(defect))
            if note is not None:
                self.notes.append(note)


def _choose_alternative(children: list[_Found]) -> _Found:
    """Plain text when the sender offered a non-empty one, else the last (richest) readable form.

    Files attached to an unchosen form are kept, except resources of an HTML body.
    """
    chosen = (
        next((child for child in children if child.plain_only()), None)
        or next((child for child in reversed(children) if child.readable()), None)
        or next((child for child in reversed(children) if child.body), None)
    )
    result = _Found(body=list(chosen.body) if chosen else [])
    for child in children:
        kept = child.attachments if child is chosen else [a for a in child.attachments if not a.in_related]
        result.attachments.extend(kept)
    return result


def _content_type(part: Message) -> str:
    content_type = part.get_content_type()
    return content_type if _MEDIA_TYPE.fullmatch(content_type) else _OCTET_STREAM


def _subparts(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []


def _payload(part: Message) -> bytes:
    """The decoded content; an embedded message is serialized back to bytes."""
    if part.is_multipart():
        return b"".join(_serialize(child) for child in _subparts(part))
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


# Writes header lines back as they were received: no refolding, so no header parsing either.
_VERBATIM = policy.default.clone(refold_source="none", max_line_length=0)


def _serialize(message: Message) -> bytes:
    return message.as_bytes(policy=_VERBATIM)


def _filename(part: Message) -> str | None:
    """The declared file name; a blank one in Content-Disposition gives way to Content-Type's."""
    name = part.get_filename(None)
    if not isinstance(name, str) or not name.strip():
        name = email.utils.collapse_rfc2231_value(part.get_param("name", "", header="content-type"))
    if not isinstance(name, str) or not name.strip():
        return None
    name = name[:_MAX_FILENAME_CHARS]
    return decode_words(name) if "=?" in name else name
