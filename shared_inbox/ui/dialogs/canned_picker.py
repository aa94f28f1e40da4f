"""Choosing a canned reply in the composer, and answering its blanks.

`CannedPicker` loads the library and ranks it against the customer's message in a thread
(both read files), then lists the replies best first. Typing filters them fuzzily by name,
tags and text; Enter or a click picks one. `BlanksForm` asks the reply's questions, one
line each, before it is inserted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from shared_inbox.canned.library import CannedReply, LibraryProblem
from shared_inbox.canned.ranking import filter_replies
from shared_inbox.ui.dialogs.prompts import PROMPT_CSS
from shared_inbox.ui.widgets.message_view import plain

__all__ = ["BlanksForm", "CannedChoices", "CannedPicker"]

PREVIEW_LINES = 6


@dataclass(frozen=True, slots=True)
class CannedChoices:
    """What the picker offers: replies best first, their use counts, and files that could not be read."""

    ranked: tuple[CannedReply, ...]
    usage: dict[str, int]
    problems: tuple[LibraryProblem, ...] = ()


def reply_label(reply: CannedReply, uses: int) -> Content:
    """Name on the first line; tags, "personal" and the use count muted on the second."""
    details = [f"#{tag}" for tag in reply.tags]
    if reply.personal:
        details.append("personal")
    details.append(f"used {uses}×" if uses else "not used yet")
    return Content.assemble(plain(reply.name), "\n", (" ".join(details), "$text-muted"))


class CannedPicker(ModalScreen[CannedReply | None]):
    """Lists the replies; typing filters, Up/Down move, Enter picks, Escape closes."""

    DEFAULT_CSS = (
        """
    CannedPicker { align: center middle; }
    CannedPicker .prompt { width: 90; }
    CannedPicker #canned-replies { height: auto; max-height: 14; }
    CannedPicker #canned-preview { height: auto; max-height: 8; color: $text-muted; margin: 1 0 0 0; }
    CannedPicker #canned-problems { height: auto; color: $warning; }
    """
        + PROMPT_CSS
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    class Loaded(Message):
        def __init__(self, choices: CannedChoices | None, error: str = "") -> None:
            super().__init__()
            self.choices = choices
            self.error = error

    def __init__(self, load: Callable[[], CannedChoices]) -> None:
        super().__init__()
        self._load = load
        self.choices: CannedChoices | None = None
        self.shown: list[CannedReply] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Static(Content("Insert a canned reply"), classes="prompt-title")
            yield Input(placeholder="filter by name, tags or text", id="canned-filter")
            yield OptionList(id="canned-replies")
            yield Static(Content("Loading the replies…"), id="canned-preview")
            yield Static(id="canned-problems")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._load_choices()

    @work(thread=True, exit_on_error=False)
    def _load_choices(self) -> None:
        try:
            self.post_message(self.Loaded(self._load()))
        except OSError as exc:
            self.post_message(self.Loaded(None, f"The replies could not be read: {exc.strerror or exc}"))

    def on_canned_picker_loaded(self, event: Loaded) -> None:
        event.stop()
        if event.choices is None:
            self.query_one("#canned-preview", Static).update(Content(event.error))
            return
        self.choices = event.choices
        problems = event.choices.problems
        if problems:
            names = ", ".join(problem.id for problem in problems[:3]) + (" …" if len(problems) > 3 else "")
            text = f"{len(problems)} reply file(s) skipped ({names}); `shared-inbox canned` says why."
            self.query_one("#canned-problems", Static).update(plain(text))
        self._show(self.query_one(Input).value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.choices is not None:
            self._show(event.value)

    def _show(self, typed: str) -> None:
        assert self.choices is not None
        usage = self.choices.usage
        self.shown = filter_replies(typed, self.choices.ranked, usage)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(reply_label(reply, usage.get(reply.id, 0))) for reply in self.shown])
        if self.shown:
            options.highlighted = 0
        elif not self.choices.ranked:
            self._preview(Content("No canned replies yet: add Markdown files to the canned directories."))
        else:
            self._preview(Content("No reply matches."))

    def _preview(self, content: Content) -> None:
        self.query_one("#canned-preview", Static).update(content)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.shown):
            lines = self.shown[event.option_index].body.splitlines()
            more = ["…"] if len(lines) > PREVIEW_LINES else []
            self._preview(plain("\n".join([*lines[:PREVIEW_LINES], *more])))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_index)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None:
            self._pick(highlighted)

    def _pick(self, index: int) -> None:
        if 0 <= index < len(self.shown):
            self.dismiss(self.shown[index])

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self.shown:
            current = options.highlighted if options.highlighted is not None else -step
            options.highlighted = max(0, min(len(self.shown) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)


class BlanksForm(ModalScreen[dict[str, str] | None]):
    """One line per question of a reply; Enter goes to the next line, and on the last one inserts."""

    DEFAULT_CSS = (
        """
    BlanksForm { align: center middle; }
    BlanksForm .blank { height: auto; }
    BlanksForm .blank Label { color: $text-muted; }
    BlanksForm #blanks-actions { height: auto; margin: 1 0 0 0; }
    BlanksForm #blanks-actions Button { width: auto; min-width: 8; margin: 0 1 0 0; }
    """
        + PROMPT_CSS
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, questions: Sequence[str]) -> None:
        super().__init__()
        self.form_title = title
        self.questions = list(questions)

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Static(plain(self.form_title), classes="prompt-title")
            for index, question in enumerate(self.questions):
                with Vertical(classes="blank"):
                    yield Label(plain(question))
                    yield Input(id=f"blank-{index}", name=question)
            with Horizontal(id="blanks-actions"):
                yield Button("Insert", id="blanks-insert", compact=True)
                yield Button("Cancel", id="blanks-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#blank-0", Input).focus()

    def answers(self) -> dict[str, str]:
        return {
            question: self.query_one(f"#blank-{i}", Input).value for i, question in enumerate(self.questions)
        }

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = int((event.input.id or "blank-0").rpartition("-")[2])
        if index + 1 < len(self.questions):
            self.query_one(f"#blank-{index + 1}", Input).focus()
        else:
            self.dismiss(self.answers())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.answers() if event.button.id == "blanks-insert" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
