"""Sending rounds with the network faked: exactly once, retries, doubt, and finishing up."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared_inbox.config.model import AccountConfig, Member
from shared_inbox.domain.model import ANSWERED, SEEN, Address, Location, MessageMeta
from shared_inbox.imap.connection import Endpoint
from shared_inbox.mail.compose import compose_reply, envelope_recipients, message_bytes
from shared_inbox.net.errors import MailServerError
from shared_inbox.outbox import Outbox, OutboxEntry, OutboxPolicy, OutboxSender, OutboxState, Step
from shared_inbox.services.flags import PendingFlags
from shared_inbox.smtp import (
    Delivery,
    SmtpAuthError,
    SmtpConnectError,
    SmtpDropped,
    SmtpEndpoint,
    SmtpInDoubt,
    SmtpRejected,
)
from shared_inbox.store import Store

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
OURS = frozenset({"support@example.com", "alice@example.com"})
ORIGINAL = MessageMeta(
    message_id="m1@customer.test",
    subject="Order problem",
    sender=Address("Ann", "ann@customer.test"),
    to=(Address("", "support@example.com"),),
    cc=(),
    date=NOW - timedelta(hours=1),
    locations=(Location("INBOX", 7, 1),),
)

Outcome = Callable[[Callable[[], None]], Delivery]


def accepted(before_data: Callable[[], None]) -> Delivery:
    before_data()
    return Delivery(reply="250 queued")


def raising(error: Exception, *, after_data: bool = False) -> Outcome:
    def outcome(before_data: Callable[[], None]) -> Delivery:
        if after_data:
            before_data()
        raise error

    return outcome


@dataclass
class FakeSmtp:
    """Plays SMTP sessions: `outcomes` are used in order, then every send is accepted."""

    outcomes: list[Outcome] = field(default_factory=list)
    refuse_connection: Exception | None = None
    sent: list[bytes] = field(default_factory=list)  # what the server ended up holding
    sessions: int = 0

    def open(self, endpoint: SmtpEndpoint) -> FakeSmtp:
        if self.refuse_connection is not None:
            raise self.refuse_connection
        self.sessions += 1
        return self

    def send(
        self, mail_from: str, recipients: Any, raw: bytes, *, before_data: Callable[[], None]
    ) -> Delivery:
        outcome = self.outcomes.pop(0) if self.outcomes else accepted
        try:
            delivery = outcome(before_data)
        except SmtpInDoubt:
            self.sent.append(raw)  # the worst case: the server kept it
            raise
        self.sent.append(raw)
        return delivery

    def __enter__(self) -> FakeSmtp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


_ID_SEARCH = re.compile(r"<(.+)>")


class FakeImap:
    """An IMAP server's folders in memory: enough of IMAPClient for the sender."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.selected = ""

    def has_capability(self, name: str) -> bool:
        return False  # no NAMESPACE: folder names are asked of LIST

    def list_folders(
        self, directory: str = "", pattern: str = "*"
    ) -> list[tuple[tuple[bytes, ...], bytes, str]]:
        return [((), b"/", name) for name in self.server.folders if pattern in ("*", name)]

    def select_folder(self, folder: str, readonly: bool = False) -> dict[bytes, Any]:
        if folder not in self.server.folders:
            from imapclient.exceptions import IMAPClientError

            raise IMAPClientError(f"no such folder {folder}")
        self.selected = folder
        return {b"UIDVALIDITY": 7}

    def search(self, criteria: list[str]) -> list[int]:
        match = _ID_SEARCH.fullmatch(criteria[2])
        assert criteria[:2] == ["HEADER", "Message-ID"] and match is not None
        wanted = f"Message-ID: <{match.group(1)}>".encode()
        return [uid for uid, (raw, _) in self.server.folders[self.selected].items() if wanted in raw]

    def append(self, folder: str, raw: bytes, flags: tuple[str, ...] = (), msg_time: Any = None) -> bytes:
        messages = self.server.folders[folder]
        uid = max(messages, default=0) + 1
        messages[uid] = (raw, set(flags))
        return f"[APPENDUID 7 {uid}] Append completed.".encode()

    def add_flags(self, uids: list[int], flags: list[bytes], silent: bool = False) -> None:
        for uid in uids:
            self.server.folders[self.selected][uid][1].update(f.decode() for f in flags)

    def logout(self) -> None:
        return None


