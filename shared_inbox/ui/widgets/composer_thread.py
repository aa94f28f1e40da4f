"""The conversation beside the reply: the agent reads what they answer while writing it.

The panel lists the conversation's latest messages in their own words (oldest first, scrolled
to the newest). After the Traffic Cop held a reply and the agent chose to edit it, the
messages that arrived meanwhile are shown marked as new. Texts the store lacks are fetched
in a worker and shown when they arrive.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Static

from shared_inbox.services.replies import Replies, ThreadMessage
from shared_inbox.ui.widgets.message_view import plain

NOT_FETCHED = "(the text is being fetched…)"


class ThreadPanel(VerticalScroll):
    """The latest messages of one conversation, read-only."""

    DEFAULT_CSS = """
    ThreadPanel { height: auto; max-height: 40%; padding: 0 1; border-top: solid $panel-lighten-2; }
    ThreadPanel .thread-heading { color: $text-muted; text-style: bold; margin: 1 0 0 0; }
    ThreadPanel .thread-new { color: $warning; }
    ThreadPanel .thread-text { color: $text; }
    """

    def __init__(self, replies: Replies, conversation_id: str) -> None:
        super().__init__(id="composer-thread", can_focus=True)
        self.replies = replies
        self.conversation_id = conversation_id
        self.new: frozenset[str] = frozenset()
        self._fetched = False

    def on_mount(self) -> None:
        self.show()

    def show(self, new: Iterable[str] | None = None) -> None:
        """(Re)draw the thread; `new` marks messages that arrived while the agent was writing."""
        if new is not None:
            self.new = frozenset(new)
        messages = self.replies.thread(self.conversation_id)
        self.remove_children()
        self.mount_all([widget for message in messages for widget in self._rows(message)])
        self.call_after_refresh(self.scroll_end, animate=False)
        missing = [m.message_id for m in messages if m.text is None]
        if missing and not self._fetched:
            self._fetched = True  # once: a server that cannot give it now will not on a redraw
            self._fetch(missing)

    def _rows(self, message: ThreadMessage) -> list[Static]:
        is_new = message.message_id in self.new
        heading = ("New · " if is_new else "") + f"{message.sender} · {message.when}"
        classes = "thread-heading thread-new" if is_new else "thread-heading"
        text = message.text if message.text is not None else NOT_FETCHED
        return [
            Static(plain(heading), classes=classes, markup=False),
            Static(plain(text or "(no text)"), classes="thread-text", markup=False),
        ]

    @property
    def text(self) -> str:
        """Everything the panel shows, as plain text."""
        return "\n".join(str(static.visual) for static in self.query(Static))

    @work(thread=True, exclusive=True, group="composer-thread", exit_on_error=False)
    def _fetch(self, message_ids: list[str]) -> None:
        if self.replies.fetch_messages(message_ids):
            self.app.call_from_thread(self._fetched_texts)

    def _fetched_texts(self) -> None:
        if self.is_attached:
            self.show()


__all__ = ["NOT_FETCHED", "ThreadPanel"]
