"""Files the agent attaches by typing a path: checked and read once, when attached.

Reading the file at once means what the composer lists is exactly what is sent, even if the
file changes or disappears before the agent presses send.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from pathlib import Path

from shared_inbox.mail.attachments import human_size
from shared_inbox.mail.compose import OutgoingAttachment

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # what common mail providers accept per message


class AttachmentError(ValueError):
    """A path that cannot be attached, phrased for the agent."""


def load_attachment(typed: str, *, limit: int = MAX_ATTACHMENT_BYTES) -> OutgoingAttachment:
    """The file at the typed path (``~`` expanded): a readable regular file of at most `limit` bytes."""
    text = typed.strip()
    if not text:
        raise AttachmentError("Type the path of a file to attach.")
    path = Path(text).expanduser()
    try:
        info = path.stat()
    except OSError:
        raise AttachmentError(f"There is no file at {text}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise AttachmentError(f"{text} is not a regular file.")
    if info.st_size > limit:
        size, most = human_size(info.st_size), human_size(limit)
        raise AttachmentError(f"{path.name} is {size}; at most {most} can be sent.")
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise AttachmentError(f"{text} cannot be read: {exc.strerror or exc}.") from None
    if len(data) > limit:  # it grew after the check
        raise AttachmentError(f"{path.name} is larger than {human_size(limit)}.")
    content_type = mimetypes.guess_type(path.name, strict=False)[0] or "application/octet-stream"
    return OutgoingAttachment(filename=os.path.basename(path), data=data, content_type=content_type)
