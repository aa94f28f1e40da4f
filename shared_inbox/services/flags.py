"""Marking messages read, unread or flagged; the inbox hears of it from the store.

The change itself is queued for the server by shared_inbox.store.pending_flags.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared_inbox.domain.model import SEEN, Conversation
from shared_inbox.services.inbox import Inbox
from shared_inbox.store.pending_flags import FlagChange, PendingFlags

__all__ = ["FlagChange", "PendingFlags", "mark_messages", "mark_read"]


def mark_messages(inbox: Inbox, message_ids: Sequence[str], flag: str, add: bool) -> bool:
    """Change `flag` on the messages (queued for the server); True when anything changed."""
    return bool(message_ids) and PendingFlags(inbox.store).mark(message_ids, flag, add) > 0


def mark_read(inbox: Inbox, conv: Conversation) -> Conversation:
    """Opening a conversation reads it: its unread messages become read; the conversation as it is now."""
    unread = [meta.message_id for meta in inbox.messages_of(conv) if meta.unread]
    if mark_messages(inbox, unread, SEEN, True):
        return inbox.conversation(conv.id) or conv
    return conv
