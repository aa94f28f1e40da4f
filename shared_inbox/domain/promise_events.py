"""Promises as team events: setting one, marking it done, dropping it.

Promises travel between teammates in the same event log as assignments and tags, so
their payloads are checked as strictly as the others (they arrive through the mailbox
and may be forged). The event kinds are:

- ``promise_set``: ``{"promise": id, "text": what was promised, "due": ISO 8601 time with offset}``;
  a later ``promise_set`` for the same id edits the text or due time, and reopens it. A
  follow-up the team sets itself adds ``"follow_up": "at"`` or ``"follow_up": "after_close"``
  with ``"after": "in 1 week"`` (counted from the close); events without it are promises.
  ``"made_in"`` names the reply that made the promise (its Message-ID): that reply does not keep it;
- ``promise_done``: ``{"promise": id}``, the agent says it was kept;
- ``promise_dropped``: ``{"promise": id}``, no longer owed (the customer withdrew, say).

:func:`reduce_promises` folds them like :func:`reduce_state`: each promise's definition and
its settlement are last-writer-wins registers ordered by clock and event id, so the order
events arrive in and duplicates do not matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from shared_inbox.domain.events import Event, EventError
from shared_inbox.domain.sla import FollowUp, Promise, PromiseState

__all__ = [
    "MAX_PROMISE_TEXT_CHARS",
    "PROMISE_DONE",
    "PROMISE_DROPPED",
    "PROMISE_KINDS",
    "PROMISE_SET",
    "check_promise_event",
    "promise_data",
    "reduce_promises",
]

PROMISE_SET = "promise_set"
PROMISE_DONE = "promise_done"
PROMISE_DROPPED = "promise_dropped"
PROMISE_KINDS = frozenset({PROMISE_SET, PROMISE_DONE, PROMISE_DROPPED})
MAX_PROMISE_TEXT_CHARS = 500
MAX_AFTER_CHARS = 100
MAX_MESSAGE_ID_CHARS = 998  # a header line's limit

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def promise_data(
    promise_id: str,
    text: str | None = None,
    due: datetime | None = None,
    *,
    follow_up: FollowUp | None = None,
    after: str | None = None,
    made_in: str | None = None,
) -> dict[str, object]:
    """The data of a promise event: with ``text`` and ``due`` for ``promise_set``, without for the others."""
    data: dict[str, object] = {"promise": promise_id}
    if follow_up is not None:
        data["follow_up"] = follow_up.value
    if after is not None:
        data["after"] = after
    if made_in is not None:
        data["made_in"] = made_in
    if text is not None:
        data["text"] = text
    if due is not None:
        if due.tzinfo is None or due.utcoffset() is None:
            raise EventError("a promise's due time must be timezone-aware")
        data["due"] = due.astimezone(UTC).isoformat()
    return data


def check_promise_event(event: Event) -> None:
    """Raise :class:`EventError` naming the problem when a promise event's data is not valid."""
    if str(event.kind) not in PROMISE_KINDS:
        raise EventError(f"{str(event.kind)[:32]!r} is not a promise event")
    _promise_id(event.data)
    if event.kind == PROMISE_SET:
        _text(event.data)
        _due(event.data)
        _follow_up(event.data)
        _made_in(event.data)


def reduce_promises(events: Iterable[Event]) -> list[Promise]:
    """The promises of a conversation, by creation time; invalid and foreign events are ignored."""
    definitions: dict[str, list[Event]] = {}
    settlements: dict[str, Event] = {}
    for event in events:
        try:
            check_promise_event(event)
        except EventError:
            continue
        promise_id = str(event.data["promise"])
        if event.kind == PROMISE_SET:
            definitions.setdefault(promise_id, []).append(event)
        elif promise_id not in settlements or _order(event) > _order(settlements[promise_id]):
            settlements[promise_id] = event
    promises = [
        _promise(promise_id, sets, settlements.get(promise_id)) for promise_id, sets in definitions.items()
    ]
    return sorted(promises, key=lambda promise: (promise.created_at, promise.id))


def _promise(promise_id: str, sets: list[Event], settlement: Event | None) -> Promise:
    first = min(sets, key=_order)
    latest = max(sets, key=_order)
    follow_up, after = _follow_up(latest.data)
    state, settled_at = PromiseState.OPEN, None
    if settlement is not None and _order(settlement) > _order(latest):
        state = PromiseState.KEPT if settlement.kind == PROMISE_DONE else PromiseState.DROPPED
        settled_at = settlement.at
    return Promise(
        id=promise_id,
        anchor=first.anchor,
        text=_text(latest.data),
        due=_due(latest.data),
        created_at=first.at,
        author=first.author,
        state=state,
        settled_at=settled_at,
        follow_up=follow_up,
        after=after,
        made_in=_made_in(first.data),
    )


def _order(event: Event) -> tuple[object, ...]:
    """Last-writer-wins order: clock, event id, then content (for forged twins)."""
    return (event.clock, event.id, str(event.kind), sorted((k, str(v)) for k, v in event.data.items()))


def _promise_id(data: Mapping[str, object]) -> str:
    value = data.get("promise")
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise EventError("a promise event needs a 'promise' id of 1 to 64 letters, digits, '-' or '_'")
    return value


def _text(data: Mapping[str, object]) -> str:
    value = data.get("text")
    if not isinstance(value, str) or not value.strip():
        raise EventError("promise_set needs a non-empty 'text'")
    if len(value) > MAX_PROMISE_TEXT_CHARS:
        raise EventError(f"a promise's text has at most {MAX_PROMISE_TEXT_CHARS} characters")
    if any(not char.isprintable() for char in value):
        raise EventError("a promise's text holds control characters")
    return value


def _due(data: Mapping[str, object]) -> datetime:
    value = data.get("due")
    if not isinstance(value, str) or len(value) > 40:
        raise EventError("promise_set needs a 'due' time in ISO 8601 with a time zone")
    try:
        due = datetime.fromisoformat(value)
    except ValueError:
        raise EventError(f"promise due time {value!r} is not an ISO 8601 time") from None
    if due.tzinfo is None or due.utcoffset() is None:
        raise EventError(f"promise due time {value!r} has no time zone")
    return due.astimezone(UTC)


def _follow_up(data: Mapping[str, object]) -> tuple[FollowUp | None, str | None]:
    """The follow-up kind and, for one counted from the close, how long after it."""
    value = data.get("follow_up")
    if value is None:
        return None, None
    try:
        kind = FollowUp(value) if isinstance(value, str) else None
    except ValueError:
        kind = None
    if kind is None:
        raise EventError("'follow_up' must be 'at' or 'after_close'")
    if kind is FollowUp.AT:
        return kind, None
    after = data.get("after")
    if not isinstance(after, str) or not after.strip() or len(after) > MAX_AFTER_CHARS:
        raise EventError(f"an after-close follow-up needs 'after', 1 to {MAX_AFTER_CHARS} characters")
    if any(not char.isprintable() for char in after):
        raise EventError("a follow-up's 'after' holds control characters")
    return kind, after


def _made_in(data: Mapping[str, object]) -> str | None:
    """The Message-ID of the reply that made the promise, if the event names one."""
    value = data.get("made_in")
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_MESSAGE_ID_CHARS or not value.isprintable():
        raise EventError(
            f"'made_in' must be a Message-ID of 1 to {MAX_MESSAGE_ID_CHARS} printable characters"
        )
    return value
