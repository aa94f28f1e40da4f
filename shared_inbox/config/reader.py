"""Typed access to one TOML table that records problems instead of raising.

Every getter returns a usable fallback after recording a problem, so validation
always walks the whole file and the user sees every mistake at once.
"""

from __future__ import annotations

import difflib
import enum
import unicodedata
from collections.abc import Collection, Iterator, Mapping
from datetime import date, datetime, time
from typing import TypeVar

from shared_inbox.config.errors import Problem
from shared_inbox.config.lines import KeyPath, LineIndex, format_path

E = TypeVar("E", bound=enum.Enum)

_ALLOWED_MULTILINE_CONTROLS = frozenset("\n\t")


class Collector:
    """Accumulates problems and warnings, locating each one in the file."""

    def __init__(self, lines: LineIndex | None) -> None:
        self.lines = lines
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def problem(self, path: KeyPath, message: str, hint: str | None = None) -> None:
        line = self.lines.nearest_line(path) if self.lines is not None and path else None
        self.problems.append(Problem(format_path(path), line, message, hint))

    def warn(self, path: KeyPath, message: str) -> None:
        line = self.lines.nearest_line(path) if self.lines is not None and path else None
        where = f"line {line}: " if line is not None else ""
        self.warnings.append(f"{where}{format_path(path)}: {message}")


