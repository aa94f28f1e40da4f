"""While the app is open: announce promises and SLA clocks as they turn overdue, and reopen follow-ups.

Checked on a timer with the app's clock (tests inject one). What is already overdue when the
app opens is listed in the Overdue view but not announced; each item is announced once.
A closed conversation whose follow-up fell due is reopened once: only when nobody changed
its status since the follow-up fell due, so an agent who closes it again is not overruled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from shared_inbox.display.text import inert
from shared_inbox.services.commands import CommandError
from shared_inbox.services.deadlines import DeadlineItem, ItemKind, tracker_for
from shared_inbox.services.server_history import working_conversations
from shared_inbox.ui.widgets.conversation_list import ConversationList

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session

CHECK_SECONDS = 30.0
NOTIFY_AT_MOST = 3  # shown one by one before they are summed up


def overdue_now(session: Session, now: datetime) -> set[tuple[str, str]]:
    """(conversation id, item key) of everything overdue at `now`: listed at start, never announced.

    It judges every conversation, so it also leaves the tracker warm for the views' counts.
    """
    overdue = tracker_for(session).overdue_items(working_conversations(session.inbox), now)
    return {(conv.id, item.key) for conv, item in overdue}


class DeadlineWatch:
    """The app's overdue check; `check()` runs on the timer and may be called directly."""

    def __init__(
        self,
        app: App[None],
        session: Session,
        now: Callable[[], datetime],
        refresh: Callable[[], None],
        overdue: set[tuple[str, str]] | None = None,
    ) -> None:
        """`overdue`: what `overdue_now` found at start, when it ran already (off the UI thread)."""
        self.app = app
        self.session = session
        self.now = now
        self.refresh = refresh  # redraws the list and the reader after a change
        self.tracker = tracker_for(session)
        self.announced = overdue if overdue is not None else overdue_now(session, now())

    def start(self) -> None:
        self.app.set_interval(CHECK_SECONDS, self.check)

    def check(self) -> None:
        now = self.now()
        reopened = self._reopen_follow_ups(now)
        convs = working_conversations(self.session.inbox)  # history fetched from the archive owes nothing
        fresh = [
            (conv, item)
            for conv, item in self.tracker.overdue_items(convs, now)
            if (conv.id, item.key) not in self.announced
        ]
        self.announced.update((conv.id, item.key) for conv, item in fresh)
        for conv, item in fresh[:NOTIFY_AT_MOST]:
            line = f"{inert(conv.subject or '(no subject)')}: {inert(label(item))}"
            self.app.notify(line, title="Overdue", severity="warning", markup=False)
        if len(fresh) > NOTIFY_AT_MOST:
            more = f"and {len(fresh) - NOTIFY_AT_MOST} more overdue"
            self.app.notify(more, title="Overdue", severity="warning", markup=False)
        if fresh or reopened:
            self.refresh()
        else:  # the countdowns move on
            for listing in self.app.screen.query(ConversationList):
                listing.refresh()

    def _reopen_follow_ups(self, now: datetime) -> int:
        reopened = 0
        for conv, item in self.tracker.follow_ups_to_reopen(self.session.inbox.conversations(), now):
            try:
                self.session.commands.set_status(conv.id, "active")
            except CommandError as exc:
                self.app.notify(str(exc), title="Follow-up", severity="warning", markup=False)
                continue
            reopened += 1
            line = f"{inert(conv.subject or '(no subject)')}: {inert(item.text)} (reopened)"
            self.app.notify(line, title="Follow-up due", markup=False)
        return reopened


def label(item: DeadlineItem) -> str:
    """What is overdue, in a few words."""
    if item.kind is ItemKind.SLA:
        return f"SLA {item.policy}: {item.text.replace('_', ' ')}"
    return item.text
