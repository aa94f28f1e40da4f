"""The composer's side of the Traffic Cop: hold a reply the conversation has outgrown, and offer it again.

The composer asks :meth:`ReplyGuard.stop` before it queues; when that holds the reply, the
agent's answer in :class:`TrafficCopScreen` decides: send anyway, edit (the news counts as
seen), or discard. See shared_inbox.services.traffic_cop for the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from shared_inbox.services.traffic_cop import Baseline, HeldReplies, News, take_baseline, whats_new
from shared_inbox.ui.keys import effective_keys
from shared_inbox.ui.screens.help import describe_keys
from shared_inbox.ui.screens.traffic_cop import TrafficChoice, TrafficCopScreen

if TYPE_CHECKING:
    from shared_inbox.services.session import Session
    from shared_inbox.ui.screens.composer import ComposerScreen


class ReplyGuard:
    """The baseline of one composer (None for a new conversation or a forward: nothing to outgrow)."""

    def __init__(self, session: Session, conversation_id: str | None, now: Callable[[], datetime]) -> None:
        self.session = session
        self.now = now
        self.held = HeldReplies(session.store)
        self.was_held = conversation_id is not None and self.held.baseline(conversation_id) is not None
        self.baseline: Baseline | None = None
        if conversation_id is not None:
            kept = self.held.baseline(conversation_id)
            self.baseline = kept or take_baseline(session.inbox, conversation_id, now())

    def news(self) -> list[News]:
        if self.baseline is None:
            return []
        return whats_new(self.session.inbox, self.baseline, self.session.config.team.me)

    def offer_held(self, screen: ComposerScreen) -> None:
        """On opening: a held reply is shown again with its news, or announced when they were seen."""
        if not self.was_held or self.stop(screen, screen.action_send):
            return
        discard = describe_keys(effective_keys(self.session.config.keys)["discard_draft"])
        screen.notify(
            f"This reply was held; send it when it is right, close to keep it, or {discard} to discard it.",
            markup=False,
        )

    def stop(self, screen: ComposerScreen, proceed: Callable[[], object]) -> bool:
        """Hold the reply when the conversation moved on; True when it was held (the screen asks)."""
        news = self.news()
        if not news or self.baseline is None:
            return False
        screen.save_draft()
        self.held.hold(self.baseline)
        screen.app.push_screen(TrafficCopScreen(news), partial(self._chosen, screen, proceed))
        return True

    def _chosen(
        self, screen: ComposerScreen, proceed: Callable[[], object], choice: TrafficChoice | None
    ) -> None:
        if choice == "discard":
            screen.discard()
            return
        arrived = self.unseen_messages()
        self.acknowledge()
        if choice == "send":
            proceed()
            return
        screen.show_news(arrived)
        screen.notify(
            "Held until you send or discard it; it waits in Needs attention. "
            "What is new is shown above the reply.",
            markup=False,
        )

    def unseen_messages(self) -> frozenset[str]:
        """The messages that arrived after the baseline."""
        if self.baseline is None:
            return frozenset()
        conv = self.session.inbox.conversation(self.baseline.conversation_id)
        ids = frozenset(conv.message_ids) if conv is not None else frozenset()
        return ids - self.baseline.message_ids

    def acknowledge(self) -> None:
        """The agent has seen the news: later news is measured from now; a held reply stays held."""
        if self.baseline is None:
            return
        conv_id = self.baseline.conversation_id
        self.baseline = take_baseline(self.session.inbox, conv_id, self.now())
        if self.held.baseline(conv_id) is not None:
            self.held.hold(self.baseline)

    def release(self) -> None:
        """The reply was queued or discarded: it no longer needs attention."""
        if self.baseline is not None:
            self.held.release(self.baseline.conversation_id)
