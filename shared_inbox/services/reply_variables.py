"""The variables a canned reply is filled in with, the same in the composer, `reply --canned` and rules."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from shared_inbox.canned import reply_context
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.sla import SlaTarget
from shared_inbox.services.customer_links import person_record
from shared_inbox.services.deadlines import ItemKind, tracker_for

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

__all__ = ["due_phrase", "reply_variables", "response_due"]

_RESPONSES = frozenset({SlaTarget.FIRST_RESPONSE.value, SlaTarget.NEXT_RESPONSE.value})


def reply_variables(
    session: Session, conversation: Conversation | None, now: datetime | None = None
) -> dict[str, object]:
    """Customer, agent, company and conversation, with what the team recorded about the customer
    (under any of their linked addresses).

    ``sla.due`` is when the team owes the customer its answer (the running response clock of
    the conversation's SLA policy), written in the business-hours time zone; empty without one.
    """
    customer = conversation.customer if conversation is not None else None
    profile = person_record(session.inbox, customer.email) if customer is not None else None
    context = reply_context(session.config, conversation, profile)
    due = response_due(session, conversation, now or session.commands.now()) if conversation else None
    if due is not None:
        context["sla"] = {"due": due_phrase(due, session.config.business_hours.calendar().zone)}
    return context


def response_due(session: Session, conversation: Conversation, now: datetime) -> datetime | None:
    """The due time of the conversation's running response clock, if its SLA policy has one."""
    items = tracker_for(session).of(conversation, now).clocks
    dues = [
        item.due
        for item in items
        if item.kind is ItemKind.SLA and item.outstanding and item.text in _RESPONSES and item.due is not None
    ]
    return min(dues) if dues else None


def due_phrase(due: datetime, zone: tzinfo) -> str:
    """E.g. "Monday 7 December, 13:00 CET": the day and time a customer reads in an acknowledgement."""
    local = due.astimezone(zone)
    name = local.tzname() or ""
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}{' ' + name if name else ''}"
