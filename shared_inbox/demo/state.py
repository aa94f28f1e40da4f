"""The team's earlier work on the demo mail: who owns what, what is waiting, what is done.

Applied after the first sync through the ordinary command layer, so the demo's
state is a real event log that every command and front end reads as usual.
Conversations are found by customer address and subject (two customers share
the subject "Order problem"), never by id, because ids depend on the mail.
Several conversations are left alone on purpose: new unassigned mail, and
mail nobody has answered for more than a day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared_inbox.demo.workspace import DOMAIN
from shared_inbox.domain.model import Conversation
from shared_inbox.services.session import Session

log = logging.getLogger(__name__)

_MUELLER = "Bestellung für Müller GmbH – Rechnung fehlt"


@dataclass(frozen=True, slots=True)
class Triage:
    """What the team did with one conversation; None and () mean "left as it is"."""

    customer: str
    subject: str
    agent: str | None = None  # first name, lower case: the local part of the agent's address
    status: str | None = None
    tags: tuple[str, ...] = ()
    snooze_for: timedelta | None = None


DAY = timedelta(days=1)

DEMO_TRIAGE: tuple[Triage, ...] = (
    # Done: resolved, or nothing left to answer.
    Triage("wei.chen@stark-industries.example", "Cancel subscription", "sam", "closed"),
    Triage("fatima.rahman@inbox.example", "Invoice", "dana", "closed", ("billing",)),
    Triage(
        "olumide@hooli.example", "Feature request: export reports to CSV", "marco", "closed", ("feature",)
    ),
    Triage("nancy.clark@inbox.example", "Warranty question", "marco", "closed"),
    Triage("felix.wagner@post-de.example", "Problem mit meiner Rechnung", "petra", "closed", ("billing",)),
    Triage("betty.moore@postbox.example", "Thank you!", status="closed"),
    Triage("deals@seo-wizards.example", "Rank #1 on Google in 7 days!!!", status="spam"),
    # Pending: the ball is in the customer's court.
    Triage(
        "lea.moreau@atelier-lyon.example", "Commande n°60412 non reçue", "marco", "pending", ("shipping",)
    ),
    Triage(
        "hanako.yamada@yamato-shoji.example", "注文番号39920の配送について", "aiko", "pending", ("shipping",)
    ),
    Triage(
        "anna.weber@webmail-de.example",
        "Rückerstattung für Bestellung 30218",
        "petra",
        "pending",
        ("refund",),
    ),
    Triage(
        "sarah.t@globex.example", "Bulk order for our office", "petra", "pending", ("sales", "vip"), 2 * DAY
    ),
    # Active and owned.
    Triage("carlos.garcia@initech.example", "Charged twice", "sam", tags=("billing", "refund")),
    Triage("j.schroeder@mueller-gmbh.example", _MUELLER, "petra", tags=("billing", "vip")),
    Triage("jwilson@initech.example", "Bug: app crashes when I switch accounts", "sam", tags=("bug",)),
    Triage("raj.kumar@stark-industries.example", "Two-factor authentication", "sam", tags=("login",)),
    Triage("priya@globex.example", "Can't log in", "dana", tags=("login", "bug")),
    Triage("ehall@northwind.example", "Order problem", "marco", tags=("shipping",)),
    Triage("hannah.becker@northwind.example", "Order problem", "dana", tags=("shipping",)),
    Triage("siobhan@freemail.example", "Item arrived damaged", "dana", tags=("shipping",)),
    Triage("bob.smith@postbox.example", "Password reset not working", "dana", tags=("login",)),
    Triage("ingrid.nilsen@inbox.example", "Contact form: Student discount", "sam"),
    # Unanswered for more than a day, unowned: what a team lead would pick up first.
    Triage("chloe.dubois@courriel-fr.example", "Problème de facturation", tags=("billing",)),
)


@dataclass
class StateReport:
    """How the triage went: the number of changes made, and triage entries that matched no conversation."""

    changes: int = 0
    unmatched: list[Triage] = field(default_factory=list)


def agent_address(agent: str) -> str:
    return f"{agent}@{DOMAIN}"


def _key(conv: Conversation) -> tuple[str, str] | None:
    return (conv.customer.email, conv.subject) if conv.customer is not None else None


def apply_demo_state(
    session: Session, now: datetime, triage: tuple[Triage, ...] = DEMO_TRIAGE
) -> StateReport:
    """Record the triage as events through `session.commands`; `now` anchors snooze times."""
    by_key = {key: conv for conv in session.inbox.conversations() if (key := _key(conv)) is not None}
    commands = session.commands
    report = StateReport()
    for entry in triage:
        conv = by_key.get((entry.customer, entry.subject))
        if conv is None:
            log.warning("demo: no conversation %r from %s to set up", entry.subject, entry.customer)
            report.unmatched.append(entry)
            continue
        if entry.agent:
            commands.assign(conv.id, agent_address(entry.agent))
            report.changes += 1
        for tag in entry.tags:
            commands.tag(conv.id, tag)
            report.changes += 1
        if entry.status:
            commands.set_status(conv.id, entry.status)
            report.changes += 1
        if entry.snooze_for is not None:
            commands.snooze(conv.id, now + entry.snooze_for)
            report.changes += 1
    return report
