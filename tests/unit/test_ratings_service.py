"""Ratings through the services: the question under replies, ratings taken after a sync, complaints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from shared_inbox.domain.metrics import Period
from shared_inbox.domain.model import Address, MessageMeta, Status
from shared_inbox.domain.satisfaction import RATING, Rating
from shared_inbox.services.ratings import complaints, ratings_of, take_ratings
from shared_inbox.services.replies import Replies, ReplyDraft
from shared_inbox.services.reports import ReportRequest, Reports
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.views import NEEDS_ATTENTION, partition
from tests.ui.test_app import ME, NOW, fill_store, make_config
from tests.ui.test_reply_parity import unanswered
from tests.unit.test_reply_attribution import accept

ASKING = '[satisfaction]\nenabled = true\nquestion = "Was this helpful?"\n'


def session_with(tmp_path: Path, extra: str) -> Iterator[Session]:
    tmp_path.mkdir()
    fill_store(tmp_path / "store", 20)
    with open_session(make_config(tmp_path, extra), now=lambda: NOW) as opened:
        yield opened


@pytest.fixture
def asking(tmp_path: Path) -> Iterator[Session]:
    yield from session_with(tmp_path / "asking", ASKING)


@pytest.fixture
def silent(tmp_path: Path) -> Iterator[Session]:
    yield from session_with(tmp_path / "silent", "")


def answer(session: Session, conv_id: str, mid: str, subject: str, text: str, after: timedelta) -> str:
    """The customer's mail, stored as the sync stores it, bytes included."""
    conv = session.inbox.conversation(conv_id)
    assert conv is not None and conv.customer is not None
    raw = (
        f"From: {conv.customer.email}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: <{mid}>\r\nIn-Reply-To: <{conv.message_ids[-1]}>\r\n\r\n{text}\r\n"
    ).encode()
    moment = NOW + after
    meta = MessageMeta(
        mid,
        subject,
        Address("", conv.customer.email),
        (),
        (),
        moment,
        in_reply_to=(conv.message_ids[-1],),
        received=moment,
    )
    session.store.save_raw(mid, raw)
    session.store.upsert_messages([meta])
    return mid


def replied(session: Session) -> tuple[str, bytes]:
    """A reply sent and accepted: the conversation's id and the bytes that went out."""
    replies = Replies(session, now=lambda: NOW)
    conv = unanswered(session)
    queued = replies.queue(ReplyDraft(mode="reply", body="Fixed it.", conversation_id=conv.id))
    replies.delivered([accept(replies, queued)])
    return conv.id, replies.outbox.raw(queued.entry.id)


def test_replies_ask_when_the_team_asks_and_not_otherwise(asking: Session, silent: Session) -> None:
    conv_id, raw = replied(asking)
    text = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "Was this helpful?" in text and f"Rating%3A%20great%20%5B{conv_id}%5D" in text
    assert text.index("Fixed it.") < text.index("Was this helpful?")
    _, plain = replied(silent)
    assert (
        "mailto:" not in message_from_bytes(plain, policy=policy.default).get_body(("plain",)).get_content()
    )


def test_a_rating_link_is_recorded_quietly_and_counted(asking: Session) -> None:
    conv_id, _ = replied(asking)
    asking.commands.set_status(conv_id, Status.CLOSED.value)
    mid = answer(asking, conv_id, "r1@customer.test", f"Rating: great [{conv_id}]", "", timedelta(hours=2))
    [event] = take_ratings(asking, [mid])
    assert event.kind == RATING and event.author == ME
    assert take_ratings(asking, [mid]) == []  # once per mail
    conv = asking.inbox.conversation(conv_id)
    assert conv is not None and conv.state.status is Status.CLOSED  # no comment: not reopened
    report = Reports(asking, now=lambda: NOW + timedelta(hours=3)).report(
        ReportRequest(Period((NOW - timedelta(days=1)).date(), (NOW + timedelta(days=1)).date()))
    )
    assert report.summary.ratings == (1, 0, 0) and report.summary.satisfaction_score == 100.0
    assert report.summary.rating_requests == 1


def test_a_keyword_counts_only_where_a_reply_asked(asking: Session) -> None:
    conv_id, _ = replied(asking)
    mid = answer(
        asking, conv_id, "r2@customer.test", "Re: Order", "not good\nStill broken.", timedelta(hours=2)
    )
    other = next(c for c in asking.inbox.conversations() if c.id != conv_id and c.customer is not None)
    stray = answer(asking, other.id, "r3@customer.test", "Re: Order", "Great", timedelta(hours=2))
    recorded = take_ratings(asking, [mid, stray])
    assert [e.data["rating"] for e in recorded] == [Rating.NOT_GOOD.value]
    conv = asking.inbox.conversation(conv_id)
    assert conv is not None
    assert [(f.rating, f.comment) for f in ratings_of(asking.inbox, conv)] == [
        (Rating.NOT_GOOD, "Still broken.")
    ]
    # A "not good" with a comment waits in Attention until someone answers.
    assert complaints(asking.inbox) == {conv_id}
    groups = partition(asking.inbox.conversations(), ME, NOW, complaints=complaints(asking.inbox))
    assert conv_id in [c.id for c in groups[NEEDS_ATTENTION]]


def test_nothing_is_taken_when_the_team_does_not_ask(silent: Session) -> None:
    conv = unanswered(silent)
    mid = answer(silent, conv.id, "r4@customer.test", f"Rating: great [{conv.id}]", "", timedelta(hours=1))
    assert take_ratings(silent, [mid]) == []
