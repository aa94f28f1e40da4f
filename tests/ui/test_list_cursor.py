"""The list cursor must stand out from its neighbours in every shipped theme, unread or not.

Checked on the segments the list renders, in truecolor and as a 256-colour terminal shows them:
agents act on the row under the cursor, so it must never look like the rows around it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import OptionList

from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.themes import load_themes
from shared_inbox.ui.widgets.conversation_list import ConversationList
from tests.ui.test_app import NOW, drive, inbox_of, session

__all__ = ["session"]

MIN_DISTANCE = 90  # summed RGB difference between the cursor's background and its neighbours'


def row_styles(listing: ConversationList, y: int) -> list[Style]:
    """The style of every non-empty segment of the rendered row at screen line `y`."""
    return [segment.style or Style() for segment in listing.render_line(y) if segment.text]


def bg_triplet(style: Style, system: ColorSystem) -> tuple[int, int, int]:
    assert style.bgcolor is not None, style
    colour = style.bgcolor if system is ColorSystem.TRUECOLOR else style.bgcolor.downgrade(system)
    rgb = colour.get_truecolor()
    return rgb.red, rgb.green, rgb.blue


def distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True))


def stands_out(cursor: list[Style], neighbour: list[Style], system: ColorSystem) -> bool:
    """Every cell of the cursor row differs clearly from every cell of the neighbour row."""
    for mine in cursor:
        for theirs in neighbour:
            if mine.reverse != theirs.reverse or mine.underline != theirs.underline:
                continue
            if distance(bg_triplet(mine, system), bg_triplet(theirs, system)) < MIN_DISTANCE:
                return False
    return True


def test_the_cursor_row_stands_out_from_unread_neighbours_in_every_theme(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the shipped themes, not the tester's
    themes = [theme.name for theme in load_themes()]
    assert {"shared-dark", "high-contrast"} <= set(themes)

    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        await pilot.press("j")
        assert listing.cursor == 1
        assert all(conv.unread for conv in listing.rows[:3])
        for theme in themes:
            for focused in (True, False):
                pilot.app.theme = theme
                if focused:
                    listing.focus()
                else:
                    pilot.app.screen.query_one("#sidebar", OptionList).focus()
                await pilot.pause()
                cursor = row_styles(listing, 1)
                assert any(style.bold for style in cursor), "an unread row stays bold under the cursor"
                for style in cursor:  # and its text stays readable on it
                    assert style.color is not None
                    rgb = style.color.get_truecolor()
                    ink = (rgb.red, rgb.green, rgb.blue)
                    assert distance(ink, bg_triplet(style, ColorSystem.TRUECOLOR)) >= 2 * MIN_DISTANCE, theme
                for system in (ColorSystem.TRUECOLOR, ColorSystem.EIGHT_BIT):
                    for neighbour in (0, 2):
                        where = f"{theme}, {system.name}, focused={focused}, row {neighbour}"
                        assert stands_out(cursor, row_styles(listing, neighbour), system), where

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_cursor_step_on_screen_redraws_only_the_rows_it_leaves_and_reaches(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[int] = []
    draw = ConversationList.render_line

    def noted(self: ConversationList, y: int) -> Strip:
        drawn.append(y)
        return draw(self, y)

    monkeypatch.setattr(ConversationList, "render_line", noted)

    async def scenario(pilot: Pilot[None]) -> None:
        listing = inbox_of(pilot.app).conversation_list
        await pilot.press("j")
        await pilot.pause()
        drawn.clear()
        await pilot.press("j")
        await pilot.pause()
        assert listing.cursor == 2
        assert sorted(set(drawn)) == [1, 2]
        drawn.clear()
        await pilot.press("k")
        await pilot.pause()
        assert sorted(set(drawn)) == [1, 2]
        assert listing.cursor == 1

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)
