"""Customer profiles: what the team records about a customer, keyed by their address.

Profiles are events like everything else the team changes, anchored on a Message-ID of one of
the customer's conversations so the event log stays uniform (and travels the same way):

- ``customer_set``: ``{"email": address, "field": one of FIELDS, "value": text}``; an empty
  value clears the field. Each (address, field) is a last-writer-wins register.
- ``customer_note_add`` / ``customer_note_edit``: ``{"email", "note": id, "text"}``;
  ``customer_note_delete``: ``{"email", "note": id}``. Folded like conversation notes.

:func:`reduce_profiles` is independent of arrival order and duplicates, and ignores invalid
events (they arrive from teammates through the mailbox and may be forged).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from shared_inbox.domain.events import MAX_DATA_CHARS, Event, EventError
from shared_inbox.domain.notes import Note, NoteKinds, check_note_event, fold_notes, note_data

__all__ = [
    "CUSTOMER_KINDS",
    "CUSTOMER_NOTES",
    "CUSTOMER_NOTE_ADD",
    "CUSTOMER_NOTE_DELETE",
    "CUSTOMER_NOTE_EDIT",
    "CUSTOMER_SET",
    "FIELDS",
    "FIELD_LABELS",
    "MAX_FIELD_CHARS",
    "CustomerRecord",
    "FieldValue",
    "check_customer_event",
    "customer_field_data",
    "customer_note_data",
    "reduce_profiles",
]

CUSTOMER_SET = "customer_set"
CUSTOMER_NOTE_ADD = "customer_note_add"
CUSTOMER_NOTE_EDIT = "customer_note_edit"
CUSTOMER_NOTE_DELETE = "customer_note_delete"
CUSTOMER_NOTES = NoteKinds(CUSTOMER_NOTE_ADD, CUSTOMER_NOTE_EDIT, CUSTOMER_NOTE_DELETE, with_mentions=False)
CUSTOMER_KINDS = frozenset({CUSTOMER_SET, CUSTOMER_NOTE_ADD, CUSTOMER_NOTE_EDIT, CUSTOMER_NOTE_DELETE})

FIELDS = ("name", "company", "preferences", "birthday", "interests", "tags")
FIELD_LABELS = {
    "name": "Name",
    "company": "Company",
    "preferences": "Preferences",
    "birthday": "Birthday",
    "interests": "Interests",
    "tags": "Tags",
}
MAX_FIELD_CHARS = 300
MAX_EMAIL_CHARS = 254

_EMAIL = re.compile(r"[^\s@<>\"]{1,64}@[^\s@<>\"]{1,189}")


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A profile field's current value and who set it when."""

    value: str
    author: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """Everything the team recorded about one address; empty fields are left out."""

    email: str
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()

    def value(self, name: str) -> str:
        found = self.fields.get(name)
        return found.value if found is not None else ""

    @property
    def tags(self) -> tuple[str, ...]:
        """The tags field read as a comma- or space-separated list."""
        return tuple(dict.fromkeys(t for t in re.split(r"[,\s]+", self.value("tags")) if t))

    def searchable(self) -> str:
        """Every field value and note text, for ``customer:`` searches."""
        return "\n".join([*(v.value for v in self.fields.values()), *(n.text for n in self.notes)])


def customer_field_data(email: str, field_name: str, value: str) -> dict[str, object]:
    """The data of a ``customer_set`` event; raises :class:`EventError` when it would be refused."""
    data: dict[str, object] = {"email": email.strip().lower(), "field": field_name, "value": value}
    _check_set(data)
    return data


def customer_note_data(email: str, note_id: str, text: str | None = None) -> dict[str, object]:
    """The data of a customer note event; raises :class:`EventError` when it would be refused."""
    data = {"email": email.strip().lower(), **note_data(note_id, text)}
    _check_email(data)
    if len(json.dumps(data, separators=(",", ":"))) > MAX_DATA_CHARS:
        raise EventError("the note is too long to share with the team; shorten it")
    return data


def check_customer_event(event: Event) -> None:
    """Raise :class:`EventError` naming the problem when a customer event is not valid."""
    kind = str(event.kind)
    if kind not in CUSTOMER_KINDS:
        raise EventError(f"{kind[:32]!r} is not a customer event")
    if kind == CUSTOMER_SET:
        _check_set(event.data)
    else:
        _check_email(event.data)
        check_note_event(event, CUSTOMER_NOTES)


def reduce_profiles(events: Iterable[Event]) -> dict[str, CustomerRecord]:
    """Every customer the events describe, by address; other and invalid events are ignored."""
    fields: dict[tuple[str, str], Event] = {}
    notes: dict[str, list[Event]] = {}
    for event in events:
        if str(event.kind) not in CUSTOMER_KINDS:
            continue
        try:
            check_customer_event(event)
        except EventError:
            continue
        email = str(event.data["email"])
        if event.kind == CUSTOMER_SET:
            key = (email, str(event.data["field"]))
            if key not in fields or _order(event) > _order(fields[key]):
                fields[key] = event
        else:
            notes.setdefault(email, []).append(event)
    records: dict[str, dict[str, FieldValue]] = {}
    for (email, name), event in fields.items():
        values = records.setdefault(email, {})
        value = str(event.data["value"])
        if value:
            values[name] = FieldValue(value, event.author, event.at)
    emails = sorted(set(records) | set(notes))
    return {
        email: CustomerRecord(
            email,
            {name: records[email][name] for name in FIELDS if name in records.get(email, {})},
            tuple(fold_notes(notes.get(email, ()), CUSTOMER_NOTES)),
        )
        for email in emails
    }


def _order(event: Event) -> tuple[object, ...]:
    return (event.clock, event.id, json.dumps(dict(event.data), sort_keys=True))


def _check_email(data: Mapping[str, object]) -> None:
    value = data.get("email")
    if (
        not isinstance(value, str)
        or len(value) > MAX_EMAIL_CHARS
        or not _EMAIL.fullmatch(value)
        or value != value.lower()
        or any(not char.isprintable() for char in value)
    ):
        raise EventError("a customer event needs the customer's lower-case 'email' address")


def _check_set(data: Mapping[str, object]) -> None:
    _check_email(data)
    name = data.get("field")
    if name not in FIELDS:
        raise EventError(f"a customer field is one of {', '.join(FIELDS)}")
    value = data.get("value")
    if not isinstance(value, str):
        raise EventError("a customer field's 'value' must be text")
    if len(value) > MAX_FIELD_CHARS:
        raise EventError(f"a customer field holds at most {MAX_FIELD_CHARS} characters")
    if any(not char.isprintable() for char in value):
        raise EventError("a customer field is one line without control characters")
