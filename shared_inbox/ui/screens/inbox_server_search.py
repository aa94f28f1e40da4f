"""Searching the server's archive from the list, when the store keeps only a window.

With `[imap] sync_since` a search finds what is kept locally; `H` asks the server the same
question for older mail (in a thread worker). What it stores reaches the list the way synced
mail does (the inbox hears of every store write), so the worker only says in one sentence
what it found; the search line counts the results that came from the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from shared_inbox.domain.model import Conversation
from shared_inbox.services.server_history import (
    HistoryResult,
    from_the_server,
    history_conversations,
    search_server,
)
from shared_inbox.ui.keys import shown_key

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session


class ListServerSearch:
    """Mixed into the inbox screen, which provides the session, the search and `app`."""

    session: Session
    search_query: str
    app: App[object]

    def action_search_server(self) -> None:
        if self.session.config.imap.sync_since_days is None:
            self.app.notify(HistoryResult(windowed=False).describe(), markup=False)
            return
        if not self.search_query:
            search, key = self._key("search"), self._key("search_server")
            self.app.notify(f"Search first ({search}), then {key} asks the server too.", markup=False)
            return
        self.app.notify("Searching older mail on the server…", markup=False)
        self._search_server(self.search_query)

    @work(thread=True, exclusive=True, group="server-search", exit_on_error=False)
    def _search_server(self, query: str) -> None:
        result = search_server(self.session, query)
        severity = "warning" if result.problem else "information"
        self.app.call_from_thread(self.app.notify, result.describe(), severity=severity, markup=False)

    def working(self, convs: list[Conversation]) -> list[Conversation]:
        """The views' conversations: history fetched from below the window is found by search only."""
        history = history_conversations(self.session.inbox, convs)
        return [conv for conv in convs if conv.id not in history] if history else convs

    def server_note(self, rows: list[Conversation]) -> str:
        """What the search line adds when the store keeps a window: the server's share, and the key."""
        if self.session.config.imap.sync_since_days is None:
            return ""
        inbox = self.session.inbox
        brought = from_the_server(self.session, (m for conv in rows for m in inbox.messages_of(conv)))
        count = len(brought)
        shown = f"  ·  {count} message{'s' if count != 1 else ''} from the server" if count else ""
        return f"{shown}  ·  {self._key('search_server')} searches older mail on the server"

    def _key(self, key_id: str) -> str:
        return shown_key(self.app, self.session.config.keys, key_id)
