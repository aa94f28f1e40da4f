"""Who a customer is and what else they have written to us, for the reader's customer panel.

Built from the inbox's conversations only, so it needs no store of its own. Matching on every
message's sender, not just the conversation's customer, finds a customer's mail in threads a
colleague of theirs started. The address -> conversations index is built once per inbox size
(threads only change membership when messages are added, merged or split) and reused while the
agent reads.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from shared_inbox.domain.customer_links import Suggestion, addresses_in, suggest_links
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.profiles import CustomerRecord
from shared_inbox.domain.query import CustomerLookup
from shared_inbox.mail.body import read_message
from shared_inbox.services.customer_links import people, person_record
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.notes import profiles

# Domains where the address says nothing about the sender's employer.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "web.de",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "mail.com",
        "t-online.de",
        "yandex.ru",
        "zoho.com",
    }
)
# Providers with one domain per country (gmx.de, gmx.net, yahoo.co.uk, hotmail.fr ...).
FREE_MAIL_PREFIXES = ("gmx.", "yahoo.", "hotmail.", "outlook.", "live.")


def organisation_of(email: str) -> str | None:
    """The organisation an address belongs to (its domain), or None for free-mail and malformed addresses."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at or not local or not domain or "." not in domain:
        return None
    if domain in FREE_MAIL_DOMAINS or domain.startswith(FREE_MAIL_PREFIXES):
        return None
    return domain


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """One customer as the panel shows them; conversations newest first."""

    email: str
    name: str
    organisation: str | None
    conversations: tuple[Conversation, ...]
    record: CustomerRecord = field(default_factory=lambda: CustomerRecord(""))  # fields and notes
    linked: tuple[str, ...] = ()  # the customer's other addresses, as the team linked them

    def display(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True, slots=True)
class _Index:
    messages_seen: tuple[int, int]  # messages, and merges or splits, when built
    conversation_ids: dict[str, tuple[str, ...]]  # email -> conversation ids
    names: dict[str, str]  # email -> the latest display name seen
    by_domain: dict[str, tuple[str, ...]]  # domain -> the emails at it


_INDEXES: weakref.WeakKeyDictionary[Inbox, _Index] = weakref.WeakKeyDictionary()


def _build_index(inbox: Inbox) -> _Index:
    ids: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    ours = inbox.our_addresses
    for conv in inbox.conversations():
        emails: set[str] = set()
        if conv.customer is not None:
            emails.add(conv.customer.email)
            if conv.customer.name:
                names.setdefault(conv.customer.email, conv.customer.name)
        for meta in inbox.messages_of(conv):
            if meta.outgoing or meta.sender.email in ours:
                continue
            emails.add(meta.sender.email)
            if meta.sender.name:
                names[meta.sender.email] = meta.sender.name
        for email in emails:
            ids.setdefault(email, []).append(conv.id)
    by_domain: dict[str, list[str]] = {}
    for email in ids:
        by_domain.setdefault(email.rpartition("@")[2], []).append(email)
    return _Index(
        (len(inbox.messages), inbox.index.regroupings),
        {e: tuple(c) for e, c in ids.items()},
        names,
        {domain: tuple(emails) for domain, emails in by_domain.items()},
    )


def _index_for(inbox: Inbox) -> _Index:
    index = _INDEXES.get(inbox)
    if index is None or index.messages_seen != (len(inbox.messages), inbox.index.regroupings):
        index = _build_index(inbox)
        _INDEXES[inbox] = index
    return index


def _newest_first(conv: Conversation) -> tuple[bool, float]:
    activity = conv.last_activity
    return (activity is not None, activity.timestamp() if activity else 0.0)


def customer_profile(inbox: Inbox, email: str, name: str = "", *, linked: bool = True) -> CustomerProfile:
    """Everything the inbox knows about `email`: name, organisation, conversations newest first.

    With ``linked``, the person behind the address: the conversations and profile of every
    address the team linked to it. `name` is used when no message carries one. Statuses are
    read fresh from the inbox, so a conversation closed a moment ago shows as closed.
    """
    email = email.strip().lower()
    index = _index_for(inbox)
    others = people(inbox).others_of(email) if linked else ()
    found: dict[str, Conversation] = {}
    for address in (email, *others):
        for conv_id in index.conversation_ids.get(address, ()):
            conv = inbox.conversation(conv_id)  # follows merges since the index was built
            if conv is not None:
                found[conv.id] = conv
    conversations = tuple(sorted(found.values(), key=_newest_first, reverse=True))
    known_name = index.names.get(email) or next((index.names[o] for o in others if o in index.names), "")
    return CustomerProfile(
        email=email,
        name=known_name or name,
        organisation=organisation_of(email),
        conversations=conversations,
        record=person_record(inbox, email, linked=linked),
        linked=others,
    )


SUGGESTION_TEXTS = 20  # the customer's latest messages read for addresses they wrote down


def link_suggestions(inbox: Inbox, profile: CustomerProfile) -> list[Suggestion]:
    """Addresses that may be this customer's too, for the team to link or not.

    Only the addresses that can be suggested are looked up (those at the customer's organisation
    and those written in their mail), not every address the inbox knows.
    """
    index = _index_for(inbox)
    written = [
        meta
        for conv in profile.conversations
        for meta in inbox.messages_of(conv)
        if meta.sender.email == profile.email and not meta.outgoing
    ]
    texts = []
    for meta in sorted(written, key=lambda m: m.date)[-SUGGESTION_TEXTS:]:
        raw = inbox.store.load_raw(meta.message_id)
        if raw is not None:
            body = read_message(raw)
            texts.append("\n".join(s.text for s in body.segments if s.kind == "text"))
    candidates = set(index.by_domain.get(profile.organisation or "", ()))
    candidates.update(a for text in texts for a in addresses_in(text) if a in index.conversation_ids)
    known = {address: index.names.get(address, "") for address in candidates}
    return suggest_links(
        profile.email,
        profile.name,
        profile.organisation,
        known,
        texts,
        linked=profile.linked,
        our_addresses=inbox.our_addresses,
    )


def customer_lookup(inbox: Inbox) -> CustomerLookup:
    """For ``customer:`` searches: the person's addresses, organisations, profile fields and notes."""
    recorded = profiles(inbox)
    linked = people(inbox)

    def one(email: str) -> str:
        record = recorded.get(email)
        organisation = organisation_of(email) or ""
        return f"{organisation}\n{record.searchable()}" if record is not None else organisation

    def lookup(email: str) -> str:
        others = linked.others_of(email)
        if not others:
            return one(email)
        return "\n".join([one(email), *others, *(one(other) for other in others)])

    return lookup