def type_name(value: object) -> str:
    """How TOML would call the type of a parsed value."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date | time):
        return "a date/time"
    return type(value).__name__


def did_you_mean(word: str, choices: Collection[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def control_character(text: str, *, multiline: bool) -> str | None:
    """The first control/format character that must not appear, as U+XXXX, or None."""
    for char in text:
        if multiline and char in _ALLOWED_MULTILINE_CONTROLS:
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            return f"U+{ord(char):04X}"
    return None


class Table:
    """A table of the configuration under validation."""

    def __init__(
        self,
        collector: Collector,
        path: KeyPath,
        data: Mapping[str, object],
        allowed: Collection[str],
        *,
        elsewhere: Mapping[str, str] | None = None,
        broken: bool = False,
    ) -> None:
        self.collector = collector
        self.path = path
        self.data = data
        # A table written as some other type: its type problem is recorded, so its
        # required keys are not reported missing a second time.
        self.broken = broken
        for key in data:
            if key in allowed:
                continue
            if elsewhere and key in elsewhere:
                self.problem(key, f"{key!r} is not valid here; it belongs in {elsewhere[key]}")
            else:
                hint = did_you_mean(key, allowed)
                self.problem(key, f"unknown key {_short_repr(key)}", hint)

    def problem(self, key: str | int | None, message: str, hint: str | None = None) -> None:
        path = self.path if key is None else self.path + (key,)
        self.collector.problem(path, message, hint)

    def warn(self, key: str, message: str) -> None:
        self.collector.warn(self.path + (key,), message)

    def has(self, key: str) -> bool:
        return key in self.data

    def _typed(self, key: str, kind: type, label: str, *, secret: bool = False) -> object | None:
        """The raw value when present and of the right type, else None (recording a problem)."""
        if key not in self.data:
            return None
        value = self.data[key]
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        shown = "" if secret or isinstance(value, dict | list) else f" ({_short_repr(value)})"
        self.problem(key, f"expected {label}, got {type_name(value)}{shown}")
        return None

    # -- getters -----------------------------------------------------------------

    def text(self, key: str, default: str, *, multiline: bool = False, allow_empty: bool = False) -> str:
        value = self.optional_text(key, multiline=multiline, allow_empty=allow_empty)
        return default if value is None else value

    def required_text(self, key: str, *, what: str = "") -> str:
        if key not in self.data:
            if self.broken:
                return ""
            description = f" ({what})" if what else ""
            self.problem(key, f"missing required key '{key}'{description}")
            return ""
        return self.optional_text(key) or ""

    def optional_text(
        self, key: str, *, multiline: bool = False, allow_empty: bool = False, secret: bool = False
    ) -> str | None:
        value = self._typed(key, str, "a string", secret=secret)
        if not isinstance(value, str):
            return None
        if not allow_empty and not value.strip():
            self.problem(key, "must not be empty")
            return None
        bad = control_character(value, multiline=multiline)
        if bad is not None:
            self.problem(key, f"contains the control character {bad}")
            return None
        return value

    def integer(self, key: str, default: int, *, minimum: int, maximum: int) -> int:
        value = self._typed(key, int, "an integer")
        if not isinstance(value, int):
            return default
        if not minimum <= value <= maximum:
            self.problem(key, f"must be between {minimum} and {maximum}, got {value}")
            return default
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._typed(key, bool, "a boolean (true or false)")
        return value if isinstance(value, bool) else default

    def choice(self, key: str, enum_type: type[E], default: E) -> E:
        value = self._typed(key, str, "a string")
        if not isinstance(value, str):
            return default
        allowed = [str(member.value) for member in enum_type]
        for member in enum_type:
            if member.value == value:
                return member
        listed = ", ".join(f'"{a}"' for a in allowed)
        self.problem(
            key, f"{_short_repr(value)} is not allowed; use one of {listed}", did_you_mean(value, allowed)
        )
        return default

    def text_list(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._typed(key, list, "an array of strings")
        if not isinstance(value, list):
            return default
        if not value:
            self.problem(key, "must list at least one entry")
            return default
        items: list[str] = []
        for index, item in enumerate(value):
            path = self.path + (key, index)
            if not isinstance(item, str):
                self.collector.problem(path, f"expected a string, got {type_name(item)}")
            elif not item.strip():
                self.collector.problem(path, "must not be empty")
            elif (bad := control_character(item, multiline=False)) is not None:
                self.collector.problem(path, f"contains the control character {bad}")
            elif item in items:
                self.collector.problem(path, f"{_short_repr(item)} is listed twice")
            else:
                items.append(item)
        return tuple(items) if len(items) == len(value) else default

    def table(
        self, key: str, allowed: Collection[str], *, elsewhere: Mapping[str, str] | None = None
    ) -> Table:
        """A sub-table; a missing one reads as empty so defaults apply."""
        value = self._typed(key, dict, "a table")
        data = value if isinstance(value, dict) else {}
        broken = key in self.data and not isinstance(value, dict)
        return Table(self.collector, self.path + (key,), data, allowed, elsewhere=elsewhere, broken=broken)

    def tables(self, key: str, allowed: Collection[str]) -> Iterator[Table]:
        """The elements of an array of tables (``[[key]]``)."""
        value = self._typed(key, list, "an array of tables")
        if not isinstance(value, list):
            return
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield Table(self.collector, self.path + (key, index), item, allowed)
            else:
                self.problem(key, f"element {index + 1} must be a table, got {type_name(item)}")

    def string_or_list_table(self, key: str) -> dict[str, list[str]]:
        """A table whose values are one-line strings or arrays of them (e.g. business hours per day)."""
        value = self._typed(key, dict, "a table")
        if not isinstance(value, dict):
            return {}
        result: dict[str, list[str]] = {}
        for name, item in value.items():
            path = self.path + (key, name)
            items = item if isinstance(item, list) else [item]
            if not items or not all(isinstance(entry, str) for entry in items):
                wanted = "a string or an array of strings"
                self.collector.problem(path, f"expected {wanted}, got {type_name(item)}")
                continue
            bad = next((c for entry in items if (c := control_character(entry, multiline=False))), None)
            if bad is not None:
                self.collector.problem(path, f"contains the control character {bad}")
                continue
            result[name] = [str(entry) for entry in items]
        return result

    def string_table(self, key: str) -> dict[str, str]:
        """A table whose values must all be one-line strings (e.g. ``[keys]``)."""
        value = self._typed(key, dict, "a table")
        if not isinstance(value, dict):
            return {}
        result: dict[str, str] = {}
        for name, item in value.items():
            path = self.path + (key, name)
            if not isinstance(item, str):
                self.collector.problem(path, f"expected a string, got {type_name(item)}")
            elif (bad := control_character(item, multiline=False)) is not None:
                self.collector.problem(path, f"contains the control character {bad}")
            else:
                result[name] = item
        return result


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_repr(value: object) -> str:
    return _clip(repr(value))
