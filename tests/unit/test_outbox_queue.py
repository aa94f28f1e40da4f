"""The durable outbox: what is stored, how states change, and what a crash leaves behind."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_inbox.config.model import AccountConfig, Member
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.mail.compose import compose_reply, envelope_recipients, message_bytes
from shared_inbox.outbox import Outbox, OutboxEntry, OutboxError, OutboxPolicy, OutboxState, Phase, Step
from shared_inbox.outbox.model import entry_from_doc, entry_to_doc
from shared_inbox.outbox.queue import INTERRUPTED_BEFORE, INTERRUPTED_DURING, MAIL_MISSING
from shared_inbox.store import Store, StoreCorrupt

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
ACCOUNT = AccountConfig("Acme Support", "support@example.com")
ALICE = Member("Alice Agent", "alice@example.com", "Alice")
ORIGINAL = MessageMeta(
    message_id="m1@customer.test",
    subject="Order problem",
    sender=Address("Ann", "ann@customer.test"),
    to=(),
    cc=(),
    date=NOW - timedelta(hours=1),
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store") as opened:
        yield opened


def queue(outbox: Outbox, body: str = "First draft", *, release: datetime = NOW) -> OutboxEntry:
    message = compose_reply(
        ORIGINAL,
        "Where is it?",
        body=body,
        agent=ALICE,
        account=ACCOUNT,
        conversation_id="c0123456789",
        date=NOW,
    )
    recipients = envelope_recipients(message)
    entry = OutboxEntry(
        id="",
        message_id=str(message["Message-ID"]).strip("<>"),
        mail_from=ACCOUNT.address,
        recipients=tuple(recipients),
        subject=str(message["Subject"]),
        body=body,
        author=ALICE.email,
        created_at=NOW,
        release_at=release,
        state=OutboxState.HELD if release > NOW else OutboxState.QUEUED,
        conversation_id="c0123456789",
        replied_to=ORIGINAL.message_id,
    )
    return outbox.add(message_bytes(message), entry)


def reopen(store: Store, outbox: Outbox) -> Outbox:
    outbox.close()
    return Outbox.open(store)


def test_a_queued_message_is_on_disk_privately_and_survives_reopening(store: Store) -> None:
    outbox = Outbox.open(store)
    entry = queue(outbox, release=NOW + timedelta(seconds=10))
    raw = outbox.raw(entry.id)
    outbox = reopen(store, outbox)
    assert outbox.get(entry.id) == entry and outbox.raw(entry.id) == raw
    assert entry.state is OutboxState.HELD and entry.recipients == ("ann@customer.test",)
    for path in [outbox.directory, outbox.mail_dir]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for path in [outbox.directory / "entries.json", *outbox.mail_dir.iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_due_honours_the_undo_window_and_the_retry_wait(store: Store) -> None:
    outbox = Outbox.open(store)
    held = queue(outbox, release=NOW + timedelta(seconds=10))
    assert outbox.due(NOW) == [] and outbox.next_wake() == held.release_at
    assert [e.id for e in outbox.due(NOW + timedelta(seconds=10))] == [held.id]
    claimed = outbox.begin(held.id, NOW + timedelta(seconds=10))
    assert claimed is not None and claimed.attempts == 1
    waiting = outbox.deferred(held.id, NOW + timedelta(seconds=10), "down", OutboxPolicy())
    assert waiting.next_attempt_at == NOW + timedelta(seconds=40)
    assert outbox.due(NOW + timedelta(seconds=20)) == []
    assert len(outbox.due(NOW + timedelta(seconds=20), ignore_backoff=True)) == 1
    assert len(outbox.due(NOW + timedelta(seconds=40))) == 1


def test_backoff_doubles_up_to_its_cap_and_gives_up_in_the_end(store: Store) -> None:
    policy = OutboxPolicy()
    assert [policy.retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 8, 50)] == [
        30,
        60,
        120,
        1800,
        1800,
        1800,
    ]
    outbox = Outbox.open(store)
    entry = queue(outbox)
    moment = NOW
    while True:
        assert outbox.begin(entry.id, moment, ignore_backoff=True) is not None
        entry = outbox.deferred(entry.id, moment, "The SMTP server is down.", policy)
        if entry.state is OutboxState.FAILED:
            break
        moment += timedelta(hours=1)
    assert moment - NOW >= policy.give_up_after
    assert entry.last_error is not None and entry.last_error.startswith("Gave up after")
    assert "The SMTP server is down." in entry.last_error


def test_cancel_is_undo_and_removes_the_message(store: Store) -> None:
    outbox = Outbox.open(store)
    entry = queue(outbox, release=NOW + timedelta(seconds=10))
    outbox.cancel(entry.id)
    assert outbox.entries() == [] and list(outbox.mail_dir.iterdir()) == []
    assert reopen(store, outbox).entries() == []
    with pytest.raises(OutboxError, match="no outbox entry"):
        outbox.get(entry.id)


@pytest.mark.parametrize(
    ("state", "why"),
    [
        (OutboxState.SENDING, "being sent right now"),
        (OutboxState.SENT, "already sent"),
    ],
)
def test_what_has_left_cannot_be_edited_or_cancelled(store: Store, state: OutboxState, why: str) -> None:
    outbox = Outbox.open(store)
    entry = queue(outbox)
    outbox.begin(entry.id, NOW)
    if state is OutboxState.SENT:
        outbox.delivered(entry.id, NOW, None, [])
    for action in (lambda: outbox.cancel(entry.id), lambda: outbox.edit_body(entry.id, "new")):
        with pytest.raises(OutboxError, match=why):
            action()
    assert outbox.get(entry.id).state is state


def test_edit_writes_a_new_revision_and_keeps_the_message_id(store: Store) -> None:
    outbox = Outbox.open(store)
    entry = queue(outbox, "First draft", release=NOW + timedelta(minutes=1))
    edited = outbox.edit_body(entry.id, "Second thoughts")
    raw = outbox.raw(entry.id).decode()
    assert edited.body == "Second thoughts" and "Second thoughts" in raw and "First draft" not in raw
    assert f"<{entry.message_id}>" in raw and "> Where is it?" in raw
    assert [p.name for p in outbox.mail_dir.iterdir()] == [f"{entry.id}-1.eml"]
    assert reopen(store, outbox).get(entry.id).body == "Second thoughts"


def test_send_now_retry_and_mark_sent(store: Store) -> None:
    outbox = Outbox.open(store)
    entry = queue(outbox, release=NOW + timedelta(hours=1))
    assert outbox.send_now(entry.id, NOW).due(NOW)
    outbox.begin(entry.id, NOW)
    outbox.failed(entry.id, "550 no such user")
    retried = outbox.retry(entry.id, NOW)
    assert retried.state is OutboxState.QUEUED and retried.attempts == 0 and retried.due(NOW)
    outbox.begin(entry.id, NOW)
    outbox.unconfirmed(entry.id, "lost")
    sent = outbox.mark_sent(entry.id, NOW, {Step.RECORD})
    assert sent.state is OutboxState.SENT and sent.pending == {Step.RECORD}
    with pytest.raises(OutboxError, match="already sent"):
        outbox.retry(entry.id, NOW)


def test_a_crash_before_handing_over_means_send_again(store: Store) -> None:
    outbox = Outbox.open(store)
    entry = queue(outbox)
    outbox.begin(entry.id, NOW)
    recovered = reopen(store, outbox).get(entry.id)
    assert recovered.state is OutboxState.QUEUED and recovered.last_error == INTERRUPTED_BEFORE
    assert recovered.due(NOW) and recovered.attempts == 1


def test_a_crash_while_handing_over_means_unconfirmed(store: Store) -> None:
    outbox = Outbox.open(store)
    entry = queue(outbox)
    outbox.begin(entry.id, NOW)
    outbox.handing_over(entry.id)
    assert outbox.get(entry.id).phase is Phase.DATA
    recovered = reopen(store, outbox).get(entry.id)
    assert recovered.state is OutboxState.UNCONFIRMED and recovered.last_error == INTERRUPTED_DURING
    assert not recovered.due(NOW + timedelta(days=1), ignore_backoff=True)


def test_files_left_behind_by_a_crash_are_cleaned_up(store: Store) -> None:
    outbox = Outbox.open(store)
    entry = queue(outbox)
    (outbox.mail_dir / "deadbeef-0.eml").write_bytes(b"written, but its entry never was")
    (outbox.mail_dir / f"{entry.id}-1.eml").write_bytes(b"an edit that was never recorded")
    (outbox.directory / ".entries.json.123.tmp").write_bytes(b"{")
    outbox = reopen(store, outbox)
    assert sorted(p.name for p in outbox.mail_dir.iterdir()) == [f"{entry.id}-0.eml"]
    assert not list(outbox.directory.glob("*.tmp"))
    assert outbox.get(entry.id) == entry


def test_prune_forgets_only_finished_old_entries(store: Store) -> None:
    outbox = Outbox.open(store)
    done, unfinished, recent = queue(outbox), queue(outbox), queue(outbox)
    for entry, pending in ((done, []), (unfinished, [Step.SENT_COPY])):
        outbox.begin(entry.id, NOW)
        outbox.delivered(entry.id, NOW, None, pending)
    outbox.begin(recent.id, NOW)
    outbox.delivered(recent.id, NOW + timedelta(days=6), None, [])
    assert outbox.prune(NOW + timedelta(days=1)) == [done.id]
    assert {e.id for e in outbox.entries()} == {unfinished.id, recent.id}
    assert len(list(outbox.mail_dir.iterdir())) == 2


def test_a_damaged_entries_file_is_a_clear_error(store: Store) -> None:
    outbox = Outbox.open(store)
    queue(outbox)
    path = outbox.directory / "entries.json"
    outbox.close()
    data = json.loads(path.read_text())
    data["entries"][next(iter(data["entries"]))]["state"] = "teleported"
    path.write_text(json.dumps(data))
    with pytest.raises(StoreCorrupt, match="entries.json is damaged"):
        Outbox.open(store)


def test_a_closed_store_has_no_outbox(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    store.close()
    with pytest.raises(Exception, match="closed"):
        Outbox.open(store)


_TIMES = st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))


@given(
    state=st.sampled_from(OutboxState),
    phase=st.none() | st.sampled_from(Phase),
    pending=st.frozensets(st.sampled_from(Step)),
    text=st.text(max_size=40),
    when=_TIMES,
    maybe=st.none() | _TIMES,
    attempts=st.integers(0, 1000),
)
def test_entries_round_trip_through_json(
    state: OutboxState,
    phase: Phase | None,
    pending: frozenset[Step],
    text: str,
    when: datetime,
    maybe: datetime | None,
    attempts: int,
) -> None:
    entry = OutboxEntry(
        id="0a1b2c3d",
        message_id="si.c1.x@example.com",
        mail_from="support@example.com",
        recipients=(text, "b@x"),
        subject=text,
        body=text,
        author="alice@example.com",
        created_at=when,
        release_at=when,
        state=state,
        phase=phase,
        attempts=attempts,
        first_attempt_at=maybe,
        next_attempt_at=maybe,
        sent_at=maybe,
        last_error=text or None,
        note=text or None,
        pending=pending,
    )
    doc = json.loads(json.dumps(entry_to_doc(entry)))
    assert entry_from_doc(doc, "entries.json") == entry


def test_a_message_whose_file_is_gone_fails_visibly_and_can_be_cancelled(store: Store) -> None:
    outbox = Outbox.open(store)
    entry = queue(outbox)
    for path in outbox.mail_dir.iterdir():
        path.unlink()
    with pytest.raises(OutboxError, match="missing"):
        outbox.raw(entry.id)
    outbox = reopen(store, outbox)
    failed = outbox.get(entry.id)
    assert failed.state is OutboxState.FAILED and failed.last_error == MAIL_MISSING
    outbox.cancel(entry.id)
    assert outbox.entries() == []
