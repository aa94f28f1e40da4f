"""The sidebar's views, partitioned once and kept until something they are made of changes.

Partitioning tens of thousands of conversations into the views, each with its deadlines, takes
a tenth of a second; switching views, sorting or clearing a search changes none of it. The groups
are kept until the inbox tells of a change (it does so on whichever thread made it, before the
change is read), one of the lists the Mentions and Attention views are made of differs, or the
clock reaches the first moment a snooze ends or a deadline turns (at risk, overdue). Where the
folders' windows begin is one of those lists' inputs too: it decides which mail is history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from shared_inbox.domain.model import Conversation
from shared_inbox.services.deadlines import tracker_for
from shared_inbox.services.inbox import InboxChange
from shared_inbox.services.notes import mentioned_conversations
from shared_inbox.services.ratings import complaints
from shared_inbox.services.server_history import window_floors
from shared_inbox.services.traffic_cop import HeldReplies
from shared_inbox.ui.views import DeadlinesOf, partition

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

Groups = dict[str, list[Conversation]]


class ViewGroups:
    """Each view's conversations for the list and the sidebar's counts; see the module's docstring."""

    def __init__(
        self,
        session: Session,
        deadlines: DeadlinesOf,
        working: Callable[[list[Conversation]], list[Conversation]],
    ) -> None:
        """`working`: the conversations that are work, of all of them (history below the window is not)."""
        self.session = session
        self.deadlines = deadlines
        self.working = working
        self._token = object()  # replaced at every change the inbox tells of
        self._kept: tuple[object, object, datetime, datetime | None, Groups] | None = None

    def follow(self) -> None:
        """Start hearing of the inbox's changes (while the list is mounted).

        First among the listeners: another one (the screen's own) may have the list read the
        groups at once, and must then find them marked stale already.
        """
        if self._heard not in self.session.inbox.listeners:
            self.session.inbox.listeners.insert(0, self._heard)

    def unfollow(self) -> None:
        if self._heard in self.session.inbox.listeners:
            self.session.inbox.listeners.remove(self._heard)
        self._kept = None

    def _heard(self, _change: InboxChange) -> None:
        """Any thread: a new token marks every kept partition as stale (assignment is atomic)."""
        self._token = object()

    def groups(self, now: datetime) -> Groups:
        """The views' conversations as of `now`, partitioned anew only when something changed."""
        token = self._token  # taken before reading, so a change heard meanwhile is not missed
        inbox = self.session.inbox
        me = self.session.config.team.me
        inputs = (
            mentioned_conversations(inbox, me),
            HeldReplies(self.session.store).conversation_ids(),
            inbox.delivery_failed(),
            complaints(inbox),
            window_floors(self.session.store),
        )
        kept = self._kept
        if kept is not None:
            kept_token, kept_inputs, since, until, groups = kept
            in_time = since <= now and (until is None or now < until)
            if kept_token is token and kept_inputs == inputs and in_time:
                return groups
        convs = self.working(inbox.conversations())
        mentioned, held, delivery_failed, complained, _floors = inputs
        groups = partition(
            convs,
            me,
            now,
            mentioned=mentioned,
            deadlines=self.deadlines,
            held=held,
            delivery_failed=delivery_failed,
            complaints=complained,
        )
        self._kept = (token, inputs, now, self._next_turn(convs, now), groups)
        return groups

    def _next_turn(self, convs: list[Conversation], now: datetime) -> datetime | None:
        """The first moment after `now` a conversation may move between views by time alone."""
        ends = [until for conv in convs if (until := conv.state.snoozed_until) is not None and until > now]
        turns = [*ends, *filter(None, [tracker_for(self.session).next_turn(now)])]
        return min(turns, default=None)
