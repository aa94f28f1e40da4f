"""When an automatic reply may go out at all: the RFC 3834 rules, as one pure decision.

An automatic reply (an acknowledgement, an out-of-hours notice) answers a message nobody on
the team has read. Sent carelessly it answers an out-of-office reply, which answers back,
and two machines write to each other all night. RFC 3834 (section 2) says when not to
answer; :func:`refusal` applies it:

- never answer mail from a machine: auto-replies (``Auto-Submitted`` other than ``no``),
  bounces, mailing lists and bulk mail (all recognised at parse time, see ``MessageKind``);
- never answer our own mail (the team's addresses, or anything we sent);
- never write to addresses that cannot or do not want answers: ``noreply@``,
  ``mailer-daemon@``, ``postmaster@``, ``owner-*``, ``*-request``, ``listserv`` ...;
- at most one automatic reply to the same address within the window (24 hours by default).

What we send carries ``Auto-Submitted: auto-replied`` (see :data:`AUTOMATIC_HEADERS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.model import Address, MessageKind, MessageMeta

__all__ = [
    "AUTOMATIC_HEADERS",
    "DEFAULT_WINDOW",
    "AutoReplyCase",
    "is_automatic_answer",
    "is_unanswerable_address",
    "refusal",
    "reply_for",
]

DEFAULT_WINDOW = timedelta(hours=24)

# RFC 3834 section 5: what a responder marks its replies with. X-Auto-Response-Suppress asks
# Exchange not to send its own out-of-office or auto-reply back; delivery reports (a dead
# address) are still wanted, so it is not "All".
AUTOMATIC_HEADERS: tuple[tuple[str, str], ...] = (
    ("Auto-Submitted", "auto-replied"),
    ("X-Auto-Response-Suppress", "OOF, AutoReply"),
)

# Local parts that are machines, lists, or people who asked not to be answered
# (RFC 3834 section 2 names owner-*, *-request, MAILER-DAEMON, LISTSERV and majordomo).
_UNANSWERABLE_LOCAL = re.compile(
    r"^(?:(?:no|do-?not|dont)[-_.]?reply(?:[-_.+].*)?"
    r"|mailer-?daemon|mail-daemon|postmaster|listserv|majordomo|bounces?(?:[-_.+].*)?"
    r"|owner-.+|.+-(?:request|owner|bounces?))$",
    re.IGNORECASE,
)
_MACHINE_KINDS = {
    MessageKind.AUTO_REPLY: "it is an automatic reply",
    MessageKind.BOUNCE: "it is a delivery failure report",
    MessageKind.BULK: "it is list or bulk mail",
}


@dataclass(frozen=True, slots=True)
class AutoReplyCase:
    """Everything the decision looks at: the message answered, who the reply goes to, what went before.

    ``earlier`` are the times automatic replies went (or were claimed) to each recipient,
    by anyone on the team; ``ours`` the team's own addresses, lower-cased.
    """

    answered: MessageMeta
    recipients: tuple[Address, ...]
    ours: frozenset[str]
    earlier: tuple[tuple[str, datetime], ...]
    now: datetime
    window: timedelta = DEFAULT_WINDOW


def is_unanswerable_address(email: str) -> bool:
    """Whether an address belongs to a machine, a list, or someone who asked for no replies."""
    local, at, domain = email.strip().lower().rpartition("@")
    return not at or not local or not domain or bool(_UNANSWERABLE_LOCAL.match(local))


def is_automatic_answer(meta: MessageMeta) -> bool:
    """A message the team sent automatically (it carries our ``Auto-Submitted``): not a person's answer."""
    return meta.outgoing and meta.kind is MessageKind.AUTO_REPLY


def reply_for(saved_reply: str, outside_hours: str | None, calendar: BusinessCalendar, now: datetime) -> str:
    """The saved reply to send at ``now``: the out-of-hours one when the team is not at work
    (evenings, closed days, holidays), if there is one."""
    return outside_hours if outside_hours and not calendar.is_open(now) else saved_reply


def refusal(case: AutoReplyCase) -> str | None:
    """Why no automatic reply may answer this message, in a few words; None when it may."""
    answered = case.answered
    sender = answered.sender.email.lower()
    if answered.outgoing or sender in case.ours:
        return "the message is the team's own"
    machine = _MACHINE_KINDS.get(answered.kind)
    if machine is not None:
        return machine
    if not sender:
        return "the message has no sender address"
    if is_unanswerable_address(sender):
        return f"{sender} is not an address that takes replies"
    if not case.recipients:
        return "there is nobody to write to"
    for recipient in case.recipients:
        email = recipient.email.lower()
        if email in case.ours:
            return f"{email} is the team's own address"
        if is_unanswerable_address(email):
            return f"{email} is not an address that takes replies"
    for email, when in _recent(case.earlier, case.recipients, case.now, case.window):
        return f"{email} already had an automatic reply at {when.isoformat(timespec='minutes')}"
    return None


def _recent(
    earlier: Iterable[tuple[str, datetime]],
    recipients: Iterable[Address],
    now: datetime,
    window: timedelta,
) -> list[tuple[str, datetime]]:
    """Earlier automatic replies to these recipients within the window before ``now``, latest first."""
    wanted = {recipient.email.lower() for recipient in recipients}
    hits = [
        (email.lower(), when) for email, when in earlier if email.lower() in wanted and now - when < window
    ]
    return sorted(hits, key=lambda hit: hit[1], reverse=True)
