"""One customer, many addresses: the team's links between addresses of the same person.

Links are events like every other change, anchored on a message of one of the customer's
conversations:

- ``customer_link``: ``{"emails": [address, address, ...]}`` makes the addresses one person
  (joining whatever each was already linked to);
- ``customer_unlink``: ``{"email": address}`` takes that address out of its person again.

:func:`reduce_links` applies them in hybrid-clock order (then event id), so the people it
finds depend only on the set of events, never on their arrival order; invalid events
(teammates' events arrive through the mailbox and may be forged) are ignored.

:func:`suggest_links` proposes links, never makes them: an address with the same display
name at the same organisation, or an address the customer wrote in their mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from shared_inbox.domain.events import Event, EventError

__all__ = [
    "CUSTOMER_LINK",
    "CUSTOMER_UNLINK",
    "LINK_KINDS",
    "People",
    "Suggestion",
    "check_link_event",
    "link_data",
    "reduce_links",
    "suggest_links",
    "unlink_data",
]

CUSTOMER_LINK = "customer_link"
CUSTOMER_UNLINK = "customer_unlink"
LINK_KINDS = frozenset({CUSTOMER_LINK, CUSTOMER_UNLINK})
MAX_LINKED = 10  # addresses in one link event
MAX_EMAIL_CHARS = 254

_EMAIL = re.compile(r"[^\s@<>\"(),;:]{1,64}@[^\s@<>\"(),;:]{1,189}")
_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")


def addresses_in(text: str) -> list[str]:
    """The addresses written in `text`, lower-cased, in order."""
    return [match.group(0).lower().rstrip(".") for match in _IN_TEXT.finditer(text)]


def link_data(emails: Sequence[str]) -> dict[str, object]:
    """The data of a link event; raises :class:`EventError` when it would be refused."""
    data: dict[str, object] = {"emails": list(dict.fromkeys(e.strip().lower() for e in emails))}
    _check(CUSTOMER_LINK, data)
    return data


def unlink_data(email: str) -> dict[str, object]:
    data: dict[str, object] = {"email": email.strip().lower()}
    _check(CUSTOMER_UNLINK, data)
    return data


def check_link_event(event: Event) -> None:
    """Raise :class:`EventError` naming the problem when a link or unlink event is not valid."""
    kind = str(event.kind)
    if kind not in LINK_KINDS:
        raise EventError(f"{kind[:32]!r} is not a customer link event")
    _check(kind, event.data)


def _check(kind: str, data: Mapping[str, object]) -> None:
    if kind == CUSTOMER_LINK:
        emails = data.get("emails")
        if not isinstance(emails, list) or not 2 <= len(emails) <= MAX_LINKED:
            raise EventError(f"a link names 2 to {MAX_LINKED} different addresses")
        for email in emails:
            _email(email)
        if len(set(emails)) != len(emails):
            raise EventError("a link names 2 to 10 different addresses")
    else:
        _email(data.get("email"))


def _email(value: object) -> str:
    if (
        not isinstance(value, str)
        or len(value) > MAX_EMAIL_CHARS
        or not _EMAIL.fullmatch(value)
        or value != value.lower()
        or not value.isprintable()
    ):
        raise EventError(f"{str(value)[:60]!r} is not a lower-case e-mail address")
    return value


@dataclass(frozen=True, slots=True)
class People:
    """Which addresses the team linked into one person."""

    groups: Mapping[str, frozenset[str]]  # every linked address -> all addresses of its person

    def addresses_of(self, email: str) -> frozenset[str]:
        """Every address of the person writing from ``email`` (just ``email`` when unlinked)."""
        email = email.strip().lower()
        return self.groups.get(email, frozenset({email}))

    def others_of(self, email: str) -> tuple[str, ...]:
        """The person's other addresses, sorted."""
        email = email.strip().lower()
        return tuple(sorted(self.addresses_of(email) - {email}))


def reduce_links(events: Iterable[Event]) -> People:
    """The people the link and unlink events describe (see the module docstring)."""
    valid: dict[str, Event] = {}
    for event in events:
        if str(event.kind) not in LINK_KINDS or event.id in valid:
            continue
        try:
            check_link_event(event)
        except EventError:
            continue
        valid[event.id] = event
    person: dict[str, int] = {}  # address -> person number
    for number, event in enumerate(sorted(valid.values(), key=lambda e: (e.clock, e.id, repr(e.data)))):
        if event.kind == CUSTOMER_LINK:
            emails = [str(e) for e in _as_list(event.data["emails"])]
            joined = {person[e] for e in emails if e in person}
            for address, owner in list(person.items()):
                if owner in joined:
                    person[address] = number + 1_000_000  # fresh, above every event number
            for email in emails:
                person[email] = number + 1_000_000
        else:
            person.pop(str(event.data["email"]), None)
    members: dict[int, set[str]] = {}
    for address, owner in person.items():
        members.setdefault(owner, set()).add(address)
    groups = {
        address: frozenset(members[owner]) for address, owner in person.items() if len(members[owner]) > 1
    }
    return People(groups)


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An address that may belong to the same person, and why it is suggested."""

    email: str
    reason: str


def suggest_links(
    email: str,
    name: str,
    organisation: str | None,
    known: Mapping[str, str],
    texts: Iterable[str],
    linked: Iterable[str] = (),
    our_addresses: Iterable[str] = (),
) -> list[Suggestion]:
    """Addresses to offer for linking with ``email`` (the team decides; nothing is linked here).

    ``known``: every customer address the inbox holds -> the display name last seen for it;
    ``organisation``: the customer's organisation, None for free-mail (where a shared name says
    little); ``texts``: what the customer wrote (quotes left out by the caller). Addresses
    already linked, our own and the customer's own are never suggested.
    """
    email = email.strip().lower()
    skip = {email, *linked, *(a.lower() for a in our_addresses)}
    found: dict[str, str] = {}
    wanted = " ".join(name.casefold().split())
    if wanted and organisation:
        for other, other_name in sorted(known.items()):
            same_org = other.rpartition("@")[2] == organisation
            if other not in skip and same_org and " ".join(other_name.casefold().split()) == wanted:
                found.setdefault(other, f"same name and organisation ({organisation})")
    for text in texts:
        for other in addresses_in(text):
            if other not in skip and other in known:
                found.setdefault(other, "written in the customer's mail")
    return [Suggestion(other, reason) for other, reason in found.items()]
