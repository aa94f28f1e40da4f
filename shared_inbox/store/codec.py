"""MessageMeta <-> JSON-ready dict, the on-disk form of a message in a shard.

Datetimes are ISO 8601 strings, flags a sorted list (so equal metas give equal
bytes), addresses `[name, email]` pairs and locations `[folder, uidvalidity,
uid]`. Optional fields are left out while they hold their default: tinydb
rewrites a whole shard on every change, so smaller documents mean faster
writes, faster loading and less memory.

Decoding checks every type, because a damaged file must fail loudly here
rather than deep inside the UI. A `MetaDecoder` also shares equal addresses,
flag sets and folder names between messages, which keeps a large mailbox small
in memory.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared_inbox.domain.model import Address, DeliveryFailure, Location, MessageKind, MessageMeta

Doc = dict[str, Any]

# Left out of a document while they hold these values.
OPTIONAL_DEFAULTS: dict[str, object] = {
    "cc": [],
    "in_reply_to": [],
    "references": [],
    "token": None,
    "reply_to": [],
    "outgoing": False,
    "has_attachments": False,
    "synthetic_id": False,
    "header_notes": [],
    "received": None,
    "kind": MessageKind.CUSTOMER.value,
    "delivery_failures": [],
    "bounced_message_id": None,
}
_KINDS = {kind.value: kind for kind in MessageKind}


_STR_ONLY = {str}


class CodecError(ValueError):
    """A stored document does not have the shape of a MessageMeta."""


def _address_to_json(address: Address) -> list[str]:
    return [address.name, address.email]


def location_to_json(location: Location) -> list[object]:
    return [location.folder, location.uidvalidity, location.uid]


def failure_to_json(failure: DeliveryFailure) -> list[object]:
    return [failure.recipient, failure.permanent, failure.diagnostic]


def meta_to_dict(meta: MessageMeta) -> Doc:
    if meta.date.tzinfo is None:
        raise ValueError(f"message {meta.message_id!r} has a naive date; dates must be timezone-aware")
    doc: Doc = {
        "message_id": meta.message_id,
        "subject": meta.subject,
        "sender": _address_to_json(meta.sender),
        "to": [_address_to_json(a) for a in meta.to],
        "date": meta.date.isoformat(),
        "flags": sorted(meta.flags),
        "size": meta.size,
        "locations": [location_to_json(loc) for loc in meta.locations],
    }
    optional: Doc = {
        "cc": [_address_to_json(a) for a in meta.cc],
        "in_reply_to": list(meta.in_reply_to),
        "references": list(meta.references),
        "token": meta.token,
        "reply_to": [_address_to_json(a) for a in meta.reply_to],
        "outgoing": meta.outgoing,
        "has_attachments": meta.has_attachments,
        "synthetic_id": meta.synthetic_id,
        "header_notes": list(meta.header_notes),
        "received": meta.received.isoformat() if meta.received else None,
        "kind": meta.kind.value,
        "delivery_failures": [failure_to_json(f) for f in meta.delivery_failures],
        "bounced_message_id": meta.bounced_message_id,
    }
    doc.update((key, value) for key, value in optional.items() if value != OPTIONAL_DEFAULTS[key])
    return doc


def _fail(what: str, value: object) -> CodecError:
    return CodecError(f"{what} has the wrong type ({type(value).__name__})")


class MetaDecoder:
    """Rebuilds MessageMeta objects, sharing equal immutable parts between them."""

    def __init__(self) -> None:
        self._addresses: dict[tuple[str, str], Address] = {}
        self._flag_sets: dict[tuple[str, ...], frozenset[str]] = {}
        self._folders: dict[str, str] = {}
        # Message-IDs met in `from_compact`: a reply names its parents by the same string object
        # as their own entries, instead of a copy per mention (several megabytes on a big store).
        self._ids: dict[str, str] = {}

    def decode(self, doc: Doc) -> MessageMeta:
        """Raises CodecError naming the first bad field."""
        if type(doc) is not dict:
            raise _fail("a message document", doc)
        try:
            return self._decode(doc)
        except KeyError as exc:
            raise CodecError(f"field {exc.args[0]!r} is missing") from exc

    def _decode(self, doc: Doc) -> MessageMeta:
        get = doc.get
        mid, subject, size, token = doc["message_id"], doc["subject"], doc["size"], get("token")
        if type(mid) is not str:
            raise _fail("message_id", mid)
        if type(subject) is not str:
            raise _fail("subject", subject)
        if type(size) is not int:
            raise _fail("size", size)
        if token is not None and type(token) is not str:
            raise _fail("token", token)
        cc, reply_to = get("cc"), get("reply_to")
        in_reply_to, references, notes = get("in_reply_to"), get("references"), get("header_notes")
        return MessageMeta(
            mid,
            subject,
            self._address(doc["sender"], "sender"),
            self._addresses_of(doc["to"], "to"),
            () if cc is None else self._addresses_of(cc, "cc"),
            _date(doc["date"]),
            () if in_reply_to is None else _strings(in_reply_to, "in_reply_to"),
            () if references is None else _strings(references, "references"),
            token,
            () if reply_to is None else self._addresses_of(reply_to, "reply_to"),
            self._flags(doc["flags"]),
            size,
            tuple([self.location(loc) for loc in _list(doc["locations"], "locations")]),
            _bool(get("outgoing", False), "outgoing"),
            _bool(get("has_attachments", False), "has_attachments"),
            _bool(get("synthetic_id", False), "synthetic_id"),
            () if notes is None else _strings(notes, "header_notes"),
            None if get("received") is None else _date(get("received")),
            _kind(get("kind", MessageKind.CUSTOMER.value)),
            tuple([_failure(item) for item in _list(get("delivery_failures", []), "delivery_failures")]),
            _optional_str(get("bounced_message_id"), "bounced_message_id"),
        )

    def from_compact(self, row: tuple[Any, ...]) -> MessageMeta:
        """Rebuild a message from its snapshot tuple (see snapshot.py).

        No type checks: a snapshot is only read after its checksum proved it is the
        one written from messages that had passed `decode`.
        """
        (mid, subject, sender, to, cc, date, in_reply_to, references, token, reply_to,
         flags, size, locations, outgoing, has_attachments, synthetic_id, notes, received,
         kind, failures, bounced) = row  # fmt: skip
        pair, folders, same = self._pair, self._folders, self._ids.setdefault
        mid = same(mid, mid)
        if in_reply_to:
            in_reply_to = tuple([same(ref, ref) for ref in in_reply_to])
        if references:
            references = tuple([same(ref, ref) for ref in references])
        flag_set = self._flag_sets.get(flags)
        if flag_set is None:
            flag_set = self._flag_sets[flags] = frozenset(flags)
        return MessageMeta(
            mid,
            subject,
            pair(sender),
            tuple([pair(a) for a in to]) if to else (),
            tuple([pair(a) for a in cc]) if cc else (),
            datetime.fromisoformat(date),
            in_reply_to,
            references,
            token,
            tuple([pair(a) for a in reply_to]) if reply_to else (),
            flag_set,
            size,
            tuple([Location(folders.setdefault(f, f), v, u) for f, v, u in locations]),
            outgoing,
            has_attachments,
            synthetic_id,
            notes,
            None if received is None else datetime.fromisoformat(received),
            _KINDS[kind],
            tuple([DeliveryFailure(*failure) for failure in failures]) if failures else (),
            bounced,
        )

    def forget_ids(self) -> None:
        """Drop the Message-IDs kept for sharing, once a whole snapshot is read."""
        self._ids = {}

    def _pair(self, key: tuple[str, str]) -> Address:
        address = self._addresses.get(key)
        if address is None:
            address = self._addresses[key] = Address(*key)
        return address

    def location(self, value: object) -> Location:
        if type(value) is not list or len(value) != 3:
            raise CodecError("a location should be a [folder, uidvalidity, uid] triple")
        folder, validity, uid = value
        if type(folder) is not str or type(validity) is not int or type(uid) is not int:
            raise CodecError("a location should be a [folder, uidvalidity, uid] triple")
        return Location(self._folders.setdefault(folder, folder), validity, uid)

    def _address(self, value: object, what: str) -> Address:
        if type(value) is not list or len(value) != 2:
            raise CodecError(f"{what} should be a [name, email] pair")
        key = (value[0], value[1])
        if type(key[0]) is not str or type(key[1]) is not str:
            raise CodecError(f"{what} should be a [name, email] pair")
        address = self._addresses.get(key)
        if address is None:
            address = self._addresses[key] = Address(*key)
        return address

    def _addresses_of(self, value: object, what: str) -> tuple[Address, ...]:
        return tuple([self._address(item, what) for item in _list(value, what)])

    def _flags(self, value: object) -> frozenset[str]:
        key = _strings(value, "flags")
        flags = self._flag_sets.get(key)
        if flags is None:
            flags = self._flag_sets[key] = frozenset(key)
        return flags


def meta_from_dict(doc: Doc) -> MessageMeta:
    return MetaDecoder().decode(doc)


def _list(value: object, what: str) -> list[Any]:
    if type(value) is not list:
        raise _fail(what, value)
    return value


def _strings(value: object, what: str) -> tuple[str, ...]:
    items = tuple(_list(value, what))
    if not set(map(type, items)) <= _STR_ONLY:
        raise CodecError(f"an entry of {what} is not a string")
    return items


def _bool(value: object, what: str) -> bool:
    if type(value) is not bool:
        raise _fail(what, value)
    return value


def _kind(value: object) -> MessageKind:
    kind = _KINDS.get(value) if type(value) is str else None
    if kind is None:
        raise CodecError(f"kind {value!r} is not a message kind")
    return kind


def _failure(value: object) -> DeliveryFailure:
    if type(value) is not list or len(value) != 3:
        raise CodecError("a delivery failure should be a [recipient, permanent, diagnostic] triple")
    recipient, permanent, diagnostic = value
    if type(recipient) is not str or type(permanent) is not bool or type(diagnostic) is not str:
        raise CodecError("a delivery failure should be a [recipient, permanent, diagnostic] triple")
    return DeliveryFailure(recipient, permanent, diagnostic)


def _optional_str(value: object, what: str) -> str | None:
    if value is not None and type(value) is not str:
        raise _fail(what, value)
    return value


def _date(value: object) -> datetime:
    if type(value) is not str:
        raise _fail("date", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CodecError(f"date {value!r} is not ISO 8601") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
