"""How screens learn that the inbox changed: one message to the app, passed on by a signal.

The inbox tells its listeners from whichever thread made the change (a sync round,
an outbox delivery, a command). The app turns that into one `InboxChanged` message;
a burst of them waiting in the queue is folded into the last one, so the screens
redraw once per burst, however many writes it held. Screens subscribe to the app's
`inbox_signal` and decide for themselves what to redraw; nothing walks the screen stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message
from textual.signal import Signal

from shared_inbox.services.inbox import InboxChange

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

    from shared_inbox.services.inbox import Inbox

__all__ = ["InboxChange", "InboxChanged", "InboxFeed", "follow_inbox"]


class InboxChanged(Message):
    """Messages or conversations changed; carries what, or everything."""

    def __init__(self, change: InboxChange) -> None:
        super().__init__()
        self.change = change

    def can_replace(self, message: Message) -> bool:
        """A later `InboxChanged` stands for this one too: it takes this one's change, and this one goes."""
        if not isinstance(message, InboxChanged):
            return False
        message.change = self.change.merged(message.change)
        return True


class InboxFeed:
    """Connects an inbox to an app: its changes become `InboxChanged`, published on `signal`."""

    def __init__(self, app: App[None], inbox: Inbox) -> None:
        self.app = app
        self.inbox = inbox
        self.signal: Signal[InboxChange] = Signal(app, "inbox-changed")

    def start(self) -> None:
        self.inbox.listeners.append(self._changed)

    def stop(self) -> None:
        if self._changed in self.inbox.listeners:
            self.inbox.listeners.remove(self._changed)

    def _changed(self, change: InboxChange) -> None:
        """Called on the thread that made the change; `post_message` is safe from any thread."""
        self.app.post_message(InboxChanged(change))

    def publish(self, change: InboxChange) -> None:
        """On the UI thread: tell every subscribed screen (each handles it in its own queue)."""
        self.signal.publish(change)


def follow_inbox(node: DOMNode, callback: Callable[[InboxChange], object]) -> None:
    """Have `callback` run on `node` after each (coalesced) inbox change, while it is mounted.

    Nothing happens in an app without an inbox feed (a screen shown on its own in a test).
    """
    feed = getattr(node.app, "inbox_feed", None)
    if isinstance(feed, InboxFeed):
        feed.signal.subscribe(node, callback)
