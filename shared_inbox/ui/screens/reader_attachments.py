"""Saving and opening attachments from the reader: blocking file IO, run in thread workers.

The file name always comes from :func:`shared_inbox.mail.attachments.safe_filename` (via
``AttachmentInfo.filename`` and ``save_attachment``); only the folder is the agent's choice.
"""

from __future__ import annotations

import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path

from textual.app import App

from shared_inbox.mail.attachments import AttachmentInfo, save_attachment, unique_path

Opener = Callable[[Path], bool]
_SAVE_TRIES = 5  # a file may appear between choosing a free name and creating it
# The folder the agent last saved to, per running app, so the next save offers it again.
_CHOSEN: weakref.WeakKeyDictionary[App[object], Path] = weakref.WeakKeyDictionary()


def default_download_dir(home: Path | None = None) -> Path:
    """~/Downloads when it exists, else the home folder."""
    base = home if home is not None else Path.home()
    downloads = base / "Downloads"
    return downloads if downloads.is_dir() else base


def download_dir(app: App[object]) -> Path:
    """Where this app saves attachments: the folder chosen last, else the default."""
    return _CHOSEN.get(app) or default_download_dir()


def remember_download_dir(app: App[object], folder: Path) -> None:
    _CHOSEN[app] = folder


def chosen_folder(answer: str) -> Path:
    """The folder the agent typed, with ~ expanded; raises NotADirectoryError when it is not one."""
    folder = Path(answer.strip()).expanduser()
    if not answer.strip() or not folder.is_dir():
        raise NotADirectoryError(f"{answer.strip() or '(empty)'} is not a folder")
    return folder.resolve()


def save_into(raw: bytes, info: AttachmentInfo, folder: Path) -> Path:
    """Save the attachment under its safe name, numbered "(1)", "(2)"... instead of overwriting."""
    for _ in range(_SAVE_TRIES):
        free = unique_path(folder / info.filename)
        try:
            return save_attachment(raw, info.index, folder, filename=free.name)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free name for {info.filename} in {folder}")


def open_copy(raw: bytes, info: AttachmentInfo, opener: Opener) -> tuple[Path, bool]:
    """Save a private copy (a fresh 0700 folder) and hand it to the system opener.

    The copy is left in place: the opener runs detached and may read the file much later.
    Returns the copy's path and whether an opener was found.
    """
    folder = Path(tempfile.mkdtemp(prefix="shared-inbox-"))
    path = save_into(raw, info, folder)
    return path, opener(path)
