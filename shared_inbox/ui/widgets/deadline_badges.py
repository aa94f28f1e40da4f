"""How deadlines look: the list's countdown badge and the reader's promises and SLA section.

Promise texts are typed by agents but travel through the mailbox like any event, so they
are shown as plain `Content`, never as markup.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from shared_inbox.display.text import countdown, inert
from shared_inbox.services.deadlines import DeadlineItem, Deadlines

_STATE_STYLES = {"at_risk": "$warning", "broken": "$error", "kept": "$success", "dropped": "$text-muted"}
_TARGETS = {"first_response": "First response", "next_response": "Next response", "resolution": "Resolution"}


def item_line(item: DeadlineItem, now: datetime, zone: tzinfo | None) -> Content:
    """One promise or clock: what, when, how it stands."""
    label = _TARGETS.get(item.text, item.text) if item.policy else item.text
    if item.policy:
        label = f"SLA {item.policy}: {label}"
    elif item.kind == "follow_up":
        label = f"↻ {label}"
    when = item.due.astimezone(zone).strftime("%a %d %b %H:%M") if item.due else "not counting"
    left = countdown(item.due, now) if item.outstanding else ""
    state = item.state.replace("_", " ")
    return Content.assemble(
        (inert(label), "bold" if item.outstanding else ""),
        "  ",
        (when, "$text-muted"),
        "  ",
        (state, _STATE_STYLES.get(item.state, "$accent")),
        ("  " + left) if left else "",
    )


class DeadlineRow(Horizontal):
    """A promise or follow-up still owed, with buttons to mark it done or drop it."""

    class Settle(Message):
        def __init__(self, promise_id: str, done: bool) -> None:
            super().__init__()
            self.promise_id = promise_id
            self.done = done

    def __init__(self, item: DeadlineItem, now: datetime, zone: tzinfo | None) -> None:
        super().__init__(classes="deadline-row")
        self.item = item
        self.line = item_line(item, now, zone)

    def compose(self) -> ComposeResult:
        yield Static(self.line, markup=False, classes="deadline-text")
        if self.item.outstanding and self.item.promise_id is not None:
            yield Button("Done", classes="deadline-done", compact=True)
            yield Button("Drop", classes="deadline-drop", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.item.promise_id is not None:
            self.post_message(self.Settle(self.item.promise_id, event.button.has_class("deadline-done")))


class DeadlinesPanel(Vertical):
    """The reader's section of promises, follow-ups and SLA clocks; hidden when nothing applies."""

    DEFAULT_CSS = """
    DeadlinesPanel {
        height: auto;
        max-height: 10;
        padding: 0 1;
        background: $boost;
    }
    DeadlinesPanel .deadline-row {
        height: 1;
    }
    DeadlinesPanel .deadline-text {
        width: 1fr;
    }
    """

    def __init__(self, deadlines: Deadlines, now: datetime, zone: tzinfo | None) -> None:
        super().__init__(id="deadlines")
        self.deadlines = deadlines
        self.now = now
        self.zone = zone

    def compose(self) -> ComposeResult:
        items = self.deadlines.promises + tuple(i for i in self.deadlines.clocks if i.outstanding)
        self.display = bool(items)
        for item in items:
            yield DeadlineRow(item, self.now, self.zone)

    def owed(self) -> list[DeadlineItem]:
        """Promises and follow-ups still owed, in the order shown."""
        return [i for i in self.deadlines.promises if i.outstanding and i.promise_id is not None]
