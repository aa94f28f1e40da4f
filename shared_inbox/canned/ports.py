"""What canned replies need from the layer that calls them, stated here so they never import it.

The services' `Commands` and `Inbox` fit these shapes; tests may pass anything else that does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from shared_inbox.domain.events import Event
from shared_inbox.domain.model import Conversation, MessageMeta


class ConversationLookup(Protocol):
    """Finds a conversation by its id (or an old id, or a Message-ID in it)."""

    def conversation(self, ref: str) -> Conversation | None: ...


class MessageSource(Protocol):
    """The messages a conversation holds, as the inbox knows them."""

    def messages_of(self, conv: Conversation) -> Sequence[MessageMeta]: ...


class RawSource(Protocol):
    """The cached raw bytes of a message, when the sync has downloaded them."""

    def load_raw(self, message_id: str) -> bytes | None: ...


class ConversationCommands(Protocol):
    """The recorded, undoable changes a reply's actions make to a conversation."""

    @property
    def inbox(self) -> ConversationLookup: ...

    def set_status(self, ref: str, status: str) -> Event: ...

    def tag(self, ref: str, tag: str) -> Event: ...

    def untag(self, ref: str, tag: str) -> Event: ...

    def snooze(self, ref: str, until: datetime) -> Event: ...

    def unsnooze(self, ref: str) -> Event: ...

    def set_promise(self, ref: str, text: str, due: datetime, *, promise_id: str | None = None) -> Event: ...

    def drop_promise(self, ref: str, promise_id: str) -> Event: ...
