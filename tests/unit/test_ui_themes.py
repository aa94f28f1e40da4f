"""Theme files: the shipped set, user overrides, and broken files that must be skipped."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from textual.app import App

from shared_inbox.ui import themes
from shared_inbox.ui.themes import (
    DEFAULT_THEME,
    ThemeFileError,
    bundled_themes_dir,
    choose_theme,
    load_theme_file,
    load_themes,
    register_all,
)

SHIPPED = {"shared-dark", "shared-light", "high-contrast", "solarized-like", "nord-like"}


@pytest.fixture(autouse=True)
def isolated_user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the user data directory at an empty temporary folder."""
    user_dir = tmp_path / "user-themes"
    monkeypatch.setattr(themes, "user_themes_dir", lambda: user_dir)
    return user_dir


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_dir_is_the_top_level_themes_folder() -> None:
    assert bundled_themes_dir() == Path(__file__).resolve().parents[2] / "themes"


def test_shipped_themes_all_load_without_warnings(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        names = {theme.name for theme in load_themes()}
    assert names >= SHIPPED
    assert not caplog.records


def test_every_shipped_file_is_valid() -> None:
    for path in bundled_themes_dir().glob("*.toml"):
        theme = load_theme_file(path)
        assert theme.name == path.stem


def test_light_theme_is_not_dark() -> None:
    by_name = {theme.name: theme for theme in load_themes()}
    assert by_name["shared-light"].dark is False
    assert by_name["shared-dark"].dark is True


def test_fields_map_onto_the_textual_theme(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine.toml",
        'name = "mine"\ndark = false\nprimary = "#102030"\nerror = "red"\n[variables]\nborder = "#ffffff"\n',
    )
    theme = load_theme_file(path)
    assert (theme.name, theme.dark, theme.primary, theme.error) == ("mine", False, "#102030", "red")
    assert theme.variables == {"border": "#ffffff"}
    assert theme.secondary is None


def test_user_theme_overrides_a_shipped_one(isolated_user_dir: Path) -> None:
    write(isolated_user_dir, "dark.toml", 'name = "shared-dark"\nprimary = "#abcdef"\n')
    by_name = {theme.name: theme for theme in load_themes()}
    assert by_name["shared-dark"].primary == "#abcdef"


def test_extra_dirs_are_loaded_after_the_user_dir(isolated_user_dir: Path, tmp_path: Path) -> None:
    write(isolated_user_dir, "a.toml", 'name = "team"\nprimary = "#111111"\n')
    extra = tmp_path / "extra"
    write(extra, "b.toml", 'name = "team"\nprimary = "#222222"\n')
    by_name = {theme.name: theme for theme in load_themes([extra])}
    assert by_name["team"].primary == "#222222"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('name = "x"\nprimary = \n', "not valid TOML"),
        ('primary = "#000000"\n', "name"),
        ('name = "x"\n', "primary colour is required"),
        ('name = "x"\nprimary = "not-a-colour"\n', "is not a colour"),
        ('name = "x"\nprimary = 12\n', "must be a colour string"),
        ('name = "x"\nprimary = "#000000"\ndark = "yes"\n', "dark must be true or false"),
        ('name = "x"\nprimary = "#000000"\nprimery = "#000000"\n', "unknown field(s) primery"),
        ('name = "x"\nprimary = "#000000"\nvariables = 3\n', "variables must be a table"),
        ('name = "x"\nprimary = "#000000"\n[variables]\nborder = 1\n', "variables.border"),
    ],
)
def test_broken_file_raises_a_clear_error(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, "broken.toml", text)
    with pytest.raises(ThemeFileError) as caught:
        load_theme_file(path)
    assert reason in str(caught.value)
    assert str(path) in str(caught.value)


def test_non_utf8_file_raises_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "caf\xe9"\nprimary = "#000000"\n')
    with pytest.raises(ThemeFileError, match="UTF-8"):
        load_theme_file(path)


def test_broken_file_is_skipped_with_a_warning(
    isolated_user_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(isolated_user_dir, "bad.toml", 'name = "bad"\nprimary = "nope"\n')
    write(isolated_user_dir, "good.toml", 'name = "good"\nprimary = "#123456"\n')
    with caplog.at_level(logging.WARNING):
        names = {theme.name for theme in load_themes()}
    assert "good" in names and "bad" not in names
    assert any("bad.toml" in record.getMessage() for record in caplog.records)


def test_register_all_makes_themes_selectable(isolated_user_dir: Path) -> None:
    write(isolated_user_dir, "team.toml", 'name = "team"\nprimary = "#123456"\n')
    app: App[None] = App()
    names = register_all(app)
    assert SHIPPED | {"team"} <= set(names)
    assert SHIPPED | {"team"} <= set(app.available_themes)


def test_choose_theme_prefers_the_configured_one() -> None:
    assert choose_theme("nord-like", SHIPPED) == "nord-like"
    assert choose_theme(None, SHIPPED) == DEFAULT_THEME


def test_choose_theme_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert choose_theme("missing", SHIPPED) == DEFAULT_THEME
    assert "missing" in caplog.text


def test_every_shipped_theme_applies_to_a_running_app() -> None:
    async def apply_each() -> list[str]:
        app: App[None] = App()
        applied = []
        async with app.run_test() as pilot:
            for name in register_all(app):
                app.theme = name
                await pilot.pause()
                applied.append(app.current_theme.name)
        return applied

    assert set(asyncio.run(apply_each())) >= SHIPPED
