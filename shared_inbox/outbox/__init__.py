"""The durable outbox: queue, undo, send later, deliver exactly once, finish in the mailbox.

`Outbox` keeps queued messages in the store directory; `Composer` turns "reply to this
conversation" into a queued message; `OutboxSender` delivers what is due and settles the
rest. See docs/sending.md for the guarantees and their limits.
"""

from shared_inbox.outbox.composer import Composer, quotable_text
from shared_inbox.outbox.model import (
    OutboxEntry,
    OutboxPolicy,
    OutboxState,
    Phase,
    Step,
    steps_after_delivery,
)
from shared_inbox.outbox.queue import Outbox, OutboxError
from shared_inbox.outbox.sender import OutboxSender, RoundReport
from shared_inbox.outbox.setup import imap_endpoint, open_sender, smtp_endpoint

__all__ = [
    "Composer",
    "Outbox",
    "OutboxEntry",
    "OutboxError",
    "OutboxPolicy",
    "OutboxSender",
    "OutboxState",
    "Phase",
    "RoundReport",
    "Step",
    "imap_endpoint",
    "open_sender",
    "quotable_text",
    "smtp_endpoint",
    "steps_after_delivery",
]
