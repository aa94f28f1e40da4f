"""Where the refresh token of the built-in sign-in is kept between runs.

The system keyring when one is usable (the optional `keyring` package with a real
backend), else a file beside the store that is created 0600 from its first byte and
replaced atomically, so it is never readable by others, not even for a moment.
Access tokens are never stored: they live in memory only.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared_inbox.config.model import KEYRING_SERVICE, Config, TokenStore
from shared_inbox.store.files import FILE_MODE, atomic_write, fsync_dir, make_private_dir


class StorageError(Exception):
    """The refresh token could not be kept or read; the message says what to do."""


@dataclass(frozen=True)
class SavedSignIn:
    """A signed-in identity: who, and the refresh token that keeps them signed in."""

    identity: str
    refresh_token: str = field(repr=False)
    client_id: str = ""
    saved_at: float = 0.0  # seconds since the epoch

    def to_json(self) -> str:
        return json.dumps(
            {
                "identity": self.identity,
                "refresh_token": self.refresh_token,
                "client_id": self.client_id,
                "saved_at": self.saved_at,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> SavedSignIn | None:
        try:
            data: Any = json.loads(text)
            return cls(
                identity=str(data["identity"]),
                refresh_token=str(data["refresh_token"]),
                client_id=str(data.get("client_id", "")),
                saved_at=float(data.get("saved_at", 0)),
            )
        except (ValueError, KeyError, TypeError):
            return None


class TokenStorage:
    """The keyring entry or the private file for one configuration's sign-in."""

    def __init__(self, path: Path, keyring_user: str, mode: TokenStore) -> None:
        self.path = path
        self.keyring_user = keyring_user
        self.mode = mode

    @classmethod
    def for_config(cls, config: Config) -> TokenStorage:
        client = config.oauth2
        mode = client.token_store if client is not None else TokenStore.FILE
        client_id = client.client_id if client is not None else ""
        store = config.store.path
        return cls(
            store.parent / f"{store.name}.oauth2.json", f"oauth2:{client_id}:{config.imap.username}", mode
        )

    def where(self) -> str:
        """Where the next save goes, in words."""
        return "the system keyring" if self._keyring() is not None else f"the file {self.path}"

    def load(self) -> SavedSignIn | None:
        keyring = self._keyring()
        if keyring is not None:
            try:
                text = keyring.get_password(KEYRING_SERVICE, self.keyring_user)
            except Exception as exc:  # noqa: BLE001 - any backend failure (locked, D-Bus down)
                raise StorageError(f"The system keyring could not be read ({type(exc).__name__}).") from None
            if text:
                return SavedSignIn.from_json(str(text))
        if self.mode is TokenStore.KEYRING:
            return None
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"The sign-in file {self.path} cannot be read ({exc.strerror}).") from None
        return SavedSignIn.from_json(text)

    def save(self, saved: SavedSignIn) -> str:
        """Keep `saved`; returns where it went, in words."""
        keyring = self._keyring()
        if keyring is not None:
            try:
                keyring.set_password(KEYRING_SERVICE, self.keyring_user, saved.to_json())
            except Exception as exc:  # noqa: BLE001 - any backend failure
                if self.mode is TokenStore.KEYRING:
                    raise StorageError(
                        f"The system keyring refused the sign-in ({type(exc).__name__}); "
                        'set oauth2.token_store = "file" to keep it in a private file.'
                    ) from None
            else:
                self._remove_file()  # an older sign-in must not linger in a file
                return "the system keyring"
        try:
            make_private_dir(self.path.parent)
            atomic_write(self.path, saved.to_json().encode())
        except OSError as exc:
            raise StorageError(f"The sign-in could not be saved to {self.path} ({exc.strerror}).") from None
        return f"the file {self.path}"

    def forget(self) -> bool:
        """Remove the sign-in wherever it is; True when there was one."""
        found = False
        keyring = self._keyring()
        if keyring is not None:
            with contextlib.suppress(Exception):  # an absent entry raises in some backends
                if keyring.get_password(KEYRING_SERVICE, self.keyring_user):
                    keyring.delete_password(KEYRING_SERVICE, self.keyring_user)
                    found = True
        return self._remove_file() or found

    def _remove_file(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(f"The sign-in file {self.path} cannot be removed ({exc.strerror}).") from None
        fsync_dir(self.path.parent)
        return True

    def _keyring(self) -> Any:
        """The keyring module when it may be used and has a real backend, else None."""
        if self.mode is TokenStore.FILE:
            return None
        keyring = usable_keyring()
        if keyring is None and self.mode is TokenStore.KEYRING:
            raise StorageError(
                'oauth2.token_store = "keyring" but no usable system keyring was found '
                "(pip install 'shared-inbox[keyring]'), or set it to \"file\"."
            )
        return keyring


def usable_keyring() -> Any:
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken configuration means no keyring
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return keyring


__all__ = ["FILE_MODE", "SavedSignIn", "StorageError", "TokenStorage", "usable_keyring"]
