"""What the agent sees when the Traffic Cop holds a reply: what is new, and three ways on.

The reply is already held (draft kept, conversation in "Needs attention") when this opens, so
any way out of it, Escape included, loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from shared_inbox.display.text import inert
from shared_inbox.services.traffic_cop import News
from shared_inbox.ui.dialogs.prompts import PROMPT_CSS

TrafficChoice = Literal["send", "edit", "discard"]
CHOICES: tuple[tuple[TrafficChoice, str, str], ...] = (
    ("send", "Send anyway", "s"),
    ("edit", "Edit the reply", "e"),
    ("discard", "Discard the reply", "d"),
)


class TrafficCopScreen(ModalScreen[TrafficChoice]):
    """Lists the news since the reply was started; answers send, edit or discard (Escape: edit)."""

    DEFAULT_CSS = (
        "TrafficCopScreen { align: center middle; }"
        + PROMPT_CSS.replace(".prompt {", ".prompt { width: 90;", 1)
        + """
    TrafficCopScreen #traffic-news { height: auto; max-height: 14; }
    TrafficCopScreen .traffic-item { color: $warning; }
    TrafficCopScreen #traffic-actions { height: auto; margin: 1 0 0 0; }
    TrafficCopScreen #traffic-actions Button { width: auto; margin: 0 1 0 0; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *[Binding(key, f"choose('{choice}')", label) for choice, label, key in CHOICES],
        Binding("escape", "choose('edit')", "Back to the reply"),
    ]

    def __init__(self, news: Sequence[News]) -> None:
        super().__init__()
        self.news = list(news)

    def compose(self) -> ComposeResult:
        count = len(self.news)
        title = f"Not sent yet: {count} new {'thing' if count == 1 else 'things'} in this conversation"
        with Vertical(classes="prompt"):
            yield Static(Content(title), classes="prompt-title", markup=False)
            with VerticalScroll(id="traffic-news"):
                for item in self.news:
                    yield Static(Content(inert(item.describe())), classes="traffic-item", markup=False)
            with Horizontal(id="traffic-actions"):
                for choice, label, key in CHOICES:
                    yield Button(f"{label} ({key})", id=f"traffic-{choice}", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        for choice, _, _ in CHOICES:
            if event.button.id == f"traffic-{choice}":
                self.dismiss(choice)

    def action_choose(self, choice: TrafficChoice) -> None:
        self.dismiss(choice)
