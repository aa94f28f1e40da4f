"""Errors the store raises; each message is a sentence a user can act on."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for every problem with the local store."""


class StoreLocked(StoreError):
    """Another process has the store open; two writers would corrupt it."""


class StoreCorrupt(StoreError):
    """A store file cannot be read; the message names the file."""


class StoreTooNew(StoreError):
    """The store was written by a newer shared-inbox; reading it could lose data."""


class StoreNotFound(StoreError):
    """There is no store at the path and creating one was not allowed."""


class StoreUnusable(StoreError):
    """The store's directory cannot be created or written (a file in the way, no permission)."""


def unusable_message(path: object, exc: OSError) -> str:
    """One sentence naming the store path and the operating system's reason."""
    reason = exc.strerror or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
    advice = "set [store] path to a directory you can write"
    return f"The store at {path} cannot be used: {reason.lower()}{where}; {advice}."
