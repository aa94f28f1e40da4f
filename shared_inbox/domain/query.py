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
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from shared_inbox.domain.model import Conversation, MessageMeta, Status

__all__ = ["FIELDS", "CustomerLookup", "Query", "QueryError", "Term", "parse_query"]

# A customer's address -> extra text to match ``customer:`` against (profile, notes); "" for none.
CustomerLookup = Callable[[str], str]

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
        context = _Context(conv, messages, self.me, self.customer_lookup)
        return all(_MATCHERS[term.field or ""](term, context) != term.negated for term in self.terms)


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
    """One conversation being matched, with lazily built search text."""

    __slots__ = ("conv", "messages", "me", "lookup", "_text")

    def __init__(
        self,
        conv: Conversation,
        messages: Sequence[MessageMeta],
        me: str,
        lookup: CustomerLookup | None = None,
    ) -> None:
        self.conv = conv
        self.messages = messages
        self.me = me
        self.lookup = lookup
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            parts = [self.conv.subject]
            if self.conv.customer is not None:
                parts += [self.conv.customer.name, self.conv.customer.email]
            for meta in self.messages:
                parts.append(meta.subject)
                for address in (meta.sender, *meta.to, *meta.cc, *meta.reply_to):
                    parts += [address.name, address.email]
            self._text = "\n".join(parts).casefold()
        return self._text


def _any_address(values: Sequence[tuple[str, str]], needle: str) -> bool:
    return any(needle in name.casefold() or needle in email.casefold() for name, email in values)


def _from(term: Term, ctx: _Context) -> bool:
    return _any_address([(m.sender.name, m.sender.email) for m in ctx.messages], term.value)


def _to(term: Term, ctx: _Context) -> bool:
    pairs = [(a.name, a.email) for m in ctx.messages for a in (*m.to, *m.cc)]
    return _any_address(pairs, term.value)


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
