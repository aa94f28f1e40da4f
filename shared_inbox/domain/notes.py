"""Internal notes: what teammates write on a conversation for each other, never for the customer.

Notes live in the same event log as assignments and promises, so they reach teammates through
the mailbox and their payloads are checked strictly (a forged or malformed one is ignored):

- ``note_add``: ``{"note": id, "text": text, "mentions": [teammate emails]}``;
- ``note_edit``: ``{"note": id, "text": new text}`` (``"mentions"`` optional: replaces them);
- ``note_delete``: ``{"note": id}``.

Only the author of a note may change it: edits and deletions by anyone else are ignored. The
text is the last-writer-wins register of the add and the author's edits (clock, event id, then
content); a deletion is final. That makes :func:`reduce_notes` independent of arrival order
and duplicates, like :func:`shared_inbox.domain.events.reduce_state`.

The same folding serves the free-form notes on a customer (see :mod:`shared_inbox.domain.profiles`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared_inbox.domain.events import MAX_DATA_CHARS, Event, EventError

__all__ = [
    "MAX_MENTIONS",
    "MAX_NOTE_CHARS",
    "NOTE_ADD",
    "NOTE_DELETE",
    "NOTE_EDIT",
    "NOTE_KINDS",
    "Note",
    "NoteKinds",
    "check_note_event",
    "find_mentions",
    "fold_notes",
    "note_data",
    "reduce_notes",
]

NOTE_ADD = "note_add"
NOTE_EDIT = "note_edit"
NOTE_DELETE = "note_delete"
NOTE_KINDS = frozenset({NOTE_ADD, NOTE_EDIT, NOTE_DELETE})
MAX_NOTE_CHARS = 2000
MAX_MENTIONS = 20
MAX_EMAIL_CHARS = 254

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_EMAIL = re.compile(r"[^\s@<>\"]{1,64}@[^\s@<>\"]{1,189}")
# "@bob" or "@bob@example.com", not inside a word (so "ann@example.com" mentions nobody).
_MENTION = re.compile(r"(?<![\w.@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


@dataclass(frozen=True, slots=True)
class NoteKinds:
    """The three event kinds of one family of notes (conversation notes, customer notes)."""

    add: str
    edit: str
    delete: str
    with_mentions: bool = True  # whether an add must list the people it mentions


CONVERSATION_NOTES = NoteKinds(NOTE_ADD, NOTE_EDIT, NOTE_DELETE)


@dataclass(frozen=True, slots=True)
class Note:
    """A live note as readers see it: the current text, who wrote it and when."""

    id: str
    anchor: str  # the Message-ID its first event was anchored to
    author: str
    created_at: datetime
    text: str
    mentions: tuple[str, ...] = ()
    edited_at: datetime | None = None


def note_data(
    note_id: str, text: str | None = None, mentions: Sequence[str] | None = None
) -> dict[str, object]:
    """The data of a note event; raises :class:`EventError` when teammates' copies would refuse it."""
    data: dict[str, object] = {"note": note_id}
    if text is not None:
        data["text"] = text
    if mentions is not None:
        data["mentions"] = [email.strip().lower() for email in mentions]
    _check_id(data)
    if text is not None:
        _check_text(data)
    if mentions is not None:
        _check_mentions(data)
    _check_size(data)
    return data


def check_note_event(event: Event, kinds: NoteKinds = CONVERSATION_NOTES) -> None:
    """Raise :class:`EventError` naming the problem when a note event is not valid."""
    kind = str(event.kind)
    if kind not in (kinds.add, kinds.edit, kinds.delete):
        raise EventError(f"{kind[:32]!r} is not a note event")
    data = event.data
    _check_id(data)
    if kind in (kinds.add, kinds.edit):
        _check_text(data)
    if (kind == kinds.add and kinds.with_mentions) or "mentions" in data:
        _check_mentions(data)
    _check_size(data)


def reduce_notes(events: Iterable[Event]) -> list[Note]:
    """A conversation's live notes, oldest first; invalid and foreign events are ignored."""
    return fold_notes(events, CONVERSATION_NOTES)


