"""Linking a customer's addresses into one person, and seeing them as one.

Links and unlinks are team events recorded through the command layer (the TUI's customer
panel and `shared-inbox customer link` call the same functions here). The folded links are
kept per inbox until it gains events. :func:`person_record` is what the team recorded about
the person: the address's own profile first, gaps filled from the other addresses.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from shared_inbox.domain.customer_links import (
    CUSTOMER_LINK,
    CUSTOMER_UNLINK,
    LINK_KINDS,
    People,
    link_data,
    reduce_links,
    unlink_data,
)
from shared_inbox.domain.events import Event, EventError
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.profiles import CustomerRecord
from shared_inbox.services.commands import CommandError, Commands
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.notes import customer_record

__all__ = ["link", "people", "person_addresses", "person_record", "unlink"]


@dataclass(frozen=True, slots=True)
class _Folded:
    seen: int  # events when folded
    people: People


_FOLDED: weakref.WeakKeyDictionary[Inbox, _Folded] = weakref.WeakKeyDictionary()


def people(inbox: Inbox) -> People:
    """Every person the team linked addresses into."""
    cached = _FOLDED.get(inbox)
    if cached is None or cached.seen != len(inbox.events):
        links = [event for event in inbox.events if str(event.kind) in LINK_KINDS]
        cached = _FOLDED[inbox] = _Folded(len(inbox.events), reduce_links(links))
    return cached.people


def person_addresses(inbox: Inbox, email: str) -> frozenset[str]:
    """Every address of the person writing from ``email``, ``email`` included."""
    return people(inbox).addresses_of(email)


def person_record(inbox: Inbox, email: str, *, linked: bool = True) -> CustomerRecord:
    """The profile of the person: ``email``'s own fields, missing ones from linked addresses; all notes."""
    email = email.strip().lower()
    own = customer_record(inbox, email)
    if not linked:
        return own
    others = [customer_record(inbox, other) for other in people(inbox).others_of(email)]
    if not any(record.fields or record.notes for record in others):
        return own
    fields = dict(own.fields)
    for record in others:
        for name, value in record.fields.items():
            fields.setdefault(name, value)
    notes = sorted((*own.notes, *(n for r in others for n in r.notes)), key=lambda n: (n.created_at, n.id))
    return CustomerRecord(email, fields, tuple(notes))


def link(inbox: Inbox, commands: Commands, emails: Sequence[str]) -> Event:
    """Make the addresses one customer; the event is anchored on a conversation of one of them."""
    try:
        data = link_data(emails)
    except EventError as exc:
        raise CommandError(f"Cannot link those addresses: {exc}.") from None
    addresses = [str(email) for email in data["emails"]]  # type: ignore[attr-defined]
    if all(people(inbox).addresses_of(addresses[0]) >= {a} for a in addresses):
        raise CommandError("Those addresses are one customer already.")
    return commands.record(_anchor(inbox, addresses), CUSTOMER_LINK, data)


def unlink(inbox: Inbox, commands: Commands, email: str) -> Event:
    """Take ``email`` out of the customer it was linked into."""
    try:
        data = unlink_data(email)
    except EventError as exc:
        raise CommandError(f"Cannot unlink that address: {exc}.") from None
    address = str(data["email"])
    linked = people(inbox).others_of(address)
    if not linked:
        raise CommandError(f"{address} is not linked to another address.")
    return commands.record(_anchor(inbox, [address, *linked]), CUSTOMER_UNLINK, data)


def _anchor(inbox: Inbox, addresses: Sequence[str]) -> Conversation:
    from shared_inbox.services.customers import customer_profile  # it builds on this module

    for address in addresses:
        found = customer_profile(inbox, address, linked=False).conversations
        if found:
            return found[-1]
    raise CommandError(
        f"No conversation with {' or '.join(addresses)}: link addresses the inbox has mail from."
    )
