"""From "reply to this conversation" to a durably queued message.

`Composer` picks the message to answer, finds its text to quote, builds the MIME message
(shared_inbox.mail.compose) and queues it, held for the undo window or until a send-later
time. Nothing here touches the network unless the text to quote has to be fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from shared_inbox.config.model import Config
from shared_inbox.domain.model import Address, Conversation, MessageMeta
from shared_inbox.mail.body import read_message
from shared_inbox.mail.compose import (
    FromStyle,
    OutgoingAttachment,
    Recipients,
    ReplyMode,
    compose_new,
    compose_reply,
    envelope_recipients,
    message_bytes,
)
from shared_inbox.mail.headers import TOKEN_HEADER
from shared_inbox.outbox.model import OutboxEntry, OutboxPolicy, OutboxState
from shared_inbox.outbox.queue import Outbox, OutboxError

FetchRaw = Callable[[str], bytes | None]  # Message-ID -> raw message from the server, if it can


class RawStore(Protocol):
    def load_raw(self, message_id: str) -> bytes | None: ...


class Conversations(Protocol):
    """What composing reads of the inbox: a conversation, its messages, and the cached originals."""

    @property
    def store(self) -> RawStore: ...

    def conversation(self, ref: str) -> Conversation | None: ...

    def messages_of(self, conv: Conversation) -> list[MessageMeta]: ...


class Composer:
    def __init__(
        self,
        config: Config,
        inbox: Conversations,
        outbox: Outbox,
        *,
        policy: OutboxPolicy | None = None,
        fetch_raw: FetchRaw | None = None,
    ) -> None:
        self.config = config
        self.inbox = inbox
        self.outbox = outbox
        self.policy = policy or OutboxPolicy()
        self._fetch_raw = fetch_raw

    def reply(
        self,
        ref: str,
        body: str,
        *,
        now: datetime,
        mode: ReplyMode = "reply",
        to: Sequence[Address] = (),
        cc: Sequence[Address] = (),
        recipients: Recipients | None = None,
        attachments: Sequence[OutgoingAttachment] = (),
        from_style: FromStyle = "agent_via",
        reply_to: Address | None = None,
        send_at: datetime | None = None,
        include_original: bool = True,
        automatic: bool = False,
    ) -> OutboxEntry:
        """Queue a reply (or reply-all, or forward to `to`) in the conversation `ref`.

        `ref` is a conversation id, or a Message-ID to answer that very message; otherwise
        the customer's latest message is answered. `to` and `cc` add to the people a reply
        goes to; `recipients` (To, Cc) names exactly who receives it instead. An `automatic`
        reply carries the RFC 3834 headers of mail no person wrote.
        """
        release = self._release_time(now, send_at)
        conversation, original = self.target(ref)
        message = compose_reply(
            original,
            self._original_text(original) if include_original else "",
            body=body,
            agent=self.config.me,
            account=self.config.account,
            mode=mode,
            conversation_id=conversation.id,
            from_style=from_style,
            reply_to=reply_to,
            attachments=attachments,
            to=to,
            cc=cc,
            recipients=recipients,
            team_addresses=self.config.our_addresses,
            date=now,
            include_original=include_original,
            automatic=automatic,
        )
        return self._queue(
            message,
            body=body,
            now=now,
            release=release,
            conversation_id=conversation.id,
            # \Answered tells teammates' mail clients a person answered: an automatic reply did not.
            replied_to=None if mode == "forward" or automatic else original.message_id,
        )

    def new_conversation(
        self,
        to: Sequence[Address],
        subject: str,
        body: str,
        *,
        now: datetime,
        cc: Sequence[Address] = (),
        attachments: Sequence[OutgoingAttachment] = (),
        from_style: FromStyle = "agent_via",
        reply_to: Address | None = None,
        send_at: datetime | None = None,
    ) -> OutboxEntry:
        release = self._release_time(now, send_at)
        message = compose_new(
            to=to,
            cc=cc,
            subject=subject,
            body=body,
            agent=self.config.me,
            account=self.config.account,
            from_style=from_style,
            reply_to=reply_to,
            attachments=attachments,
            team_addresses=self.config.our_addresses,
            date=now,
        )
        token = str(message.get(TOKEN_HEADER, "")) or None
        return self._queue(
            message, body=body, now=now, release=release, conversation_id=token, replied_to=None
        )

    def target(self, ref: str) -> tuple[Conversation, MessageMeta]:
        """The conversation and the message a reply to `ref` answers."""
        conversation = self.inbox.conversation(ref)
        if conversation is None:
            raise OutboxError(f"No conversation {ref!r}; `shared-inbox list` shows the ids.")
        messages = self.inbox.messages_of(conversation)
        if not messages:
            raise OutboxError(f"Conversation {conversation.id} has no messages to reply to.")
        named = ref.strip().strip("<>")
        for meta in messages:
            if meta.message_id == named:
                return conversation, meta
        ours = self.config.our_addresses
        from_customer = [m for m in messages if not m.outgoing and m.sender.email not in ours]
        return conversation, (from_customer or messages)[-1]

    def original_text(self, original: MessageMeta) -> str:
        """The readable text of the message a reply answers, fetched if allowed and not cached."""
        return self._original_text(original)

    def _original_text(self, original: MessageMeta) -> str:
        raw = self.inbox.store.load_raw(original.message_id)
        if raw is None and self._fetch_raw is not None:
            raw = self._fetch_raw(original.message_id)
        return quotable_text(raw) if raw is not None else ""

    def _release_time(self, now: datetime, send_at: datetime | None) -> datetime:
        """When a new message may go: after the undo window, or at its send-later time."""
        if send_at is None:
            return now + self.policy.undo_window
        if send_at.tzinfo is None:
            raise OutboxError("A send-later time needs a time zone.")
        return max(send_at, now)

    def _queue(
        self,
        message: EmailMessage,
        *,
        body: str,
        now: datetime,
        release: datetime,
        conversation_id: str | None,
        replied_to: str | None,
    ) -> OutboxEntry:
        recipients = envelope_recipients(message)
        raw = message_bytes(message)
        entry = OutboxEntry(
            id="",
            message_id=str(message["Message-ID"]).strip().strip("<>"),
            mail_from=self.config.account.address,
            recipients=tuple(recipients),
            subject=str(message["Subject"]),
            body=body,
            author=self.config.me.email,
            created_at=now,
            release_at=release,
            state=OutboxState.HELD if release > now else OutboxState.QUEUED,
            conversation_id=conversation_id,
            replied_to=replied_to,
        )
        return self.outbox.add(raw, entry)


QUOTE_SOURCE_BYTES = 1 << 20  # the readable part of a mail comes first; attachments follow


def quotable_text(raw: bytes) -> str:
    """The readable text of a message (HTML-only mail rendered), cleaned, for quoting.

    Only the first megabyte is read: a 30 MB original is nearly all attachment, and parsing
    all of it for a quote cost seconds and hundreds of megabytes.
    """
    if len(raw) <= QUOTE_SOURCE_BYTES:
        return read_message(raw).text
    text = read_message(raw[:QUOTE_SOURCE_BYTES]).text
    return text.rstrip("\n") + "\n[... the rest was left out]\n" if text.strip() else text
