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
    from shared_inbox.services.session import Session

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
        return f"{count} older message{'s' if count != 1 else ''} fetched from the server."


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
    window = WindowFloors(session.store)
    floors: dict[tuple[str, int], int | None] = {}
    found = set()
    for meta in messages:
        for loc in meta.locations:
            key = (loc.folder, loc.uidvalidity)
            if key not in floors:
                floors[key] = window.get(*key)
            floor = floors[key]
            if floor is not None and loc.uid < floor:
                found.add(meta.message_id)
                break
    return found


def conversations_from_the_server(session: Session, convs: Iterable[Conversation]) -> set[str]:
    """Ids of the conversations whose every message was brought in from below the window."""
    convs = list(convs)
    inbox = session.inbox
    brought = from_the_server(session, (m for conv in convs for m in inbox.messages_of(conv)))
    if not brought:
        return set()
    return {conv.id for conv in convs if all(m in brought for m in conv.message_ids)}
