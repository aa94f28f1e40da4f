"""Finding the promises an agent makes in a reply, and reading typed follow-up times.

A promise is a sentence in the agent's own words that commits the team to something
and says when: "I'll get back to you by Friday", "you'll hear from us within 24
hours", "we will ship it by Monday". Detection only *proposes* due times; the agent
confirms them, so it prefers missing a vague promise to inventing one. It skips:

- quoted text: lines starting with ">", and everything from an "On ... wrote:" line, an
  Outlook "From:/Sent:" block, an "Original Message" divider or a "-- " signature on;
- questions ("Can I call you on Monday?"), and sentences without a commitment ("Please
  reply by Friday", "Our office is closed on Monday");
- negations before the time ("I can't promise anything by Friday", "we won't be able to
  reply before Monday") and sentences saying "no promises" or "no guarantees";
- the past ("I replied last Friday", "since Monday", "two days ago", "what happened on
  Monday") and conditions ("if you send it by Friday, ...");
- time phrases that name no deadline ("until Friday", "after Monday", "every Friday"),
  and absences ("I'll be out of the office on Friday").

Due times follow the conventions of :mod:`shared_inbox.domain.due_times`, read as
deadlines: "by Friday" is Friday at closing time, "tomorrow morning" is 10:00 on the
next business day, "within 24 hours" is calendar time, "in two business days" is the
close of the second business day. Without a calendar, business hours are Monday to
Friday, 09:00-17:00, in the time zone of ``sent_at``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.due_times import default_calendar, resolve
from shared_inbox.domain.time_phrases import (
    DURATION_LEADS,
    Phrase,
    Token,
    find_phrases,
    read_phrase,
    tokenize,
)

__all__ = [
    "FollowUpError",
    "PromiseCandidate",
    "SUPPORTED_LOCALES",
    "detect_promises",
    "parse_follow_up",
    "waits_for_close",
]

SUPPORTED_LOCALES = ("en",)
MAX_SENTENCE_CHARS = 300
MAX_FOLLOW_UP_CHARS = 100

# Leads that make a time phrase something other than a deadline.
_NOT_DEADLINES = frozenset(
    {"until", "till", "til", "since", "from", "after", "last", "past", "previous", "every", "each"}
)
# A word right before a time phrase that puts it in the past ("what we discussed on Monday").
_PAST_WORDS = frozenset({
    "happened", "occurred", "arrived", "came", "went", "was", "were", "did", "had", "replied", "wrote",
    "spoke", "talked", "called", "said", "told", "met", "discussed", "mentioned", "ago", "yesterday",
    "earlier", "previously",
})  # fmt: skip
_QUOTE_START = re.compile(
    r"^[ \t]*On\b[^\n]{0,300}(?:\n[^\n]{0,300})?\bwrote:[ \t]*$"  # On <date>, <someone> wrote:
    r"|^[ \t]*-{2,}[ \t]*(?:Original|Forwarded) Message[ \t]*-{2,}[ \t]*$"
    r"|^[ \t]*_{20,}[ \t]*$"  # Outlook's divider
    r"|^[ \t]*From:[^\n]*\n[ \t]*(?:Sent|Date):"  # Outlook's header block
    r"|^-- ?$",  # signature
    re.MULTILINE | re.IGNORECASE,
)
_QUOTED_LINE = re.compile(r"^[ \t]*>[^\n]*", re.MULTILINE)
_SENTENCE_END = re.compile(r"[.!?]+(?=\s+[A-Z0-9\"'(]|\s*$)|\n[ \t]*\n|\n(?=[ \t]*(?:[-*\u2022]|\d+[.)])\s)")
_CLAUSE_BREAK = re.compile(
    r";|\s[-\u2013\u2014]\s|\b(?:but|however|although|though|whereas)\b", re.IGNORECASE
)
_CONDITION = re.compile(r"\b(?:if|once|when|whenever|as soon as|provided)\b[^,;]*", re.IGNORECASE)
_NO_PROMISES = re.compile(
    r"\bno\s+(?:promises?|guarantees?)\b|\bcan(?:no|')t\s+(?:promise|guarantee)|\bnot\s+(?:promise|guarantee)",
    re.IGNORECASE,
)
# Being away is not a promise: "I'll be out of the office on Friday", "I'll be on holiday next week".
_ABSENCE = re.compile(
    r"\bbe\s+(?:away|off|out\s+(?:of|sick)|back(?!\s+(?:to|with)\s+you)|closed|unavailable|travell?ing"
    r"|on\s+(?:holiday|vacation|leave))\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:not|never|cannot|unable|unlikely|impossible|no\s+way)\b|n't\b", re.IGNORECASE)
_COMMITMENT = re.compile(
    r"""
      \b(?:i|we)(?:'ll|'m\s+going\s+to|'re\s+going\s+to|'m\s+(?:hoping|planning|aiming)\s+to)\b
    | \b(?:i|we)\s+(?:will|shall|promise|aim|plan|intend|expect|hope|commit|(?:am|are)\s+going\s+to
                    |should\s+(?:be\s+able|have|get)|can\s+(?:get|have|send|ship|deliver|do|finish|fix|call))\b
    | \blet\s+(?:me|us)\b | \blet's\b
    | \byou(?:'ll|\s+will|\s+should|\s+can\s+expect\s+to)\s+(?:hear|receive|get|have|see)\b
    | \b(?:expect|anticipate)\b
    | (?:\bwill|'ll|\bshould)\s+(?:be\s+)?(?:sent|shipped|processed|ready|fixed|resolved|delivered|refunded
                    |credited|done|completed|available|live|deployed|released|out|arrive|ship|go\s+out
                    |be\s+with\s+you|back\s+to\s+you|in\s+touch)\b
    | \bour\s+(?:team|engineers?|developers?|courier)\s+will\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_COMPACT_FOLLOW_UP = re.compile(r"(\d{1,3})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)")
_FOLLOW_UP_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class FollowUpError(ValueError):
    """A typed follow-up time that cannot be read or lies in the past; the message says which."""


@dataclass(frozen=True, slots=True)
class PromiseCandidate:
    """A promise found in a reply: the time words, where they are, when it falls due, and the sentence."""

    phrase: str  # "by Friday"
    span: tuple[int, int]  # of ``phrase`` in the text passed in
    due: datetime  # aware, in the calendar's time zone
    sentence: str  # the promising sentence, whitespace collapsed; a default text for the promise


def detect_promises(
    text: str, *, sent_at: datetime, calendar: BusinessCalendar | None = None, locale: str = "en"
) -> list[PromiseCandidate]:
    """The promises in ``text``, a reply sent at ``sent_at``, in the order they appear."""
    if locale.replace("_", "-").split("-")[0].lower() not in SUPPORTED_LOCALES:
        raise ValueError(f"promise detection reads {', '.join(SUPPORTED_LOCALES)} only, not {locale[:20]!r}")
    calendar = calendar or default_calendar(sent_at)
    own = own_words(text).replace("\u2019", "'")
    found = []
    for start, end in _sentences(own):
        sentence = own[start:end]
        if sentence.rstrip().endswith("?") or _NO_PROMISES.search(sentence):
            continue
        reading = _Sentence(own, start, end)
        said = ""
        for phrase in find_phrases(reading.tokens):
            due = resolve(phrase, sent_at, calendar, deadline=True) if reading.promises(phrase) else None
            if due is not None and due > sent_at.astimezone(UTC):
                said = said or _collapse(text[start:end])
                span = (phrase.start, phrase.end)
                found.append(PromiseCandidate(text[span[0] : span[1]], span, due, said))
    return found


def own_words(text: str) -> str:
    """``text`` with quoted and cited parts blanked out; offsets stay those of ``text``."""
    cut = _QUOTE_START.search(text)
    kept = text if cut is None else text[: cut.start()] + _blank(text[cut.start() :])
    return _QUOTED_LINE.sub(lambda match: " " * len(match.group()), kept)


def waits_for_close(text: str) -> bool:
    """Whether a follow-up like "after close in 1 week" counts from when the conversation closes."""
    return text.strip().lower().startswith("after close")


def parse_follow_up(text: str, now: datetime, calendar: BusinessCalendar | None = None) -> datetime:
    """The moment a typed follow-up or snooze time names, seen from ``now``.

    Reads "in 2 days", "2d", "3 hours", "tomorrow 9:00", "next monday", "friday 14:00",
    "until 3 December", "2024-12-03 14:00" and "after close in 1 week" (which counts from
    ``now``: pass the time the conversation closed). A day without a time means its
    opening; "in 2 days" means exactly 48 hours. Raises :class:`FollowUpError`.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise FollowUpError("the current time must be timezone-aware")
    calendar = calendar or default_calendar(now)
    wanted = " ".join(text.split()).strip(" .").lower()
    if len(wanted) > MAX_FOLLOW_UP_CHARS:
        raise FollowUpError(f"a follow-up time has at most {MAX_FOLLOW_UP_CHARS} characters")
    wanted = re.sub(r"^(?:after close|until|till|til)\b\s*", "", wanted)
    wanted = re.sub(r"^(?:for|after)\b\s*", "in ", wanted)
    compact = _COMPACT_FOLLOW_UP.fullmatch(wanted)
    if compact:
        wanted = f"in {compact.group(1)} {_FOLLOW_UP_UNITS[compact.group(2)[0]]}"
    moment = _read_whole(wanted, now, calendar) or _read_whole(f"in {wanted}", now, calendar)
    if moment is None:
        raise FollowUpError(
            f"cannot read {text[:40]!r} as a time; try 'in 2 days', 'tomorrow 9:00', 'next monday'"
            " or '2024-12-03 14:00'"
        )
    if moment <= now.astimezone(UTC):
        raise FollowUpError(f"{text[:40]!r} is {moment:%Y-%m-%d %H:%M}, which has already passed")
    return moment


# -- internals -------------------------------------------------------------------------


def _blank(text: str) -> str:
    return "".join(char if char == "\n" else " " for char in text)


def _collapse(text: str) -> str:
    collapsed = " ".join(text.split())
    return (
        collapsed if len(collapsed) <= MAX_SENTENCE_CHARS else collapsed[: MAX_SENTENCE_CHARS - 1] + "\u2026"
    )


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for boundary in _SENTENCE_END.finditer(text):
        spans.append((start, boundary.end()))
        start = boundary.end()
    spans.append((start, len(text)))
    return [(start, end) for start, end in spans if text[start:end].strip()]


class _Clause:
    """What a clause says around its time phrases: a commitment, negations, absences, conditions."""

    def __init__(self, text: str, start: int, end: int) -> None:
        clause = text[start:end]
        self.start = start
        self.commits = _COMMITMENT.search(clause) is not None
        # Only the first negation or absence matters: a phrase after it is negated.
        negations = (_NEGATION.search(clause), _ABSENCE.search(clause))
        self.negated_from = min((start + match.end() for match in negations if match), default=end + 1)
        conditions = [(start + m.start(), start + m.end()) for m in _CONDITION.finditer(clause)]
        self.condition_starts = [begin for begin, _ in conditions]
        self.conditions = conditions

    def conditional(self, at: int) -> bool:
        index = bisect_right(self.condition_starts, at) - 1
        return index >= 0 and at < self.conditions[index][1]


class _Sentence:
    """One sentence of a reply, read once for all the time phrases in it."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self.tokens = [Token(t.text, t.start + start, t.end + start) for t in tokenize(text[start:end])]
        self.token_starts = [token.start for token in self.tokens]
        bounds = [start]
        for match in _CLAUSE_BREAK.finditer(text, start, end):
            bounds += [match.start(), match.end()]
        bounds.append(end)
        self.clauses = [_Clause(text, bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
        self.clause_starts = [clause.start for clause in self.clauses]

    def promises(self, phrase: Phrase) -> bool:
        """Whether the phrase names the due time of a commitment made in this sentence."""
        if phrase.lead in _NOT_DEADLINES or self._word_at(phrase.end) == "ago":
            return False
        if phrase.duration is not None and phrase.lead not in DURATION_LEADS:
            return False
        clause = self.clauses[max(bisect_right(self.clause_starts, phrase.start) - 1, 0)]
        previous = self._word_before(phrase.start, clause.start)
        if previous in _PAST_WORDS or clause.conditional(phrase.start):
            return False
        return clause.commits and clause.negated_from > phrase.start

    def _word_at(self, offset: int) -> str:
        index = bisect_left(self.token_starts, offset)
        return self.tokens[index].text if index < len(self.tokens) else ""

    def _word_before(self, offset: int, not_before: int) -> str:
        index = bisect_left(self.token_starts, offset) - 1
        return self.tokens[index].text if index >= 0 and self.tokens[index].start >= not_before else ""


def _read_whole(text: str, now: datetime, calendar: BusinessCalendar) -> datetime | None:
    tokens = tokenize(text)
    if not tokens:
        return None
    phrase, end = read_phrase(tokens, 0)
    if phrase is None or end != len(tokens) or phrase.lead in _NOT_DEADLINES:
        return None
    return resolve(phrase, now, calendar, deadline=False)
