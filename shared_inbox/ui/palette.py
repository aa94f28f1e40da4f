"""Command palette entries for every registry command that can run where the user is.

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
