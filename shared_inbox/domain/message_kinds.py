"""What each message of a conversation is, and which of them make a customer wait.

An out-of-office reply, a bounce or a newsletter is not the customer writing: it must not
reopen a pending conversation, start or stop an SLA clock, or count as unread customer mail.
Bulk mail may count (a notification can be work) unless the team keeps it out of the clocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared_inbox.domain.model import DeliveryFailure, MessageKind, MessageMeta

__all__ = ["KindSummary", "is_machine", "kind_of", "makes_customer_wait", "summarise"]

_MACHINE = frozenset({MessageKind.AUTO_REPLY, MessageKind.BOUNCE, MessageKind.BULK})


def kind_of(meta: MessageMeta, our_addresses: frozenset[str] = frozenset()) -> MessageKind:
    """``agent`` for the team's own mail, else what the headers said."""
    if meta.outgoing or meta.sender.email.lower() in our_addresses:
        return MessageKind.AGENT
    return meta.kind if meta.kind in _MACHINE else MessageKind.CUSTOMER


def is_machine(meta: MessageMeta) -> bool:
    return not meta.outgoing and meta.kind in _MACHINE


def makes_customer_wait(meta: MessageMeta, *, bulk_counts: bool = True) -> bool:
    """Whether an incoming message acts as the customer writing (reopens, starts a clock).

    Auto-replies and bounces never do; bulk mail does unless ``bulk_counts`` is off.
    """
    if meta.kind is MessageKind.BULK:
        return bulk_counts
    return meta.kind not in _MACHINE


@dataclass(frozen=True, slots=True)
class KindSummary:
    """How many messages of each kind a conversation has, and its delivery failures."""

    counts: dict[str, int]
    delivery_failures: tuple[DeliveryFailure, ...]
    # A bounce came after the team's latest message: nobody has acted on it yet.
    unanswered_failure: bool = False


def summarise(metas: Iterable[MessageMeta], our_addresses: frozenset[str] = frozenset()) -> KindSummary:
    """Counts for every kind (zeros included) and the failures of every bounce, oldest first."""
    counts = {kind.value: 0 for kind in MessageKind}
    failures: list[DeliveryFailure] = []
    unanswered = False
    for meta in sorted(metas, key=lambda m: (m.arrived, m.message_id)):
        kind = kind_of(meta, our_addresses)
        counts[kind.value] += 1
        if kind is MessageKind.BOUNCE and meta.delivery_failures:
            failures.extend(failure for failure in meta.delivery_failures if failure not in failures)
            unanswered = True
        elif kind is MessageKind.AGENT:
            unanswered = False
    return KindSummary(counts, tuple(failures), unanswered)
