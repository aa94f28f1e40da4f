"""An extractive summary of a conversation that an agent can read in ten seconds.

Pure and offline: no model, no network. Every part is picked out of what was written, never
made up: the ask (:mod:`.ask`), what happened (:mod:`.timeline`), open questions
(:mod:`.questions`), open promises (:mod:`.open_promises`), facts (:mod:`.facts`) and the
customer's mood (:mod:`.mood`). The caller passes each message's own words, with quoted text and
signatures already cut, and the time.
"""

from __future__ import annotations

from datetime import datetime

from shared_inbox.domain.summary.ask import find_ask
from shared_inbox.domain.summary.facts import find_facts
from shared_inbox.domain.summary.model import (
    Actor,
    Fact,
    FactKind,
    Mood,
    MoodLabel,
    OpenPromise,
    StatusChange,
    Summary,
    Thread,
    ThreadMessage,
    ThreadNote,
    TimelineEntry,
    TrackedPromise,
)
from shared_inbox.domain.summary.mood import find_mood
from shared_inbox.domain.summary.open_promises import open_promises
from shared_inbox.domain.summary.questions import open_questions
from shared_inbox.domain.summary.timeline import timeline

__all__ = [
    "Actor",
    "Fact",
    "FactKind",
    "Mood",
    "MoodLabel",
    "OpenPromise",
    "StatusChange",
    "Summary",
    "Thread",
    "ThreadMessage",
    "ThreadNote",
    "TimelineEntry",
    "TrackedPromise",
    "summarize",
]


def summarize(thread: Thread, now: datetime) -> Summary:
    """The summary of ``thread`` as of ``now`` (which decides whether a promise is overdue)."""
    messages = sorted(thread.messages, key=lambda m: m.when)
    return Summary(
        ask=find_ask(messages),
        timeline=tuple(timeline(thread)),
        open_questions=tuple(open_questions(messages)),
        promises=tuple(open_promises(messages, thread.tracked_promises, now)),
        facts=tuple(find_facts(messages)),
        mood=find_mood(messages),
    )
