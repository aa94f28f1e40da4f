"""Where the refresh token is kept: the system keyring when one is usable, else a private file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared_inbox.auth.storage import SavedSignIn, StorageError, TokenStorage
from shared_inbox.config.model import KEYRING_SERVICE, TokenStore

keyring = pytest.importorskip("keyring")
from keyring.backend import KeyringBackend  # noqa: E402 - only with the optional package
from keyring.backends import fail  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """A keyring backend in memory (the tests' stand-in for Secret Service or the Keychain)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.entries[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_a_usable_keyring_holds_the_sign_in_and_no_file_is_written(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    storage = TokenStorage(tmp_path / "store.oauth2.json", "oauth2:x:ann", TokenStore.AUTO)
    storage.path.write_text("{}")  # an older file sign-in is removed once the keyring has it

    assert storage.save(SavedSignIn("ann", "refresh-1", "x", 1.0)) == "the system keyring"

    assert not storage.path.exists()
    [(service, user)] = memory_keyring.entries
    assert (service, user) == (KEYRING_SERVICE, "oauth2:x:ann")
    saved = storage.load()
    assert saved is not None and saved.refresh_token == "refresh-1"
    assert storage.forget() and memory_keyring.entries == {}


def test_without_a_usable_keyring_the_file_is_used_unless_the_keyring_is_required(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        auto = TokenStorage(tmp_path / "a.oauth2.json", "oauth2:x:ann", TokenStore.AUTO)
        assert auto.save(SavedSignIn("ann", "r", "x")) == f"the file {auto.path}"
        required = TokenStorage(tmp_path / "k.oauth2.json", "oauth2:x:ann", TokenStore.KEYRING)
        with pytest.raises(StorageError) as raised:
            required.save(SavedSignIn("ann", "r", "x"))
    finally:
        keyring.set_keyring(previous)
    assert 'token_store = "keyring" but no usable system keyring' in str(raised.value)
