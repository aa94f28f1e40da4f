"""Editing the reply's text in the agent's own editor ($VISUAL or $EDITOR).

The text goes through a private temporary file (mode 0600: replies can hold customer data),
and the editor runs without a shell, so nothing in the environment variable is interpreted
beyond splitting it into words.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

from textual.app import SuspendNotSupported

DEFAULT_EDITOR = "vi"
SuspendFactory = Callable[[], AbstractContextManager[None]]


@dataclass(frozen=True)
class EditOutcome:
    """The edited text, or the unchanged text and why the edit was not taken."""

    text: str
    problem: str | None = None


def editor_command(environ: Mapping[str, str]) -> list[str]:
    """The editor to run, as words: $VISUAL, else $EDITOR, else vi."""
    for name in ("VISUAL", "EDITOR"):
        value = environ.get(name, "").strip()
        if value:
            return shlex.split(value)
    return [DEFAULT_EDITOR]


def edit_text(text: str, *, suspend: SuspendFactory, environ: Mapping[str, str] | None = None) -> EditOutcome:
    """Let the agent edit `text` in their editor; a failed editor leaves `text` as it was.

    `suspend` hands the terminal over to the editor (the app's `suspend`); where the terminal
    cannot be handed over (a headless run) the editor runs without it.
    """
    try:
        command = editor_command(os.environ if environ is None else environ)
    except ValueError as exc:
        return EditOutcome(text, f"The editor setting cannot be read: {exc}.")
    descriptor, path = tempfile.mkstemp(prefix="shared-inbox-", suffix=".txt")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            returncode = _run(command + [path], suspend)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return EditOutcome(text, f"The editor {command[0]!r} could not be started: {reason}.")
        if returncode != 0:
            return EditOutcome(text, f"The editor exited with status {returncode}; the text is unchanged.")
        with open(path, encoding="utf-8", errors="replace") as handle:
            return EditOutcome(handle.read())
    finally:
        os.unlink(path)


def _run(command: list[str], suspend: SuspendFactory) -> int:
    try:
        with suspend():
            return subprocess.run(command, check=False).returncode
    except SuspendNotSupported:
        return subprocess.run(command, check=False).returncode