@dataclass
class FakeServer:
    folders: dict[str, dict[int, tuple[bytes, set[str]]]] = field(
        default_factory=lambda: {"INBOX": {1: (b"Message-ID: <m1@customer.test>\r\n\r\n", set())}, "Sent": {}}
    )
    down: bool = False
    connections: int = 0

    def connect(self, endpoint: Endpoint) -> FakeImap:
        if self.down:
            raise MailServerError("The IMAP server 127.0.0.1:143 refused the connection.")
        self.connections += 1
        return FakeImap(self)


@dataclass
class Rig:
    store: Store
    outbox: Outbox
    smtp: FakeSmtp
    imap: FakeServer
    changed: list[list[str]]

    def sender(self, **options: Any) -> OutboxSender:
        return OutboxSender(
            self.outbox,
            self.store,
            smtp=lambda: SmtpEndpoint("127.0.0.1", 25, "none"),
            imap=lambda: Endpoint("127.0.0.1", 143, "none", "support", "pw"),
            sent_folder="Sent",
            our_addresses=OURS,
            open_smtp=self.smtp.open,  # type: ignore[arg-type]
            open_imap=self.imap.connect,
            on_messages=self.changed.append,
            **options,
        )

    def queue(self, *, release: datetime = NOW, body: str = "On its way") -> OutboxEntry:
        message = compose_reply(
            ORIGINAL,
            "Where is it?",
            body=body,
            agent=Member("Alice", "alice@example.com"),
            account=AccountConfig("Acme", "support@example.com"),
            conversation_id="c0123456789",
            date=NOW,
        )
        entry = OutboxEntry(
            id="",
            message_id=str(message["Message-ID"]).strip("<>"),
            mail_from="support@example.com",
            recipients=tuple(envelope_recipients(message)),
            subject=str(message["Subject"]),
            body=body,
            author="alice@example.com",
            created_at=NOW,
            release_at=release,
            state=OutboxState.HELD if release > NOW else OutboxState.QUEUED,
            conversation_id="c0123456789",
            replied_to=ORIGINAL.message_id,
        )
        return self.outbox.add(message_bytes(message), entry)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([ORIGINAL])
        outbox = Outbox.open(store)
        yield Rig(store, outbox, FakeSmtp(), FakeServer(), [])
        outbox.close()


def test_a_due_reply_is_delivered_once_and_finished(rig: Rig) -> None:
    entry = rig.queue()
    report = rig.sender().flush(NOW)
    assert [e.id for e in report.sent] == [entry.id] and report.ok
    assert rig.smtp.sent == [rig.outbox.raw(entry.id)]

    done = rig.outbox.get(entry.id)
    assert done.state is OutboxState.SENT and done.sent_at == NOW and done.pending == frozenset()
    # A read copy in Sent; \Answered on the original, on the server and locally.
    [(copy, flags)] = rig.imap.folders["Sent"].values()
    assert copy == rig.outbox.raw(entry.id) and flags == {SEEN}
    assert ANSWERED in rig.imap.folders["INBOX"][1][1]
    assert ANSWERED in (rig.store.message(ORIGINAL.message_id) or ORIGINAL).flags
    assert PendingFlags(rig.store).load() == []
    # The reply is stored with its Sent location and body, so it shows in its conversation.
    stored = rig.store.message(entry.message_id)
    assert stored is not None and stored.outgoing and stored.token == "c0123456789"
    assert stored.locations == (Location("Sent", 7, 1),) and rig.store.load_raw(entry.message_id)
    assert rig.changed == [[entry.message_id, ORIGINAL.message_id]]

    again = rig.sender().flush(NOW + timedelta(hours=1))
    assert again.sent == [] and len(rig.smtp.sent) == 1 and len(rig.imap.folders["Sent"]) == 1


def test_nothing_is_sent_during_the_undo_window(rig: Rig) -> None:
    entry = rig.queue(release=NOW + timedelta(seconds=10))
    assert rig.sender().flush(NOW + timedelta(seconds=9)).sent == []
    assert rig.smtp.sessions == 0 and rig.imap.connections == 0
    rig.outbox.cancel(entry.id)
    assert rig.sender().flush(NOW + timedelta(minutes=1)).sent == []
    assert rig.smtp.sent == []


