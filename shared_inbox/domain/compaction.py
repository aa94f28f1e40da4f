"""Compaction: the few events of a log that can still decide the team's state.

State is a set of last-writer-wins registers (see :mod:`events` and
:mod:`promise_events`), so an event that lost its register to a later one can
never win again, whatever else arrives: dropping it changes nothing. What is
kept, per anchor (a conversation may span several anchors; keeping per anchor
is exact because the overall winner is a winner of its own anchor):

- assignment, status and snooze: the winning event of each register;
- each tag: the winning tag/untag event;
- each promise: its earliest and latest ``promise_set`` (creation time and
  author come from the first, text and due time from the last) and the winning
  settlement;
- events of kinds this version does not know: all of them.

Ties on (clock, id) keep every tied event, so forged twins resolve the same way
before and after compaction. Events are assumed valid (read through
``event_from_json``); the union of two compactions of overlapping logs reduces
to the same state as the whole log, which is what lets two teammates compact at
once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event, EventKind
from shared_inbox.domain.promise_events import PROMISE_DONE, PROMISE_DROPPED, PROMISE_SET

__all__ = ["compact", "register_of"]

_Order = tuple[Hlc, str]
_Register = tuple[str, ...]


def register_of(event: Event) -> tuple[_Register, bool] | None:
    """(register key, keeps its earliest event too), or ``None`` for kinds whose every event is kept."""
    kind, anchor, data = str(event.kind), event.anchor, event.data
    match kind:
        case EventKind.ASSIGN | EventKind.UNASSIGN:
            return (anchor, "assignee"), False
        case EventKind.STATUS:
            return (anchor, "status"), False
        case EventKind.SNOOZE | EventKind.UNSNOOZE:
            return (anchor, "snooze"), False
        case EventKind.TAG | EventKind.UNTAG if isinstance(data.get("tag"), str):
            return (anchor, "tag", str(data["tag"])), False
        case _ if kind == PROMISE_SET and isinstance(data.get("promise"), str):
            return (anchor, "promise", str(data["promise"])), True
        case _ if kind in (PROMISE_DONE, PROMISE_DROPPED) and isinstance(data.get("promise"), str):
            return (anchor, "settled", str(data["promise"])), False
    return None


def compact(events: Iterable[Event]) -> list[Event]:
    """The events that can still win, without repeats, in a stable order (clock, id)."""
    latest: dict[_Register, list[Event]] = {}
    earliest: dict[_Register, list[Event]] = {}
    kept: dict[tuple[str, str], Event] = {}
    for event in events:
        register = register_of(event)
        if register is None:
            kept.setdefault(_identity(event), event)
            continue
        key, with_first = register
        _keep_extreme(latest, key, event, later=True)
        if with_first:
            _keep_extreme(earliest, key, event, later=False)
    for table in (latest, earliest):
        for winners in table.values():
            for event in winners:
                kept.setdefault(_identity(event), event)
    return sorted(kept.values(), key=lambda event: (_order(event), _identity(event)[1]))


def _identity(event: Event) -> tuple[str, str]:
    """An event's id with its content: replays collapse, forged twins (same id, other data) do not."""
    content = json.dumps([str(event.kind), dict(event.data)], sort_keys=True, default=str)
    return (event.id, content)


def _order(event: Event) -> _Order:
    return (event.clock, event.id)


def _keep_extreme(table: dict[_Register, list[Event]], key: _Register, event: Event, *, later: bool) -> None:
    """Keep the events with the greatest (or least) order; ties are all kept."""
    current = table.get(key)
    if current is None:
        table[key] = [event]
        return
    mine, theirs = _order(event), _order(current[0])
    if mine == theirs:
        current.append(event)
    elif (mine > theirs) == later:
        table[key] = [event]
