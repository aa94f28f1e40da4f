"""Sync progress for the terminal: a Rich bar on a TTY, plain lines otherwise."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text


class SyncProgress:
    """Callable progress sink for FolderSync; use as a context manager."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.live = self.stream.isatty() and not quiet
        self._bar: Progress | None = None
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._last_line: dict[tuple[str, str], int] = {}

    def __enter__(self) -> SyncProgress:
        if self.live:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, folder: str, phase: str, done: int, total: int) -> None:
        if self.quiet or total == 0:
            return
        key = (folder, phase)
        if self._bar is not None:
            if key not in self._tasks:
                # Folder names come from the server: never let them be parsed as markup.
                label = Text(f"{folder} {phase}").markup
                self._tasks[key] = self._bar.add_task(label, total=total)
            self._bar.update(self._tasks[key], completed=done, total=total)
            return
        step = max(1, total // 10)
        last = self._last_line.get(key, -step)
        if done == total or done - last >= step:
            self._last_line[key] = done
            safe = folder.encode("ascii", "backslashreplace").decode("ascii")
            print(f"{safe}: {phase} {done}/{total}", file=self.stream, flush=True)
