"""The customer panel beside the reader: who wrote, their organisation, their other conversations.

Below the facts from mail comes what the team recorded (profile fields, notes on the customer,
each with its author), with a button for the profile form.

A vertical stack of sections, so more (notes, promises) can be added below. The conversation
list is an OptionList: Enter or a click opens one in place of the current conversation.
"""

from __future__ import annotations

from datetime import tzinfo

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from shared_inbox.domain.model import Conversation
from shared_inbox.domain.profiles import FIELD_LABELS, CustomerRecord
from shared_inbox.services.customers import CustomerProfile
from shared_inbox.ui.message_view import plain


def recorded_lines(record: CustomerRecord, zone: tzinfo | None = None) -> list[Content]:
    """The profile's fields as "Label: value", then each customer note with its author and date."""
    lines = [
        Content.assemble((f"{FIELD_LABELS[name]}: ", "$text-muted"), plain(value.value))
        for name, value in record.fields.items()
    ]
    for note in record.notes:
        when = note.created_at.astimezone(zone).strftime("%d %b %Y")
        author = note.author.partition("@")[0]
        lines.append(Content.assemble(plain(note.text), "\n", (f"— {author}, {when}", "$text-muted")))
    return lines


def conversation_option(conv: Conversation, zone: tzinfo | None = None) -> Content:
    """Subject on the first line, status and date of last activity on the second."""
    when = conv.last_activity.astimezone(zone).strftime("%d %b %Y") if conv.last_activity else "no date"
    return Content.assemble(
        plain(conv.subject or "(no subject)"),
        "\n",
        (conv.state.status.value, "$accent"),
        " · ",
        (when, "$text-muted"),
    )


class CustomerPanel(VerticalScroll):
    """Facts about the conversation's customer; `profile` None means the conversation has none."""

    class OpenConversation(Message):
        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(self, profile: CustomerProfile | None, current_id: str, zone: tzinfo | None = None) -> None:
        super().__init__(id="customer-panel", can_focus=False)
        self.profile = profile
        self.current_id = current_id
        self.zone = zone

    @property
    def others(self) -> list[Conversation]:
        """The customer's conversations other than the one being read, newest first."""
        if self.profile is None:
            return []
        return [conv for conv in self.profile.conversations if conv.id != self.current_id]

    def compose(self) -> ComposeResult:
        profile = self.profile
        yield Static(Content("Customer"), classes="panel-title")
        if profile is None:
            yield Static(Content("No customer address in this conversation."), classes="panel-muted")
            return
        yield Static(plain(profile.name or profile.email).stylize("bold"), id="customer-name", markup=False)
        if profile.name:
            yield Static(plain(profile.email), id="customer-email", markup=False)
        organisation = profile.organisation or "private address"
        yield Static(plain(organisation), id="customer-organisation", markup=False)
        recorded = recorded_lines(profile.record, self.zone)
        for line in recorded:
            yield Static(line, classes="customer-recorded", markup=False)
        label = "Edit profile (I)" if recorded else "Add profile or note (I)"
        edit = Button(label, id="edit-customer", compact=True)
        edit.can_focus = False  # the key I does it; the button is for the mouse
        yield edit
        others = self.others
        yield Static(
            Content(f"Other conversations: {len(others)}"), id="customer-count", classes="panel-title"
        )
        if others:
            options = [Option(conversation_option(conv, self.zone), id=conv.id) for conv in others]
            yield OptionList(*options, id="customer-conversations")

    def focus_conversations(self) -> bool:
        """Move the focus to the conversation list; False when there is none to focus."""
        lists = self.query("#customer-conversations")
        if not lists:
            return False
        lists.first(OptionList).focus()
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.OpenConversation(event.option.id))
