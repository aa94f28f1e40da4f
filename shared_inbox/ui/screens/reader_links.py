"""Linking the customer's addresses from the reader: one key offers the panel's suggestions,
the addresses already linked (to unlink), and a line to type any other address."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from shared_inbox.display.text import inert
from shared_inbox.services import customer_links
from shared_inbox.services.commands import CommandError
from shared_inbox.services.customers import customer_profile, link_suggestions
from shared_inbox.ui.dialogs.prompts import ChoicePrompt, Picked
from shared_inbox.ui.keys import shown_key
from shared_inbox.ui.screens.inbox_triage import UndoStep

if TYPE_CHECKING:
    from textual.app import App

    from shared_inbox.domain.model import Conversation
    from shared_inbox.services.session import Session
    from shared_inbox.ui.screens.reader_triage import ListTriage

_LINK, _UNLINK = "link:", "unlink:"


class ReaderLinks:
    """Mixed into the reader, which provides the conversation, `refresh_customer` and the list's undo."""

    session: Session
    conversation: Conversation
    list_triage: ListTriage | None

    if TYPE_CHECKING:
        app: App[object]

        def refresh_customer(self) -> None: ...

    def action_link_customer(self) -> None:
        who = self.conversation.customer
        if who is None:
            self.app.notify("This conversation has no customer address.", markup=False)
            return
        inbox = self.session.inbox
        profile = customer_profile(inbox, who.email, who.name)
        choices = [
            (_LINK + s.email, f"Link {s.email} ({s.reason})") for s in link_suggestions(inbox, profile)
        ]
        choices += [(_UNLINK + address, f"Unlink {address}") for address in profile.linked]
        prompt = ChoicePrompt(
            inert(f"Addresses of {profile.display()}"),
            choices,
            typed_hint="or type another address of theirs",
        )
        self.app.push_screen(prompt, partial(self._linked, profile.email))

    def _linked(self, email: str, picked: Picked | None) -> None:
        if picked is None:
            return
        choice = picked.choice or _LINK + picked.text.strip().lower()
        inbox, commands = self.session.inbox, self.session.commands
        address = choice.removeprefix(_LINK).removeprefix(_UNLINK)
        try:
            if choice.startswith(_UNLINK):
                customer_links.unlink(inbox, commands, address)
                what = f"Unlinked {address} from {email}"
                undo = partial(customer_links.link, inbox, commands, [email, address])
            else:
                customer_links.link(inbox, commands, [email, address])
                what = f"Linked {address} with {email}: one customer"
                undo = partial(customer_links.unlink, inbox, commands, address)
        except CommandError as exc:
            self.app.notify(str(exc), title="Customer", severity="error", markup=False)
            return
        hint = ""
        if self.list_triage is not None:
            self.list_triage.remember_undo(UndoStep(what, [undo]))
            hint = f"  ·  {shown_key(self.app, self.session.config.keys, 'undo')} undoes"
        self.app.notify(f"{what}{hint}", markup=False)
        self.refresh_customer()
