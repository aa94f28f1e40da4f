"""The search language of the conversation list.

    refund from:ann tag:vip -status:closed "order 1234" subject:"late delivery"
    assignee:me  assignee:none  is:unread  is:read  has:attachment
    before:2024-05-01  after:2024-04-01  customer:example.org  to:billing

Words without a field match case-insensitively anywhere in the subject, the
customer's name and address, and the names and addresses of everyone in the
conversation. A leading ``-`` negates a term, double quotes keep spaces inside
one term, and all terms must hold. ``before:`` and ``after:`` compare the
conversation's last activity with midnight UTC of the date (``after:`` is
inclusive, ``before:`` exclusive). ``customer:`` also looks in what the team recorded
about the customer (profile fields, customer notes) when the caller passes a lookup.

Free text is matched against :func:`search_text`, which a caller searching many times may
keep per conversation until the conversation changes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from shared_inbox.domain.model import Address, Conversation, MessageMeta, Status

__all__ = ["FIELDS", "CustomerLookup", "Query", "QueryError", "Term", "parse_query", "search_text"]

# A customer's address -> extra text to match ``customer:`` against (profile, notes); "" for none.
CustomerLookup = Callable[[str], str]
MessagesOf = Callable[[Conversation], Sequence[MessageMeta]]
TextOf = Callable[[Conversation], str]

FIELDS = (
    "from", "to", "subject", "customer", "tag", "status", "assignee", "is", "has", "before", "after",
)  # fmt: skip
_CHOICES: dict[str, tuple[str, ...]] = {
    "status": tuple(status.value for status in Status),
    "is": ("unread", "read"),
    "has": ("attachment",),
}
_FIELD_PREFIX = re.compile(r"([A-Za-z]+):")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NOBODY = ""  # the value of assignee:none


class QueryError(ValueError):
    """A query that cannot be understood; the message says why and how to fix it."""


@dataclass(frozen=True, slots=True)
class Term:
    """One condition. ``field`` is ``None`` for free text; ``value`` is case-folded."""

    field: str | None
    value: str
    negated: bool = False
    moment: datetime | None = None  # for before:/after:


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[Term, ...]
    me: str = ""
    customer_lookup: CustomerLookup | None = None

    def matches(self, conv: Conversation, messages: Sequence[MessageMeta]) -> bool:
        """Whether the conversation (with its messages) satisfies every term."""
        return bool(self.select([conv], lambda _conv: messages))

    def select(
        self, convs: Iterable[Conversation], messages_of: MessagesOf, text_of: TextOf | None = None
    ) -> list[Conversation]:
        """The conversations satisfying every term, in the order given.

        A conversation's messages are asked for only when a term needs them, and its
        :func:`search_text` comes from ``text_of`` when the caller keeps it (else it is built).
        """
        context = _Context(self.me, self.customer_lookup, messages_of, text_of)
        checks = [(_MATCHERS[term.field or ""], term) for term in self.terms]
        found = []
        for conv in convs:
            context.start(conv)
            for matcher, term in checks:
                if matcher(term, context) == term.negated:
                    break
            else:
                found.append(conv)
        return found


def search_text(conv: Conversation, messages: Sequence[MessageMeta]) -> str:
    """What free text is matched against: subjects, the customer, every name and address, case-folded."""
    parts = [conv.subject]
    if conv.customer is not None:
        parts += [conv.customer.name, conv.customer.email]
    seen: set[Address] = set()  # the same people recur in every message of a thread
    for meta in messages:
        parts.append(meta.subject)
        for address in (meta.sender, *meta.to, *meta.cc, *meta.reply_to):
            if address not in seen:
                seen.add(address)
                parts += [address.name, address.email]
    return "\n".join(parts).casefold()


def parse_query(text: str, *, me: str, customer_lookup: CustomerLookup | None = None) -> Query:
    """Parse the search language; raises :class:`QueryError` on unknown fields or bad values."""
    terms = tuple(_term(negated, field, value) for negated, field, value in _lex(text))
    return Query(terms, me.strip().casefold(), customer_lookup)


# -- parsing -------------------------------------------------------------------


def _lex(text: str) -> list[tuple[bool, str | None, str]]:
    """Split into (negated, field, raw value) triples."""
    found: list[tuple[bool, str | None, str]] = []
    at, end = 0, len(text)
    while at < end:
        if text[at].isspace():
            at += 1
            continue
        negated = text[at] == "-" and at + 1 < end and not text[at + 1].isspace()
        if negated:
            at += 1
        field: str | None = None
        prefix = _FIELD_PREFIX.match(text, at)
        if prefix:
            field = prefix.group(1).lower()
            at = prefix.end()
            if field not in FIELDS:
                raise QueryError(_unknown_field(field))
        if at < end and text[at] == '"':
            value, at = _quoted(text, at)
        else:
            start = at
            while at < end and not text[at].isspace():
                at += 1
            value = text[start:at]
        if field is not None and not value.strip():
            raise QueryError(f'"{field}:" needs a value, e.g. {_example(field)}')
        if value:
            found.append((negated, field, value))
    return found


def _quoted(text: str, at: int) -> tuple[str, int]:
    """The text between double quotes starting at ``at`` (``\\"`` is a quote); and where it ends."""
    chars: list[str] = []
    at += 1
    while at < len(text):
        char = text[at]
        if char == "\\" and at + 1 < len(text):
            chars.append(text[at + 1])
            at += 2
        elif char == '"':
            return "".join(chars), at + 1
        else:
            chars.append(char)
            at += 1
    raise QueryError('A double quote is not closed; add the closing " at the end.')


def _unknown_field(field: str) -> str:
    close = difflib.get_close_matches(field, FIELDS, n=1, cutoff=0.6)
    hint = f' Did you mean "{close[0]}:"?' if close else ""
    known = ", ".join(f"{name}:" for name in FIELDS)
    return (
        f'Unknown search field "{field}:".{hint} Known fields: {known}. '
        f'To search for the text itself, put it in double quotes: "{field}:...".'
    )


def _example(field: str) -> str:
    if field in _CHOICES:
        return f"{field}:{_CHOICES[field][0]}"
    if field in ("before", "after"):
        return f"{field}:2024-03-31"
    return {"tag": "tag:vip", "assignee": "assignee:me"}.get(field, f'{field}:"some text"')


def _term(negated: bool, field: str | None, raw: str) -> Term:
    value = raw.strip().casefold()
    if field in _CHOICES:
        choices = _CHOICES[field]
        if field == "has" and value == "attachments":
            value = "attachment"
        if value not in choices:
            close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
            hint = f' Did you mean "{field}:{close[0]}"?' if close else ""
            allowed = ", ".join(f"{field}:{choice}" for choice in choices)
            raise QueryError(f'"{field}:{raw}" is not understood.{hint} Use one of {allowed}.')
    if field in ("before", "after"):
        return Term(field, value, negated, _midnight(field, raw))
    if field == "assignee" and value == "none":
        value = _NOBODY
    return Term(field, value, negated)


def _midnight(field: str, raw: str) -> datetime:
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        example = f"{field}:2024-03-31"
        raise QueryError(f'"{field}:{raw}" is not a date; write it as YYYY-MM-DD, e.g. {example}.') from None
    return datetime.combine(day, time(0), tzinfo=UTC)


# -- matching ------------------------------------------------------------------


class _Context:
    """The conversation being matched, with its messages and search text fetched only when needed.

    One context serves a whole :meth:`Query.select` pass (see `start`), so matching costs
    no allocation per conversation.
    """

    __slots__ = ("conv", "me", "lookup", "_messages_of", "_text_of", "_messages", "_text")

    def __init__(
        self, me: str, lookup: CustomerLookup | None, messages_of: MessagesOf, text_of: TextOf | None
    ) -> None:
        self.me = me
        self.lookup = lookup
        self._messages_of = messages_of
        self._text_of = text_of
        self.conv: Conversation  # set by start()
        self._messages: Sequence[MessageMeta] | None = None
        self._text: str | None = None

    def start(self, conv: Conversation) -> None:
        self.conv, self._messages, self._text = conv, None, None

    @property
    def messages(self) -> Sequence[MessageMeta]:
        if self._messages is None:
            self._messages = self._messages_of(self.conv)
        return self._messages

    @property
    def text(self) -> str:
        if self._text is None:
            conv = self.conv
            self._text = self._text_of(conv) if self._text_of else search_text(conv, self.messages)
        return self._text


def _any_address(values: Sequence[tuple[str, str]], needle: str) -> bool:
    return any(needle in name.casefold() or needle in email.casefold() for name, email in values)


def _has_address(addresses: Iterable[Address], needle: str) -> bool:
    return any(needle in a.name.casefold() or needle in a.email.casefold() for a in addresses)


def _from(term: Term, ctx: _Context) -> bool:
    return _has_address((m.sender for m in ctx.messages), term.value)


def _to(term: Term, ctx: _Context) -> bool:
    return _has_address((a for m in ctx.messages for a in (*m.to, *m.cc)), term.value)


def _subject(term: Term, ctx: _Context) -> bool:
    subjects = [ctx.conv.subject, *(m.subject for m in ctx.messages)]
    return any(term.value in subject.casefold() for subject in subjects)


def _customer(term: Term, ctx: _Context) -> bool:
    customer = ctx.conv.customer
    if customer is None:
        return False
    if _any_address([(customer.name, customer.email)], term.value):
        return True
    return ctx.lookup is not None and term.value in ctx.lookup(customer.email).casefold()


def _assignee(term: Term, ctx: _Context) -> bool:
    assignee = (ctx.conv.state.assignee or "").casefold()
    if term.value == _NOBODY:
        return not assignee
    if term.value == "me":
        return bool(assignee) and assignee == ctx.me
    return term.value in assignee


_MATCHERS: dict[str, Callable[[Term, _Context], bool]] = {
    "": lambda term, ctx: term.value in ctx.text,
    "from": _from,
    "to": _to,
    "subject": _subject,
    "customer": _customer,
    "tag": lambda term, ctx: term.value in {tag.casefold() for tag in ctx.conv.state.tags},
    "status": lambda term, ctx: ctx.conv.state.status.value == term.value,
    "assignee": _assignee,
    "is": lambda term, ctx: (ctx.conv.unread > 0) == (term.value == "unread"),
    "has": lambda term, ctx: any(m.has_attachments for m in ctx.messages),
    "before": lambda term, ctx: _compare_activity(ctx, term, before=True),
    "after": lambda term, ctx: _compare_activity(ctx, term, before=False),
}


def _compare_activity(ctx: _Context, term: Term, *, before: bool) -> bool:
    active, moment = ctx.conv.last_activity, term.moment
    if active is None or moment is None:
        return False
    return active < moment if before else active >= moment
