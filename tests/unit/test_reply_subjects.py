"""Replies whose mail client dropped every threading header, joined by their subject (guarded)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared_inbox.domain.model import Address
from shared_inbox.domain.subjects import is_reply_subject
from shared_inbox.domain.threading import ThreadIndex
from tests.bench.eval_threading import SPLIT_GOAL, measure
from tests.unit.test_threading import groups, msg

DAY = 24


def indexed(*metas, **options) -> ThreadIndex:
    index = ThreadIndex(**options)
    index.add_many(metas)
    return index


@pytest.mark.parametrize(
    ("subject", "reply"),
    [
        ("Re: Order problem", True),
        ("RE : Problème de livraison", True),  # French Outlook puts a space before the colon
        ("AW: Wo bleibt meine Bestellung?", True),
        ("[Acme] Re: Invoice", True),
        ("Re[2]: Invoice", True),
        ("Fwd: Invoice", False),  # a forward starts something new
        ("Order problem", False),
        ("Re:", False),  # nothing left to match on
        ("Reset: my password", False),
    ],
)
def test_what_counts_as_a_reply_subject(subject: str, reply: bool) -> None:
    assert is_reply_subject(subject) is reply


CASES = [
    pytest.param(
        [msg("a", 0), msg("b", 2 * DAY, subject="Re: Order problem")],
        [{"a", "b"}],
        id="headerless-reply-joins",
    ),
    pytest.param(
        [msg("a", 0), msg("b", 2 * DAY, subject="Order problem")],
        [{"a"}, {"b"}],
        id="same-subject-without-reply-prefix-starts-anew",
    ),
    pytest.param(
        [msg("a", 0), msg("b", 2 * DAY, subject="Re: Order problem", sender="bob@other.example")],
        [{"a"}, {"b"}],
        id="another-customer-stays-apart",
    ),
    pytest.param(
        [msg("a", 0), msg("b", 31 * DAY, subject="Re: Order problem")],
        [{"a"}, {"b"}],
        id="outside-the-window",
    ),
    pytest.param(
        [msg("a", 0), msg("b", 1, irt=["elsewhere"], subject="Re: Order problem")],
        [{"a"}, {"b"}],
        id="a-reply-with-headers-follows-its-headers",
    ),
    pytest.param(
        [
            msg("old", 0),
            msg("new", 10 * DAY),
            msg("r", 11 * DAY, subject="Re: Order problem"),
        ],
        [{"old"}, {"new", "r"}],
        id="joins-the-latest-conversation-not-an-older-one",
    ),
    pytest.param(
        [
            msg("a", 0),
            msg(
                "ours", 1, sender="support@acme.example", to="ann@customer.example", outgoing=True, irt=["a"]
            ),
            msg("second", 5),
            msg("r", 6, subject="Re: Order problem"),
        ],
        [{"a", "ours"}, {"second", "r"}],
        id="a-second-conversation-the-same-day-takes-the-reply",
    ),
    pytest.param(
        [
            msg("r", 2 * DAY, subject="Re: Order problem"),
            msg("a", 0),
        ],
        [{"a", "r"}],
        id="the-conversation-start-arriving-later-still-takes-its-reply",
    ),
]


@pytest.mark.parametrize(("metas", "expected"), CASES)
def test_reply_subject_cases(metas, expected) -> None:
    index = indexed(*metas)
    assert groups(index) == {frozenset(group) for group in expected}


def test_only_guessed_messages_are_marked_and_the_rule_can_be_turned_off() -> None:
    metas = [msg("a", 0), msg("b", 1, irt=["a"], subject="Re: Order problem"), msg("c", DAY, subject="Re: x")]
    metas[2] = msg("c", DAY, subject="Re: Order problem")
    index = indexed(*metas)
    assert [index.joined_by_subject(m) for m in ("a", "b", "c")] == [False, False, True]
    off = indexed(*metas, reply_subjects=False)
    assert groups(off) == {frozenset({"a", "b"}), frozenset({"c"})}
    assert not off.joined_by_subject("c")


def test_form_mail_is_the_customer_in_its_reply_to() -> None:
    form = msg("form", 0, sender="forms@acme.example", subject="Contact form: Order problem")
    form = type(form)(**{**_fields(form), "reply_to": (Address("Ann", "ann@customer.example"),)})
    ours = msg(
        "ours", 3, sender="support@acme.example", to="ann@customer.example", outgoing=True,
        subject="Re: Contact form: Order problem",
    )  # fmt: skip
    assert groups(indexed(form, ours)) == {frozenset({"form", "ours"})}


def test_a_reused_message_id_is_told_apart_by_customer() -> None:
    first = msg("x", 0, sender="ann@customer.example")
    reused = msg("x#dup-1", DAY, sender="bob@other.example", subject="Account locked")
    answer = msg(
        "ours", DAY + 1, sender="support@acme.example", to="bob@other.example", outgoing=True,
        irt=["x"], refs=["x"], subject="Re: Account locked",
    )  # fmt: skip
    assert groups(indexed(first, reused, answer)) == {frozenset({"x"}), frozenset({"x#dup-1", "ours"})}


def _fields(meta) -> dict[str, object]:
    return {name: getattr(meta, name) for name in meta.__dataclass_fields__}


def test_the_generated_corpus_splits_rarely_and_never_merges_wrongly() -> None:
    """The corpus's mail clients drop reply headers as real ones do (the full run is tests/bench)."""
    got = measure(3000, seed=5)
    assert got["split"] / got["threads"] <= SPLIT_GOAL
    assert got["wrong_merges"] == 0
    before = measure(3000, seed=5, reply_subjects=False)
    assert before["split"] > got["split"]  # the rule is what does it


def test_the_window_is_configurable() -> None:
    late = [msg("a", 0), msg("b", 40 * DAY, subject="Re: Order problem")]
    assert len(indexed(*late)) == 2
    assert len(indexed(*late, reply_window=timedelta(days=60))) == 1
