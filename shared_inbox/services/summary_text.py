"""A summary as words: the plain text shown by `shared-inbox summary` and put into escalation
notes and forwards, and the JSON of `summary --json`.

One rendering for every front end, so a note written from the reader reads like the command's
output. Mail text in it stays plain text: front ends show it without markup.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from shared_inbox.domain.summary import Summary

__all__ = ["summary_json", "summary_text"]

MAX_TIMELINE_LINES = 12  # the latest steps; older ones are counted, not listed


def _when(moment: datetime, zone: tzinfo | None) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def summary_text(summary: Summary, zone: tzinfo | None = None, *, subject: str = "") -> str:
    """The summary as lines of plain text, times in ``zone`` (None: the machine's)."""
    lines = [f"Summary: {subject}"] if subject else []
    lines.append(f"Ask: {summary.ask or '(the customer has not written yet)'}")
    mood = summary.mood
    words = f" ({', '.join(mood.words)})" if mood.words else ""
    lines.append(f"Mood: {mood.label.value}{words}")
    if summary.open_questions:
        lines.append("Open questions:")
        lines += [f"  - {question}" for question in summary.open_questions]
    if summary.promises:
        lines.append("Open promises:")
        for promise in summary.promises:
            due = f", due {_when(promise.due, zone)}" if promise.due is not None else ""
            lines.append(f"  - {promise.text} ({promise.state}{due})")
    if summary.facts:
        lines.append("Facts: " + " · ".join(f"{fact.kind.value} {fact.value}" for fact in summary.facts))
    lines.append("What happened:")
    shown = summary.timeline[-MAX_TIMELINE_LINES:]
    if len(summary.timeline) > len(shown):
        lines.append(f"  ({len(summary.timeline) - len(shown)} earlier steps)")
    for entry in shown:
        who = f" {entry.who}" if entry.who else ""
        lines.append(f"  {_when(entry.when, zone)}  {entry.actor.value}{who}: {entry.line}")
    return "\n".join(lines)


def summary_json(summary: Summary) -> dict[str, Any]:
    """The keys scripts rely on: ask, timeline, open_questions, promises, facts, mood."""
    return {
        "ask": summary.ask,
        "timeline": [
            {"at": e.when.isoformat(), "actor": e.actor.value, "who": e.who, "text": e.line}
            for e in summary.timeline
        ],
        "open_questions": list(summary.open_questions),
        "promises": [
            {
                "text": p.text,
                "due": p.due.isoformat() if p.due is not None else None,
                "state": p.state,
                "source": p.source,
            }
            for p in summary.promises
        ],
        "facts": [{"kind": f.kind.value, "value": f.value} for f in summary.facts],
        "mood": {"label": summary.mood.label.value, "words": list(summary.mood.words)},
    }
