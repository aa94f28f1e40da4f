"""The outbox in-process against real servers, with the clock in the test's hands."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared_inbox.config import load_config
from shared_inbox.outbox import Composer, Outbox, OutboxPolicy, OutboxSender, OutboxState, open_sender
from shared_inbox.services.session import Session, open_session
from tests.integration.support import cli, list_json
from tests.integration.test_send import customer_mail, send_config
from tests.rig.smtp import SmtpReceiver

pytestmark = pytest.mark.integration

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


@contextmanager
def opened(mailbox: Any, receiver: SmtpReceiver, tmp_path: Path) -> Iterator[tuple[Session, Outbox, str]]:
    """A synced session with one customer conversation, and its outbox."""
    path = send_config(tmp_path, mailbox, receiver)
    mailbox.deliver(customer_mail(1, "Order problem"))
    assert cli(path, "sync", "--once", "--quiet").returncode == 0
    [conv] = list_json(path)
    with open_session(load_config(path)) as session:
        outbox = Outbox.open(session.store)
        try:
            yield session, outbox, conv["id"]
        finally:
            outbox.close()


def sender_for(session: Session, outbox: Outbox) -> OutboxSender:
    return open_sender(session.config, session.store, outbox)


def test_send_later_goes_out_at_its_time_and_not_before(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    with opened(mailbox, smtp_receiver, tmp_path) as (session, outbox, conv_id):
        entry = Composer(session.config, session.inbox, outbox).reply(
            conv_id, "Following up as promised.", now=NOW, send_at=NOW + timedelta(hours=3)
        )
        sender = sender_for(session, outbox)
        assert sender.flush(NOW + timedelta(hours=2, minutes=59)).sent == []
        assert smtp_receiver.received == []

        report = sender.flush(NOW + timedelta(hours=3))
        assert [e.id for e in report.sent] == [entry.id]
        assert len(smtp_receiver.received) == 1
        conv = session.inbox.conversation(conv_id)
        assert conv is not None and entry.message_id in conv.message_ids


def test_undo_inside_the_window_means_nothing_is_sent(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    with opened(mailbox, smtp_receiver, tmp_path) as (session, outbox, conv_id):
        policy = OutboxPolicy(undo_window=timedelta(seconds=10))
        entry = Composer(session.config, session.inbox, outbox, policy=policy).reply(conv_id, "Oops", now=NOW)
        sender = sender_for(session, outbox)
        assert sender.flush(NOW + timedelta(seconds=9)).sent == []
        outbox.cancel(entry.id)
        assert sender.flush(NOW + timedelta(minutes=5)).sent == []
        assert smtp_receiver.received == [] and outbox.entries() == []


def test_retries_wait_for_the_backoff_then_deliver_once(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    with opened(mailbox, smtp_receiver, tmp_path) as (session, outbox, conv_id):
        policy = OutboxPolicy(undo_window=timedelta(0), retry_first=timedelta(seconds=30))
        Composer(session.config, session.inbox, outbox, policy=policy).reply(conv_id, "Hello", now=NOW)
        sender = open_sender(session.config, session.store, outbox, policy=policy)
        smtp_receiver.stop()
        down = sender.flush(NOW)
        [waiting] = down.deferred
        assert waiting.next_attempt_at == NOW + timedelta(seconds=30) and down.problems

        smtp_receiver.start()
        early = sender.flush(NOW + timedelta(seconds=20))
        assert early.sent == [] and smtp_receiver.received == []
        on_time = sender.flush(NOW + timedelta(seconds=30))
        assert len(on_time.sent) == 1
        sender.flush(NOW + timedelta(minutes=5))
        assert len(smtp_receiver.received) == 1


def test_background_sender_delivers_when_the_window_closes(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    with opened(mailbox, smtp_receiver, tmp_path) as (session, outbox, conv_id):
        policy = OutboxPolicy(undo_window=timedelta(milliseconds=200))
        sender = open_sender(session.config, session.store, outbox, policy=policy)
        stop = threading.Event()
        rounds: list[Any] = []
        worker = threading.Thread(target=sender.run, args=(stop,), kwargs={"on_round": rounds.append})
        worker.start()
        try:
            Composer(session.config, session.inbox, outbox, policy=policy).reply(
                conv_id, "Hello", now=datetime.now(UTC)
            )
            smtp_receiver.wait_for(1, timeout=60)
        finally:
            stop.set()
            sender.wake()
            worker.join(timeout=60)
        assert not worker.is_alive()
        assert [e.state for e in outbox.entries()] == [OutboxState.SENT]
        assert len(smtp_receiver.received) == 1 and any(r.sent for r in rounds)
