"""Grouping messages into conversations, conversation ids, and reply trees."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.domain.subjects import base_subject
from shared_inbox.domain.thread_tree import ThreadNode, walk
from shared_inbox.domain.threading import (
    ThreadIndex,
    build_tree,
    conversation_id_for,
    token_from_message_id,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def msg(
    mid: str,
    hour: float = 0,
    *,
    refs: Sequence[str] = (),
    irt: Sequence[str] = (),
    token: str | None = None,
    sender: str = "ann@customer.example",
    to: str = "support@acme.example",
    subject: str = "Order problem",
    outgoing: bool = False,
    synthetic: bool = False,
) -> MessageMeta:
    return MessageMeta(
        message_id=mid,
        subject=subject,
        sender=Address("", sender),
        to=(Address("", to),),
        cc=(),
        date=T0 + timedelta(hours=hour),
        references=tuple(refs),
        in_reply_to=tuple(irt),
        token=token,
        outgoing=outgoing,
        synthetic_id=synthetic,
    )


def groups(index: ThreadIndex) -> set[frozenset[str]]:
    return {frozenset(ids) for ids in index.conversations().values()}


def indexed(metas: Iterable[MessageMeta], **options: object) -> ThreadIndex:
    index = ThreadIndex(**options)  # type: ignore[arg-type]
    index.add_many(metas)
    return index


# -- grouping table -------------------------------------------------------------

OUR_ID = "si.c0123456789.Xy7@acme.example"

GROUPING_CASES = [
    pytest.param(
        [msg("c", 2, refs=["a", "b"]), msg("b", 1, refs=["a"]), msg("a", 0)],
        [{"a", "b", "c"}],
        id="replies-before-parent",
    ),
    pytest.param(
        [msg("a", 0), msg("c", 2, refs=["b", "a"]), msg("b", 1, refs=["a"]), msg("z", 3)],
        [{"a", "b", "c"}, {"z"}],
        id="references-out-of-order",
    ),
    pytest.param(
        [msg("b", 1, refs=["lost"]), msg("c", 2, refs=["lost"]), msg("d", 3, refs=["lost", "c"])],
        [{"b", "c", "d"}],
        id="missing-parent-keeps-siblings-together",
    ),
    pytest.param(
        [msg("a", 0), msg("b", 1, irt=["a"]), msg("c", 2, irt=["b", "other"]), msg("other", 0)],
        [{"a", "b", "c"}, {"other"}],
        id="in-reply-to-only-uses-first-id",
    ),
    pytest.param(
        [msg("a", 0), msg("b", 1, refs=["a"], irt=["other"]), msg("other", 0)],
        [{"a", "b"}, {"other"}],
        id="references-win-over-in-reply-to",
    ),
    pytest.param(
        [msg("a", 0, token="t1"), msg("b", 5, token="t1"), msg("c", 6)],
        [{"a", "b"}, {"c"}],
        id="shared-token-without-references",
    ),
    pytest.param(
        [msg(OUR_ID, 1, refs=["a"], outgoing=True), msg("a", 0), msg("b", 9, irt=["si.c0123456789.other@x"])],
        [{"a", OUR_ID, "b"}],
        id="token-inside-our-message-id",
    ),
    pytest.param(
        [msg("a", 0), msg("b", 3, token=conversation_id_for("a"))],
        [{"a", "b"}],
        id="token-naming-a-conversation-id",
    ),
    pytest.param(
        [msg("a", 0), msg("a", 0), msg("b", 1, refs=["a"]), msg("b", 1, refs=["a"])],
        [{"a", "b"}],
        id="duplicate-message-ids",
    ),
    pytest.param(
        [msg("synthetic.1f2e@shared-inbox.invalid", 0, synthetic=True), msg("a", 1)],
        [{"synthetic.1f2e@shared-inbox.invalid"}, {"a"}],
        id="synthetic-id-stands-alone",
    ),
    pytest.param(
        [msg("a", 0, refs=["b"]), msg("b", 1, refs=["a"]), msg("c", 2, refs=["c"])],
        [{"a", "b"}, {"c"}],
        id="cycle-and-self-reference",
    ),
    pytest.param(
        [msg("a", 0, refs=["a"], irt=["p"]), msg("b", 1, irt=["p"])],
        [{"a", "b"}],
        id="self-reference-falls-back-to-in-reply-to",
    ),
    pytest.param(
        [msg("a", 0, sender="ann@x.example"), msg("b", 1, sender="bob@y.example")],
        [{"a"}, {"b"}],
        id="generic-subject-two-customers",
    ),
    pytest.param(
        [msg("a", 0), msg("b", 24, subject="Order problem")],
        [{"a"}, {"b"}],
        id="subject-merge-off-by-default",
    ),
]


@pytest.mark.parametrize(("metas", "expected"), GROUPING_CASES)
def test_grouping(metas: list[MessageMeta], expected: list[set[str]]) -> None:
    index = indexed(metas)
    assert groups(index) == {frozenset(group) for group in expected}
    assert len(index) == len(expected)


SUBJECT_CASES = [
    pytest.param(
        [msg("a", 0), msg("b", 24, subject="RE: [Acme]  order PROBLEM")], [{"a", "b"}], id="same-customer"
    ),
    pytest.param(
        [msg("a", 0), msg("b", 24 * 8, subject="Re: Order problem")], [{"a"}, {"b"}], id="outside-window"
    ),
    pytest.param(
        [msg("a", 0), msg("c", 24 * 12), msg("b", 24 * 6)], [{"a", "b", "c"}], id="chain-closed-later"
    ),
    pytest.param([msg("a", 0), msg("b", 1, sender="bob@other.example")], [{"a"}, {"b"}], id="two-customers"),
    pytest.param(
        [msg("a", 0, subject="Re:"), msg("b", 1, subject="")], [{"a"}, {"b"}], id="empty-base-subject"
    ),
    pytest.param(
        [msg("a", 0), msg("b", 2, sender="support@acme.example", to="ann@customer.example", outgoing=True)],
        [{"a", "b"}],
        id="our-mail-to-that-customer",
    ),
]


@pytest.mark.parametrize(("metas", "expected"), SUBJECT_CASES)
def test_subject_merge(metas: list[MessageMeta], expected: list[set[str]]) -> None:
    index = indexed(metas, subject_merge=True, window=timedelta(days=7), reply_subjects=False)
    assert groups(index) == {frozenset(group) for group in expected}


@pytest.mark.parametrize(
    ("subject", "base"),
    [
        ("Order problem", "order problem"),
        ("RE: [Acme]  Fwd: Order   problem", "order problem"),
        ("AW: WG: SV: Antw: Bestellung", "bestellung"),
        ("Re[3]: Re^2: Invoice (fwd)", "invoice"),
        ("Reorder: parts", "reorder: parts"),
        ("  Re:  ", ""),
    ],
)
def test_base_subject(subject: str, base: str) -> None:
    assert base_subject(subject) == base


@pytest.mark.parametrize(
    ("mid", "token"),
    [
        ("si.c0123456789.AbC_-9@acme.example", "c0123456789"),
        ("<si.abc.r@d>", "abc"),
        ("si.ABC.r@d", None),
        ("si.abc@d", None),
        ("xsi.abc.r@d", None),
        ("si." + "a" * 33 + ".r@d", None),
        ("", None),
    ],
)
def test_token_from_message_id(mid: str, token: str | None) -> None:
    assert token_from_message_id(mid) == token


# -- queries on the index -------------------------------------------------------


def test_unknown_and_placeholder_ids_have_no_conversation() -> None:
    index = indexed([msg("b", 1, refs=["missing"])])
    assert index.conversation_of("missing") is None
    assert index.conversation_of("nope") is None
    assert "b" in index and "missing" not in index
    assert index.members("c-unknown") == []
    assert index.resolve("c-unknown") is None


def test_members_are_in_date_order() -> None:
    index = indexed([msg("late", 5, refs=["a"]), msg("a", 0), msg("mid", 2, refs=["a"])])
    conv_id = index.conversation_of("a")
    assert conv_id is not None
    assert index.members(conv_id) == ["a", "mid", "late"]
    assert index.conversations()[conv_id] == ["a", "mid", "late"]


# -- conversation ids -----------------------------------------------------------


def test_id_comes_from_the_root_and_survives_replies() -> None:
    index = indexed([msg("b", 1, refs=["a"])])
    assert index.conversation_of("b") == conversation_id_for("a")
    index.add(msg("a", 0))
    index.add(msg("c", 2, refs=["a", "b"]))
    index.add(msg("d", 3, irt=["c"]))
    assert index.conversation_of("d") == conversation_id_for("a")
    assert index.aliases == {}


def test_in_reply_to_chain_top_is_the_root() -> None:
    index = indexed([msg("c", 2, irt=["b"]), msg("b", 1, irt=["a"])])
    assert index.conversation_of("c") == conversation_id_for("a")


def test_earliest_root_wins_and_the_old_id_becomes_an_alias() -> None:
    index = indexed([msg("a", 5), msg("b", 6, refs=["a"])])
    old = index.conversation_of("a")
    index.add(msg("x", 1))
    index.add(msg("link", 7, refs=["x", "b"]))
    new = index.conversation_of("a")
    assert new == conversation_id_for("x") != old
    assert old is not None and new is not None
    assert index.resolve(old) == new
    assert index.aliases == {old: new}
    assert index.members(old) == ["x", "a", "b", "link"]


def test_token_keeps_the_id_when_an_older_message_joins() -> None:
    first = conversation_id_for("a")
    reply = f"si.{first}.q1@acme.example"
    index = indexed([msg("a", 5), msg(reply, 6, refs=["a"], token=first, outgoing=True)])
    assert index.conversation_of("a") == first
    index.add(msg("older", 0))
    index.add(msg("joins", 7, refs=["older", reply]))
    assert index.conversation_of("older") == first
    assert index.resolve(conversation_id_for("older")) is None  # never handed out


def test_token_names_the_conversation_after_references_were_lost() -> None:
    first = conversation_id_for("a")
    index = indexed([msg("a", 0), msg("b", 1, refs=["a"]), msg("lost-refs", 9, irt=[f"si.{first}.r@acme"])])
    assert index.conversation_of("lost-refs") == first
    assert len(index) == 1


def test_merged_conversations_keep_the_ids_of_both_as_aliases() -> None:
    index = indexed([msg("a", 0), msg("b", 1)])
    id_a, id_b = index.conversation_of("a"), index.conversation_of("b")
    index.add(msg("c", 2, refs=["a", "b"]))
    assert index.conversation_of("c") == id_a
    assert id_b is not None and index.resolve(id_b) == id_a
    assert len(index) == 1


def test_colliding_short_ids_stay_unique(monkeypatch: pytest.MonkeyPatch) -> None:
    import shared_inbox.domain.threading as threading_module

    monkeypatch.setattr(threading_module, "_SHORT", 1)  # 16 possible short ids: collisions are certain
    metas = [msg(f"root{n}", n) for n in range(60)] + [
        msg(f"reply{n}", 100 + n, refs=[f"root{n}"]) for n in range(60)
    ]
    index = ThreadIndex()
    for meta in metas:
        index.add(meta)
        index.conversations()
    conversations = index.conversations()
    assert len(conversations) == 60
    for n in range(60):
        conv_id = index.conversation_of(f"root{n}")
        assert conv_id is not None and conversations[conv_id] == [f"root{n}", f"reply{n}"]
        assert index.resolve(conv_id) == conv_id


# -- order independence ---------------------------------------------------------

IDS = [f"m{i}" for i in range(12)]
PLACEHOLDERS = ["p0", "p1", "p2"]
TOKENS = ["t1", "t2", conversation_id_for("m0"), conversation_id_for("p1"), conversation_id_for("m3")]
SENDERS = ["ann@x.example", "bob@y.example"]


@st.composite
def message_sets(draw: st.DrawFn) -> list[MessageMeta]:
    metas = []
    for mid in draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=16)):
        pool = IDS + PLACEHOLDERS
        metas.append(
            msg(
                mid,
                draw(st.integers(0, 6)) * 24,
                refs=draw(st.lists(st.sampled_from(pool), max_size=3)),
                irt=draw(st.lists(st.sampled_from(pool + [f"si.{TOKENS[2]}.r@x"]), max_size=2)),
                token=draw(st.none() | st.sampled_from(TOKENS)),
                sender=draw(st.sampled_from(SENDERS)),
                subject=draw(st.sampled_from(["Order problem", "Re: order problem", "Invoice"])),
            )
        )
    return metas


def reference_groups(metas: list[MessageMeta], subject_merge: bool, window: timedelta) -> set[frozenset[str]]:
    """Connected components computed the slow, obvious way."""
    edges: dict[str, set[str]] = {}

    def link(a: str, b: str) -> None:
        edges.setdefault(a, set()).add(b)
        edges.setdefault(b, set()).add(a)

    claims = set()
    for meta in metas:
        mid = meta.message_id
        link(mid, mid)
        refs = [r for r in meta.references if r != mid] or [r for r in meta.in_reply_to if r != mid][:1]
        for ref in refs:
            link(mid, ref)
        claims.add(refs[0] if refs else mid)
        tokens = {meta.token} if meta.token else set()
        tokens |= {t for i in (mid, *meta.references, *meta.in_reply_to) if (t := token_from_message_id(i))}
        for token in tokens:
            link(mid, "token:" + token)
    for claim in claims:
        link("token:" + conversation_id_for(claim), claim)
    if subject_merge:
        for a in metas:
            for b in metas:
                same = (a.sender.email, base_subject(a.subject)) == (b.sender.email, base_subject(b.subject))
                if same and base_subject(a.subject) and abs(a.date - b.date) <= window:
                    link(a.message_id, b.message_id)
    real = {meta.message_id for meta in metas}
    seen: set[str] = set()
    found = set()
    for start in real:
        if start in seen:
            continue
        component, stack = set(), [start]
        while stack:
            node = stack.pop()
            if node not in component:
                component.add(node)
                stack.extend(edges.get(node, ()))
        seen |= component
        found.add(frozenset(component & real))
    return found


@settings(max_examples=300, deadline=None)
@given(metas=message_sets(), seed=st.integers(0, 2**32), subject_merge=st.booleans())
def test_grouping_and_ids_do_not_depend_on_insertion_order(
    metas: list[MessageMeta], seed: int, subject_merge: bool
) -> None:
    window = timedelta(days=2)
    first = indexed(metas, subject_merge=subject_merge, window=window, reply_subjects=False)
    shuffled = list(metas)
    random.Random(seed).shuffle(shuffled)
    second = ThreadIndex(subject_merge=subject_merge, window=window, reply_subjects=False)
    for position, meta in enumerate(shuffled):  # queries in between must not change the outcome
        second.add(meta)
        if position % 3 == 0:
            second.conversations()
    assert first.conversations() == second.conversations()
    assert groups(first) == reference_groups(metas, subject_merge, window)


@settings(max_examples=100, deadline=None)
@given(metas=message_sets(), split=st.integers(0, 16))
def test_every_retired_id_resolves_to_a_live_conversation(metas: list[MessageMeta], split: int) -> None:
    index = ThreadIndex()
    handed_out = set()
    for meta in metas[:split]:
        index.add(meta)
        handed_out |= set(index.conversations())
    index.add_many(metas[split:])
    live = set(index.conversations())
    for conv_id in handed_out:
        assert index.resolve(conv_id) in live
    assert set(index.aliases.values()) <= live


def test_hundred_thousand_messages() -> None:
    rng = random.Random(7)
    metas = []
    for conv in range(30_000):
        root = f"r{conv}@customer.example"
        metas.append(msg(root, conv / 10))
        thread = [root]
        for reply in range(rng.choice([0, 0, 1, 2, 3, 5])):
            mid = f"r{conv}.{reply}@acme.example"
            metas.append(
                msg(mid, conv / 10 + reply + 1, refs=thread[-5:] if reply % 2 else (), irt=thread[-1:])
            )
            thread.append(mid)
    rng.shuffle(metas)
    index = indexed(metas)
    assert len(index) == 30_000
    assert sum(len(ids) for ids in index.conversations().values()) == len(metas)
    sample = metas[12345]
    root = sample.message_id.split(".")[0].split("@")[0] + "@customer.example"
    assert index.conversation_of(sample.message_id) == conversation_id_for(root)


# -- reply trees ----------------------------------------------------------------


def shape(nodes: list[ThreadNode]) -> list[tuple[int, str, bool]]:
    return [(node.depth, node.message_id, node.meta is None) for node in walk(nodes)]


TREE_CASES = [
    pytest.param(
        [msg("c", 2, refs=["a", "b"]), msg("b", 1, refs=["a"]), msg("a", 0), msg("d", 3, refs=["a"])],
        [(0, "a", False), (1, "b", False), (2, "c", False), (1, "d", False)],
        id="simple-tree",
    ),
    pytest.param(
        [msg("y", 2, refs=["lost"]), msg("x", 1, refs=["lost"])],
        [(0, "lost", True), (1, "x", False), (1, "y", False)],
        id="placeholder-keeps-siblings",
    ),
    pytest.param(
        [msg("a", 0), msg("c", 2, refs=["a", "lost"])],
        [(0, "a", False), (1, "c", False)],
        id="single-child-placeholder-pruned",
    ),
    pytest.param(
        [msg("b", 1, irt=["a"]), msg("a", 0), msg("t", 0.5)],
        [(0, "a", False), (1, "b", False), (0, "t", False)],
        id="in-reply-to-and-roots-by-date",
    ),
    pytest.param(
        [msg("a", 0, refs=["b"]), msg("b", 1, refs=["a"])],
        [(0, "b", False), (1, "a", False)],
        id="cycle",
    ),
    pytest.param([msg("a", 0, refs=["a"], irt=["a"])], [(0, "a", False)], id="self-reference"),
    pytest.param(
        [msg("a", 3), msg("a", 1), msg("b", 2, refs=["a"])],
        [(0, "a", False), (1, "b", False)],
        id="duplicate-ids",
    ),
    pytest.param(
        [msg("c", 1, refs=["p", "q"]), msg("b", 2, refs=["q", "p"])],
        [(0, "p", True), (1, "c", False), (1, "b", False)],
        id="contradicting-references",
    ),
]


@pytest.mark.parametrize(("metas", "expected"), TREE_CASES)
def test_build_tree(metas: list[MessageMeta], expected: list[tuple[int, str, bool]]) -> None:
    assert shape(build_tree(metas)) == expected


def test_build_tree_keeps_the_earliest_copy_of_a_duplicate() -> None:
    nodes = build_tree([msg("a", 3), msg("a", 1)])
    assert nodes[0].meta is not None and nodes[0].meta.date == T0 + timedelta(hours=1)


@settings(max_examples=200, deadline=None)
@given(metas=message_sets())
def test_build_tree_never_loops_and_holds_each_message_once(metas: list[MessageMeta]) -> None:
    nodes = build_tree(metas)
    seen = [node.message_id for node in walk(nodes) if node.meta is not None]
    assert sorted(seen) == sorted({meta.message_id for meta in metas})
    for node in walk(nodes):
        assert all(child.depth == node.depth + 1 for child in node.children)
        dates = [_date(child) for child in node.children]
        assert dates == sorted(dates)


def _date(node: ThreadNode) -> datetime:
    """A message's own date; a placeholder's earliest reply."""
    return node.meta.date if node.meta is not None else min(_date(child) for child in node.children)


def test_build_tree_handles_a_very_long_chain() -> None:
    metas = [msg("m0", 0)] + [msg(f"m{i}", i, irt=[f"m{i - 1}"]) for i in range(1, 5000)]
    nodes = build_tree(reversed(metas))
    assert len(nodes) == 1
    assert max(node.depth for node in walk(nodes)) == 4999


# -- stand-in ids in their two forms -------------------------------------------------------------

HEADERS_PART = "c281af9a795e9f65e0b8d7a5"
HEADER_ONLY = f"synthetic.{HEADERS_PART}@shared-inbox.invalid"


def stand_in(content: str) -> str:
    return f"synthetic.{HEADERS_PART}.{content * 16}@shared-inbox.invalid"


def test_a_header_only_stand_in_id_names_the_earliest_message_with_those_headers() -> None:
    index = indexed(
        [msg(stand_in("b"), 2, synthetic=True), msg(stand_in("a"), 1, synthetic=True), msg("x@y")]
    )
    assert index.conversation_of(HEADER_ONLY) == index.conversation_of(stand_in("a"))
    index.add(msg(stand_in("c"), 0, synthetic=True))
    assert index.conversation_of(HEADER_ONLY) == index.conversation_of(stand_in("c"))
    assert index.conversation_of("synthetic.000000000000000000000000@shared-inbox.invalid") is None


def test_a_stand_in_id_with_its_content_part_finds_a_message_stored_under_the_header_only_form() -> None:
    index = indexed([msg(HEADER_ONLY, synthetic=True)])
    assert index.conversation_of(stand_in("d")) == index.conversation_of(HEADER_ONLY) is not None
    assert indexed([msg("x@y")]).conversation_of(stand_in("d")) is None
