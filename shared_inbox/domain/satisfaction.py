"""Satisfaction ratings by email: asking under a reply, reading the answer, keeping the score.

No server: the question under a reply carries mailto links (great / okay / not good) whose
subject holds the conversation's token, and says that replying with one of the words works
too. A link scanner cannot vote, since it sends no mail. A rating that comes back is a
``rating`` team event on its conversation; without a comment it is not the customer writing
(it does not reopen a closed conversation), with one it is, and a "not good" with a comment
asks the team to follow up until someone replies.

The score is Help Scout's: the share of "great" minus the share of "not good", in points.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from shared_inbox.domain.events import Event

__all__ = [
    "RATING",
    "Rating",
    "RatingFact",
    "is_rating_subject",
    "quiet_rating_messages",
    "rating_data",
    "rating_request",
    "rating_token",
    "read_rating",
    "reduce_ratings",
    "score",
    "unanswered_complaint",
]

RATING = "rating"  # data: {"rating": Rating value, "message": Message-ID, "comment": text}
MAX_COMMENT_CHARS = 1000
SUBJECT_LEAD = "Rating:"
_WORDS = {"great": "great", "okay": "okay", "ok": "okay", "not good": "not_good", "bad": "not_good"}
_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|sv|antw?)\s*:\s*)*rating\s*:\s*(great|okay|not good)\b", re.IGNORECASE
)
_SUBJECT_TOKEN = re.compile(r"\[([a-z0-9]{1,32})\]\s*$")
_KEYWORD = re.compile(r"^\s*(great|okay|ok|not good|bad)\s*[.!]*\s*$", re.IGNORECASE)
_QUOTE_START = re.compile(r"^\s*(?:>|On\b.*\bwrote:\s*$|-{2,}\s*Original Message|From:\s)", re.IGNORECASE)


class Rating(enum.StrEnum):
    GREAT = "great"
    OKAY = "okay"
    NOT_GOOD = "not_good"

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class RatingFact:
    at: datetime
    rating: Rating
    message_id: str
    comment: str
    author: str  # the teammate whose copy recorded it


def rating_request(question: str, address: str, token: str) -> str:
    """The lines under a reply: the question, one mailto link per rating, and the words to reply with."""
    lines = ["", question]
    for rating in Rating:
        subject = quote(f"{SUBJECT_LEAD} {rating.words} [{token}]")
        lines.append(f"  {rating.words.capitalize()}: mailto:{address}?subject={subject}")
    lines.append('Or reply with just "great", "okay" or "not good" (a comment below it is welcome).')
    return "\n".join(lines) + "\n"


def is_rating_subject(subject: str) -> bool:
    """Whether a subject is a rating link's ("Rating: great [token]"), possibly after "Re:"."""
    return _SUBJECT.match(subject or "") is not None


def rating_token(subject: str) -> str | None:
    """The conversation token in the subject of a rating link's mail, so the rating joins its conversation."""
    if _SUBJECT.match(subject or "") is None:
        return None
    found = _SUBJECT_TOKEN.search(subject)
    return found.group(1) if found else None


def read_rating(subject: str, text: str) -> tuple[Rating, str] | None:
    """The rating a customer's mail gives and its comment; None when it is not a rating.

    A rating is a subject from one of the links, or a reply whose first line of the
    customer's own words (before any quote) is one of the words. The comment is what they
    wrote besides, without the quoted text.
    """
    own = _own_words(text)
    match = _SUBJECT.match(subject or "")
    if match is not None:
        return Rating(_WORDS[match.group(1).lower()]), _clip(own)
    lines = own.split("\n")
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return None
    keyword = _KEYWORD.match(lines[first])
    if keyword is None:
        return None
    rating = Rating(_WORDS[" ".join(keyword.group(1).lower().split())])
    return rating, _clip("\n".join(lines[first + 1 :]))


def _own_words(text: str) -> str:
    kept = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        if _QUOTE_START.match(line) or line.rstrip() == "--":
            break
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _clip(comment: str) -> str:
    comment = comment.strip()
    return comment if len(comment) <= MAX_COMMENT_CHARS else comment[: MAX_COMMENT_CHARS - 1] + "…"


def rating_data(rating: Rating, message_id: str, comment: str) -> dict[str, object]:
    data: dict[str, object] = {"rating": rating.value, "message": message_id}
    if comment:
        data["comment"] = _clip(comment)
    return data


def reduce_ratings(events: Iterable[Event]) -> list[RatingFact]:
    """The ratings of a conversation, one per rating mail (the first record wins), oldest first."""
    found: dict[str, RatingFact] = {}
    for event in sorted(events, key=lambda e: (e.clock, e.id)):
        if event.kind != RATING:
            continue
        fact = _fact(event)
        if fact is not None and fact.message_id not in found:
            found[fact.message_id] = fact
    return sorted(found.values(), key=lambda fact: (fact.at, fact.message_id))


def _fact(event: Event) -> RatingFact | None:
    data: Mapping[str, object] = event.data
    value, message_id, comment = data.get("rating"), data.get("message"), data.get("comment", "")
    if not isinstance(value, str) or value not in Rating._value2member_map_:
        return None
    if not isinstance(message_id, str) or not message_id or not isinstance(comment, str):
        return None
    return RatingFact(event.at.astimezone(UTC), Rating(value), message_id, _clip(comment), event.author)


def quiet_rating_messages(events: Iterable[Event]) -> frozenset[str]:
    """Rating mails without a comment: they neither reopen a conversation nor make the customer wait."""
    return frozenset(fact.message_id for fact in reduce_ratings(events) if not fact.comment)


def unanswered_complaint(
    ratings: Sequence[RatingFact],
    reply_times: Iterable[datetime],
    arrivals: Mapping[str, datetime] | None = None,
) -> bool:
    """The latest rating is "not good" with a comment, and nobody on the team has replied since.

    "Since" is when the rating mail arrived (``arrivals``, by Message-ID), else when it was recorded.
    """
    if not ratings:
        return False
    latest = ratings[-1]
    if latest.rating is not Rating.NOT_GOOD or not latest.comment:
        return False
    since = (arrivals or {}).get(latest.message_id, latest.at).astimezone(UTC)
    return not any(moment.astimezone(UTC) > since for moment in reply_times)


def score(ratings: Sequence[Rating]) -> float | None:
    """% great − % not good, in points (−100 to 100); None without ratings."""
    if not ratings:
        return None
    great = sum(1 for rating in ratings if rating is Rating.GREAT)
    bad = sum(1 for rating in ratings if rating is Rating.NOT_GOOD)
    return 100.0 * (great - bad) / len(ratings)
