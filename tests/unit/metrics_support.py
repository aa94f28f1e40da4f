"""Building conversation facts for the metric tests from short descriptions in Berlin wall time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.metrics import ConversationFacts, MessageFact, Role
from shared_inbox.domain.model import Status

BERLIN = ZoneInfo("Europe/Berlin")
HOLIDAY = date(2026, 3, 11)  # a Wednesday
CALENDAR = BusinessCalendar.weekdays("Europe/Berlin", "09:00", "17:00", holidays=[HOLIDAY])
ANA = "ana@acme.example"
BEN = "ben@acme.example"
HOUR = 3600.0

_ROLES = {"c": Role.CUSTOMER, "a": Role.AGENT, "auto": Role.AUTOMATIC, "m": Role.MACHINE}


def at(text: str) -> datetime:
    """'2026-03-06 16:00' in Berlin, as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).astimezone(UTC)


def facts(
    conv_id: str,
    *messages: tuple[str, ...],
    statuses: Sequence[tuple[str, Status]] = (),
    assignments: Sequence[tuple[str, str | None]] = (),
    snoozes: Sequence[tuple[str, str]] = (),
    notes: Sequence[str] = (),
    tags: frozenset[str] = frozenset(),
    organisation: str = "customer.example",
    policy: str | None = None,
    spam: bool = False,
) -> ConversationFacts:
    """``messages``: (role, time) or ("a", time, agent); role c(ustomer), a(gent), auto, m(achine)."""
    built = []
    for number, message in enumerate(messages):
        role, when, *agent = message
        built.append(MessageFact(at(when), _ROLES[role], agent[0] if agent else None, f"{conv_id}-{number}"))
    return ConversationFacts(
        id=conv_id,
        messages=tuple(sorted(built, key=lambda m: m.at)),
        statuses=tuple((at(when), status) for when, status in statuses),
        assignments=tuple((at(when), who) for when, who in assignments),
        snoozes=tuple((at(a), at(b)) for a, b in snoozes),
        notes=tuple(at(when) for when in notes),
        tags=tags,
        organisation=organisation,
        policy=policy,
        spam=spam,
    )
