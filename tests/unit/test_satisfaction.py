"""Satisfaction ratings by email: the question, reading answers, quiet ratings, complaints, the score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.conversations import assemble_one
from shared_inbox.domain.events import Event, EventKind
from shared_inbox.domain.model import Address, MessageMeta, Status
from shared_inbox.domain.satisfaction import (
    RATING,
    Rating,
    rating_data,
    rating_request,
    rating_token,
    read_rating,
    reduce_ratings,
    score,
    unanswered_complaint,
)
from shared_inbox.mail.headers import parse_header_block

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OURS = frozenset({"support@acme.example"})


def test_the_question_carries_a_link_per_rating_with_the_token_and_the_words_to_reply_with() -> None:
    text = rating_request("How did we do?", "support@acme.example", "c0123456789")
    assert "How did we do?" in text
    links = [line.split(": ", 1)[1] for line in text.splitlines() if "mailto:" in line]
    assert [unquote(link) for link in links] == [
        "mailto:support@acme.example?subject=Rating: great [c0123456789]",
        "mailto:support@acme.example?subject=Rating: okay [c0123456789]",
        "mailto:support@acme.example?subject=Rating: not good [c0123456789]",
    ]
    assert '"great", "okay" or "not good"' in text


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        ("Rating: great [c0123456789]", "", (Rating.GREAT, "")),
        (
            "Re: Rating: not good [c0123456789]",
            "Nobody called back.\n\nOn Mon, we wrote:\n> How did we do?",
            (Rating.NOT_GOOD, "Nobody called back."),
        ),
        ("Re: Your order", "Great\n\n> How did we do?", (Rating.GREAT, "")),
        ("Re: Your order", "  not good!\nStill broken.\n-- \nAnn", (Rating.NOT_GOOD, "Still broken.")),
        ("Re: Your order", "OK.\n", (Rating.OKAY, "")),
        ("Re: Your order", "Great, thanks! One more question...", None),  # an answer, not a vote
        ("Re: Your order", "> great\nwhat about my refund?", None),  # the quote is ours, not theirs
        ("Rating: superb [c0123456789]", "", None),
    ],
)
def test_reading_a_rating(subject: str, text: str, expected: tuple[Rating, str] | None) -> None:
    assert read_rating(subject, text) == expected


def test_a_rating_link_mail_carries_its_conversation_token_into_threading() -> None:
    raw = (
        b"From: Ann <ann@customer.example>\r\nTo: support@acme.example\r\n"
        b"Subject: Rating: great [c0123456789]\r\nMessage-ID: <r1@customer.example>\r\n"
        b"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n\r\n"
    )
    assert parse_header_block(raw, our_addresses=OURS).token == "c0123456789"
    assert rating_token("Re: Invoice [c0123456789]") is None  # only a rating link's subject


def event(number: int, kind: str, data: dict[str, object], hours: float) -> Event:
    moment = T0 + timedelta(hours=hours)
    return Event(f"e{number}", kind, "m0", "ana@acme.example", moment, Hlc(number, 0, "a"), data)


def meta(mid: str, hours: float, sender: str) -> MessageMeta:
    moment = T0 + timedelta(hours=hours)
    return MessageMeta(mid, "Order", Address("", sender), (), (), moment, received=moment)


@pytest.mark.parametrize(("comment", "status"), [("", Status.CLOSED), ("It broke again.", Status.ACTIVE)])
def test_a_rating_reopens_a_closed_conversation_only_with_a_comment(comment: str, status: Status) -> None:
    metas = [
        meta("m0", 0, "ann@customer.example"),
        meta("m1", 1, "support@acme.example"),
        meta("r1", 3, "ann@customer.example"),
    ]
    events = [
        event(1, EventKind.STATUS, {"status": "closed"}, 2),
        event(2, RATING, rating_data(Rating.GREAT, "r1", comment), 3.1),
    ]
    assert assemble_one("m0", metas, events, OURS).state.status is status


def test_one_rating_per_mail_and_the_unanswered_complaint() -> None:
    events = [
        event(1, RATING, rating_data(Rating.NOT_GOOD, "r1", "Still broken."), 3),
        event(2, RATING, rating_data(Rating.GREAT, "r1", ""), 3.5),  # a teammate's copy read it again
        event(3, RATING, {"rating": "superb", "message": "r2"}, 4),  # unreadable: ignored
    ]
    ratings = reduce_ratings(events)
    assert [(r.rating, r.message_id) for r in ratings] == [(Rating.NOT_GOOD, "r1")]
    assert unanswered_complaint(ratings, [T0 + timedelta(hours=1)])
    assert not unanswered_complaint(ratings, [T0 + timedelta(hours=5)])  # someone replied since


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([], None),
        ([Rating.GREAT] * 3 + [Rating.OKAY] + [Rating.NOT_GOOD], 40.0),
        ([Rating.NOT_GOOD, Rating.OKAY], -50.0),
    ],
)
def test_score_is_percent_great_minus_percent_not_good(ratings: list[Rating], expected: float | None) -> None:
    assert score(ratings) == expected
