"""A conversation search, said to the IMAP server (RFC 3501 SEARCH) for mail below the local window.

With `[imap] sync_since` the store keeps recent mail only and the server stays the archive;
searching the archive asks the server the same question. Only what the server can answer
is sent: words (in the subject, sender or recipients, as the local search matches them),
``from:``, ``to:``, ``subject:``, ``customer:``, ``before:`` and ``after:``. What only the
team knows (tags, status, assignee, read state) is left to the local search, which runs
over whatever the server's answer brought in.
"""

from __future__ import annotations

from shared_inbox.domain.query import Query, Term

__all__ = ["SERVER_FIELDS", "server_criteria"]

SERVER_FIELDS = ("from", "to", "subject", "customer", "before", "after")
# RFC 3501 dates name the month in English whatever the locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def server_criteria(query: Query) -> list[str] | None:
    """IMAP SEARCH keys for `query` (all must hold, as in the local search); None when none apply.

    Values are passed as separate arguments, so imapclient quotes them: a word can never
    become a search key of its own.
    """
    criteria: list[str] = []
    for term in query.terms:
        keys = _keys_for(term)
        if keys is None:
            continue
        criteria += ["NOT", *keys] if term.negated else keys
    return criteria or None


def _keys_for(term: Term) -> list[str] | None:
    value = term.value
    if term.field is None:
        return ["OR", "SUBJECT", value, "OR", "FROM", value, "TO", value]
    if term.field == "from":
        return ["FROM", value]
    if term.field == "to":
        return ["OR", "TO", value, "CC", value]
    if term.field == "subject":
        return ["SUBJECT", value]
    if term.field == "customer":
        return ["OR", "FROM", value, "TO", value]
    if term.field in ("before", "after") and term.moment is not None:
        moment = term.moment
        day = f"{moment.day}-{_MONTHS[moment.month - 1]}-{moment.year}"
        return ["BEFORE", day] if term.field == "before" else ["SINCE", day]
    return None
