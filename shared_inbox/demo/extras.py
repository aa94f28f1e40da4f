"""What makes the demo show more than triage: saved replies, promises, notes and a customer profile.

The canned replies are ordinary files in the demo directory, the way a team keeps them in a
shared folder; promises, notes and profile fields go through the command layer like any agent's.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from shared_inbox.demo.state import agent_address
from shared_inbox.domain.model import Conversation
from shared_inbox.services.session import Session

log = logging.getLogger(__name__)

CANNED_DIR = "canned"

CANNED_REPLIES: dict[str, str] = {
    "refund-on-its-way.md": """\
+++
name = "Refund on its way"
tags = ["billing", "refund"]
[actions]
status = "pending"
tags = ["refund"]
promise = "within 2 business days"
+++
Hi {{ customer.first_name | default: "there" }},

I'm sorry about the double charge. I have asked our billing team to refund the second payment;
you will see it on your statement within two business days.

Best regards,
{{ agent.first_name }}
""",
    "password-reset.md": """\
+++
name = "Password reset link"
tags = ["login"]
+++
Hi {{ customer.first_name | default: "there" }},

you can set a new password at https://example.com/reset. The link in the e-mail is valid for
one hour; if it has expired, simply request a new one on the same page.

{{ agent.first_name }}
""",
    "shipping-delay.md": """\
+++
name = "Shipping: where is my order"
tags = ["shipping"]
[actions]
status = "pending"
+++
Hi {{ customer.first_name | default: "there" }},

thank you for your patience. Order {{ ask "Order number" }} left our warehouse on
{{ ask "Dispatch date" }}; the carrier's tracking page shows it on its way to you.

{{ agent.first_name }} from {{ company.name }}
""",
    "closing-thanks.md": """\
+++
name = "Thanks, closing"
tags = ["closing"]
[actions]
status = "closed"
+++
Hi {{ customer.first_name | default: "there" }},

glad we could help. I'm closing this conversation; just reply if anything else comes up.

{{ agent.first_name }}
""",
}


@dataclass(frozen=True, slots=True)
class DemoPromise:
    customer: str
    subject: str
    text: str
    due_in: timedelta  # from the demo's start; negative means already overdue


DEMO_PROMISES: tuple[DemoPromise, ...] = (
    DemoPromise(
        "siobhan@freemail.example",
        "Item arrived damaged",
        "Send a prepaid return label",
        -timedelta(hours=2),
    ),
    DemoPromise("carlos.garcia@initech.example", "Charged twice", "Confirm the refund", timedelta(hours=2)),
    DemoPromise(
        "j.schroeder@mueller-gmbh.example",
        "Bestellung für Müller GmbH – Rechnung fehlt",
        "Send the corrected invoice",
        timedelta(days=1),
    ),
)


def write_canned_replies(directory: Path) -> Path:
    """The team's saved replies, one Markdown file each, private to the user like the rest of the demo."""
    folder = directory / CANNED_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    for name, text in CANNED_REPLIES.items():
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    return folder


def _find(session: Session, customer: str, subject: str) -> Conversation | None:
    for conv in session.inbox.conversations():
        if conv.customer is not None and conv.customer.email == customer and conv.subject == subject:
            return conv
    log.warning("demo: no conversation %r from %s", subject, customer)
    return None


def apply_demo_extras(session: Session, now: datetime) -> int:
    """Promises, an internal note with a mention, and a customer profile; returns how many changes."""
    commands = session.commands
    changes = 0
    for promise in DEMO_PROMISES:
        conv = _find(session, promise.customer, promise.subject)
        if conv is not None:
            commands.set_promise(conv.id, promise.text, now + promise.due_in)
            changes += 1
    damaged = _find(session, "siobhan@freemail.example", "Item arrived damaged")
    if damaged is not None:
        text = "Photos show a cracked case. @sam can you approve a replacement instead of a refund?"
        commands.add_note(damaged.id, text, [agent_address("sam")])
        changes += 1
    email = "j.schroeder@mueller-gmbh.example"
    mueller = _find(session, email, "Bestellung für Müller GmbH – Rechnung fehlt")
    if mueller is not None:
        commands.set_customer_field(mueller.id, email, "company", "Müller GmbH")
        commands.set_customer_field(mueller.id, email, "preferences", "Invoices by post and e-mail; German")
        commands.add_customer_note(mueller.id, email, "Key account since 2019; orders every quarter.")
        changes += 3
    return changes
