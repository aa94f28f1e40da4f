"""English time phrases: "by Friday", "within 2 business days", "tomorrow at 9", "on the 5th".

Promise detection reads these phrases in an agent's reply; typed follow-up and snooze
times use the same grammar, so both agree on what "next Monday" means. Parsing works on
word tokens that keep their character offsets, so a caller can point at the words it
read. What a phrase means in time is decided by :mod:`shared_inbox.domain.due_times`.

The grammar, case-insensitive::

    phrase   := [lead] (duration | moment)
    lead     := by | before | on | at | around | for | no later than | at the latest [by]
              | in | within | within the next | in the next | over the next | in less than | in under
              | until | till | since | from | after | last | past | previous | every | each
    duration := (NUMBER | a | a few | a couple of | two ...) [business | working] UNIT
              | the hour | half an hour | 24h
    moment   := [first thing] (END_OF_DAY [[on] day] | the end of [this | next] (week | month)
              | clock [[on] day] | tonight | this PART | day [PART | [at | by] clock | [by] END_OF_DAY]
              | the PART)
    day      := today | later today | tomorrow | the day after tomorrow
              | [this | next | coming] WEEKDAY | (this | next | early next | later this) week
              | [this | next] weekend | (this | next) month
              | 3 December [2025] | December 3rd[, 2025] | the 5th [of May] | 5th | 2024-12-03
    clock    := 3pm | 3 p.m. | 15:30 | noon | midday | midnight  (and "3" after a day)

Leads are kept so callers can tell "by Friday" from "until Friday" or "last Friday".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "DURATION_LEADS",
    "PARTS",
    "Clock",
    "Day",
    "Duration",
    "Phrase",
    "Token",
    "find_phrases",
    "read_phrase",
    "tokenize",
]


def _by_first_word(phrases: Iterable[str]) -> dict[str, list[tuple[str, ...]]]:
    """Word sequences indexed by their first word, longest first, for quick matching."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for words in sorted((tuple(phrase.split()) for phrase in phrases), key=len, reverse=True):
        index.setdefault(words[0], []).append(words)
    return index


PARTS = {"morning": (10, 0), "noon": (12, 0), "midday": (12, 0), "lunchtime": (12, 0), "afternoon": (15, 0),
         "evening": (19, 0), "night": (21, 0)}  # fmt: skip
FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FULL_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)  # fmt: skip
WEEKDAY_NAMES = {
    **{name: day for day, name in enumerate(FULL_WEEKDAYS)},
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4,
}  # fmt: skip
MONTH_NAMES = {
    **{name: month for month, name in enumerate(FULL_MONTHS, 1)},
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "twenty-four": 24, "forty-eight": 48, "seventy-two": 72,
}  # fmt: skip
UNITS = {"minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute", "hour": "hour",
         "hours": "hour", "hr": "hour", "hrs": "hour", "h": "hour", "day": "day", "days": "day", "d": "day",
         "week": "week", "weeks": "week", "wk": "week", "wks": "week", "w": "week", "month": "month",
         "months": "month"}  # fmt: skip
DURATION_LEADS = frozenset({"in", "within", "within the next", "in the next", "over the next", "in less than",
                            "in under", "inside", "inside of"})  # fmt: skip
