"""The To and Cc fields: reading what the agent typed, and completing addresses as they type.

The fields are plain comma-separated text, so the agent can paste a list from anywhere; the
completion only ever finishes the part after the last comma.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from email.utils import getaddresses

from textual.suggester import Suggester

from shared_inbox.domain.model import Address, Conversation
from shared_inbox.services.replies import parse_addresses

__all__ = [
    "AddressSuggester",
    "format_addresses",
    "header_addresses",
    "known_addresses",
    "parse_addresses",
    "suggest",
]

MAX_KNOWN_ADDRESSES = 5000  # enough for any small team's customers; bounds the work per keystroke


def format_addresses(addresses: Sequence[Address]) -> str:
    return ", ".join(address.display() for address in addresses)


def header_addresses(message: EmailMessage | None, name: str) -> list[Address]:
    """The addresses of one header of a built message, in the form the fields show."""
    if message is None:
        return []
    return [Address(n, e.lower()) for n, e in getaddresses([str(v) for v in message.get_all(name, [])])]


def known_addresses(conversations: Iterable[Conversation], *, excluded: Iterable[str] = ()) -> list[Address]:
    """Customers of `conversations`, most recent first, once each, without the `excluded` addresses.

    The team's own addresses are excluded by the caller: mail is never sent to them, so
    offering them would only lead to a refused message.
    """
    skip = {email.lower() for email in excluded}
    found: dict[str, Address] = {}
    for conv in reversed(list(conversations)):
        customer = conv.customer
        if customer is None or customer.email.lower() in skip or customer.email.lower() in found:
            continue
        found[customer.email.lower()] = Address(customer.name, customer.email.lower())
        if len(found) >= MAX_KNOWN_ADDRESSES:
            break
    return list(found.values())


class AddressSuggester(Suggester):
    """Completes the last comma-separated part of a To/Cc field from known people.

    Matching is a case-insensitive prefix of the name or of the address.
    The suggestion keeps what was typed exactly, so the field shows only the completed rest.
    """

    def __init__(self, people: Sequence[Address]) -> None:
        # Case handled here: Textual's own folding would change the text the field shows.
        super().__init__(use_cache=True, case_sensitive=True)
        self.people = list(people)

    async def get_suggestion(self, value: str) -> str | None:
        return suggest(value, self.people)


def suggest(value: str, people: Sequence[Address]) -> str | None:
    """`value` with its last part completed to a known person, or None when nobody matches."""
    typed = value.rpartition(",")[2].lstrip()
    if not typed:
        return None
    prefix = value[: len(value) - len(typed)]
    wanted = typed.casefold()
    for person in people:
        for completion in _completions(person):
            if completion.casefold().startswith(wanted) and len(completion) > len(typed):
                return prefix + typed + completion[len(typed) :]
    return None


def _completions(person: Address) -> list[str]:
    """The texts a typed prefix may complete to: "Name <address>" and the bare address."""
    forms = [person.display()] if person.name else []
    forms.append(person.email)
    return forms
