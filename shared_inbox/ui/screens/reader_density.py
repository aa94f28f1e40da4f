"""How much of a long thread the reader shows at first: older messages fold to one line.

As Help Scout and Gmail do, a thread of more than ``COLLAPSE_OVER`` messages opens with only the
latest message and the ones that were unread when it was opened shown whole; every other message
is one line (who, when, how it starts) that a click opens. `X` opens them all, and again folds
them back. The order of the thread (`[interface] thread_order`) is laid out by the notes mixin,
which builds the stream of messages and notes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared_inbox.domain.model import Conversation
from shared_inbox.ui.widgets.message_view import MessageView

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session

COLLAPSE_OVER = 3  # threads with more messages than this open with the older ones folded


def unread_in(session: Session, conv: Conversation) -> frozenset[str]:
    """The messages of `conv` nobody has read yet: the reader opens them whole."""
    return frozenset(meta.message_id for meta in session.inbox.messages_of(conv) if meta.unread)


class ReaderDensity:
    """Mixed into the reader screen, which provides `query` and keeps `unread_on_open` up to date."""

    app: App[object]
    unread_on_open: frozenset[str] = frozenset()
    expanded_all: bool = False

    def arrange_density(self) -> None:
        """Fold the messages of a long thread that the agent has most likely read already."""
        views = list(self.query(MessageView))  # type: ignore[attr-defined]
        if len(views) <= COLLAPSE_OVER or self.expanded_all:
            for view in views:
                view.set_collapsed(False)
            return
        latest = max(views, key=lambda view: (view.meta.date, view.meta.message_id))
        for view in views:
            view.set_collapsed(view is not latest and view.meta.message_id not in self.unread_on_open)

    def action_expand_all(self) -> None:
        views = list(self.query(MessageView))  # type: ignore[attr-defined]
        if len(views) <= COLLAPSE_OVER:
            self.app.notify("Every message is open already.", markup=False)
            return
        self.expanded_all = any(view.collapsed for view in views)
        self.arrange_density()
