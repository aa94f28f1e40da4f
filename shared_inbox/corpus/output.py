"""Writing generated mail to disk as an mbox file or a directory of .eml files.

File names come from a counter and a fixed set of folder names, never from message
content, so hostile headers cannot steer where anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_SAFE_FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def write_eml_dir(messages: Iterable[tuple[str, bytes]], out_dir: Path) -> dict[str, int]:
    """Write each message to `out_dir/<folder>/<n>.eml`; returns the count per folder."""
    counts: dict[str, int] = {}
    for folder, raw in messages:
        if not _SAFE_FOLDER.match(folder):
            raise ValueError(f"folder name not usable as a directory: {folder!r}")
        number = counts.get(folder, 0) + 1
        counts[folder] = number
        directory = out_dir / folder
        if number == 1:
            directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{number:06d}.eml").write_bytes(raw)
    return counts


def write_mbox(messages: Iterable[bytes], path: Path, sender: str = "MAILER-DAEMON") -> int:
    """Write messages to one mboxrd file (LF line endings, ">From " quoting); returns the count."""
    count = 0
    with path.open("wb") as out:
        for raw in messages:
            body = _FROM_LINE.sub(rb">\1", raw.replace(b"\r\n", b"\n"))
            out.write(f"From {sender} Thu Jan  1 00:00:00 1970\n".encode())
            out.write(body if body.endswith(b"\n") else body + b"\n")
            out.write(b"\n")
            count += 1
    return count
