"""A customer's older mail, from the server, for a store that keeps only a window (`sync_since`).

The server stays the archive: asking here searches each mirrored folder for mail from
(and, in Sent, to) the customer's addresses below the window's floor, and stores those
headers like any synced message, so the customer panel, history and search see them at
once. Blocking: front ends call it from a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imapclient.exceptions import IMAPClientError

from shared_inbox.config import PasswordError
from shared_inbox.imap.connection import close_quietly, imap_failure
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

    def describe(self) -> str:
        if self.problem:
            return self.problem
        if not self.windowed:
            return "Every message is kept locally already ([imap] sync_since is not set)."
        count = len(self.new_ids)
        if count == 0:
            return "The server holds no older mail of this customer."
        return f"{count} older message{'s' if count != 1 else ''} fetched from the server."


def fetch_customer_history(session: Session, addresses: Sequence[str]) -> HistoryResult:
    """Store the customer's mail older than the window; says what happened in one sentence."""
    if session.config.imap.sync_since_days is None:
        return HistoryResult(windowed=False)
    wanted = [address for address in dict.fromkeys(a.strip().lower() for a in addresses) if address]
    if not wanted:
        return HistoryResult(problem="No address to look for.")
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
                field = "TO" if folder == service.plan.sent_folder else "FROM"
                for address in wanted:
                    left = MAX_MESSAGES - len(new_ids)
                    if left > 0:
                        new_ids += engine.fetch_older(folder, [field, address], left)
        finally:
            engine.close()
    except (IMAPClientError, OSError, EOFError) as exc:
        problem = imap_failure(service.plan.endpoint, exc, "while searching older mail")
        return HistoryResult(tuple(new_ids), problem=str(problem))
    finally:
        close_quietly(client)
    return HistoryResult(tuple(new_ids))
