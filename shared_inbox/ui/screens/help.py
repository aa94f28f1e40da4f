"""The `?` screen: every key, grouped by where it works, built from the registry itself.

Generated rather than written by hand so it always shows the user's own overrides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from shared_inbox.ui.keys import SCOPES, KeySpec, effective_keys, specs_in, split_keys

SCOPE_TITLES = {
    "global": "Everywhere",
    "triage": "List and reader",
    "list": "Conversation list",
    "reader": "Reading a conversation",
    "composer": "Writing a reply",
    "reports": "Reports",
}

_KEY_NAMES = {
    "down": "↓",
    "up": "↑",
    "left": "←",
    "right": "→",
    "escape": "esc",
    "question_mark": "?",
    "minus": "-",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
}


def describe_keys(keys: str) -> str:
    """A compact, human-readable form of a key string: "j,down" -> "j ↓"."""
    return " ".join(_KEY_NAMES.get(key, key) for key in split_keys(keys))


def help_text(overrides: Mapping[str, str], include: Callable[[KeySpec], bool] | None = None) -> Text:
    """The whole help page as plain Text: no markup is parsed, so nothing in it can run an action.

    `include` leaves out keys the running program does not offer, so help never lists a dead key.
    """
    keys = effective_keys(overrides)
    text = Text()
    for index, scope in enumerate(SCOPES):
        if index:
            text.append("\n")
        text.append(SCOPE_TITLES[scope], style="bold underline")
        text.append("\n")
        specs = [spec for spec in specs_in(scope) if include is None or include(spec)]
        if not specs:
            continue
        width = max(len(describe_keys(keys[spec.id])) for spec in specs)
        for spec in specs:
            text.append(f"  {describe_keys(keys[spec.id]):<{width}}", style="bold")
            text.append(f"  {spec.description}\n")
    return text


def markdown_key_table() -> str:
    """The default keys as a Markdown table, one section per scope (README's key table is this text)."""
    keys = effective_keys({})
    lines = ["| where | key | what it does |", "|---|---|---|"]
    for scope in SCOPES:
        for spec in specs_in(scope):
            shown = " ".join(f"`{key}`" for key in describe_keys(keys[spec.id]).split(" "))
            lines.append(f"| {SCOPE_TITLES[scope]} | {shown} | {spec.description} |")
    return "\n".join(lines) + "\n"


class HelpScreen(ModalScreen[None]):
    """A dismissable overlay listing every key binding."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: auto;
        max-width: 90%;
        height: auto;
        max-height: 90%;
        border: round $primary;
        background: $surface;
        padding: 0 2;
    }
    HelpScreen #help-body {
        width: auto;
    }
    """

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close help", show=False),
    ]

    def __init__(
        self, overrides: Mapping[str, str] | None = None, include: Callable[[KeySpec], bool] | None = None
    ) -> None:
        super().__init__()
        self._overrides: Mapping[str, str] = overrides or {}
        self._include = include

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "esc to close"
            yield Static(help_text(self._overrides, self._include), id="help-body", markup=False)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


if __name__ == "__main__":  # `python -m shared_inbox.ui.screens.help` prints the table for README.md
    print(markdown_key_table(), end="")
