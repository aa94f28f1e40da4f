"""Attachments: safe file names, their decoded bytes, saving them, opening them.

A file name in mail is chosen by the sender, so it is treated as hostile: :func:`safe_filename`
reduces it to a plain base name that cannot leave the target directory, hide its real
extension or name a device, and :func:`save_attachment` still checks where the file lands,
never follows a symbolic link and never overwrites unless asked.
"""

from __future__ import annotations

import contextlib
import errno
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from shared_inbox.mail.mime_tree import Leaf, read_structure
from shared_inbox.mail.sanitize import clean_line

__all__ = [
    "MAX_FILENAME_BYTES",
    "AttachmentInfo",
    "attachment_bytes",
    "attachment_infos",
    "fallback_filename",
    "open_with_system",
    "safe_filename",
    "save_attachment",
    "unique_path",
]

# Well under the common 255-byte limit, leaving room for " (99)" from unique_path.
MAX_FILENAME_BYTES = 200
_MAX_UNIQUE_TRIES = 10_000
_FILE_MODE = 0o600
_WINDOWS_UNSAFE = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"com{n}" for n in "123456789¹²³"}
    | {f"lpt{n}" for n in "123456789¹²³"}
)
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,16}$")  # what counts as an extension worth keeping
# The types every mail client meets, so names do not depend on the machine's mime.types.
_EXTENSIONS = {
    "message/rfc822": ".eml",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "image/jpeg": ".jpg",
    "application/pgp-signature": ".asc",
    "application/pkcs7-signature": ".p7s",
    "message/delivery-status": ".txt",
}
_BUILTIN_TYPES = mimetypes.MimeTypes(filenames=())  # built-in table only: the same on every machine


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """What a reader needs to know about one attachment; ``index`` is what the functions here take."""

    index: int
    part: str  # IMAP section number, e.g. "2" or "1.3"
    filename: str  # already safe: see safe_filename
    content_type: str
    size: int  # decoded bytes
    is_inline: bool


