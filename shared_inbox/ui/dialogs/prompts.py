"""Small modal inputs the triage keys ask through: a line of text, or a pick from a short list.

Each prompt dismisses with the answer, or with None when the user presses Escape,
so the caller decides what a cancelled prompt means (usually: nothing happens).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

PROMPT_CSS = """
.prompt {
    width: 64;
    height: auto;
    max-height: 80%;
    padding: 1 2;
    background: $panel;
    border: round $primary;
}
.prompt > .prompt-title {
    height: auto;
    margin: 0 0 1 0;
}
.prompt > OptionList {
    height: auto;
    max-height: 12;
}
"""


@dataclass(frozen=True)
class Picked:
    """A choice prompt's answer: the id of an offered choice, or text the user typed instead."""

    choice: str | None = None
    text: str = ""


class TextPrompt(ModalScreen[str | None]):
    """Asks for one line of text; Enter answers, Escape cancels."""

    DEFAULT_CSS = "TextPrompt { align: center middle; }" + PROMPT_CSS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, *, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.prompt_title = title
        self.placeholder = placeholder
        self.initial = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Static(Content(self.prompt_title), classes="prompt-title")
            yield Input(value=self.initial, placeholder=self.placeholder, id="prompt-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoicePrompt(ModalScreen[Picked | None]):
    """Offers a short list of choices and, when `typed_hint` is given, a line to type an answer.

    With a line to type in, it has the focus from the start, so typing goes straight into it;
    the arrows still move through the choices, and Enter on an empty line takes the highlighted one.
    """

    DEFAULT_CSS = "ChoicePrompt { align: center middle; }" + PROMPT_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move_choice(1)", "Next choice", show=False),
        Binding("up", "move_choice(-1)", "Previous choice", show=False),
    ]

    def __init__(
        self,
        title: str,
        choices: Sequence[tuple[str, str]],
        *,
        typed_hint: str | None = None,
        highlighted: int = 0,
    ) -> None:
        super().__init__()
        self.prompt_title = title
        self.choices = list(choices)
        self.typed_hint = typed_hint
        self.first_highlighted = highlighted if 0 <= highlighted < len(self.choices) else 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Static(Content(self.prompt_title), classes="prompt-title")
            yield OptionList(
                *[Option(Content(label), id=key) for key, label in self.choices], id="prompt-choices"
            )
            if self.typed_hint is not None:
                yield Input(placeholder=self.typed_hint, id="prompt-input")

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        choices.highlighted = self.first_highlighted if self.choices else None
        choices.display = bool(self.choices) or self.typed_hint is None  # no empty box above the line
        if self.typed_hint is None:
            choices.focus()
        else:
            self.query_one(Input).focus()

    def action_move_choice(self, step: int) -> None:
        """Move the highlight while the focus is on the typed line (the list moves itself)."""
        choices = self.query_one(OptionList)
        if choices.option_count:
            choices.highlighted = ((choices.highlighted or 0) + step) % choices.option_count

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(Picked(choice=event.option.id))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(Picked(text=event.value))
            return
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None:
            self.dismiss(Picked(choice=self.choices[highlighted][0]))

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- snooze presets ------------------------------------------------------------

LATER_TODAY = time(17, 0)
MORNING = time(9, 0)


def snooze_presets(now: datetime, zone: tzinfo | None = None) -> list[tuple[str, str, datetime]]:
    """(id, label, moment) for later today 17:00, tomorrow 9:00 and next Monday 9:00, in local time.

    "Later today" is left out once 17:00 has passed, so every preset lies in the future. On a
    Sunday tomorrow is already Monday, so "next week" is the Monday after: no two presets name
    the same moment on any day.
    """
    local = now.astimezone(zone)
    today = local.date()
    presets: list[tuple[str, str, datetime]] = []
    evening = datetime.combine(today, LATER_TODAY, local.tzinfo)
    if evening > local:
        presets.append(("later_today", "Later today, 17:00", evening))
    tomorrow = datetime.combine(today + timedelta(days=1), MORNING, local.tzinfo)
    presets.append(("tomorrow", f"Tomorrow, {tomorrow:%a} 9:00", tomorrow))
    monday = today + timedelta(days=7 - today.weekday())
    if monday == tomorrow.date():
        monday += timedelta(weeks=1)
    next_week = datetime.combine(monday, MORNING, local.tzinfo)
    presets.append(("next_week", f"Next week, Mon {next_week:%d %b} 9:00", next_week))
    return presets