@pytest.mark.parametrize(
    "failure",
    [
        SmtpConnectError("The SMTP server 127.0.0.1:25 refused the connection."),
        SmtpAuthError("The SMTP server refused the login of user x: 535 no"),
    ],
)
def test_a_server_that_cannot_be_used_means_retry_later(rig: Rig, failure: Exception) -> None:
    entry = rig.queue()
    rig.smtp.refuse_connection = failure
    report = rig.sender().flush(NOW)
    assert report.problems == [str(failure)] and [e.id for e in report.deferred] == [entry.id]
    waiting = rig.outbox.get(entry.id)
    assert waiting.state is OutboxState.QUEUED and waiting.last_error == str(failure)
    assert waiting.next_attempt_at == NOW + timedelta(seconds=30)

    rig.smtp.refuse_connection = None
    assert rig.sender().flush(NOW + timedelta(seconds=29)).sent == []
    assert len(rig.sender().flush(NOW + timedelta(seconds=30)).sent) == 1
    assert len(rig.smtp.sent) == 1


def test_an_unavailable_password_is_retried_like_a_server_problem(rig: Rig) -> None:
    from shared_inbox.config import PasswordError

    def no_password() -> SmtpEndpoint:
        raise PasswordError("smtp.password_command", "the command failed")

    entry = rig.queue()
    sender = rig.sender()
    sender._smtp = no_password
    report = sender.flush(NOW)
    assert (
        "password is not available" in report.problems[0]
        and rig.outbox.get(entry.id).state is OutboxState.QUEUED
    )


def test_permanent_rejection_fails_visibly_and_is_not_retried(rig: Rig) -> None:
    entry = rig.queue()
    second = rig.queue(body="another")
    rig.smtp.outcomes = [raising(SmtpRejected("The SMTP server refused the message: 550 no such user", 550))]
    report = rig.sender().flush(NOW)
    assert [e.id for e in report.failed] == [entry.id] and [e.id for e in report.sent] == [second.id]
    failed = rig.outbox.get(entry.id)
    assert failed.state is OutboxState.FAILED and "550 no such user" in (failed.last_error or "")
    rig.sender().flush(NOW + timedelta(days=1), ignore_backoff=True)
    assert rig.outbox.get(entry.id).state is OutboxState.FAILED and len(rig.smtp.sent) == 1


def test_temporary_rejection_is_retried(rig: Rig) -> None:
    entry = rig.queue()
    rig.smtp.outcomes = [raising(SmtpRejected("451 try again later", 451))]
    report = rig.sender().flush(NOW)
    assert [e.id for e in report.deferred] == [entry.id]
    assert rig.sender().flush(NOW + timedelta(minutes=1)).sent[0].id == entry.id


def test_a_connection_lost_before_the_data_is_retried(rig: Rig) -> None:
    entry, later = rig.queue(), rig.queue(body="later")
    rig.smtp.outcomes = [raising(SmtpDropped("The connection was lost before the message was sent."))]
    report = rig.sender().flush(NOW)
    assert [e.id for e in report.deferred] == [entry.id] and report.sent == []
    assert rig.outbox.get(later.id).state is OutboxState.QUEUED  # waits for a fresh connection
    assert len(rig.sender().flush(NOW + timedelta(minutes=1)).sent) == 2


def test_a_connection_lost_after_the_data_is_never_sent_again_automatically(rig: Rig) -> None:
    entry = rig.queue()
    rig.smtp.outcomes = [raising(SmtpInDoubt("The connection was lost after the data."), after_data=True)]
    report = rig.sender().flush(NOW)
    assert [e.id for e in report.unconfirmed] == [entry.id]
    doubtful = rig.outbox.get(entry.id)
    assert doubtful.state is OutboxState.UNCONFIRMED and "may have taken it" in (doubtful.last_error or "")
    for hours in (1, 5, 48):
        rig.sender().flush(NOW + timedelta(hours=hours), ignore_backoff=True)
    assert len(rig.smtp.sent) == 1 and rig.outbox.get(entry.id).state is OutboxState.UNCONFIRMED
    assert rig.imap.folders["Sent"] == {}


def test_unconfirmed_mail_found_in_sent_is_settled_without_sending(rig: Rig) -> None:
    entry = rig.queue()
    rig.smtp.outcomes = [raising(SmtpInDoubt("lost"), after_data=True)]
    rig.sender().flush(NOW)
    rig.imap.folders["Sent"][9] = (rig.outbox.raw(entry.id), {SEEN})  # the server filed it itself

    report = rig.sender().flush(NOW + timedelta(minutes=1))
    assert [e.id for e in report.confirmed] == [entry.id] and report.unconfirmed == []
    settled = rig.outbox.get(entry.id)
    assert settled.state is OutboxState.SENT and "copy in Sent" in (settled.note or "")
    assert len(rig.imap.folders["Sent"]) == 1 and len(rig.smtp.sent) == 1
    stored = rig.store.message(entry.message_id)
    assert stored is not None and Location("Sent", 7, 9) in stored.locations


