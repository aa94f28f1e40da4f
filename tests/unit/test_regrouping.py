"""Merge and split events folded over threading: ids, aliases, later mail, undo, convergence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.conversations import assemble, group_events
from shared_inbox.domain.events import Event, EventError, EventKind, event_from_json, event_to_json
from shared_inbox.domain.merged_index import MergedIndex
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.domain.regrouping import (
    MERGE,
    SPLIT,
    UNMERGE,
    UNSPLIT,
    merge_data,
    split_data,
    split_id,
    undo_data,
)
from shared_inbox.domain.threading import ThreadIndex, conversation_id_for

T0 = datetime(2024, 4, 2, 8, 0, tzinfo=UTC)
OURS = frozenset({"support@acme.example"})
ANN = Address("Ann", "ann@home.example")
ANN_WORK = Address("Ann", "ann@work.example")


def msg(mid: str, hour: float, *, refs: Sequence[str] = (), sender: Address = ANN) -> MessageMeta:
    return MessageMeta(
        message_id=mid,
        subject="Order problem",
        sender=sender,
        to=(Address("", "support@acme.example"),),
        cc=(),
        date=T0 + timedelta(hours=hour),
        references=tuple(refs),
    )


def ev(event_id: str, kind: str, data: dict[str, object], minute: int, anchor: str = "a1") -> Event:
    at = T0 + timedelta(minutes=minute)
    return Event(
        id=event_id,
        kind=kind,
        anchor=anchor,
        author="cy@acme.example",
        at=at,
        clock=Hlc(int(at.timestamp() * 1000), 0, "cy@acme.example"),
        data=data,
    )


def two_threads() -> dict[str, MessageMeta]:
    """Ann writes twice; her second mail lost its headers, so threading sees two conversations."""
    metas = [
        msg("a1", 0),
        msg("a2", 1, refs=["a1"]),
        msg("b1", 2, sender=ANN_WORK),
        msg("b2", 3, refs=["b1"], sender=ANN_WORK),
    ]
    return {m.message_id: m for m in metas}


def index_of(messages: dict[str, MessageMeta], events: Sequence[Event] = ()) -> MergedIndex:
    index = MergedIndex(ThreadIndex(), messages)
    index.add_many(messages.values())
    index.take_events(events)
    return index


A, B = conversation_id_for("a1"), conversation_id_for("b1")
MERGE_AB = ev("m1", MERGE, merge_data(["b1", "a1"]), 10, anchor="b1")


def test_merge_joins_everything_under_the_oldest_id() -> None:
    messages = two_threads()
    index = index_of(messages, [MERGE_AB])
    assert index.conversations() == {A: ["a1", "a2", "b1", "b2"]}
    assert index.conversation_of("b2") == A
    assert index.resolve(B) == A
    assert index.members(B) == ["a1", "a2", "b1", "b2"]
    assert index.aliases == {B: A}
    assert len(index) == 1


def test_merged_conversation_carries_tags_and_state_of_both() -> None:
    messages = two_threads()
    events = [
        ev("t1", EventKind.TAG, {"tag": "billing"}, 1, anchor="a1"),
        ev("t2", EventKind.TAG, {"tag": "vip"}, 2, anchor="b1"),
        ev("s1", EventKind.STATUS, {"status": "pending"}, 300, anchor="b1"),
        MERGE_AB,
    ]
    index = index_of(messages, events)
    [conv] = assemble(index, messages, group_events(index, events), OURS)
    assert conv.id == A
    assert conv.state.tags == {"billing", "vip"}
    assert conv.state.status.value == "pending"


def test_a_later_message_of_the_merged_away_conversation_joins_the_merge() -> None:
    messages = two_threads()
    index = index_of(messages, [MERGE_AB])
    later = msg("b3", 5, refs=["b1", "b2"], sender=ANN_WORK)
    messages["b3"] = later
    index.add(later)
    assert index.conversation_of("b3") == A
    assert index.members(A)[-1] == "b3"


def test_unmerge_gives_both_conversations_back() -> None:
    messages = two_threads()
    undo = ev("u1", UNMERGE, undo_data("m1"), 11)
    index = index_of(messages, [MERGE_AB, undo])
    assert index.conversations() == {A: ["a1", "a2"], B: ["b1", "b2"]}
    assert index.aliases == {}


def test_take_events_names_the_conversations_that_changed_hands() -> None:
    messages = two_threads()
    index = index_of(messages)
    assert index.take_events([MERGE_AB]) == {A, B}
    assert index.take_events([MERGE_AB]) == frozenset()  # a duplicate changes nothing
    assert index.take_events([ev("t", EventKind.TAG, {"tag": "x"}, 12)]) == frozenset()


def reply_chain() -> dict[str, MessageMeta]:
    """a1 <- a2 <- a3, and a4 replying to a2: a new question asked inside an old thread."""
    metas = [
        msg("a1", 0),
        msg("a2", 1, refs=["a1"]),
        msg("a3", 2, refs=["a1", "a2"]),
        msg("n1", 3, refs=["a1"]),
        msg("n2", 4, refs=["a1", "n1"]),
    ]
    return {m.message_id: m for m in metas}


def test_split_moves_the_message_and_its_replies_out() -> None:
    messages = reply_chain()
    index = index_of(messages, [ev("s1", SPLIT, split_data("n1"), 10)])
    new = split_id("n1")
    assert index.conversations() == {A: ["a1", "a2", "a3"], new: ["n1", "n2"]}
    assert index.conversation_of("n2") == new
    later = msg("n3", 6, refs=["a1", "n1", "n2"])
    messages["n3"] = later
    index.add(later)
    assert index.members(new) == ["n1", "n2", "n3"]


def test_unsplit_puts_the_messages_back() -> None:
    messages = reply_chain()
    events = [ev("s1", SPLIT, split_data("n1"), 10), ev("u1", UNSPLIT, undo_data("s1"), 11)]
    index = index_of(messages, events)
    assert index.conversations() == {A: ["a1", "a2", "a3", "n1", "n2"]}


def test_splitting_a_whole_conversation_changes_nothing() -> None:
    messages = reply_chain()
    index = index_of(messages, [ev("s1", SPLIT, split_data("a1"), 10)])
    assert list(index.conversations()) == [A]


def test_split_after_merge_and_merge_after_split() -> None:
    messages = two_threads()
    split_b = ev("s1", SPLIT, split_data("b2"), 20)
    index = index_of(messages, [MERGE_AB, split_b])
    assert index.conversations() == {A: ["a1", "a2", "b1"], split_id("b2"): ["b2"]}
    remerge = ev("m2", MERGE, merge_data([split_id("b2") and "b2", "a1"]), 30)
    index.take_events([remerge])
    assert index.conversations() == {A: ["a1", "a2", "b1", "b2"]}
    assert index.resolve(split_id("b2")) == A


def test_events_round_trip_and_bad_data_is_refused() -> None:
    assert event_from_json(event_to_json(MERGE_AB)) == MERGE_AB
    with pytest.raises(EventError):
        merge_data(["a1"])
    with pytest.raises(EventError):
        split_data("has space")
    with pytest.raises(EventError):
        undo_data("")


def test_forged_and_unknown_events_are_ignored() -> None:
    messages = two_threads()
    bad = ev("x1", MERGE, {"messages": "a1 b1"}, 10)
    unknown = ev("x2", MERGE, merge_data(["a1", "zz"]), 11)
    index = index_of(messages, [bad, unknown])
    assert index.conversations() == {A: ["a1", "a2"], B: ["b1", "b2"]}


# -- convergence -----------------------------------------------------------------

THREADS = {
    "a1": msg("a1", 0),
    "a2": msg("a2", 1, refs=["a1"]),
    "a3": msg("a3", 2, refs=["a1", "a2"]),
    "b1": msg("b1", 0.5, sender=ANN_WORK),
    "b2": msg("b2", 1.5, refs=["b1"], sender=ANN_WORK),
    "c1": msg("c1", 3),
    "c2": msg("c2", 4, refs=["c1"]),
    "c3": msg("c3", 5, refs=["c1", "c2"]),
}
MIDS = sorted(THREADS)

_acts = st.one_of(
    st.tuples(st.just(MERGE), st.lists(st.sampled_from(MIDS), min_size=2, max_size=3, unique=True)),
    st.tuples(st.just(SPLIT), st.sampled_from(MIDS)),
    st.tuples(st.just("undo"), st.integers(0, 20)),
    st.tuples(st.just("tag"), st.sampled_from(MIDS)),
    st.tuples(st.just("status"), st.sampled_from(MIDS)),
)


def _events(acts: list[tuple[str, object]], minutes: list[int], authors: list[int]) -> list[Event]:
    """Two agents acting concurrently: clocks may tie in time and differ only by node."""
    made: list[Event] = []
    for n, ((what, arg), minute, author) in enumerate(zip(acts, minutes, authors, strict=False)):
        at = T0 + timedelta(minutes=minute)
        node = f"agent{author}@acme.example"
        clock = Hlc(int(at.timestamp() * 1000), 0, node)
        if what == MERGE:
            kind, data, anchor = MERGE, merge_data([str(m) for m in arg]), str(arg[0])  # type: ignore[attr-defined]
        elif what == SPLIT:
            kind, data, anchor = SPLIT, split_data(str(arg)), str(arg)
        elif what == "undo":
            earlier = [e for e in made if e.kind in (MERGE, SPLIT)]
            if not earlier:
                continue
            target = earlier[int(str(arg)) % len(earlier)]
            kind = UNMERGE if target.kind == MERGE else UNSPLIT
            data, anchor = undo_data(target.id), target.anchor
        elif what == "tag":
            kind, data, anchor = EventKind.TAG, {"tag": f"t{n % 3}"}, str(arg)
        else:
            kind, data, anchor = EventKind.STATUS, {"status": ("closed", "active")[n % 2]}, str(arg)
        made.append(Event(f"e{n:02d}", kind, anchor, node, at, clock, data))
    return made


def _outcome(message_order: list[str], event_order: list[Event], cut: int) -> object:
    """Conversations after taking messages and events in the given order, interleaved at ``cut``."""
    messages = {mid: THREADS[mid] for mid in message_order}
    index = MergedIndex(ThreadIndex(), messages)
    index.add_many(THREADS[mid] for mid in message_order[:cut])
    index.take_events(event_order[:cut])
    index.add_many(THREADS[mid] for mid in message_order[cut:])
    index.take_events(event_order[cut:])
    grouped = group_events(index, event_order)
    convs = assemble(index, messages, grouped, OURS)
    aliases = dict(index.aliases)
    return sorted((c.id, c.message_ids, c.state.status, sorted(c.state.tags)) for c in convs), aliases


@settings(max_examples=150, deadline=None)
@given(
    acts=st.lists(_acts, min_size=1, max_size=10),
    minutes=st.lists(st.integers(0, 5), min_size=10, max_size=10),
    authors=st.lists(st.integers(0, 1), min_size=10, max_size=10),
    data=st.data(),
)
def test_any_order_of_the_same_events_gives_the_same_conversations(
    acts: list[tuple[str, object]], minutes: list[int], authors: list[int], data: st.DataObject
) -> None:
    events = _events(acts, minutes, authors)
    expected = _outcome(MIDS, events, len(MIDS))
    shuffled_events = data.draw(st.permutations(events))
    duplicated = shuffled_events + data.draw(st.lists(st.sampled_from(events), max_size=3)) if events else []
    shuffled_messages = data.draw(st.permutations(MIDS))
    cut = data.draw(st.integers(0, len(MIDS)))
    assert _outcome(list(shuffled_messages), duplicated, cut) == expected