def human_size(size: int) -> str:
    """1 decimal for kB and MB, whole bytes below 1 kB: how mail clients show sizes."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} kB"
    return f"{size / (1024 * 1024):.1f} MB"


def attachment_infos(attachments: tuple[Leaf, ...]) -> tuple[AttachmentInfo, ...]:
    """Describe attachment parts in document order, with safe names."""
    return tuple(
        AttachmentInfo(
            index=index,
            part=leaf.part,
            filename=safe_filename(leaf.filename, fallback_filename(index, leaf.content_type)),
            content_type=leaf.content_type,
            size=len(leaf.payload),
            is_inline=_is_inline(leaf),
        )
        for index, leaf in enumerate(attachments)
    )


def _is_inline(leaf: Leaf) -> bool:
    if leaf.disposition is not None:
        return leaf.disposition == "inline"
    return leaf.in_related


def fallback_filename(index: int, content_type: str) -> str:
    """A name for an attachment that has none: ``attachment-2.pdf`` (numbered from 1)."""
    extension = _EXTENSIONS.get(content_type) or _BUILTIN_TYPES.guess_extension(content_type) or ".bin"
    return f"attachment-{index + 1}{extension}"


def safe_filename(name: str | None, fallback: str) -> str:
    """A sender's file name reduced to a safe base name; ``fallback`` (made safe too) if nothing is left.

    No directory parts, no ``..``, no leading dots, no control, bidi or invisible characters,
    no characters Windows forbids, no device names, at most :data:`MAX_FILENAME_BYTES` bytes of
    UTF-8 with the extension kept.
    """
    cleaned = _clean_name(name or "")
    if cleaned:
        return cleaned
    return _clean_name(fallback) or "attachment.bin"


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", clean_line(name[:4096]))
    name = re.split(r"[/\\]", name)[-1]
    name = _WINDOWS_UNSAFE.sub("_", name)
    name = name.strip(" .")  # no hidden files, no "..", no trailing dots Windows would drop
    if not name:
        return ""
    if name.partition(".")[0].rstrip(" ").lower() in _WINDOWS_RESERVED:
        name = "_" + name
    return _cap_length(name)


def _cap_length(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_FILENAME_BYTES:
        return name
    match = _EXTENSION.search(name)
    extension = match.group(0) if match else ""
    stem = name[: len(name) - len(extension)]
    room = MAX_FILENAME_BYTES - len(extension.encode("utf-8"))
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
    return (stem or "attachment") + extension


def attachment_bytes(raw: bytes, index: int) -> bytes:
    """The decoded content of attachment ``index`` (as numbered by ``ReadMessage.attachments``)."""
    attachments = read_structure(raw).attachments
    if not 0 <= index < len(attachments):
        raise IndexError(f"the message has no attachment number {index} ({len(attachments)} attachments)")
    return attachments[index].payload


def save_attachment(
    raw: bytes, index: int, directory: Path, *, overwrite: bool = False, filename: str | None = None
) -> Path:
    """Write attachment ``index`` into ``directory`` (mode 0600) and return the file's path.

    The name is the attachment's safe name, or ``filename`` (made safe the same way) when the
    reader chose another, for example one from :func:`unique_path`. Raises
    :class:`FileExistsError` rather than overwrite an existing file unless ``overwrite`` is set;
    a symbolic link in the way is never followed.
    """
    attachments = read_structure(raw).attachments
    if not 0 <= index < len(attachments):
        raise IndexError(f"the message has no attachment number {index} ({len(attachments)} attachments)")
    leaf = attachments[index]
    default_name = safe_filename(leaf.filename, fallback_filename(index, leaf.content_type))
    name = safe_filename(filename, default_name) if filename is not None else default_name
    folder = directory.resolve(strict=True)
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(directory))
    target = folder / name
    if target.parent != folder or name in (".", ".."):  # safe_filename guarantees this; verify anyway
        raise ValueError(f"refusing to write outside {folder}")
    if overwrite:
        _replace_file(target, leaf.payload)
    else:
        _create_file(target, leaf.payload)
    return target


def _create_file(target: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(target, flags, _FILE_MODE)
    except FileExistsError:
        raise FileExistsError(
            errno.EEXIST, "a file with this name already exists; not overwritten", str(target)
        ) from None
    try:
        with os.fdopen(descriptor, "wb") as output:
            output.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise


def _replace_file(target: Path, data: bytes) -> None:
    """Write a temporary file next to the target and rename it over; a symlink there is replaced."""
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".saving-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as output:
            output.write(data)
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def unique_path(path: Path) -> Path:
    """``path`` if nothing is there yet, else the first free ``name (1).ext``, ``name (2).ext``..."""
    if not os.path.lexists(path):
        return path
    match = _EXTENSION.search(path.name)
    extension = match.group(0) if match else ""
    stem = path.name[: len(path.name) - len(extension)]
    for number in range(1, _MAX_UNIQUE_TRIES + 1):
        candidate = path.with_name(f"{stem} ({number}){extension}")
        if not os.path.lexists(candidate):
            return candidate
    raise FileExistsError(errno.EEXIST, "no free name found", str(path))


def open_with_system(path: Path) -> bool:
    """Open a saved file with the desktop's default program; False when there is no opener.

    Runs ``xdg-open`` (``open`` on macOS) directly, never through a shell, detached from the
    terminal, with an absolute path so a name cannot be read as an option.
    """
    opener = shutil.which("open" if sys.platform == "darwin" else "xdg-open")
    if opener is None:
        return False
    try:
        process = subprocess.Popen(
            [opener, str(Path(path).resolve())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        return False
    # Reap the opener whenever it exits, without making the caller wait for it.
    threading.Thread(target=process.wait, name="opener-reaper", daemon=True).start()
    return True