def test_unconfirmed_mail_already_in_the_store_is_settled(rig: Rig) -> None:
    entry = rig.queue()
    rig.smtp.outcomes = [raising(SmtpInDoubt("lost"), after_data=True)]
    rig.sender().flush(NOW)
    synced = MessageMeta(
        message_id=entry.message_id,
        subject=entry.subject,
        sender=Address("", "support@example.com"),
        to=(),
        cc=(),
        date=NOW,
        locations=(Location("Sent", 7, 3),),
    )
    rig.store.upsert_messages([synced])  # a teammate's sync brought it in
    report = rig.sender().flush(NOW + timedelta(minutes=1))
    assert [e.id for e in report.confirmed] == [entry.id]
    assert rig.imap.folders["Sent"] == {}  # the copy exists already: no second one
    assert len(rig.smtp.sent) == 1


def test_an_interruption_after_handing_over_is_recorded_as_unconfirmed(rig: Rig) -> None:
    entry = rig.queue()
    rig.smtp.outcomes = [raising(KeyboardInterrupt(), after_data=True)]  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        rig.sender().flush(NOW)
    assert rig.outbox.get(entry.id).state is OutboxState.UNCONFIRMED


def test_an_interruption_before_handing_over_is_retried(rig: Rig) -> None:
    entry = rig.queue()
    rig.smtp.outcomes = [raising(KeyboardInterrupt())]  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        rig.sender().flush(NOW)
    assert rig.outbox.get(entry.id).state is OutboxState.QUEUED


def test_imap_down_leaves_the_sent_copy_pending_until_it_is_back(rig: Rig) -> None:
    entry = rig.queue()
    rig.imap.down = True
    report = rig.sender().flush(NOW)
    assert [e.id for e in report.sent] == [entry.id] and "refused the connection" in report.problems[0]
    pending = rig.outbox.get(entry.id)
    assert pending.state is OutboxState.SENT and pending.pending == {Step.SENT_COPY}
    # Recorded locally anyway, and \Answered is queued for the next sync.
    assert rig.store.message(entry.message_id) is not None
    assert PendingFlags(rig.store).load() == [(ORIGINAL.message_id, ANSWERED, True)]

    rig.imap.down = False
    rig.sender().flush(NOW + timedelta(minutes=1))
    assert rig.outbox.get(entry.id).pending == frozenset()
    assert len(rig.imap.folders["Sent"]) == 1 and len(rig.smtp.sent) == 1


def test_a_sent_copy_saved_before_a_crash_is_not_saved_twice(rig: Rig) -> None:
    entry = rig.queue()
    rig.imap.down = True
    rig.sender().flush(NOW)
    rig.imap.down = False
    rig.imap.folders["Sent"][4] = (rig.outbox.raw(entry.id), {SEEN})  # APPENDed, then the crash
    rig.sender().flush(NOW + timedelta(minutes=1))
    assert list(rig.imap.folders["Sent"]) == [4] and rig.outbox.get(entry.id).pending == frozenset()


def test_a_server_that_saves_sent_mail_gets_no_copy(rig: Rig) -> None:
    entry = rig.queue()
    rig.sender(save_sent_copy=False).flush(NOW)
    assert rig.imap.folders["Sent"] == {} and rig.outbox.get(entry.id).pending == frozenset()


def test_recipients_the_server_refused_are_noted(rig: Rig) -> None:
    entry = rig.queue()

    def partly(before_data: Callable[[], None]) -> Delivery:
        before_data()
        return Delivery("250 ok", {"bob@customer.test": "550 5.1.1 unknown user"})

    rig.smtp.outcomes = [partly]
    rig.sender().flush(NOW)
    assert rig.outbox.get(entry.id).note == "Not accepted for bob@customer.test (550 5.1.1 unknown user)."


def test_old_sent_entries_are_forgotten(rig: Rig) -> None:
    rig.queue()
    rig.sender().flush(NOW)
    rig.sender(policy=OutboxPolicy(keep_sent=timedelta(days=7))).flush(NOW + timedelta(days=8))
    assert rig.outbox.entries() == []


def test_a_message_file_that_vanished_fails_that_message_only(rig: Rig) -> None:
    gone, kept = rig.queue(), rig.queue(body="kept")
    (rig.outbox.mail_dir / f"{gone.id}-0.eml").unlink()
    report = rig.sender().flush(NOW)
    assert [e.id for e in report.failed] == [gone.id] and [e.id for e in report.sent] == [kept.id]
    assert "missing" in (rig.outbox.get(gone.id).last_error or "")
