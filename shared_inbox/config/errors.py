"""Configuration problems, reported all at once with file positions and hints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the configuration.

    `path` is the dotted key (e.g. ``team.members[1].email``), empty for the file
    as a whole; `line` is 1-based when it could be located.
    """

    path: str
    line: int | None
    message: str
    hint: str | None = None

    def format(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        key = f"{self.path}: " if self.path else ""
        text = f"{where}{key}{self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every reason found."""

    def __init__(self, problems: Sequence[Problem], *, source: str = "<config>") -> None:
        # In file order, so the report reads top to bottom; problems without a line go last.
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        self.source = source
        super().__init__(self._report())

    def _report(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{self.source}: {count} configuration {noun}:"]
        lines.extend("  " + p.format() for p in self.problems)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._report()


class ConfigNotFound(ConfigError):
    """No configuration file where one was expected; front ends may offer a template."""


class PasswordError(Exception):
    """A password could not be obtained. The message names the config key, never the secret."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"{key}: {reason}")
