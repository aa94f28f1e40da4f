"""Which of a teammate's changes the agent should hear about: being assigned, being mentioned.

Everything else a teammate does shows in the list and the reader as it happens; these two ask
something of this agent, so they become notifications (and mentions also fill the Mentions view).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from shared_inbox.display.text import inert
from shared_inbox.domain.events import Event, EventKind
from shared_inbox.domain.notes import NOTE_ADD, NOTE_EDIT

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

MAX_NEWS = 5  # one batch of teammates' events never floods the screen


def teammate_news(session: Session, events: Iterable[Event]) -> list[str]:
    """One line per change that concerns this agent and was made by someone else."""
    me = session.config.team.me
    names = {member.email: member.name or member.email for member in session.config.team.members}
    lines: list[str] = []
    for event in events:
        if event.author == me:
            continue
        who = names.get(event.author, event.author)
        conv = session.inbox.conversation(event.anchor)
        subject = inert(conv.subject if conv is not None else "") or "(no subject)"
        if event.kind == EventKind.ASSIGN and event.data.get("assignee") == me:
            lines.append(f"{inert(who)} assigned you: {subject}")
        elif str(event.kind) in (NOTE_ADD, NOTE_EDIT) and me in _mentions(event):
            lines.append(f"{inert(who)} mentioned you: {subject}")
    if len(lines) > MAX_NEWS:
        lines = [*lines[: MAX_NEWS - 1], f"and {len(lines) - MAX_NEWS + 1} more changes for you"]
    return lines


def _mentions(event: Event) -> list[str]:
    mentions = event.data.get("mentions")
    return [m for m in mentions if isinstance(m, str)] if isinstance(mentions, list | tuple) else []
