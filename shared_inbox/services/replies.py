"""The reply use case, whole, for the TUI, the CLI and any automation: one service, one behaviour.

`Replies` previews who a reply goes to, queues it with the team's From and Reply-To, makes
the changes a reply makes (pending, assigned to its author, the canned reply's actions),
finds the promises in the agent's words, tracks the ones accepted, takes all of it back
when the send is undone (returning what was written), and flushes the outbox, telling the
inbox what arrived. `shared-inbox reply` and the composer's send are both thin callers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses
from functools import partial

from shared_inbox.canned import record_use
from shared_inbox.domain.events import Event
from shared_inbox.domain.model import Address, Status
from shared_inbox.domain.promises import FollowUpError, PromiseCandidate
from shared_inbox.mail.compose import (
    ComposeError,
    FromStyle,
    compose_reply,
    forward_subject,
    forwarded_text,
    reply_subject,
)
from shared_inbox.outbox import Composer, Outbox, OutboxEntry, OutboxError, OutboxPolicy, open_sender
from shared_inbox.outbox.model import OutboxState
from shared_inbox.outbox.sender import RoundReport
from shared_inbox.services.bodies import cached_body, fetch_bodies
from shared_inbox.services.commands import CommandError
from shared_inbox.services.customers import customer_profile
from shared_inbox.services.reply_effects import answered, apply_actions, new_promises
from shared_inbox.services.reply_model import (
    ComposeMode,
    Preview,
    Queued,
    ReplyDraft,
    ReplyError,
    Undone,
    open_tag_at,
    parse_addresses,
)
from shared_inbox.services.reply_thread import ThreadMessage, thread_of
from shared_inbox.services.session import Session

__all__ = [
    "ComposeMode",
    "OutboxEntry",
    "ThreadMessage",
    "Preview",
    "Queued",
    "Replies",
    "ReplyDraft",
    "ReplyError",
    "Undone",
    "open_tag_at",
    "parse_addresses",
]

WAITING = frozenset({OutboxState.HELD, OutboxState.QUEUED, OutboxState.SENDING})
TROUBLE = frozenset({OutboxState.FAILED, OutboxState.UNCONFIRMED})
CLOSE_WAIT_SECONDS = 15.0  # at quit, how long a running send round may finish before we stop waiting


class Replies:
    """The reply use case over one session. The outbox is opened on first use.

    `fetch_originals` lets queueing fetch an original the store lacks (blocking IMAP: the
    CLI allows it; the TUI fetches in a worker with :meth:`fetch_original` instead).
    """

    def __init__(
        self,
        session: Session,
        *,
        now: Callable[[], datetime],
        policy: OutboxPolicy | None = None,
        fetch_originals: bool = False,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self.now = now
        self.policy = policy or OutboxPolicy.from_config(session.config.outbox)
        self.fetch_originals = fetch_originals
        self.warn = warn
        self.last: Queued | None = None  # the message Ctrl+Z takes back
        self._outbox: Outbox | None = None
        self._flushing = threading.Lock()

    # -- the outbox ---------------------------------------------------------------

    @property
    def opened(self) -> bool:
        return self._outbox is not None

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox.open(self.session.store)
        return self._outbox

    def composer(self) -> Composer:
        fetch = self.fetch_original_raw if self.fetch_originals else None
        return Composer(
            self.session.config, self.session.inbox, self.outbox, policy=self.policy, fetch_raw=fetch
        )

    def fetch_original_raw(self, message_id: str) -> bytes | None:
        """The raw message, from the store or else from the server (cached for next time)."""
        raw = cached_body(self.session, message_id) or fetch_bodies(self.session, [message_id])[message_id]
        if raw is None and self.warn is not None:
            self.warn("the original is not quoted: the server did not give it")
        return raw

    def fetch_original(self, conversation_id: str) -> bool:
        """Fetch the message a reply or forward would quote, if the store lacks it; True if it has it now."""
        try:
            _, original = self.composer().target(conversation_id)
        except OutboxError:
            return False
        return self.fetch_original_raw(original.message_id) is not None

    def thread(self, conversation_id: str) -> list[ThreadMessage]:
        """What the composer shows beside the reply: the conversation's latest messages."""
        return thread_of(self.session, conversation_id)

    def fetch_messages(self, message_ids: Sequence[str]) -> int:
        """Fetch the texts the store lacks (blocking IMAP: from a worker); how many arrived."""
        fetched = fetch_bodies(self.session, [m for m in message_ids if cached_body(self.session, m) is None])
        return sum(raw is not None for raw in fetched.values())

    # -- before writing -----------------------------------------------------------

    def preview(self, conversation_id: str, mode: ComposeMode) -> Preview:
        """Recipients and subject of a reply as the outbox will build it (never the team's own addresses)."""
        config = self.session.config
        try:
            _, original = self.composer().target(conversation_id)
        except OutboxError:
            return Preview((), (), "")
        if mode == "forward" or mode == "new":
            return Preview((), (), forward_subject(original.subject))
        try:
            message = compose_reply(
                original,
                "",
                body="",
                agent=config.me,
                account=config.account,
                mode=mode,
                conversation_id=conversation_id,
                team_addresses=config.our_addresses,
            )
        except ComposeError:
            return Preview((), (), reply_subject(original.subject))
        return Preview(_addresses(message, "To"), _addresses(message, "Cc"), str(message["Subject"]))

    def forward_text(self, conversation_id: str) -> str | None:
        """What a forward carries of the customer's message, to show and edit; None if it is not here."""
        composer = self.composer()
        try:
            _, original = composer.target(conversation_id)
        except OutboxError:
            return None
        if self.session.store.load_raw(original.message_id) is None and not self.fetch_originals:
            return None
        return "\n\n" + forwarded_text(original, composer.original_text(original))

    # -- sending ------------------------------------------------------------------

    def queue(self, draft: ReplyDraft) -> Queued:
        """Queue the draft and make the changes a reply makes; ReplyError (nothing changed) if not."""
        self._check(draft)
        account = self.session.config.account
        from_style: FromStyle = "plain" if draft.plain_from else account.from_style.value
        reply_to = Address("", account.reply_to) if account.reply_to else None
        now = self.now()
        try:
            if draft.mode == "new":
                entry = self.composer().new_conversation(
                    self._known_names(draft.to or ()),
                    draft.subject,
                    draft.body,
                    now=now,
                    cc=self._known_names(draft.cc),
                    attachments=draft.attachments,
                    from_style=from_style,
                    reply_to=reply_to,
                    send_at=draft.send_at,
                )
            else:
                if draft.conversation_id is None:
                    raise ReplyError("A reply needs the conversation it answers.")
                entry = self.composer().reply(
                    draft.conversation_id,
                    draft.body,
                    now=now,
                    mode=draft.mode,
                    recipients=None if draft.to is None else (draft.to, draft.cc),
                    attachments=draft.attachments,
                    from_style=from_style,
                    reply_to=reply_to,
                    send_at=draft.send_at,
                    include_original=not draft.shows_original,
                    automatic=draft.automatic,
                )
        except (OutboxError, ComposeError) as exc:
            raise ReplyError(str(exc)) from None
        queued = Queued(entry, draft)
        conversation_id = entry.conversation_id if draft.mode != "new" else None
        if conversation_id is not None and draft.mode in ("reply", "reply_all") and not draft.automatic:
            reverts, queued.changes = answered(
                self.session.commands, conversation_id, self.session.config.team.me
            )
            queued.reverts[:0] = reverts
        canned_dues = self._canned(queued, conversation_id)
        if conversation_id is not None and draft.mode in ("reply", "reply_all"):
            queued.promises = new_promises(
                draft.body,
                sent_at=draft.send_at or entry.created_at,
                calendar=self.session.config.business_hours.calendar(),
                already=canned_dues,
                phrases=[reply.actions.promise for reply in draft.canned if reply.actions.promise],
            )
        if not draft.automatic:  # Ctrl+Z takes back what the agent sent, never what a rule sent
            self.last = queued
        return queued

    def track(self, queued: Queued, candidate: PromiseCandidate) -> Event:
        """Track a promise the reply made; the reply itself does not keep it, and undoing it drops it."""
        if queued.entry.conversation_id is None:
            raise ReplyError("A new conversation's promises are tracked once it has a reply.")
        conversation_id = queued.entry.conversation_id
        event = self.session.commands.set_promise(
            conversation_id, candidate.sentence, candidate.due, made_in=queued.entry.message_id
        )
        queued.tracked.append(event)
        queued.reverts.insert(
            0, partial(self.session.commands.drop_promise, conversation_id, _promise_id(event))
        )
        return event

    def undo_last(self) -> Undone:
        """Cancel the last queued message if it has not left, taking back all it changed."""
        queued = self.last
        if queued is None:
            return Undone("Nothing to undo.")
        try:
            entry = self.outbox.get(queued.entry.id)
        except OutboxError:
            self.last = None
            return Undone("Too late to undo: the reply has left the outbox.")
        if entry.state is not OutboxState.HELD or entry.release_at <= self.now():
            return Undone("Too late to undo: the reply is on its way.")
        self.outbox.cancel(entry.id)
        self.last = None
        for revert in queued.reverts:
            try:
                revert()
            except ValueError:  # the conversation changed meanwhile; the send itself is undone regardless
                continue
        what = "message" if queued.draft.mode == "new" else "reply"
        return Undone(f"Undone: the {what} {entry.subject!r} was not sent.", queued.draft)

    def held(self) -> list[OutboxEntry]:
        """Messages still held back (undo window or send-later), soonest first."""
        held = self.outbox.entries([OutboxState.HELD])
        return sorted(held, key=lambda entry: entry.release_at)

    def held_for_undo(self) -> list[OutboxEntry]:
        """Messages waiting out their undo window (not those scheduled for later), soonest first."""
        return [e for e in self.held() if e.release_at - e.created_at <= self.policy.undo_window]

    def release_held(self, entries: Sequence[OutboxEntry]) -> int:
        """Let these held messages go now (the agent is leaving and wants them sent)."""
        now = self.now()
        released = 0
        for entry in entries:
            try:
                self.outbox.send_now(entry.id, now)
            except OutboxError:
                continue  # it left meanwhile
            released += 1
        if self.last is not None and any(e.id == self.last.entry.id for e in self.outbox.entries()):
            self.last = None
        return released

    def counts(self) -> tuple[int, int]:
        """How many messages wait to leave, and how many need a look (failed or unconfirmed)."""
        entries = self.outbox.entries()
        waiting = sum(e.state in WAITING for e in entries)
        return waiting, sum(e.state in TROUBLE for e in entries)

    def has_due(self) -> bool:
        """Whether a message waits to go; messages left over from an earlier run count too."""
        wake = self.outbox.next_wake()
        return wake is not None and wake <= self.now()

    def flush(
        self,
        on_messages: Callable[[list[str]], None] | None = None,
        *,
        ignore_backoff: bool = False,
    ) -> RoundReport | None:
        """Send what is due (blocking: call it from a thread); None if a round is already running.

        Delivered messages go to `on_messages` (the TUI hands them to its own thread), by
        default straight to :meth:`delivered`.
        """
        if not self._flushing.acquire(blocking=False):
            return None
        try:
            sender = open_sender(
                self.session.config,
                self.session.store,
                self.outbox,
                policy=self.policy,
                on_messages=on_messages or self._deliver,
            )
            return sender.flush(self.now(), ignore_backoff=ignore_backoff)
        finally:
            self._flushing.release()

    def _deliver(self, message_ids: list[str]) -> None:
        self.delivered(message_ids)

    def delivered(self, message_ids: list[str]) -> list[str]:
        """Sent messages into the inbox; a conversation the agent started becomes theirs, pending.

        Returns the ids of the conversations that changed.
        """
        inbox = self.session.inbox  # the store told it of the delivered messages already
        changed: list[str] = []
        for message_id in message_ids:
            conv = inbox.conversation(message_id)
            if conv is None or conv.id in changed:
                continue
            changed.append(conv.id)
            started = all(meta.outgoing for meta in inbox.messages_of(conv))
            if started and conv.state.assignee is None and conv.state.status is Status.ACTIVE:
                try:
                    answered(self.session.commands, conv.id, self.session.config.team.me)
                except CommandError:
                    continue
        return [conv_id for conv_id in changed if inbox.conversation(conv_id) is not None]

    def close(self) -> None:
        """Close the outbox once no round is using it; a round stuck on the network keeps it open."""
        if self._outbox is None or not self._flushing.acquire(timeout=CLOSE_WAIT_SECONDS):
            return
        try:
            self._outbox.close()
            self._outbox = None
        finally:
            self._flushing.release()

    # -- inside -------------------------------------------------------------------

    def _check(self, draft: ReplyDraft) -> None:
        what = "message" if draft.mode == "new" else "reply"
        if not draft.body.strip():
            raise ReplyError(f"The {what} is empty.")
        where = open_tag_at(draft.body)
        if where is not None:
            line, column = where
            raise ReplyError(
                f"Line {line}, column {column} still holds '{{{{' or '}}}}': fill in or remove the tag first."
            )
        ours = self.session.config.our_addresses
        for address in (*(draft.to or ()), *draft.cc):
            if address.email in ours:
                raise ReplyError(f"{address.email} is the team's own address; mail is never sent to it.")
        if draft.to is not None and not draft.to:
            raise ReplyError("Write at least one address in To.")

    def _known_names(self, addresses: Sequence[Address]) -> list[Address]:
        """A customer the inbox knows is written as their own mail writes them, whatever case was typed."""
        named = []
        for address in addresses:
            known = customer_profile(self.session.inbox, address.email).name
            if known and (not address.name or address.name.casefold() == known.casefold()):
                address = Address(known, address.email)
            named.append(address)
        return named

    def _canned(self, queued: Queued, conversation_id: str | None) -> list[datetime]:
        """Count the canned replies' use and apply their actions; the due times of their promises."""
        inserted = queued.draft.canned
        if not inserted:
            return []
        if not queued.draft.automatic:  # how often the team picks a reply ranks it; rules do not pick
            record_use(self.session.store, [reply.id for reply in inserted])
        if conversation_id is None:
            return []
        calendar = self.session.config.business_hours.calendar()
        dues: list[datetime] = []
        for reply in inserted:
            if reply.actions.empty:
                continue
            try:
                reverts, due = apply_actions(
                    self.session.commands,
                    conversation_id,
                    reply.actions,
                    now=self.now(),
                    calendar=calendar,
                    made_in=queued.entry.message_id,
                )
            except (CommandError, FollowUpError, ValueError) as exc:
                queued.problems.append(f"{reply.name}: {exc}")
                continue
            queued.reverts[:0] = reverts[::-1]
            queued.changes.append(f"the actions of {reply.name}")
            if due is not None:
                dues.append(due)
        return dues


def _addresses(message: EmailMessage, header: str) -> tuple[Address, ...]:
    found = getaddresses([str(value) for value in message.get_all(header, [])])
    return tuple(Address(name, email.lower()) for name, email in found)


def _promise_id(event: Event) -> str:
    return str(event.data["promise"])
