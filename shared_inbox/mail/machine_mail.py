"""Telling mail from machines apart from mail from people, by headers alone.

Runs at header parse time (a sync fetches only a few headers, see ``MACHINE_HEADERS``), so
it never needs a body. Strong signals decide on their own; a subject like "Automatic
reply:" only counts together with a weak one (a null Return-Path, a Precedence), because
people do write about being out of the office, and a person forwarding an auto-reply
("Fwd: Automatic reply: ...") writes as a person.

Bounces come first (a DSN is also auto-submitted), then auto-replies (a vacation responder
may add ``Precedence: bulk``), then bulk.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from shared_inbox.domain.model import MessageKind

__all__ = ["MACHINE_HEADERS", "classify"]

# The headers classification reads, beyond From, Subject, Return-Path and Content-Type.
MACHINE_HEADERS: tuple[str, ...] = (
    "Auto-Submitted",
    "X-Autoreply",
    "X-Autorespond",
    "Precedence",
    "X-Auto-Response-Suppress",
    "X-MS-Exchange-Inbox-Rules-Loop",
    "X-Failed-Recipients",
    "List-Id",
    "List-Unsubscribe",
)

Lookup = Callable[[str], str | None]  # lower-case header name -> its first value

_REPORT = re.compile(r"^\s*multipart\s*/\s*report\b(?P<params>.*)$", re.IGNORECASE | re.DOTALL)
_REPORT_TYPE = re.compile(r";\s*report-type\s*=\s*\"?([a-z0-9-]+)", re.IGNORECASE)
_DAEMON = re.compile(r"^(mailer-daemon|mail-daemon|mailerdaemon)$", re.IGNORECASE)
_POSTMASTER = re.compile(r"^postmaster$", re.IGNORECASE)
_NO_REPLY = re.compile(r"^(no|do-?not|dont)[-_.]?reply([-_.+].*)?$", re.IGNORECASE)
# Subjects of delivery reports sent by postmaster without a proper multipart/report.
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|delivery status notification|mail delivery failed"
    r"|returned mail|failure notice|delivery failure|nicht zustellbar|non remis)",
    re.IGNORECASE,
)
# Auto-reply subjects, only at the very start: "Fwd: Automatic reply:" is a person forwarding one.
_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?(reply|response)|out of (the )?office|abwesenheitsnotiz"
    r"|automatische antwort|r[ée]ponse automatique|absence|respuesta autom[áa]tica"
    r"|risposta automatica|vacation reply|on vacation)\b",
    re.IGNORECASE,
)
_KEYWORD = re.compile(r"[a-z][a-z0-9_-]*")
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


def classify(get: Lookup, sender: str, subject: str) -> MessageKind:
    """The kind the headers give an incoming message: customer unless a machine sent it.

    ``get`` reads a header's first value by lower-case name; ``sender`` is the From address.
    Never decides ``agent``: whether we sent it is known elsewhere.
    """
    local = sender.rpartition("@")[0] if "@" in sender else sender
    if _is_bounce(get, local, subject):
        return MessageKind.BOUNCE
    if _is_auto_reply(get, subject):
        return MessageKind.AUTO_REPLY
    if _is_bulk(get, local):
        return MessageKind.BULK
    return MessageKind.CUSTOMER


def _value(get: Lookup, name: str) -> str:
    return " ".join((get(name) or "").split()).lower()


def _is_bounce(get: Lookup, local: str, subject: str) -> bool:
    report = _REPORT.match(get("content-type") or "")
    if report is not None:
        kind = _REPORT_TYPE.search(report.group("params"))
        if kind is not None and kind.group(1).lower() == "delivery-status":
            return True
    if _value(get, "x-failed-recipients"):
        return True
    if _DAEMON.match(local):
        return True
    return bool(_POSTMASTER.match(local) and _BOUNCE_SUBJECT.match(subject))


def _is_auto_reply(get: Lookup, subject: str) -> bool:
    submitted = _KEYWORD.match(_value(get, "auto-submitted"))  # "no (comment)", "auto-replied; x=y"
    if submitted is not None and submitted.group(0) != "no":
        return True
    for name in ("x-autoreply", "x-autorespond"):
        value = _value(get, name)
        if value and value not in ("no", "false", "0"):
            return True
    precedence = _value(get, "precedence")
    if precedence == "auto_reply":
        return True
    if _value(get, "x-auto-response-suppress") or _value(get, "x-ms-exchange-inbox-rules-loop"):
        return True
    report = _REPORT.match(get("content-type") or "")
    if report is not None:
        kind = _REPORT_TYPE.search(report.group("params"))
        if kind is not None and kind.group(1).lower() == "disposition-notification":
            return True  # a read receipt
    null_sender = (get("return-path") or "").strip() in ("<>", "")
    weak = (get("return-path") is not None and null_sender) or precedence in _BULK_PRECEDENCE
    return weak and _AUTO_SUBJECT.match(subject) is not None


def _is_bulk(get: Lookup, local: str) -> bool:
    if _value(get, "list-id") or _value(get, "list-unsubscribe"):
        return True
    if _value(get, "precedence") in _BULK_PRECEDENCE:
        return True
    return _NO_REPLY.match(local) is not None
