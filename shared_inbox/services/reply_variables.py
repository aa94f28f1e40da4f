"""The variables a canned reply is filled in with, the same in the composer and in `reply --canned`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared_inbox.canned import reply_context
from shared_inbox.domain.model import Conversation
from shared_inbox.services.customer_links import person_record

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

__all__ = ["reply_variables"]


def reply_variables(session: Session, conversation: Conversation | None) -> dict[str, object]:
    """Customer, agent, company and conversation, with what the team recorded about the customer
    (under any of their linked addresses)."""
    customer = conversation.customer if conversation is not None else None
    profile = person_record(session.inbox, customer.email) if customer is not None else None
    return reply_context(session.config, conversation, profile)
