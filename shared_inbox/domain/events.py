"""Team state as a log of events, and the rule that folds a log into state.

Every change a teammate makes (assign, status, tag, snooze, ...) is an event
anchored to a Message-ID of the conversation. Events travel between teammates
through the mailbox, so the JSON form is validated strictly: anything malformed
or oversized raises :class:`EventError` with the reason.

The state is a set of last-writer-wins registers, ordered by hybrid logical
clock with the event id as the final tie-break. That makes :func:`reduce_state`
independent of the order events arrive in and of duplicates, so every teammate
who has the same events sees the same state.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from shared_inbox.domain.clock import Hlc, HlcError
from shared_inbox.domain.model import ConversationState, Status

__all__ = [
    "Event",
    "EventError",
    "EventKind",
    "MAX_DATA_CHARS",
    "event_from_json",
    "event_to_json",
    "reduce_state",
    "standing_status_events",
    "status_history",
]

FORMAT_VERSION = 1
MAX_ID_CHARS = 64
MAX_TAG_CHARS = 64
MAX_ADDRESS_CHARS = 254
MAX_ANCHOR_CHARS = 998
MAX_DATA_CHARS = 4096  # the data object as compact JSON
MAX_DATA_DEPTH = 4

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_KIND = re.compile(r"[a-z][a-z0-9_.-]{0,31}")
_FIELDS = frozenset({"v", "id", "kind", "anchor", "author", "at", "clock", "data"})
_REOPENABLE = frozenset({Status.PENDING, Status.CLOSED})


class EventError(ValueError):
    """An event that is malformed; the message says what is wrong."""


class EventKind(enum.StrEnum):
    ASSIGN = "assign"  # data: {"assignee": email}
    UNASSIGN = "unassign"
    STATUS = "status"  # data: {"status": Status value}, "undoes": the status event it takes back
    TAG = "tag"  # data: {"tag": tag}
    UNTAG = "untag"  # data: {"tag": tag}
    SNOOZE = "snooze"  # data: {"until": ISO 8601 time with offset}
    UNSNOOZE = "unsnooze"


_KNOWN_KINDS = frozenset(EventKind)


@dataclass(frozen=True, slots=True)
class Event:
    """One state change. ``kind`` is a plain string for kinds this version does not know."""

    id: str
    kind: EventKind | str
    anchor: str  # a Message-ID in the conversation
    author: str  # the agent's email
    at: datetime  # aware wall time of the change
    clock: Hlc
    data: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise EventError("event time must be timezone-aware")
        if self.kind in _KNOWN_KINDS:
            object.__setattr__(self, "kind", EventKind(self.kind))
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def __reduce__(self) -> tuple[type[Event], tuple[object, ...]]:
        """Pickled through its constructor: its read-only `data` view cannot be pickled as it is."""
        return (Event, (self.id, self.kind, self.anchor, self.author, self.at, self.clock, dict(self.data)))


# -- JSON --------------------------------------------------------------------


def event_to_json(event: Event) -> dict[str, object]:
    """The JSON-ready form stored in the event log and shipped to teammates."""
    return {
        "v": FORMAT_VERSION,
        "id": event.id,
        "kind": str(event.kind),
        "anchor": event.anchor,
        "author": event.author,
        "at": event.at.astimezone(UTC).isoformat(),
        "clock": str(event.clock),
        "data": _plain_data(event.data),
    }


def event_from_json(doc: object) -> Event:
    """Validate and read an event; raises :class:`EventError` naming the problem."""
    if not isinstance(doc, Mapping):
        raise EventError("an event must be a JSON object")
    unknown = sorted(str(key)[:40] for key in doc if key not in _FIELDS)
    if unknown:
        raise EventError(f"unknown event field(s): {', '.join(unknown)}")
    missing = sorted(_FIELDS - {"v"} - set(doc))
    if missing:
        raise EventError(f"event lacks field(s): {', '.join(missing)}")
    version = doc.get("v", FORMAT_VERSION)
    if type(version) is not int or version != FORMAT_VERSION:
        raise EventError(f"unsupported event format version {version!r:.20}")
    event_id = _text(doc["id"], "id", MAX_ID_CHARS)
    if not _ID.fullmatch(event_id):
        raise EventError("event id may only hold letters, digits, '-' and '_'")
    kind = _text(doc["kind"], "kind", 32)
    if not _KIND.fullmatch(kind):
        raise EventError(f"event kind {kind!r} is not a lower-case word")
    data = _data(doc["data"])
    event = Event(
        id=event_id,
        kind=kind,
        anchor=_token(doc["anchor"], "anchor", MAX_ANCHOR_CHARS),
        author=_token(doc["author"], "author", MAX_ADDRESS_CHARS),
        at=_time(doc["at"], "at"),
        clock=_clock(doc["clock"]),
        data=data,
    )
    _check_payload(event)
    return event


def _text(value: object, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise EventError(f"event {name} must be a string")
    if not value:
        raise EventError(f"event {name} is empty")
    if len(value) > limit:
        raise EventError(f"event {name} is longer than {limit} characters")
    return value


def _token(value: object, name: str, limit: int) -> str:
    """A single word: no spaces, no control or format characters, no angle brackets."""
    text = _text(value, name, limit)
    if any(c.isspace() or not c.isprintable() or c in "<>" for c in text):
        raise EventError(f"event {name} holds spaces, brackets or control characters")
    return text


def _time(value: object, name: str) -> datetime:
    text = _text(value, name, 40)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise EventError(f"event {name} {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise EventError(f"event {name} {text!r} has no time zone")
    return moment.astimezone(UTC)


def _clock(value: object) -> Hlc:
    try:
        return Hlc.parse(_text(value, "clock", 300))
    except HlcError as exc:
        raise EventError(f"event clock: {exc}") from None


def _data(value: object) -> dict[str, object]:
    if not isinstance(value, Mapping):
        raise EventError("event data must be an object")
    plain = _plain_data(value)
    if len(json.dumps(plain, separators=(",", ":"))) > MAX_DATA_CHARS:
        raise EventError(f"event data is larger than {MAX_DATA_CHARS} characters")
    return plain


def _plain_data(value: Mapping[str, object]) -> dict[str, object]:
    """A deep copy made only of JSON types; raises on anything else or on deep nesting."""
    copied = _plain(value, 0)
    assert isinstance(copied, dict)
    return copied


def _plain(value: object, depth: int) -> object:
    if depth > MAX_DATA_DEPTH:
        raise EventError(f"event data is nested deeper than {MAX_DATA_DEPTH} levels")
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise EventError("event data holds a number that is not finite")
        return value
    if isinstance(value, list | tuple):
        return [_plain(item, depth + 1) for item in value]
    if isinstance(value, Mapping):
        plain: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key or len(key) > MAX_ID_CHARS:
                raise EventError("event data keys must be strings of 1 to 64 characters")
            plain[key] = _plain(item, depth + 1)
        return plain
    raise EventError(f"event data holds a {type(value).__name__}, which JSON cannot carry")


def _check_payload(event: Event) -> None:
    """Known kinds must carry their fields; extra fields are kept for newer versions."""
    kind = event.kind
    if kind not in _KNOWN_KINDS:
        return
    if _payload(event) is None and kind not in (EventKind.UNASSIGN, EventKind.UNSNOOZE):
        field_name = {
            EventKind.ASSIGN: "assignee",
            EventKind.STATUS: "status",
            EventKind.TAG: "tag",
            EventKind.UNTAG: "tag",
            EventKind.SNOOZE: "until",
        }[EventKind(kind)]
        raise EventError(f"{kind} event has a missing or invalid {field_name!r}: {_hint(kind)}")


def _hint(kind: str) -> str:
    return {
        EventKind.ASSIGN: "an email address of at most 254 characters",
        EventKind.STATUS: "one of " + ", ".join(s.value for s in Status),
        EventKind.TAG: f"one word of at most {MAX_TAG_CHARS} characters",
        EventKind.UNTAG: f"one word of at most {MAX_TAG_CHARS} characters",
        EventKind.SNOOZE: "an ISO 8601 time with a time zone",
    }[EventKind(kind)]


def _payload(event: Event) -> object | None:
    """The value a known event sets, or ``None`` when its data does not hold a valid one."""
    data = event.data
    try:
        match event.kind:
            case EventKind.ASSIGN:
                return _token(data.get("assignee"), "assignee", MAX_ADDRESS_CHARS)
            case EventKind.STATUS:
                value = data.get("status")
                return Status(value) if isinstance(value, str) else None
            case EventKind.TAG | EventKind.UNTAG:
                return _token(data.get("tag"), "tag", MAX_TAG_CHARS)
            case EventKind.SNOOZE:
                return _time(data.get("until"), "until")
    except (EventError, ValueError):
        return None
    return None


# -- reduction -----------------------------------------------------------------


def _later(new: Event, current: tuple[Event, object] | None) -> bool:
    """Last-writer-wins order: clock, then event id, then content (for forged twins)."""
    if current is None:
        return True
    old = current[0]
    if new.clock != old.clock:
        return new.clock > old.clock
    if new.id != old.id:
        return new.id > old.id
    return _content(new) > _content(old)


def _content(event: Event) -> str:
    return json.dumps([str(event.kind), dict(event.data)], sort_keys=True, default=str)


def reduce_state(
    events: Iterable[Event], customer_message_times: Iterable[datetime] = ()
) -> ConversationState:
    """Fold a conversation's events into its state; order and duplicates do not matter.

    Assignee, status and snooze are each won by their latest event; each tag is won by
    its latest tag/untag event. A customer message later than the winning status event
    reopens a pending or closed conversation, and one later than the winning snooze
    event wakes it. Spam stays spam. Unknown kinds and invalid data are ignored.
    """
    assignment: tuple[Event, str | None] | None = None
    status: tuple[Event, Status] | None = None
    snooze: tuple[Event, datetime | None] | None = None
    tags: dict[str, tuple[Event, bool]] = {}
    for event in events:
        value = _payload(event)
        match event.kind:
            case EventKind.ASSIGN if isinstance(value, str) and _later(event, assignment):
                assignment = (event, value)
            case EventKind.UNASSIGN if _later(event, assignment):
                assignment = (event, None)
            case EventKind.STATUS if isinstance(value, Status) and _later(event, status):
                status = (event, value)
            case EventKind.SNOOZE if isinstance(value, datetime) and _later(event, snooze):
                snooze = (event, value)
            case EventKind.UNSNOOZE if _later(event, snooze):
                snooze = (event, None)
            case EventKind.TAG | EventKind.UNTAG if isinstance(value, str) and _later(event, tags.get(value)):
                tags[value] = (event, event.kind == EventKind.TAG)
    last_customer = max(customer_message_times, default=None)
    state = ConversationState()
    if assignment is not None:
        state.assignee = assignment[1]
    if status is not None:
        event, value = status
        reopened = value in _REOPENABLE and last_customer is not None and last_customer > event.at
        state.status = Status.ACTIVE if reopened else value
    if snooze is not None and snooze[1] is not None:
        woken = last_customer is not None and last_customer > snooze[0].at
        state.snoozed_until = None if woken else snooze[1]
    state.tags = frozenset(tag for tag, (_, present) in tags.items() if present)
    return state


def status_history(events: Iterable[Event]) -> list[tuple[datetime, Status]]:
    """The status changes that still stand, as (time, status), oldest first.

    A status event that ``undoes`` the status change just before it takes that change
    back as if neither had happened, so clocks counted from the history (SLA targets,
    a close keeping a promise) read the same as before the change. An undo that no
    longer follows the change it names (someone changed the status in between) is an
    ordinary status change. Unreadable events are skipped.
    """
    return [(event.at, Status(str(event.data["status"]))) for event in standing_status_events(events)]


def standing_status_events(events: Iterable[Event]) -> list[Event]:
    """The status events behind :func:`status_history`, oldest first (for who made each change)."""
    changes = sorted(
        (event for event in events if event.kind is EventKind.STATUS and _payload(event) is not None),
        key=lambda event: (event.at, event.clock, event.id),
    )
    standing: list[Event] = []
    for event in changes:
        undone = event.data.get("undoes")
        if isinstance(undone, str) and standing and standing[-1].id == undone:
            standing.pop()
            continue
        standing.append(event)
    return standing
