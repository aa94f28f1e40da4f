"""A reply the server accepted is recorded with its author, once; one that never left is not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.metrics import REPLY_SENT, Role, Roster, conversation_facts, recorded_replies
from shared_inbox.domain.metrics.timeline import first_response, response_turns
from shared_inbox.outbox.mailbox import record_sent
from shared_inbox.services.replies import Queued, Replies, ReplyDraft
from shared_inbox.services.session import Session, open_session
from tests.ui.test_app import ME, NOW, fill_store, make_config
from tests.ui.test_reply_parity import unanswered


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    fill_store(tmp_path / "store", 20)
    with open_session(make_config(tmp_path), now=lambda: NOW) as opened:
        yield opened


def accept(replies: Replies, queued: Queued) -> str:
    """What the sender does when the SMTP server takes the message: mark it sent, record it."""
    outbox, entry_id, at = replies.outbox, queued.entry.id, NOW + timedelta(seconds=12)
    outbox.send_now(entry_id, at)
    assert outbox.begin(entry_id, at) is not None
    outbox.handing_over(entry_id)
    outbox.delivered(entry_id, at, None, ())
    meta = record_sent(
        replies.session.store,
        outbox.raw(entry_id),
        when=at,
        our_addresses=replies.session.config.our_addresses,
    )
    return meta.message_id


def sent_events(session: Session, conversation_id: str) -> list[object]:
    return [e for e in session.inbox.events_of(conversation_id) if e.kind == REPLY_SENT]


def test_an_accepted_reply_is_recorded_once_with_its_author(session: Session) -> None:
    replies = Replies(session, now=lambda: NOW)
    conv = unanswered(session)
    queued = replies.queue(ReplyDraft(mode="reply", body="Here is the fix.", conversation_id=conv.id))
    assert sent_events(session, conv.id) == []  # held for the undo window: nothing has left
    message_id = accept(replies, queued)
    replies.delivered([message_id, conv.message_ids[0]])  # the sender names the answered original too
    replies.delivered([message_id])  # heard twice (a later round confirms it): still one record
    [event] = sent_events(session, conv.id)
    assert event.author == ME  # type: ignore[attr-defined]
    recorded = recorded_replies(session.inbox.events_of(conv.id))
    assert {mid: (r.agent, r.automatic) for mid, r in recorded.items()} == {message_id: (ME, False)}
    stored = session.store.events()
    assert sum(1 for raw in stored if raw.get("kind") == REPLY_SENT) == 1


def test_an_undone_reply_is_not_recorded(session: Session) -> None:
    replies = Replies(session, now=lambda: NOW)
    conv = unanswered(session)
    queued = replies.queue(ReplyDraft(mode="reply", body="Oops.", conversation_id=conv.id))
    replies.undo_last()
    replies.delivered([queued.entry.message_id])
    assert sent_events(session, conv.id) == []


def test_an_acknowledgement_is_recorded_as_automatic_and_is_no_first_response(session: Session) -> None:
    replies = Replies(session, now=lambda: NOW)
    conv = unanswered(session)
    draft = ReplyDraft(mode="reply", body="We got your message.", conversation_id=conv.id, automatic=True)
    message_id = accept(replies, replies.queue(draft))
    replies.delivered([message_id])
    [event] = sent_events(session, conv.id)
    assert event.data.get("automatic") is True  # type: ignore[attr-defined]
    current = session.inbox.conversation(conv.id)
    assert current is not None
    facts = conversation_facts(
        current,
        session.inbox.messages_of(current),
        session.inbox.events_of(conv.id),
        our_addresses=session.config.our_addresses,
        roster=Roster([]),
        now=NOW,
    )
    assert [m.role for m in facts.messages if m.message_id == message_id] == [Role.AUTOMATIC]
    # The customer's turn is still open: the acknowledgement answered nothing.
    assert all(turn.reply.message_id != message_id for turn in response_turns(facts))
    first = first_response(facts)
    assert first is None or first.reply.message_id != message_id