_LEADS = _by_first_word(DURATION_LEADS | {
    "by", "before", "on", "at", "around", "for", "until", "till", "til", "since", "from", "after", "last",
    "past", "previous", "every", "each", "no later than", "at the latest by", "at the latest",
})  # fmt: skip
_END_OF_DAY = _by_first_word({
    "end of the business day", "end of business day", "end of the day", "end of day", "end of business",
    "end of today", "close of business", "end of play", "close of play", "eod", "cob", "eob", "end-of-day",
})  # fmt: skip
# Words a phrase can start with (numbers aside): anything else is skipped at once.
_STARTERS = frozenset({
    *_LEADS, *_END_OF_DAY, *WEEKDAY_NAMES, *MONTH_NAMES, "first", "the", "end", "tonight", "this", "today",
    "later", "tomorrow", "tmrw", "tmr", "day", "early", "next", "coming", "weekend", "noon", "midday",
    "lunchtime", "midnight",
})  # fmt: skip
_CLOCK_LEADS = _by_first_word({"at", "by", "before", "around", "@"})
_AM_PM = {"am": "am", "pm": "pm", "a.m.": "am", "p.m.": "pm", "a.m": "am", "p.m": "pm"}
_TOKEN = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(?:[ap]m)?|[ap]\.m\.?|\d+[a-z]*|[a-z]+(?:'[a-z]+)?(?:-[a-z]+)*|\S",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?(am|pm)?")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")
_COMPACT = re.compile(r"(\d{1,3})(h|hrs?|d|w|wks?|mins?)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")

Clock = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # lower-cased, curly apostrophes made straight
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: str  # minute, hour, day, week, month
    business: bool = False


@dataclass(frozen=True, slots=True)
class Day:
    """A day named by a phrase, not yet tied to a calendar."""

    kind: str  # today, business_day, weekday, date, month_day, week, month
    value: int = 0  # business days ahead, weekday (0 = Monday), or day of the month
    which: str = ""  # "this", "next" or "" (weekday, week, month)
    part: str = ""  # "early" or "end" (week, month)
    month: int = 0
    year: int | None = None


@dataclass(frozen=True, slots=True)
class Phrase:
    """What a time phrase says, with its character span in the text it was read from."""

    start: int
    end: int
    lead: str = ""  # the preposition before it: "by", "before", "within", ...
    duration: Duration | None = None
    day: Day | None = None
    clock: Clock | None = None
    first_thing: bool = False
    end_of_day: bool = False


def tokenize(text: str) -> list[Token]:
    normalized = text.replace("\u2019", "'")
    return [Token(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(normalized)]


def find_phrases(tokens: Sequence[Token]) -> list[Phrase]:
    """Every time phrase, left to right, longest first; they never overlap."""
    found, at = [], 0
    while at < len(tokens):
        word = tokens[at].text
        phrase, end = _read(tokens, at) if word in _STARTERS or word[:1].isdigit() else (None, at)
        if phrase is None:
            at += 1
        else:
            found.append(phrase)
            at = end
    return found


def read_phrase(tokens: Sequence[Token], at: int = 0) -> tuple[Phrase | None, int]:
    """The phrase starting at token ``at`` and the index of the token after it."""
    return _read(tokens, at)


# -- reading -----------------------------------------------------------------------


class _Reader:
    def __init__(self, tokens: Sequence[Token], at: int) -> None:
        self.tokens, self.at = tokens, at

    def peek(self, ahead: int = 0) -> str:
        index = self.at + ahead
        return self.tokens[index].text if index < len(self.tokens) else ""

    def take(self, *words: str) -> bool:
        end = self.at + len(words)
        if end <= len(self.tokens) and all(self.tokens[self.at + i].text == w for i, w in enumerate(words)):
            self.at = end
            return True
        return False

    def take_any(self, options: Mapping[str, Sequence[tuple[str, ...]]]) -> tuple[str, ...] | None:
        """The longest of ``options`` (indexed by first word) found here."""
        return next((words for words in options.get(self.peek(), ()) if self.take(*words)), None)


def _read(tokens: Sequence[Token], at: int) -> tuple[Phrase | None, int]:
    reader = _Reader(tokens, at)
    lead = " ".join(reader.take_any(_LEADS) or ())
    after_lead = reader.at
    if lead in DURATION_LEADS:
        duration = _duration(reader)
        if duration is not None:
            return Phrase(tokens[at].start, tokens[reader.at - 1].end, lead, duration=duration), reader.at
        reader.at = after_lead
    found = _moment(reader)
    if found is None:
        return None, at
    day, clock, first_thing, end_of_day = found
    phrase = Phrase(
        tokens[at].start, tokens[reader.at - 1].end, lead, None, day, clock, first_thing, end_of_day
    )
    return phrase, reader.at


def _moment(reader: _Reader) -> tuple[Day | None, Clock | None, bool, bool] | None:
    """A day and/or a time of day: "tomorrow at 3pm", "3pm on Friday", "EOD Friday", "the morning"."""
    first_thing = reader.take("first", "thing")
    if first_thing:
        reader.take("in", "the", "morning")
    mark = reader.at
    reader.take("the")
    if reader.take_any(_END_OF_DAY):
        return _day_after(reader) or Day("today"), None, first_thing, True
    if reader.take("end", "of"):
        period = _period(reader)
        if period is None:
            reader.at = mark
            return None
        return period, None, False, True
    reader.at = mark
    clock = _clock(reader, strict=True)
    if clock is not None:
        return _day_after(reader), clock, False, False
    if reader.take("tonight"):
        return Day("today"), PARTS["night"], False, False
    if reader.take("this") and (part := _part(reader)):
        return Day("today"), part, False, False
    reader.at = mark
    day = _day(reader)
    if day is None:
        if reader.take("the") and (part := _part(reader)):  # "in the morning", not "good morning"
            return None, part, False, False
        reader.at = mark
        return (Day("business_day", 1), None, True, False) if first_thing else None
    clock, end_of_day = _time_after(reader)
    return day, clock, first_thing, end_of_day


def _day_after(reader: _Reader) -> Day | None:
    """An optional day after a time: "3pm [on Friday]", "EOD [tomorrow]"."""
    mark = reader.at
    reader.take("on") or reader.take(",")
    day = _day(reader)
    if day is None:
        reader.at = mark
    return day


def _time_after(reader: _Reader) -> tuple[Clock | None, bool]:
    """An optional time after a day: "Friday [morning]", "Monday [at 10]", "Friday [EOD]"."""
    if part := _part(reader):
        return part, False
    mark = reader.at
    reader.take(",")
    reader.take_any(_CLOCK_LEADS)
    clock = _clock(reader, strict=False)
    if clock is not None:
        return clock, False
    reader.at = mark
    reader.take(",")
    reader.take("by")
    reader.take("the")
    if reader.take_any(_END_OF_DAY):
        return None, True
    reader.at = mark
    return None, False


def _part(reader: _Reader) -> Clock | None:
    """A part of the day: "morning", "afternoon", ..."""
    part = PARTS.get(reader.peek())
    if part is not None:
        reader.at += 1
    return part


def _day(reader: _Reader) -> Day | None:
    mark = reader.at
    if reader.take("today") or reader.take("later", "today"):
        return Day("today")
    if reader.take("tomorrow") or reader.take("tmrw") or reader.take("tmr"):
        return Day("business_day", 1)
    if reader.take("the", "day", "after", "tomorrow") or reader.take("day", "after", "tomorrow"):
        return Day("business_day", 2)
    part = ""
    if reader.take("early", "next"):
        which, part = "next", "early"
    elif reader.take("later", "this"):
        which, part = "this", "end"
    elif reader.take("this"):
        which = "this"
    elif reader.take("next"):
        which = "next"
    else:
        which = ""
        reader.take("the", "coming") or reader.take("coming") or reader.take("the")
    word = reader.peek()
    if word in WEEKDAY_NAMES and not part:
        reader.at += 1
        if word not in FULL_WEEKDAYS:
            reader.take(".")
        return Day("weekday", WEEKDAY_NAMES[word], which)
    if word == "week" and which:
        reader.at += 1
        return Day("week", which=which, part=part)
    if word == "weekend":
        reader.at += 1
        return Day("week", which=which or "this", part="end")
    if word == "month" and which and not part:
        reader.at += 1
        return Day("month", which=which)
    reader.at = mark
    return _date(reader)


def _period(reader: _Reader) -> Day | None:
    """What follows "end of": "the week", "this month", "next week"."""
    which = "next" if reader.take("next") else "this"
    reader.take("the") or reader.take("this")
    word = reader.peek()
    if word in ("week", "month"):
        reader.at += 1
        return Day(word, which=which, part="end")
    return None


def _date(reader: _Reader) -> Day | None:
    """ "3 December", "December 3rd, 2025", "the 5th", "the 5th of May", "5th", "2024-12-03"."""
    mark = reader.at
    iso = _ISO_DATE.fullmatch(reader.peek())
    if iso:
        reader.at += 1
        return Day("date", int(iso.group(3)), month=int(iso.group(2)), year=int(iso.group(1)))
    if reader.peek() in MONTH_NAMES:
        month = _month(reader)
        reader.take("the")
        found = _ordinal(reader)
        if found is not None:
            return Day("date", found[0], month=month, year=_year(reader))
        reader.at = mark
        return None
    reader.take("the")
    found = _ordinal(reader)
    if found is None:
        reader.at = mark
        return None
    day, has_suffix = found
    after_day = reader.at
    reader.take("of")
    if reader.peek() in MONTH_NAMES:
        month = _month(reader)
        return Day("date", day, month=month, year=_year(reader))
    reader.at = after_day
    if has_suffix:
        return Day("month_day", day)
    reader.at = mark
    return None


def _month(reader: _Reader) -> int:
    word = reader.peek()
    reader.at += 1
    if word not in FULL_MONTHS:
        reader.take(".")
    return MONTH_NAMES[word]


def _ordinal(reader: _Reader) -> tuple[int, bool] | None:
    """A day of the month, "5" or "5th", and whether it carried its suffix."""
    match = _ORDINAL.fullmatch(reader.peek())
    if match is None or not 1 <= int(match.group(1)) <= 31:
        return None
    reader.at += 1
    return int(match.group(1)), match.group() != match.group(1)


def _year(reader: _Reader) -> int | None:
    mark = reader.at
    reader.take(",")
    word = reader.peek()
    if len(word) == 4 and word.isdigit() and 1970 <= int(word) <= 2999:
        reader.at += 1
        return int(word)
    reader.at = mark
    return None


def _clock(reader: _Reader, *, strict: bool) -> Clock | None:
    """ "3pm", "3 p.m.", "15:30", "noon", "midnight"; a bare hour ("at 3") only when not ``strict``."""
    word = reader.peek()
    if word in ("noon", "midday", "lunchtime", "midnight"):
        reader.at += 1
        return (24, 0) if word == "midnight" else (12, 0)
    match = _CLOCK.fullmatch(word)
    if match is None:
        return None
    mark = reader.at
    reader.at += 1
    suffix = match.group(3)
    if suffix is None and reader.peek() in _AM_PM:
        suffix = _AM_PM[reader.peek()]
        reader.at += 1
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    clock = _valid_clock(hour, minute, suffix, has_minutes=match.group(2) is not None, strict=strict)
    if clock is None:
        reader.at = mark
    return clock


def _valid_clock(
    hour: int, minute: int, suffix: str | None, *, has_minutes: bool, strict: bool
) -> Clock | None:
    if minute > 59:
        return None
    if suffix is not None:
        return (hour % 12 + (12 if suffix == "pm" else 0), minute) if 1 <= hour <= 12 else None
    if hour > 23 or (strict and not has_minutes):
        return None
    return (hour + 12, minute) if not has_minutes and 1 <= hour <= 7 else (hour, minute)


def _duration(reader: _Reader) -> Duration | None:
    if reader.take("the", "hour") or reader.take("the", "next", "hour") or reader.take("hour"):
        return Duration(1, "hour")
    if reader.take("half", "an", "hour"):
        return Duration(30, "minute")
    compact = _COMPACT.fullmatch(reader.peek())
    if compact:
        reader.at += 1
        return Duration(int(compact.group(1)), UNITS[compact.group(2)])
    mark = reader.at
    amount = _amount(reader)
    if amount is None:
        return None
    business = reader.peek() in ("business", "working", "work")
    if business:
        reader.at += 1
    unit = UNITS.get(reader.peek())
    if unit is None or len(reader.peek()) == 1 or (business and unit not in ("minute", "hour", "day")):
        reader.at = mark
        return None
    reader.at += 1
    return Duration(amount, unit, business)


def _amount(reader: _Reader) -> int | None:
    if reader.take("a", "couple", "of") or reader.take("couple", "of") or reader.take("a", "couple"):
        return 2
    if reader.take("a", "few") or reader.take("few"):
        return 3
    word = reader.peek()
    if word.isdigit() and 0 < int(word) < 1000:
        reader.at += 1
        return int(word)
    if word in NUMBER_WORDS:
        reader.at += 1
        return NUMBER_WORDS[word]
    return None
