"""Agents that send acknowledgements: a rig mailbox, an SMTP receiver, saved replies, a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from shared_inbox.domain.model import Conversation
from shared_inbox.services.auto_reply import AutoReplies, AutoReplyOutcome
from shared_inbox.services.replies import Replies
from shared_inbox.services.send_claims import FolderClaims
from shared_inbox.wallclock import utc_now
from tests.integration.support import SUPPORT_ADDRESS, write_config
from tests.integration.team_support import Agent, open_agent

ACKNOWLEDGEMENT = """+++
name = "Acknowledgement"
+++
Hi {{ customer.first_name | default: "there" }},

we got your message and will answer by {{ sla.due | default: "the next working day" }}.
"""
HOURS_AWARE = """+++
name = "Acknowledgement, or closed"
outside_hours = "Closed"
+++
Hi {{ customer.first_name | default: "there" }},

we got your message and will answer by {{ sla.due | default: "the next working day" }}.
"""
CLOSED = """+++
name = "Closed"
+++
Hi {{ customer.first_name | default: "there" }},

we are closed right now; you will hear from us by {{ sla.due | default: "Monday" }}.
"""
SETTINGS = """
[canned]
dir = "{canned}"

[business_hours]
timezone = "UTC"

[[sla]]
name = "standard"
first_response = "4h"
"""


def saved_replies(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "acknowledgement.md").write_text(ACKNOWLEDGEMENT, encoding="utf-8")
    (directory / "closed.md").write_text(CLOSED, encoding="utf-8")
    (directory / "hours-aware.md").write_text(HOURS_AWARE, encoding="utf-8")
    return directory


def agent_with_smtp(directory: Path, mailbox: Any, receiver: Any, me: str) -> Agent:
    """An agent of its own store whose replies go to `receiver`."""
    canned = saved_replies(directory.parent / "canned")
    path = write_config(directory, mailbox, me=me, extra=SETTINGS.format(canned=canned))
    text = path.read_text()
    path.write_text(text.replace("port = 2525\n", f"port = {receiver.port}\n", 1))
    return open_agent(path)


class Automation:
    """An agent's reply service and automatic replies, as a rules engine would hold them."""

    def __init__(self, agent: Agent, now: Callable[[], datetime] | None = None) -> None:
        self.agent = agent
        self.replies = Replies(agent.session, now=utc_now)
        claims = FolderClaims(agent.session, team=agent.team)
        self.auto = AutoReplies(agent.session, self.replies, claims=claims, now=now)

    def conversation(self, message_id: str) -> Conversation:
        conv = self.agent.session.inbox.conversation(message_id)
        assert conv is not None
        return conv

    def acknowledge(self, message_id: str, canned: str = "Acknowledgement") -> AutoReplyOutcome:
        """What a "new conversation" rule does: one acknowledgement per conversation."""
        conv = self.conversation(message_id)
        return self.auto.attempt(conv.id, canned, f"ack/{conv.id}/new")

    def every_new_message(self) -> list[AutoReplyOutcome]:
        """The worst rule there could be: acknowledge every incoming message of every conversation."""
        session = self.agent.session
        outcomes = []
        for conv in session.inbox.conversations():
            for meta in session.inbox.messages_of(conv):
                if not meta.outgoing:
                    occurrence = f"ack/{conv.id}/{meta.message_id}"
                    outcomes.append(self.auto.attempt(conv.id, "Acknowledgement", occurrence))
        return outcomes

    def flush(self) -> None:
        self.replies.flush()


def customer_mail(sender: str, subject: str, when: datetime, *, headers: tuple[str, ...] = ()) -> bytes:
    lines = [
        f"From: {sender}",
        f"To: Acme Support <{SUPPORT_ADDRESS}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(when)}",
        f"Message-ID: {make_msgid(domain='customer.test')}",
        *headers,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Hello, I have a question about my order.",
        "",
    ]
    return "\r\n".join(lines).encode()


def message_id_of(raw: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode().strip("<>")
    raise AssertionError("no Message-ID")


def answer(raw: bytes, *, marked: bool, when: datetime) -> bytes:
    """An out-of-office answer to `raw` from its recipient: RFC 3834 headers when `marked`."""
    mid = message_id_of(raw)
    subject = next(
        line.split(b":", 1)[1].strip().decode() for line in raw.split(b"\r\n") if line.startswith(b"Subject:")
    )
    headers = (f"In-Reply-To: <{mid}>", f"References: <{mid}>")
    if marked:
        headers += ("Auto-Submitted: auto-replied", "X-Autoreply: yes")
    return customer_mail("Ann Lee <ann@customer.test>", f"Re: {subject}", when, headers=headers)
