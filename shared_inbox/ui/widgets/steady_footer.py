"""A key footer that rebuilds its keys only when the keys it shows changed.

Textual's `Footer` recomposes on every bindings update of its screen: each focus change,
each mount, each `refresh_bindings`. Opening the reader sends several of those, almost all
leaving the shown keys as they were, and remounting the keys each time was a large share
of the time to open a conversation. This footer coalesces the updates of one refresh and
skips the rebuild when nothing it would show differs.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    """`Footer`, rebuilt at most once per refresh and only when its keys differ."""

    def __init__(self, *, compact: bool = False) -> None:
        # The palette key is docked at the right, where a crowded footer never pushes it off screen;
        # it is the registry's binding, under the key the user bound (see `InboxApp`), shown once.
        super().__init__(compact=compact, show_command_palette=True)
        self._shown: Hashable | None = None
        self._pending = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._pending = False
        if not self.is_attached:
            return  # the screen went away meanwhile
        shown = self._what_it_shows()
        if shown == self._shown:
            return
        self._shown = shown
        await self.recompose()

    def _what_it_shows(self) -> Hashable:
        """Everything `Footer.compose` reads, so equal values compose equal keys."""
        app = self.app
        keys = tuple(
            (
                binding.key,
                app.get_key_display(binding),
                binding.action,
                binding.description,
                binding.tooltip,
                binding.show,
                None if binding.group is None else (binding.group.description, binding.group.compact),
                enabled,
                tooltip,
            )
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
        )
        palette = (self.show_command_palette, app.ENABLE_COMMAND_PALETTE, app.COMMAND_PALETTE_BINDING)
        return keys, palette, self.combine_groups
