"""Merge and split: the team correcting how messages were grouped into conversations.

Threading (:mod:`.threading`) groups messages by their headers; these events regroup
on top of it, and travel between teammates like every other event:

- ``merge``: ``{"messages": [Message-ID, ...]}``, one message of each conversation to
  join. The conversation whose earliest message is oldest keeps its id; the others'
  ids become aliases of it.
- ``split``: ``{"message": Message-ID}``: that message and its replies move out into a
  new conversation, whose id comes from the message (:func:`split_id`).
- ``unmerge`` / ``unsplit``: ``{"undoes": event id}``: the named merge or split is
  taken back, as if it had never been made.

:func:`regroup` folds the standing merges and splits, ordered by hybrid clock then
event id, over the groups threading made. The result depends only on the set of
events and messages, never on the order they arrived in, so teammates converge.
Because the events name messages, not groups, and the fold reruns on today's
threads, a later reply to a merged conversation joins it, and a later reply to a
split-out message follows it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared_inbox.domain.events import MAX_ANCHOR_CHARS, Event, EventError
from shared_inbox.domain.model import MessageMeta
from shared_inbox.domain.thread_tree import build_tree, walk

__all__ = [
    "MERGE",
    "REGROUP_KINDS",
    "SPLIT",
    "UNMERGE",
    "UNSPLIT",
    "Regrouping",
    "check_regroup_event",
    "merge_data",
    "regroup",
    "split_data",
    "split_id",
    "undo_data",
]

MERGE = "merge"
SPLIT = "split"
UNMERGE = "unmerge"
UNSPLIT = "unsplit"
REGROUP_KINDS = frozenset({MERGE, SPLIT, UNMERGE, UNSPLIT})
_UNDOES = {UNMERGE: MERGE, UNSPLIT: SPLIT}
MAX_MERGED = 20  # conversations in one merge; the event must stay small enough to share

_EARLIEST = datetime.min.replace(tzinfo=UTC)


def merge_data(message_ids: Sequence[str]) -> dict[str, object]:
    """The data of a merge event; raises :class:`EventError` when it would be refused."""
    data: dict[str, object] = {"messages": list(dict.fromkeys(message_ids))}
    _check(MERGE, data)
    return data


def split_data(message_id: str) -> dict[str, object]:
    data: dict[str, object] = {"message": message_id}
    _check(SPLIT, data)
    return data


def undo_data(event_id: str) -> dict[str, object]:
    data: dict[str, object] = {"undoes": event_id}
    _check(UNMERGE, data)
    return data


def check_regroup_event(event: Event) -> None:
    """Raise :class:`EventError` naming the problem when a merge, split or undo is not valid."""
    kind = str(event.kind)
    if kind not in REGROUP_KINDS:
        raise EventError(f"{kind[:32]!r} is not a merge or split event")
    _check(kind, event.data)


def _check(kind: str, data: Mapping[str, object]) -> None:
    if kind == MERGE:
        ids = data.get("messages")
        if not isinstance(ids, list) or not 2 <= len(ids) <= MAX_MERGED:
            raise EventError(f"a merge names 2 to {MAX_MERGED} conversations by one Message-ID each")
        for mid in ids:
            _message_id(mid)
        if len(set(ids)) != len(ids):
            raise EventError("a merge names each conversation once")
    elif kind == SPLIT:
        _message_id(data.get("message"))
    else:
        undone = data.get("undoes")
        if not isinstance(undone, str) or not undone or len(undone) > 64:
            raise EventError(f"an {kind} event names the event it takes back in 'undoes'")


def _message_id(value: object) -> str:
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_ANCHOR_CHARS
        or any(c.isspace() or not c.isprintable() or c in "<>" for c in value)
    ):
        raise EventError("a merge or split names messages by their Message-ID")
    return value


def split_id(message_id: str, salt: str = "") -> str:
    """The id of the conversation a split starts: from the message, so splitting again gives it back."""
    text = f"split\n{message_id}\n{salt}".encode("utf-8", "surrogatepass")
    digest = hashlib.sha1(text, usedforsecurity=False)
    return "c" + digest.hexdigest()[: 16 if salt else 10]


# -- the fold ------------------------------------------------------------------------


@dataclass(slots=True)
class Regrouping:
    """What the standing merges and splits change about threading's conversations.

    Only conversations the events touch appear here: ``groups`` holds each of them as it
    now stands (id -> message ids, oldest first), ``replaced`` the ids threading gave
    that no longer stand for a group of their own (``threaded``: every id of threading's
    the events touched), ``aliases`` each id retired by a merge
    -> the id it merged into, and ``owner`` the conversation of every message in ``groups``.
    """

    groups: dict[str, list[str]] = field(default_factory=dict)
    replaced: set[str] = field(default_factory=set)
    threaded: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)

    def touched(self) -> frozenset[str]:
        """Every conversation id whose messages the regrouping changes."""
        return frozenset(self.groups) | frozenset(self.replaced)


def standing(events: Iterable[Event]) -> list[Event]:
    """The valid merges and splits no undo took back, in the order they apply (clock, then id)."""
    acts: dict[str, Event] = {}
    undone: set[tuple[str, str]] = set()
    for event in events:
        kind = str(event.kind)
        if kind not in REGROUP_KINDS:
            continue
        try:
            check_regroup_event(event)
        except EventError:
            continue
        if kind in _UNDOES:
            undone.add((_UNDOES[kind], str(event.data["undoes"])))
        else:
            known = acts.get(event.id)
            if known is None or _content(event) > _content(known):  # forged twins: one wins everywhere
                acts[event.id] = event
    kept = [event for event in acts.values() if (str(event.kind), event.id) not in undone]
    return sorted(kept, key=lambda event: (event.clock, event.id))


def _content(event: Event) -> str:
    return repr((str(event.kind), sorted(event.data.items(), key=lambda item: item[0]), event.clock))


def regroup(
    events: Iterable[Event],
    conversation_of: Callable[[str], str | None],
    members: Callable[[str], list[str]],
    messages: Mapping[str, MessageMeta],
    is_taken: Callable[[str], bool] = lambda conv_id: False,
) -> Regrouping:
    """Apply the standing merges and splits to threading's groups (see the module docstring).

    ``conversation_of`` and ``members`` are threading's answers; ``messages`` gives dates
    and reply headers; ``is_taken`` says whether threading already uses an id.
    """
    result = Regrouping()
    groups, owner = result.groups, result.owner

    def group_of(mid: str) -> str | None:
        found = owner.get(mid)
        if found is not None:
            return found
        conv_id = conversation_of(mid)
        if conv_id is None:
            return None
        if conv_id in result.threaded:
            return None  # its messages were moved before this one arrived in threading's group
        result.threaded.add(conv_id)
        groups[conv_id] = list(members(conv_id))
        for member in groups[conv_id]:
            owner[member] = conv_id
        return conv_id

    def oldest(conv_id: str) -> tuple[datetime, str]:
        return min((_date(messages, mid), mid) for mid in groups[conv_id])

    for event in standing(events):
        if event.kind == MERGE:
            found = [group_of(str(mid)) for mid in _as_list(event.data["messages"])]
            joined = sorted({conv_id for conv_id in found if conv_id is not None}, key=oldest)
            if len(joined) < 2:
                continue
            survivor = joined[0]
            for other in joined[1:]:
                for mid in groups.pop(other):
                    owner[mid] = survivor
                    groups[survivor].append(mid)
                result.aliases[other] = survivor
            groups[survivor].sort(key=lambda mid: (_date(messages, mid), mid))
        else:
            _split(result, group_of, str(event.data["message"]), event.id, messages, is_taken)
    result.replaced = result.threaded - set(groups)
    return result


def _split(
    result: Regrouping,
    group_of: Callable[[str], str | None],
    mid: str,
    event_id: str,
    messages: Mapping[str, MessageMeta],
    is_taken: Callable[[str], bool],
) -> None:
    conv_id = group_of(mid)
    if conv_id is None:
        return
    group = result.groups[conv_id]
    moving = replies_of(mid, [messages[m] for m in group if m in messages])
    if not moving or len(moving) >= len(group):
        return  # the message and its replies are the whole conversation already
    new_id = split_id(mid)
    if new_id in result.groups or is_taken(new_id):
        new_id = split_id(mid, event_id)
    result.groups[conv_id] = [m for m in group if m not in moving]
    result.groups[new_id] = [m for m in group if m in moving]
    for moved in moving:
        result.owner[moved] = new_id
    result.aliases.pop(new_id, None)


def replies_of(message_id: str, metas: Sequence[MessageMeta]) -> set[str]:
    """The message and every message below it in the conversation's reply tree."""
    for node in walk(build_tree(metas)):
        if node.message_id == message_id:
            return {below.message_id for below in walk([node]) if below.meta is not None}
    return set()


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _date(messages: Mapping[str, MessageMeta], mid: str) -> datetime:
    meta = messages.get(mid)
    return meta.date if meta is not None else _EARLIEST
