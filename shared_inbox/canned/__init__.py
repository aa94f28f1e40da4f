"""Canned replies: the library on disk, ranking against the customer's message, and send-time actions."""

from shared_inbox.canned.actions import action_problems, promise_due
from shared_inbox.canned.filling import customer_message, open_library, render_reply, reply_context
from shared_inbox.canned.library import CannedActions, CannedReply, Library, LibraryProblem, load_library
from shared_inbox.canned.ranking import filter_replies, rank_replies
from shared_inbox.canned.usage import record_use, usage_counts

__all__ = [
    "CannedActions",
    "CannedReply",
    "Library",
    "LibraryProblem",
    "action_problems",
    "customer_message",
    "filter_replies",
    "load_library",
    "open_library",
    "promise_due",
    "rank_replies",
    "record_use",
    "render_reply",
    "reply_context",
    "usage_counts",
]
