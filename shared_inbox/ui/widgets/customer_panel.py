"""The customer panel beside the reader: who wrote, their organisation, their other conversations.

Below the facts from mail comes what the team recorded (profile fields, notes on the customer,
each with its author), with a button for the profile form.

A vertical stack of sections, so more (notes, promises) can be added below. The conversation
list is an OptionList: Enter or a click opens one in place of the current conversation.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import tzinfo

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from shared_inbox.display.text import inert
from shared_inbox.domain.customer_links import Suggestion
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.profiles import FIELD_LABELS, CustomerRecord
from shared_inbox.domain.satisfaction import Rating
from shared_inbox.services.customers import CustomerProfile
from shared_inbox.ui.widgets.message_view import plain

# An address breaks before its "@" and its dots, the way addresses are broken in print.
_ADDRESS_PARTS = re.compile(r"[@.]?[^@.]+|[@.]")


def break_address(address: str, width: int) -> list[str]:
    """`address` in lines of at most `width` cells, broken only before "@" or "." where it can be.

    A part longer than a whole line is the one thing still cut, as it must be.
    """
    if width <= 0 or cell_len(address) <= width:
        return [address]
    lines = [""]
    for part in _ADDRESS_PARTS.findall(address):
        if lines[-1] and cell_len(lines[-1] + part) > width:
            lines.append("")
        lines[-1] += part
        while cell_len(lines[-1]) > width:
            head, tail = lines[-1][:width], lines[-1][width:]
            lines[-1:] = [head, tail]
    return [line for line in lines if line]


class AddressLine(Static):
    """An e-mail address that wraps at its "@" and dots, never in the middle of a name."""

    def __init__(self, address: str, *, id: str, bold: bool = False) -> None:
        shown = plain(address).stylize("bold") if bold else plain(address)
        super().__init__(shown, id=id, markup=False)
        self.address = inert(address)
        self.bold = bold

    def _lines(self, width: int) -> Content:
        content = Content("\n".join(break_address(self.address, width)))
        return content.stylize("bold") if self.bold else content

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(break_address(self.address, width))

    def render(self) -> Content:
        return self._lines(self.content_region.width)


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


def ratings_summary(ratings: Sequence[Rating]) -> str:
    """'Rated: 2 great, 1 not good', for the customer panel."""
    counts = [(sum(1 for r in ratings if r is rating), rating.words) for rating in Rating]
    return "Rated: " + ", ".join(f"{count} {words}" for count, words in counts if count)


def conversation_option(
    conv: Conversation, zone: tzinfo | None = None, *, from_server: bool = False
) -> Content:
    """Subject on the first line; status, date of last activity and where it came from on the second."""
    when = conv.last_activity.astimezone(zone).strftime("%d %b %Y") if conv.last_activity else "no date"
    return Content.assemble(
        plain(conv.subject or "(no subject)"),
        "\n",
        (conv.state.status.value, "$accent"),
        " · ",
        (when, "$text-muted"),
        (" · from the server", "$text-muted") if from_server else "",
    )


class CustomerPanel(VerticalScroll):
    """Facts about the conversation's customer; `profile` None means the conversation has none."""

    class OpenConversation(Message):
        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(
        self,
        profile: CustomerProfile | None,
        current_id: str,
        zone: tzinfo | None = None,
        suggestions: Sequence[Suggestion] = (),
        ratings: Sequence[Rating] = (),
        from_server: Collection[str] = (),
    ) -> None:
        super().__init__(id="customer-panel", can_focus=False)
        self.from_server = frozenset(from_server)  # ids of conversations fetched from below the window
        self.profile = profile
        self.ratings = tuple(ratings)  # every rating the customer gave, in any conversation
        self.current_id = current_id
        self.zone = zone
        self.suggestions = list(suggestions)

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
        if profile.name:
            yield Static(plain(profile.name).stylize("bold"), id="customer-name", markup=False)
            yield AddressLine(profile.email, id="customer-email")
        else:
            yield AddressLine(profile.email, id="customer-name", bold=True)
        organisation = profile.organisation or "private address"
        yield Static(plain(organisation), id="customer-organisation", markup=False)
        if self.ratings:
            yield Static(Content(ratings_summary(self.ratings)), id="customer-ratings")
        yield from self._addresses(profile)
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
            options = [
                Option(
                    conversation_option(conv, self.zone, from_server=conv.id in self.from_server), id=conv.id
                )
                for conv in others
            ]
            yield OptionList(*options, id="customer-conversations")

    def _addresses(self, profile: CustomerProfile) -> ComposeResult:
        """The customer's linked addresses, then addresses that may be theirs (never linked unasked)."""
        if profile.linked:
            yield Static(Content("Also writes from"), classes="panel-muted")
            for n, address in enumerate(profile.linked):
                yield AddressLine(address, id=f"customer-linked-{n}")
        if self.suggestions:
            yield Static(Content("Maybe the same customer"), classes="panel-muted")
            for n, suggestion in enumerate(self.suggestions):
                line = Content.assemble(
                    plain(suggestion.email), "\n", (inert(suggestion.reason), "$text-muted")
                )
                yield Static(line, id=f"customer-suggested-{n}", classes="customer-suggested", markup=False)

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
