"""Reading a canned reply's actions: when its promise falls due, and whether its times can be read.

Applying them belongs to the reply use case (shared_inbox.services.reply_effects).
"""

from __future__ import annotations

from datetime import datetime

from shared_inbox.canned.library import CannedActions
from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.due_times import resolve
from shared_inbox.domain.promises import FollowUpError, parse_follow_up
from shared_inbox.domain.time_phrases import read_phrase, tokenize

__all__ = ["action_problems", "promise_due"]


def promise_due(phrase: str, now: datetime, calendar: BusinessCalendar) -> datetime:
    """When a promised phrase falls due, read as a deadline ("by Friday" is Friday's close).

    A phrase the deadline grammar does not cover whole is read as a follow-up time instead.
    Raises FollowUpError when neither reads it or it lies in the past.
    """
    tokens = tokenize(phrase)
    read, end = read_phrase(tokens, 0) if tokens else (None, 0)
    if read is not None and end == len(tokens):
        due = resolve(read, now, calendar, deadline=True)
        if due is not None and due > now:
            return due
    return parse_follow_up(phrase, now, calendar)


def action_problems(actions: CannedActions, now: datetime, calendar: BusinessCalendar) -> list[str]:
    """Why the snooze or promise of a reply could not be applied at ``now`` (empty when they can)."""
    problems = []
    if actions.snooze is not None:
        try:
            parse_follow_up(actions.snooze, now, calendar)
        except FollowUpError as exc:
            problems.append(f"actions.snooze: {exc}")
    if actions.promise is not None:
        try:
            promise_due(actions.promise, now, calendar)
        except FollowUpError as exc:
            problems.append(f"actions.promise: {exc}")
    return problems
