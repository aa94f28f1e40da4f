"""Older mail, from the server, for a store that keeps only a window (`sync_since`).

The server stays the archive. Two questions can be asked of it: a customer's mail (from,
and in Sent to, their addresses) and a conversation search (`domain.server_search`). Each
mirrored folder is searched below the window's floor, and the headers found are stored like
any synced message, so the customer panel, history and search see them at once; they are
told apart as "from the server" by lying below the floor (`from_the_server`). Blocking:
front ends call these from a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imapclient.exceptions import IMAPClientError

from shared_inbox.config import PasswordError
from shared_inbox.domain.model import Conversation, MessageMeta
from shared_inbox.domain.query import QueryError, parse_query
from shared_inbox.domain.server_search import server_criteria
from shared_inbox.imap.connection import close_quietly, imap_failure
from shared_inbox.imap.sync_window import WindowFloors
from shared_inbox.net.errors import MailServerError

if TYPE_CHECKING:
    from shared_inbox.services.inbox import Inbox
    from shared_inbox.services.session import Session
    from shared_inbox.store import Store

# Enough for years of one customer's mail; a search that finds more takes the newest.
MAX_MESSAGES = 500


@dataclass(frozen=True)
class HistoryResult:
    """What a search of the server's archive brought in; `problem` is one sentence, or empty."""

    new_ids: tuple[str, ...] = ()
    windowed: bool = True
    problem: str = ""
    subject: str = "of this customer"  # what was looked for, as the sentence says it

    def describe(self) -> str:
        if self.problem:
            return self.problem
        if not self.windowed:
            return "Every message is kept locally already ([imap] sync_since is not set)."
        count = len(self.new_ids)
        if count == 0:
            return f"The server holds no older mail {self.subject}."
        found = f"{count} older message{'s' if count != 1 else ''} fetched from the server."
        return found + (" Those are the newest; ask again for older ones." if count >= MAX_MESSAGES else "")


def fetch_customer_history(session: Session, addresses: Sequence[str]) -> HistoryResult:
    """Store the customer's mail older than the window; says what happened in one sentence."""
    if session.config.imap.sync_since_days is None:
        return HistoryResult(windowed=False)
    wanted = [address for address in dict.fromkeys(a.strip().lower() for a in addresses) if address]
    if not wanted:
        return HistoryResult(problem="No address to look for.")

    def searches(folder: str, sent_folder: str) -> Iterable[list[object]]:
        field = "TO" if folder == sent_folder else "FROM"
        return ([field, address] for address in wanted)

    return _search_older(session, searches, "of this customer")


def search_server(session: Session, query: str) -> HistoryResult:
    """Store the mail below the window that answers the conversation search `query`."""
    if session.config.imap.sync_since_days is None:
        return HistoryResult(windowed=False)
    try:
        parsed = parse_query(query, me=session.config.team.me)
    except QueryError as exc:
        return HistoryResult(problem=str(exc))
    criteria = server_criteria(parsed)
    if criteria is None:
        return HistoryResult(
            problem="Nothing in this search can be asked of the server: "
            "use words, from:, to:, subject:, customer:, before: or after:."
        )
    return _search_older(session, lambda _folder, _sent: [list(criteria)], "for this search")


Searches = Callable[[str, str], Iterable[list[object]]]  # (folder, Sent folder) -> criteria lists


def _search_older(session: Session, searches: Searches, subject: str) -> HistoryResult:
    try:
        service = session.sync_service(fetch_bodies=False)
        client = service.connect()
    except (MailServerError, PasswordError) as exc:
        return HistoryResult(problem=str(exc))
    new_ids: list[str] = []
    try:
        engine = service.folder_sync(client)
        try:
            for folder in service.plan.folders:
                for criteria in searches(folder, service.plan.sent_folder):
                    left = MAX_MESSAGES - len(new_ids)
                    if left > 0:
                        new_ids += engine.fetch_older(folder, criteria, left)
        finally:
            engine.close()
    except (IMAPClientError, OSError, EOFError) as exc:
        problem = imap_failure(service.plan.endpoint, exc, "while searching older mail")
        return HistoryResult(tuple(new_ids), problem=str(problem), subject=subject)
    finally:
        close_quietly(client)
    return HistoryResult(tuple(new_ids), subject=subject)


def from_the_server(session: Session, messages: Iterable[MessageMeta]) -> set[str]:
    """Ids of the messages that lie below their folder's window: brought in on demand."""
    if session.config.imap.sync_since_days is None:
        return set()
    below = _below_window(session.store)
    return {meta.message_id for meta in messages if below(meta)}


def conversations_from_the_server(session: Session, convs: Iterable[Conversation]) -> set[str]:
    """Ids of the conversations whose every message was brought in from below the window."""
    return set(history_conversations(session.inbox, convs))


def history_conversations(inbox: Inbox, convs: Iterable[Conversation]) -> frozenset[str]:
    """The conversations made only of mail fetched on demand from below the window: history.

    They answer searches and fill the customer's history, but they are not work: the views,
    deadlines and rules leave them out, however long ago they were left unanswered. A reply
    that arrives later, inside the window, makes the conversation work again.
    """
    if not WindowFloors(inbox.store).any():
        return frozenset()  # no window was ever kept: nothing was fetched from below one
    below = _below_window(inbox.store)
    messages = inbox.messages
    found = []
    for conv in convs:
        ids = conv.message_ids
        # Newest first: a conversation with recent mail is known to be work after one look.
        if all((meta := messages.get(mid)) is not None and below(meta) for mid in reversed(ids)):
            found.append(conv.id)
    return frozenset(found)


def working_conversations(inbox: Inbox) -> list[Conversation]:
    """Every conversation that is work: all but the history fetched from below the window."""
    convs = inbox.conversations()
    history = history_conversations(inbox, convs)
    return [conv for conv in convs if conv.id not in history] if history else convs


def _below_window(store: Store) -> Callable[[MessageMeta], bool]:
    """Whether a message lies below its folder's window floor (floors read once)."""
    window = WindowFloors(store)
    floors: dict[tuple[str, int], int | None] = {}

    def below(meta: MessageMeta) -> bool:
        if not meta.locations:
            return False
        for loc in meta.locations:
            key = (loc.folder, loc.uidvalidity)
            if key not in floors:
                floors[key] = window.get(*key)
            floor = floors[key]
            if floor is None or loc.uid >= floor:
                return False
        return True

    return below
