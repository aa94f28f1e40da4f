"""Ranking canned replies against a customer's message, and the picker's fuzzy filter."""

from __future__ import annotations

import pytest

from shared_inbox.canned.library import CannedReply, parse_reply
from shared_inbox.canned.ranking import filter_replies, fuzzy_score, rank_replies, stem, terms


def reply(reply_id: str, name: str, tags: list[str], body: str) -> CannedReply:
    tag_list = ", ".join(f'"{tag}"' for tag in tags)
    return parse_reply(reply_id, f'+++\nname = "{name}"\ntags = [{tag_list}]\n+++\n{body}\n')


LIBRARY = [
    reply(
        "refund.md", "Refund: how to", ["billing", "refund"], "We refund your payment to the card you used."
    ),
    reply(
        "shipping.md",
        "Where is my parcel",
        ["shipping"],
        "Your parcel was shipped; here is the tracking link.",
    ),
    reply("password.md", "Password reset", ["account"], "Use the reset link to choose a new password."),
    reply("invoice.md", "Invoice copy", ["billing"], "Attached is a copy of your invoice."),
]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("refunds", "refund"), ("refunded", "refund"), ("shipped", "ship"), ("shipping", "ship"),
        ("invoices", "invoic"), ("invoice", "invoic"), ("cancelled", "cancel"), ("cancellation", "cancel"),
        ("replies", "repl"), ("reply", "repl"), ("address", "address"), ("quickly", "quick"),
    ],
)  # fmt: skip
def test_word_forms_share_a_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_terms_drop_stop_words_numbers_and_template_tags() -> None:
    assert terms("Hi {{ customer.first_name }}, your order 123 was SHIPPED") == ["order", "ship"]


@pytest.mark.parametrize(
    ("message", "best"),
    [
        ("Subject: refund please\nI want my money back, please refund the payment.", "refund.md"),
        ("Where is my parcel? It has not been shipped yet.", "shipping.md"),
        ("I forgot my password and cannot log in", "password.md"),
        ("Could you send me the invoices for March?", "invoice.md"),
    ],
)
def test_the_closest_reply_ranks_first(message: str, best: str) -> None:
    ranked = rank_replies(message, LIBRARY)
    assert ranked[0][0].id == best
    assert ranked[0][1] > ranked[1][1]


def test_equal_scores_are_ordered_by_usage_then_name() -> None:
    unrelated = "Bonjour, rien à voir"
    by_name = [r.id for r, _ in rank_replies(unrelated, LIBRARY)]
    assert by_name == ["invoice.md", "password.md", "refund.md", "shipping.md"]
    by_use = [r.id for r, _ in rank_replies(unrelated, LIBRARY, {"shipping.md": 5, "refund.md": 2})]
    assert by_use == ["shipping.md", "refund.md", "invoice.md", "password.md"]


def test_usage_does_not_beat_a_better_match() -> None:
    ranked = rank_replies("password reset please", LIBRARY, {"refund.md": 100})
    assert ranked[0][0].id == "password.md"


@pytest.mark.parametrize(
    ("typed", "text", "matches"),
    [("rfnd", "Refund: how to", True), ("rh", "Refund: how to", True), ("xyz", "Refund: how to", False),
     ("", "anything", True), ("REF", "refund", True)],
)  # fmt: skip
def test_fuzzy_match_is_a_subsequence(typed: str, text: str, matches: bool) -> None:
    assert (fuzzy_score(typed, text) is not None) is matches


def test_word_starts_and_runs_score_higher() -> None:
    at_start = fuzzy_score("ref", "Refund")
    scattered = fuzzy_score("ref", "a reply of mine")
    assert at_start is not None and scattered is not None and at_start > scattered


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", ["shipping.md", "refund.md", "password.md", "invoice.md"]),  # the ranking, untouched
        ("passw", ["password.md"]),
        ("billing", ["invoice.md", "refund.md"]),  # tags match; the shorter tag list fits better
        ("tracking", ["shipping.md"]),  # the text matches
        ("zzz", []),
    ],
)
def test_the_filter_searches_name_tags_and_text(typed: str, expected: list[str]) -> None:
    ranked = [LIBRARY[1], LIBRARY[0], LIBRARY[2], LIBRARY[3]]
    assert [r.id for r in filter_replies(typed, ranked)] == expected
