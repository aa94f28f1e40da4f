"""Sending one automatic reply (an acknowledgement, an out-of-hours notice) safely: the rules' send.

A rule's ``reply`` action calls :meth:`AutoReplies.send` (one line back; :meth:`AutoReplies.attempt`
gives the outcome as data) with the conversation, the saved
reply and a key naming the occurrence (rule, conversation, trigger occurrence). The reply
goes out only when all of this holds, in this order:

1. the message answered is a person's, to and from addresses that take replies, and no
   automatic reply went to the address within ``[automation] auto_reply_window``
   (RFC 3834; :func:`shared_inbox.domain.auto_reply.refusal`);
2. the saved reply fills in completely (``{{ sla.due }}`` is when the team owes its answer);
3. this copy's claim wins in the team events folder, so when several agents' copies run
   the same rule exactly one sends (:mod:`shared_inbox.services.send_claims`).

Then it is queued through the reply service and the outbox like any reply, marked
``Auto-Submitted: auto-replied``; it changes neither status nor assignee and does not
count as the team's response. Outside business hours (or on a holiday) the saved reply
its front matter names in ``outside_hours`` is sent instead, when it names one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from shared_inbox.canned import CannedReply, Library, open_library, render_reply
from shared_inbox.domain.auto_reply import AutoReplyCase, is_automatic_answer, refusal, reply_for
from shared_inbox.domain.model import Address, Conversation, Status
from shared_inbox.domain.send_claims import MAX_OCCURRENCE_CHARS, SendClaim, make_claim
from shared_inbox.domain.templates import TemplateError
from shared_inbox.outbox import OutboxEntry, OutboxError
from shared_inbox.services.replies import Replies, ReplyDraft, ReplyError
from shared_inbox.services.reply_variables import reply_variables
from shared_inbox.services.send_claims import ClaimOutcome, FolderClaims, known_claims
from shared_inbox.services.session import Session

__all__ = ["AutoReplies", "AutoReplyOutcome", "Claims"]

COPY_KEY = "automation.copy"  # str: names this store in its claims


class Claims(Protocol):
    def claim(self, mine: SendClaim, anchor: str, window: timedelta) -> ClaimOutcome: ...


@dataclass(frozen=True, slots=True)
class AutoReplyOutcome:
    """What became of one automatic reply: sent (and its outbox entry), or skipped and why."""

    sent: bool
    reason: str
    entry: OutboxEntry | None = None

    @property
    def line(self) -> str:
        return f"{'sent' if self.sent else 'skipped'}: {self.reason}"

    def __str__(self) -> str:
        return self.line


class AutoReplies:
    """The automatic-reply use case over one session and its reply service."""

    def __init__(
        self,
        session: Session,
        replies: Replies,
        *,
        claims: Claims | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.session = session
        self.replies = replies
        self.claims: Claims = claims or FolderClaims(session)
        self.now = now or replies.now

    @property
    def window(self) -> timedelta:
        return self.session.config.automation.auto_reply_window

    def send(self, conversation_id: str, canned: str, occurrence: str) -> str:
        """What a rule's ``reply`` action calls: one line, "sent: ..." or "skipped: why"."""
        return self.attempt(conversation_id, canned, occurrence).line

    def attempt(
        self, conversation_id: str, canned: str, occurrence: str, *, outside_hours: str | None = None
    ) -> AutoReplyOutcome:
        """Send `canned` once for this occurrence, or the reply for when the team is not at work
        (`outside_hours`, else the one the saved reply names) at such a time."""
        now = self.now()
        occurrence = occurrence[:MAX_OCCURRENCE_CHARS]  # as a claim keeps it
        conv = self.session.inbox.conversation(conversation_id)
        if conv is None:
            return _skipped(f"there is no conversation {conversation_id!r}")
        if conv.state.status is Status.SPAM:
            return _skipped("the conversation is spam")
        try:
            _, answered = self.replies.composer().target(conv.id)
        except OutboxError as exc:
            return _skipped(str(exc).rstrip("."))
        recipients = self.replies.preview(conv.id, "reply").to
        known = known_claims(self.session)
        taken = next((c for c in known if c.occurrence == occurrence), None)
        if taken is not None:
            return _skipped(f"{occurrence} was already claimed by {taken.author}")
        case = AutoReplyCase(
            answered=answered,
            recipients=recipients,
            ours=self.session.config.our_addresses,
            earlier=self._earlier(known, occurrence),
            now=now,
            window=self.window,
        )
        why = refusal(case)
        if why is not None:
            return _skipped(why)
        chosen = self._reply(canned, outside_hours, now)
        if isinstance(chosen, str):
            return _skipped(chosen)
        try:
            body = render_reply(chosen, reply_variables(self.session, conv, now), {})
        except TemplateError as exc:
            return _skipped(
                f"the saved reply {chosen.name!r} cannot be filled in: " + "; ".join(exc.problems)
            )
        mine = make_claim(self.session.config.team.me, self._copy(), occurrence, recipients[0].email, now)
        claimed = self.claims.claim(mine, conv.message_ids[0], self.window)
        if not claimed.won:
            return _skipped(_lost(claimed))
        return self._queue(conv, chosen, body, recipients, now)

    # -- inside -------------------------------------------------------------------

    def _copy(self) -> str:
        """This store's name among the team's copies, made once and kept."""
        store = self.session.store
        name = store.get_setting(COPY_KEY)
        if not isinstance(name, str) or not name:
            name = secrets.token_hex(8)
            store.set_setting(COPY_KEY, name)
        return name

    def _earlier(self, known: list[SendClaim], occurrence: str) -> tuple[tuple[str, datetime], ...]:
        """Automatic replies claimed by anyone for other occurrences, and those found in the mailbox."""
        found = [(claim.recipient, claim.at) for claim in known if claim.occurrence != occurrence]
        for meta in self.session.store.message_table().values():
            if is_automatic_answer(meta):
                found += [(address.email, meta.arrived) for address in (*meta.to, *meta.cc)]
        return tuple(found)

    def _reply(self, canned: str, outside_hours: str | None, now: datetime) -> CannedReply | str:
        """The saved reply to send now, or why there is none."""
        config = self.session.config
        library = open_library(config, now)
        primary = _find(library, canned)
        if isinstance(primary, str):
            return primary
        alternative = outside_hours or primary.outside_hours
        if reply_for(canned, alternative, config.business_hours.calendar(), now) == canned:
            return primary
        return _find(library, alternative or canned)

    def _queue(
        self, conv: Conversation, reply: CannedReply, body: str, to: tuple[Address, ...], now: datetime
    ) -> AutoReplyOutcome:
        draft = ReplyDraft(
            mode="reply", body=body, conversation_id=conv.id, canned=(reply,), send_at=now, automatic=True
        )
        try:
            queued = self.replies.queue(draft)
        except ReplyError as exc:
            return _skipped(str(exc).rstrip("."))
        who = ", ".join(address.email for address in to)
        return AutoReplyOutcome(True, f"{reply.name!r} to {who}", queued.entry)


def _find(library: Library, name: str) -> CannedReply | str:
    """The saved reply of this name or id, or why it cannot be used."""
    reply = library.find(name)
    if reply is not None:
        return reply
    broken = next((p for p in library.problems if p.id == name.strip()), None)
    if broken is not None:
        return f"the saved reply {broken.id} cannot be used: {broken.problem}"
    return f"there is no saved reply {name!r}"


def _skipped(reason: str) -> AutoReplyOutcome:
    return AutoReplyOutcome(False, reason)


def _lost(claimed: ClaimOutcome) -> str:
    if claimed.winner is not None:
        return f"{claimed.winner.author} sends it (their claim came first)"
    return claimed.problem or "the claim did not win"
