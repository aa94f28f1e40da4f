"""Promises a reply makes: owed until a later reply or the close, tracked once, withdrawn with an undo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from shared_inbox.canned import CannedActions, CannedReply
from shared_inbox.domain.promise_events import reduce_promises
from shared_inbox.domain.templates import parse_template
from shared_inbox.outbox.mailbox import record_sent
from shared_inbox.services.deadlines import tracker_for
from shared_inbox.services.replies import Queued, Replies, ReplyDraft
from shared_inbox.services.session import Session, open_session
from tests.ui.test_app import NOW, fill_store, make_config
from tests.ui.test_reply_parity import unanswered

PROMISING = "Thanks for waiting. I'll get back to you by Friday with the fix."
REFUND_TEXT = "I have asked for the refund; you will see it on your statement within two business days."


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    fill_store(tmp_path / "store", 40)
    with open_session(make_config(tmp_path), now=lambda: NOW) as opened:
        yield opened


def deliver(replies: Replies, queued: Queued, after: timedelta) -> None:
    """What the sender does once the server took the message: record it, tell the inbox."""
    session = replies.session
    raw = replies.outbox.raw(queued.entry.id)
    meta = record_sent(session.store, raw, when=NOW + after, our_addresses=session.config.our_addresses)
    replies.delivered([meta.message_id])


def promise_states(session: Session, conversation_id: str, at: timedelta) -> list[str]:
    conv = session.inbox.conversation(conversation_id)
    assert conv is not None
    return [item.state for item in tracker_for(session).of(conv, NOW + at).promises]


def test_the_reply_that_makes_a_promise_does_not_keep_it_a_later_reply_does(session: Session) -> None:
    clock = [NOW]
    replies = Replies(session, now=lambda: clock[0])
    conv = unanswered(session)
    queued = replies.queue(ReplyDraft(mode="reply", body=PROMISING, conversation_id=conv.id))
    [candidate] = queued.promises
    clock[0] = NOW + timedelta(seconds=3)  # the agent accepts the promise in the prompt
    replies.track(queued, candidate)
    deliver(replies, queued, after=timedelta(seconds=12))  # it leaves after the undo window

    assert promise_states(session, conv.id, timedelta(seconds=20)) == ["open"]
    after_send = session.inbox.conversation(conv.id)
    assert after_send is not None
    assert tracker_for(session).of(after_send, NOW + timedelta(seconds=20)).next_due == candidate.due

    clock[0] = NOW + timedelta(hours=1)
    later = replies.queue(ReplyDraft(mode="reply", body="It is fixed now.", conversation_id=conv.id))
    deliver(replies, later, after=timedelta(hours=1, seconds=12))
    assert promise_states(session, conv.id, timedelta(hours=2)) == ["kept"]


def test_a_canned_promise_and_the_same_promise_in_its_words_are_tracked_once(session: Session) -> None:
    replies = Replies(session, now=lambda: NOW)
    conv = unanswered(session)
    refund = CannedReply(
        id="refund.md",
        name="Refund on its way",
        tags=(),
        template=parse_template(REFUND_TEXT),
        actions=CannedActions(promise="within 2 business days"),
    )
    queued = replies.queue(
        ReplyDraft(mode="reply", body=REFUND_TEXT, conversation_id=conv.id, canned=(refund,))
    )
    assert queued.promises == []  # nothing more to offer: the canned action tracks it already
    promises = reduce_promises(session.inbox.events_of(conv.id))
    assert [p.text for p in promises] == ["within 2 business days"]
    assert promises[0].made_in == queued.entry.message_id