def fold_notes(events: Iterable[Event], kinds: NoteKinds) -> list[Note]:
    """The live notes of one family of note events, oldest first (see the module docstring)."""
    adds: dict[str, list[Event]] = {}
    edits: dict[str, list[Event]] = {}
    deletions: dict[str, list[Event]] = {}
    for event in events:
        try:
            check_note_event(event, kinds)
        except EventError:
            continue
        note_id = str(event.data["note"])
        target = {kinds.add: adds, kinds.edit: edits}.get(str(event.kind), deletions)
        target.setdefault(note_id, []).append(event)
    notes: list[tuple[Note, Event]] = []
    for note_id, added in adds.items():
        first = min(added, key=_order)
        author = first.author
        if any(event.author == author for event in deletions.get(note_id, ())):
            continue
        own_edits = [event for event in edits.get(note_id, ()) if event.author == author]
        latest = max([first, *own_edits], key=_order)
        with_mentions = max([first, *(e for e in own_edits if "mentions" in e.data)], key=_order)
        notes.append(
            (
                Note(
                    id=note_id,
                    anchor=first.anchor,
                    author=author,
                    created_at=first.at,
                    text=str(latest.data["text"]),
                    mentions=_mentions(with_mentions.data),
                    edited_at=latest.at if latest is not first else None,
                ),
                first,
            )
        )
    # Two notes written within one tick of the wall clock keep the order they were written in:
    # the hybrid logical clock breaks the tie, not the random note id.
    notes.sort(key=lambda pair: (pair[0].created_at, _order(pair[1])))
    return [note for note, _ in notes]


def find_mentions(text: str, members: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The teammates a note mentions, in order of first mention, as emails.

    ``members`` are (name, email) pairs. ``@bob@example.com`` names an address; ``@bob`` names
    the member whose address starts ``bob@`` or whose first name is Bob, when only one does.
    Handles that name nobody, or several people, mention nobody.
    """
    team = [(name.strip(), email.strip().lower()) for name, email in members]
    found: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        handle = match.group(1).rstrip(".").casefold()
        candidates = {
            email
            for name, email in team
            if handle == email.casefold()
            or handle == email.partition("@")[0].casefold()
            or (name and handle == name.split()[0].casefold())
        }
        if len(candidates) == 1:
            found.setdefault(candidates.pop(), None)
    return tuple(found)


# -- validation ----------------------------------------------------------------


def _order(event: Event) -> tuple[object, ...]:
    """Last-writer-wins order: clock, event id, then content (for forged twins)."""
    return (event.clock, event.id, str(event.kind), json.dumps(dict(event.data), sort_keys=True))


def _check_id(data: Mapping[str, object]) -> None:
    value = data.get("note")
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise EventError("a note event needs a 'note' id of 1 to 64 letters, digits, '-' or '_'")


def _check_text(data: Mapping[str, object]) -> None:
    value = data.get("text")
    if not isinstance(value, str) or not value.strip():
        raise EventError("a note needs a non-empty 'text'")
    if len(value) > MAX_NOTE_CHARS:
        raise EventError(f"a note has at most {MAX_NOTE_CHARS} characters")
    if any(not (char.isprintable() or char in "\n\t") for char in value):
        raise EventError("a note's text holds control characters")


def _check_mentions(data: Mapping[str, object]) -> None:
    value = data.get("mentions")
    if not isinstance(value, list):
        raise EventError("a note's 'mentions' must be a list of email addresses")
    if len(value) > MAX_MENTIONS:
        raise EventError(f"a note mentions at most {MAX_MENTIONS} people")
    for email in value:
        if not isinstance(email, str) or len(email) > MAX_EMAIL_CHARS or not _EMAIL.fullmatch(email):
            raise EventError("a note's 'mentions' must hold email addresses only")
        if any(not char.isprintable() for char in email) or email != email.lower():
            raise EventError("a mentioned address must be lower-case and printable")


def _check_size(data: Mapping[str, object]) -> None:
    if len(json.dumps(dict(data), separators=(",", ":"))) > MAX_DATA_CHARS:
        raise EventError("the note is too long to share with the team; shorten it")


def _mentions(data: Mapping[str, object]) -> tuple[str, ...]:
    value = data.get("mentions")
    return tuple(dict.fromkeys(str(email) for email in value)) if isinstance(value, list) else ()
