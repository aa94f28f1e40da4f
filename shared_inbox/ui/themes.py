"""Colour themes from TOML files: the ones shipped in `themes/`, then the user's own.

Themes are data, not code, so users can add or override one by dropping a file in
their data directory. A broken file is reported and skipped: a typo in a colour must
never stop the inbox from opening.
"""

from __future__ import annotations

import logging
import sys
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import platformdirs
from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

import shared_inbox

log = logging.getLogger(__name__)

DEFAULT_THEME = "shared-dark"
_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "success",
    "warning",
    "error",
)
_KNOWN_FIELDS = frozenset({"name", "dark", "variables", *_COLOUR_FIELDS})


class ThemeFileError(ValueError):
    """A theme file that cannot be used, with the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"theme file {path}: {reason}")


def bundled_themes_dir() -> Path:
    """The shipped `themes/`: beside the package in a checkout, under share/ when installed."""
    checkout = Path(shared_inbox.__file__).resolve().parent.parent / "themes"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "shared-inbox" / "themes"


def user_themes_dir() -> Path:
    """Where a user puts their own themes; a theme here replaces a shipped one of the same name."""
    return platformdirs.user_data_path("shared-inbox") / "themes"


def _colour(path: Path, field: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(path, f'{field} must be a colour string like "#1e88e5", got {value!r}')
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(path, f"{field} = {value!r} is not a colour") from None
    return value


def _variables(path: Path, value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ThemeFileError(path, 'variables must be a table of name = "value" strings')
    variables: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(item, str):
            raise ThemeFileError(path, f"variables.{name} must be a string, got {item!r}")
        variables[str(name)] = item
    return variables


def theme_from_mapping(path: Path, data: Mapping[str, Any]) -> Theme:
    """Validate one parsed theme file; `path` is only used in error messages."""
    unknown = sorted(set(data) - _KNOWN_FIELDS)
    if unknown:
        raise ThemeFileError(path, f"unknown field(s) {', '.join(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(path, "name must be a non-empty string")
    if "primary" not in data:
        raise ThemeFileError(path, "primary colour is required")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError(path, f"dark must be true or false, got {dark!r}")
    colours = {
        field: _colour(path, field, data[field]) if field in data else None for field in _COLOUR_FIELDS
    }
    return Theme(
        name=name.strip(),
        primary=_colour(path, "primary", data["primary"]),
        secondary=colours["secondary"],
        accent=colours["accent"],
        foreground=colours["foreground"],
        background=colours["background"],
        surface=colours["surface"],
        panel=colours["panel"],
        boost=colours["boost"],
        success=colours["success"],
        warning=colours["warning"],
        error=colours["error"],
        dark=dark,
        variables=_variables(path, data.get("variables", {})),
    )


def load_theme_file(path: Path) -> Theme:
    """Read and validate one theme file, raising ThemeFileError on any problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ThemeFileError(path, f"cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ThemeFileError(path, "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ThemeFileError(path, f"is not valid TOML ({error})") from None
    return theme_from_mapping(path, data)


def load_themes(extra_dirs: Iterable[Path] = ()) -> list[Theme]:
    """All usable themes: shipped, then the user's, then `extra_dirs`; later files win on a name clash.

    Broken files are logged and skipped; a missing directory is simply empty.
    """
    themes: dict[str, Theme] = {}
    for directory in (bundled_themes_dir(), user_themes_dir(), *extra_dirs):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ThemeFileError as error:
                log.warning("skipping %s", error)
                continue
            themes[theme.name] = theme
    return list(themes.values())


def register_all(app: App[Any], extra_dirs: Iterable[Path] = ()) -> list[str]:
    """Register every loadable theme with `app` and return their names."""
    names = []
    for theme in load_themes(extra_dirs):
        app.register_theme(theme)
        names.append(theme.name)
    return names


def choose_theme(requested: str | None, available: Iterable[str]) -> str:
    """The theme to start with: the configured one if it exists, else the default (with a warning)."""
    names = set(available)
    if requested and requested in names:
        return requested
    if requested:
        log.warning("theme %r not found; using %r (available: %s)", requested, DEFAULT_THEME, sorted(names))
    return DEFAULT_THEME if DEFAULT_THEME in names else "textual-dark"
