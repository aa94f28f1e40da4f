"""Delivering the outbox: one round sends what is due, settles what is in doubt, and finishes
what delivery left to do (local record, Sent copy, \\Answered).

A round is blocking and meant for a worker thread (or the CLI). `run` repeats rounds in the
background, sleeping until the next entry is due or the agent queues something.

Exactly once, in short (docs/sending.md has the whole argument):

* the entry is `sending` (durably) before any network traffic, and switches to phase `data`
  (durably) just before the message data goes out;
* a failure before that point is safe to retry, with exponential backoff;
* a lost connection after it leaves the entry `unconfirmed`: it is never sent again
  automatically; every round looks for it on the server (Sent, then INBOX) and in the local
  store, and marks it sent when it is found. The agent may resend or mark it sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from imapclient import IMAPClient

from shared_inbox.config.errors import PasswordError
from shared_inbox.imap.connection import Endpoint, connect_imap
from shared_inbox.outbox.mailbox import ServerMailbox, queue_answered, record_sent
from shared_inbox.outbox.model import (
    OutboxEntry,
    OutboxPolicy,
    OutboxState,
    Phase,
    Step,
    steps_after_delivery,
)
from shared_inbox.outbox.queue import Outbox, OutboxError
from shared_inbox.smtp import SmtpEndpoint, SmtpError, SmtpInDoubt, SmtpRejected, SmtpSession
from shared_inbox.store import Store
from shared_inbox.wallclock import utc_now

log = logging.getLogger(__name__)

IN_DOUBT_ADVICE = (
    " The server may have taken it, so it is not sent again automatically;"
    " it is marked sent once found in the mailbox."
)
RECHECK_EVERY = timedelta(minutes=2)  # how often the background loop looks for unconfirmed mail


@dataclass
class RoundReport:
    """What one round did, for the CLI to print and the UI to show."""

    sent: list[OutboxEntry] = field(default_factory=list)
    confirmed: list[OutboxEntry] = field(default_factory=list)  # was in doubt, found on the server
    deferred: list[OutboxEntry] = field(default_factory=list)  # will be retried
    failed: list[OutboxEntry] = field(default_factory=list)
    unconfirmed: list[OutboxEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # server-level trouble, one sentence each

    @property
    def ok(self) -> bool:
        return not (self.deferred or self.failed or self.unconfirmed or self.problems)


class OutboxSender:
    def __init__(
        self,
        outbox: Outbox,
        store: Store,
        *,
        smtp: Callable[[], SmtpEndpoint],
        imap: Callable[[], Endpoint],
        sent_folder: str,
        our_addresses: frozenset[str],
        save_sent_copy: bool = True,
        search_folders: tuple[str, ...] = ("INBOX",),
        policy: OutboxPolicy | None = None,
        open_smtp: Callable[[SmtpEndpoint], SmtpSession] = SmtpSession.open,
        open_imap: Callable[[Endpoint], IMAPClient] = connect_imap,
        on_messages: Callable[[list[str]], None] | None = None,
        find_sent: bool = False,
    ) -> None:
        """`smtp` and `imap` build endpoints on demand (they resolve passwords, which may run a
        command); `on_messages` hears of messages stored or changed locally, from this thread;
        with `find_sent` the server's \\Sent-flagged folder is used instead of `sent_folder`."""
        self.outbox = outbox
        self.store = store
        self.policy = policy or OutboxPolicy()
        self._smtp = smtp
        self._imap = imap
        self._sent_folder = sent_folder
        self._find_sent = find_sent
        self._search_folders = search_folders
        self._our_addresses = our_addresses
        self._save_sent_copy = save_sent_copy
        self._open_smtp = open_smtp
        self._open_imap = open_imap
        self._on_messages = on_messages or (lambda ids: None)
        self._round = threading.Lock()

    # -- rounds --------------------------------------------------------------------

    def flush(self, now: datetime, *, ignore_backoff: bool = False) -> RoundReport:
        """Send everything due at `now` (retry waits too, with `ignore_backoff`), then settle the rest."""
        with self._round:
            report = RoundReport()
            mailbox = ServerMailbox(
                self._imap,
                sent_folder=self._sent_folder,
                search_folders=self._search_folders,
                connect=self._open_imap,
                find_sent=self._find_sent,
            )
            changed: list[str] = []  # Message-IDs stored or re-flagged locally
            try:
                self._deliver(now, ignore_backoff, report)
                self._confirm(mailbox, now, report, changed)
                self._finish(mailbox, changed)
            finally:
                mailbox.close()
            if mailbox.problem:
                report.problems.append(mailbox.problem)
            settled = {e.id for e in report.confirmed}
            doubtful = {e.id: e for e in report.unconfirmed if e.id not in settled}
            report.unconfirmed = list(doubtful.values())
            self.outbox.prune(now - self.policy.keep_sent)
            if changed:
                self._on_messages(list(dict.fromkeys(changed)))
            return report

    def run(
        self,
        stop: threading.Event,
        *,
        clock: Callable[[], datetime] = utc_now,
        on_round: Callable[[RoundReport], None] = lambda report: None,
        recheck: timedelta = RECHECK_EVERY,
    ) -> None:
        """Keep sending until `stop` is set (call `wake()` after setting it to stop at once)."""
        last_round: datetime | None = None
        while not stop.is_set():
            now = clock()
            waiting = self.outbox.entries({OutboxState.UNCONFIRMED}) or any(
                e.pending for e in self.outbox.entries({OutboxState.SENT})
            )
            recheck_due = waiting and (last_round is None or now - last_round >= recheck)
            if self.outbox.due(now) or recheck_due:
                last_round = now
                on_round(self.flush(now))
            wake = self.outbox.next_wake()
            delay = recheck.total_seconds() if wake is None else (wake - clock()).total_seconds()
            self.outbox.changed.wait(min(max(delay, 0.05), recheck.total_seconds()))
            self.outbox.changed.clear()

    def wake(self) -> None:
        self.outbox.changed.set()

    # -- delivering ------------------------------------------------------------------

    def _deliver(self, now: datetime, ignore_backoff: bool, report: RoundReport) -> None:
        due = self.outbox.due(now, ignore_backoff=ignore_backoff)
        if not due:
            return
        try:
            session = self._open_smtp(self._smtp())
        except (SmtpError, PasswordError) as exc:
            problem = (
                str(exc) if isinstance(exc, SmtpError) else f"The SMTP password is not available: {exc}."
            )
            report.problems.append(problem)
            for candidate in due:
                if self.outbox.begin(candidate.id, now, ignore_backoff=ignore_backoff) is not None:
                    self._defer(candidate.id, now, problem, report)
            return
        with session:
            for candidate in due:
                claimed = self.outbox.begin(candidate.id, now, ignore_backoff=ignore_backoff)
                if claimed is not None and not self._send_one(session, claimed, now, report):
                    break  # the connection is gone; the rest waits for the next round

    def _send_one(self, session: SmtpSession, entry: OutboxEntry, now: datetime, report: RoundReport) -> bool:
        """One transaction; False when the connection cannot be used for another message."""
        try:
            raw = self.outbox.raw(entry.id)
        except OutboxError as exc:
            report.failed.append(self.outbox.failed(entry.id, str(exc)))
            return True
        try:
            delivery = session.send(
                entry.mail_from, entry.recipients, raw, before_data=lambda: self.outbox.handing_over(entry.id)
            )
        except SmtpInDoubt as exc:
            report.unconfirmed.append(self.outbox.unconfirmed(entry.id, str(exc) + IN_DOUBT_ADVICE))
            return False
        except SmtpRejected as exc:
            if exc.permanent:
                report.failed.append(self.outbox.failed(entry.id, str(exc)))
            else:
                self._defer(entry.id, now, str(exc), report)
            return True
        except SmtpError as exc:
            self._defer(entry.id, now, str(exc), report)
            report.problems.append(str(exc))
            return False
        except BaseException as exc:
            self._interrupted(entry.id, now, exc)
            raise
        note = None
        if delivery.refused:
            note = (
                "Not accepted for " + "; ".join(f"{a} ({why})" for a, why in delivery.refused.items()) + "."
            )
        report.sent.append(self.outbox.delivered(entry.id, now, note, self._steps(entry, copy_exists=False)))
        return True

    def _defer(self, entry_id: str, now: datetime, error: str, report: RoundReport) -> None:
        entry = self.outbox.deferred(entry_id, now, error, self.policy)
        (report.failed if entry.state is OutboxState.FAILED else report.deferred).append(entry)

    def _interrupted(self, entry_id: str, now: datetime, exc: BaseException) -> None:
        """Something other than SMTP broke mid-attempt: leave the entry in an honest state."""
        interrupted = isinstance(exc, KeyboardInterrupt)
        if not interrupted:
            log.warning("sending outbox entry %s stopped: %s", entry_id, exc)
        what = "Sending was interrupted." if interrupted else f"Sending stopped unexpectedly ({exc})."
        try:
            if self.outbox.get(entry_id).phase is Phase.DATA:
                self.outbox.unconfirmed(entry_id, what + IN_DOUBT_ADVICE)
            else:
                self.outbox.deferred(entry_id, now, what, self.policy)
        except Exception:  # noqa: BLE001 - the original error matters more; reopening recovers
            log.exception("could not record the interruption of outbox entry %s", entry_id)

    def _steps(self, entry: OutboxEntry, *, copy_exists: bool) -> frozenset[Step]:
        return steps_after_delivery(entry.replied_to, save_sent_copy=self._save_sent_copy and not copy_exists)

    # -- settling doubt and finishing ----------------------------------------------

    def _confirm(
        self, mailbox: ServerMailbox, now: datetime, report: RoundReport, changed: list[str]
    ) -> None:
        """Look for unconfirmed messages in the local store, then on the server; found means sent."""
        for entry in self.outbox.entries({OutboxState.UNCONFIRMED}):
            stored = self.store.message(entry.message_id)
            if stored is not None:
                locations = stored.locations
                note = "Delivery confirmed: the message was found in the mailbox."
            else:
                location = mailbox.find(entry.message_id)
                if location is None:
                    report.unconfirmed.append(entry)  # still in doubt, whichever round sent it
                    continue
                locations = (location,)
                note = f"Delivery confirmed: the server has a copy in {location.folder}."
                record_sent(
                    self.store,
                    self.outbox.raw(entry.id),
                    when=now,
                    our_addresses=self._our_addresses,
                    location=location,
                )
                changed.append(entry.message_id)
            in_sent = any(loc.folder == mailbox.sent_name() for loc in locations)
            steps = self._steps(entry, copy_exists=in_sent) - {Step.RECORD}  # the store has it now
            report.confirmed.append(self.outbox.delivered(entry.id, now, note, steps))

    def _finish(self, mailbox: ServerMailbox, changed: list[str]) -> None:
        """Record sent messages locally, queue \\Answered, and save Sent copies on the server."""
        answered: list[str] = []
        for entry in self.outbox.entries({OutboxState.SENT}):
            if not entry.pending:
                continue
            try:
                raw = self.outbox.raw(entry.id)
            except OutboxError as exc:
                log.warning("outbox entry %s: %s", entry.id, exc)
                for step in entry.pending:
                    self.outbox.step_done(entry.id, step)
                continue
            when = entry.sent_at or entry.created_at
            if Step.RECORD in entry.pending:
                record_sent(self.store, raw, when=when, our_addresses=self._our_addresses)
                self.outbox.step_done(entry.id, Step.RECORD)
                changed.append(entry.message_id)
            if Step.ANSWERED in entry.pending and entry.replied_to:
                # Durable in the sync's queue from here on, so the step is done even if the push fails.
                queue_answered(self.store, entry.replied_to)
                self.outbox.step_done(entry.id, Step.ANSWERED)
                answered.append(entry.replied_to)
                changed.append(entry.replied_to)
            if Step.SENT_COPY in entry.pending:
                self._save_copy(mailbox, entry, raw, when)
        if answered:
            mailbox.push_answered(self.store, answered, self._our_addresses)

    def _save_copy(self, mailbox: ServerMailbox, entry: OutboxEntry, raw: bytes, when: datetime) -> None:
        """APPEND to Sent unless a copy is there already (a crash may have come after the APPEND)."""
        location = mailbox.find(entry.message_id, sent_only=True)
        if location is None and mailbox.problem is None:
            location = mailbox.save_copy(raw, when)  # None also when saved without UIDPLUS
        if mailbox.problem is not None:
            return  # the server could not be used: the step stays pending for the next round
        if location is not None:
            record_sent(self.store, raw, when=when, our_addresses=self._our_addresses, location=location)
        self.outbox.step_done(entry.id, Step.SENT_COPY)
