"""Command palette entries: every registry command that can run where the user is, and the app's themes.

Only the app's own entries are offered: Textual's system commands and its built-in themes
would sit beside the app's (a "nord" next to the shipped "nord-like"), under keys and
names the rest of the app never shows.

The palette reads the calling screen's live bindings (found by KeySpec id) rather than
the static registry, so it shows the user's actual keys and only offers commands the
focused view understands; choosing one runs the action on the node that owns the binding.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from shared_inbox.ui.keys import KEYMAP, KeySpec


@dataclass(frozen=True)
class PaletteCommand:
    """A registry command as it is bound right now: who runs it and under which keys."""

    spec: KeySpec
    action: str
    node: DOMNode
    key_display: str

    @property
    def title(self) -> str:
        return self.spec.description

    @property
    def help(self) -> str:
        return f"{self.key_display}  ({self.spec.id})"


class KeyActionsProvider(Provider):
    """Lists registry commands with their keys and runs the chosen one."""

    def available_commands(self) -> list[PaletteCommand]:
        """Registry commands bound and enabled on the calling screen, in registry order."""
        found: dict[str, tuple[str, DOMNode, list[str]]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.id is None or not active.enabled:
                continue
            action, node, keys = found.setdefault(binding.id, (binding.action, active.node, []))
            if node is active.node:
                keys.append(self.app.get_key_display(binding))
        commands = []
        for spec in KEYMAP:
            if spec.id in found:
                action, node, keys = found[spec.id]
                commands.append(PaletteCommand(spec, action, node, " ".join(keys)))
        return commands

    async def _run(self, command: PaletteCommand) -> None:
        await self.app.run_action(command.action, command.node)

    async def discover(self) -> Hits:
        for command in self.available_commands():
            yield DiscoveryHit(command.title, partial(self._run, command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.available_commands():
            score = max(matcher.match(command.title), matcher.match(command.spec.id))
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    partial(self._run, command),
                    text=command.title,
                    help=command.help,
                )


THEME_PREFIX = "Theme: "


class ThemesProvider(Provider):
    """The app's themes (shipped and the user's), one entry each; choosing one switches to it."""

    def themes(self) -> list[str]:
        return list(getattr(self.app, "own_themes", ()))

    def _help(self, name: str) -> str:
        return "the theme in use" if name == self.app.theme else "switch to this colour theme"

    def _choose(self, name: str) -> None:
        self.app.theme = name

    async def discover(self) -> Hits:
        for name in self.themes():
            yield DiscoveryHit(THEME_PREFIX + name, partial(self._choose, name), help=self._help(name))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name in self.themes():
            title = THEME_PREFIX + name
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self._choose, name),
                    text=title,
                    help=self._help(name),
                )
