"""Filling a canned reply in for one conversation: its variables, and the message it answers.

Shared by the composer and the `reply --canned` command, so both greet the customer the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from shared_inbox.canned.actions import action_problems
from shared_inbox.canned.library import CannedReply, Library, LibraryProblem, load_library
from shared_inbox.domain.model import Conversation, MessageKind, MessageMeta
from shared_inbox.domain.profiles import CustomerRecord
from shared_inbox.domain.templates import context_for, render
from shared_inbox.mail.body import read_message

if TYPE_CHECKING:
    from shared_inbox.config import Config
    from shared_inbox.store import Store

__all__ = ["customer_message", "open_library", "render_reply", "reply_context"]


class Messages(Protocol):
    """What filling reads of the inbox: a conversation's messages."""

    def messages_of(self, conv: Conversation) -> list[MessageMeta]: ...


MAX_RANKED_CHARS = 20_000  # the start of a long message says what it is about


def open_library(config: Config, now: datetime) -> Library:
    """The configured replies; one whose snooze or promise time cannot be read at ``now`` is a problem."""
    library = load_library(config.canned.team_dir, config.canned.personal_dir)
    calendar = config.business_hours.calendar()
    replies: list[CannedReply] = []
    problems = list(library.problems)
    for reply in library.replies:
        found = action_problems(reply.actions, now, calendar)
        if found:
            problems.append(LibraryProblem(reply.id, "; ".join(found)))
        else:
            replies.append(reply)
    return replace(library, replies=tuple(replies), problems=tuple(problems))


def reply_context(
    config: Config, conversation: Conversation | None, profile: CustomerRecord | None = None
) -> dict[str, object]:
    """The template variables: the conversation's customer, this agent, the company.

    The name the team wrote in the customer's ``profile`` wins over the display name their
    mail carries (often empty, an address, or "SALES DEPT").
    """
    customer = conversation.customer if conversation is not None else None
    agent = config.me
    recorded = profile.value("name") if profile is not None else ""
    return context_for(
        customer_name=recorded or (customer.name if customer is not None else ""),
        customer_email=customer.email if customer is not None else "",
        agent_name=agent.name,
        agent_email=agent.email,
        company_name=config.account.name,
        conversation_id=conversation.id if conversation is not None else "",
    )


def render_reply(reply: CannedReply, context: Mapping[str, object], answers: Mapping[str, str]) -> str:
    """The reply's text; raises TemplateError naming every unknown variable and open blank."""
    return render(reply.template, context, answers)


def customer_message(inbox: Messages, store: Store, conversation: Conversation) -> str:
    """Subject and text of the customer's latest message (the text only when it is cached)."""
    incoming = [meta for meta in inbox.messages_of(conversation) if meta.kind is MessageKind.CUSTOMER]
    if not incoming:
        return conversation.subject
    latest = max(incoming, key=lambda meta: meta.arrived)
    raw = store.load_raw(latest.message_id)
    text = read_message(raw).text if raw is not None else ""
    return f"{latest.subject}\n{text[:MAX_RANKED_CHARS]}"
