"""The customer's older mail, fetched from the server when the store keeps only a window.

The search runs in a thread worker; what it stores reaches the list, the reader and the
customer panel the way synced mail does (the inbox hears of every store write), so the
worker only says in one sentence what it found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from shared_inbox.domain.model import Conversation
from shared_inbox.services.server_history import fetch_customer_history

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.services.session import Session


class ReaderHistory:
    """Mixed into the reader screen, which provides the session, the conversation and `notify`."""

    session: Session
    conversation: Conversation
    app: App[object]

    def action_older_mail(self) -> None:
        customer = self.conversation.customer
        if customer is None or not customer.email:
            self.app.notify("This conversation has no customer address to look for.", markup=False)
            return
        self.app.notify(f"Looking for older mail of {customer.email} on the server…", markup=False)
        self._fetch_older_mail(customer.email)

    @work(thread=True, exclusive=True, group="older-mail", exit_on_error=False)
    def _fetch_older_mail(self, address: str) -> None:
        result = fetch_customer_history(self.session, [address])
        severity = "warning" if result.problem else "information"
        self.app.call_from_thread(self.app.notify, result.describe(), severity=severity, markup=False)
