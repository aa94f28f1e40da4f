"""The help screen and command palette, driven through a real Textual app with Pilot."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from textual.app import App, ComposeResult
from textual.command import Command, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from shared_inbox.ui.keys import KEYMAP, bindings_for, effective_keys
from shared_inbox.ui.palette import KeyActionsProvider
from shared_inbox.ui.screens.help import HelpScreen, describe_keys


class RecordingPane(Widget, can_focus=True):
    """A stand-in conversation list that records the commands it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[str] = []


def _recorder(spec_id: str) -> Callable[[RecordingPane], None]:
    def action(self: RecordingPane) -> None:
        self.received.append(spec_id)

    return action


def list_pane_class(overrides: Mapping[str, str]) -> type[RecordingPane]:
    """A list pane bound exactly as the inbox binds its list: keys from the registry."""
    bindings = [*bindings_for("triage", overrides), *bindings_for("list", overrides)]
    namespace: dict[str, object] = {"BINDINGS": bindings}
    namespace.update({f"action_{binding.action}": _recorder(binding.action) for binding in bindings})
    return type("ListPane", (RecordingPane,), namespace)


def keys_app(overrides: Mapping[str, str] | None = None) -> KeysApp:
    overrides = overrides or {}
    app_class: type[KeysApp] = type(
        "BoundKeysApp", (KeysApp,), {"BINDINGS": bindings_for("global", overrides)}
    )
    return app_class(overrides, list_pane_class(overrides))


class KeysApp(App[None]):
    """A tiny app wired the way the inbox wires keys, help and palette."""

    COMMANDS = {KeyActionsProvider}

    def __init__(self, overrides: Mapping[str, str], pane_class: type[RecordingPane]) -> None:
        super().__init__()
        self.overrides = overrides
        self.pane_class = pane_class
        self.searches = 0

    def compose(self) -> ComposeResult:
        yield Static("inbox")
        yield self.pane_class()

    def on_mount(self) -> None:
        self.query_one(RecordingPane).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.overrides))

    def action_search(self) -> None:
        self.searches += 1


def run(app: KeysApp, scenario: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    async def drive() -> None:
        async with app.run_test() as pilot:
            await scenario(pilot)

    asyncio.run(drive())


async def palette_options(pilot: Pilot[None]) -> list[Command]:
    """The palette's entries once it has finished collecting them."""
    command_list = pilot.app.screen.query_one(CommandList)
    for _ in range(200):
        await pilot.pause()
        if command_list.option_count and not pilot.app.screen.has_class("--populating"):
            break
    await pilot.pause()
    return [command_list.get_option_at_index(i) for i in range(command_list.option_count)]  # type: ignore[misc]


def help_body(app: KeysApp) -> str:
    return str(app.screen.query_one("#help-body", Static).render())


def test_question_mark_opens_help_listing_every_description() -> None:
    app = keys_app()

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        body = help_body(app)
        for spec in KEYMAP:
            assert spec.description in body, spec.id
        for title in ("Everywhere", "Conversation list", "Reading a conversation"):
            assert title in body
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)

    run(app, scenario)


def test_help_shows_the_overridden_keys() -> None:
    overrides = {"assign_me": "ctrl+a", "help": "f1"}
    app = keys_app(overrides)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        body = help_body(app)
        assert "ctrl+a" in body
        keys = effective_keys(overrides)
        for spec in KEYMAP:
            assert describe_keys(keys[spec.id]) in body

    run(app, scenario)


def test_overridden_list_key_runs_the_command() -> None:
    app = keys_app({"assign_me": "ctrl+a"})

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+a", "m", "j")
        await pilot.pause()
        assert app.query_one(RecordingPane).received == ["assign_me", "cursor_down"]

    run(app, scenario)


def test_palette_lists_the_commands_bound_where_the_focus_is() -> None:
    app = keys_app()

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        options = await palette_options(pilot)
        titles = {option.hit.text for option in options}
        expected = {spec.description for spec in KEYMAP if spec.scope in ("global", "triage", "list")}
        assert expected <= titles
        assert "Reply to all" not in titles
        helps = {option.hit.text: option.hit.help or "" for option in options}
        assert "m" in helps["Assign to me"]
        assert "j" in helps["Next conversation"] and "↓" in helps["Next conversation"]

    run(app, scenario)


def test_choosing_a_palette_entry_runs_it_on_the_focused_view() -> None:
    app = keys_app()

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+p")
        await pilot.press(*"assign to me")
        await palette_options(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert not isinstance(app.screen, CommandPalette)
        assert app.query_one(RecordingPane).received == ["assign_me"]

    run(app, scenario)


def test_choosing_a_global_palette_entry_runs_it_on_the_app() -> None:
    app = keys_app()

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+p")
        await pilot.press(*"search conversations")
        await palette_options(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.searches == 1

    run(app, scenario)


def test_palette_shows_keys_remapped_through_the_app_keymap() -> None:
    app = keys_app()

    async def scenario(pilot: Pilot[None]) -> None:
        app.set_keymap(effective_keys({"assign_me": "ctrl+a"}))
        await pilot.press("ctrl+a")
        await pilot.press("ctrl+p")
        options = await palette_options(pilot)
        helps = {option.hit.text: option.hit.help or "" for option in options}
        assert helps["Assign to me"].startswith("^a")
        assert app.query_one(RecordingPane).received == ["assign_me"]

    run(app, scenario)
