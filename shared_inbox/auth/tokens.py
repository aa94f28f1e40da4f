"""Access tokens for IMAP and SMTP sign-in: from `oauth2_token_command`, or from the built-in sign-in.

The built-in source keeps the access token in memory only, refreshes it shortly before
it expires (by the clock it is given) and once more when a server rejects it. One
source serves every connection of the process, so IMAP and SMTP share one refresh.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared_inbox.auth.errors import LOGIN_ADVICE, SignInNeeded
from shared_inbox.auth.storage import StorageError, TokenStorage
from shared_inbox.config.model import Auth, Config, ConnectionConfig
from shared_inbox.net.oauth import OAuthLogin, TokenUnavailable, oauth_login_for
from shared_inbox.wallclock import Now, utc_now

if TYPE_CHECKING:  # the HTTP client loads on the first built-in sign-in, not at every start
    from shared_inbox.auth.client import ProviderClient, Tokens

REFRESH_MARGIN = timedelta(minutes=2)  # before expiry, a token counts as used up
DEFAULT_LIFETIME = 3600.0  # seconds, when the provider does not say; a rejection refreshes earlier


class BuiltInTokens:
    """A token source (call it for a current access token) backed by the stored refresh token."""

    def __init__(self, client: ProviderClient, storage: TokenStorage, now: Now = utc_now) -> None:
        self.client = client
        self.storage = storage
        self.now = now
        self._lock = threading.Lock()
        self._access = ""
        self.expires_at: datetime | None = None  # None: no access token held
        self.refreshes = 0

    def __call__(self) -> str:
        with self._lock:
            if self._access and self.expires_at is not None and self.now() < self.expires_at - REFRESH_MARGIN:
                return self._access
            return self._refresh()

    def refused(self, token: str) -> None:
        """A server rejected `token`: the next call fetches a new one."""
        with self._lock:
            if token == self._access:
                self._drop()

    def forget_access(self) -> None:
        """Drop the access token held (after signing out)."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        self._access = ""
        self.expires_at = None

    def accept(self, tokens: Tokens) -> None:
        """Hold the access token a fresh sign-in brought, so its first use needs no refresh."""
        with self._lock:
            self._hold(tokens)

    def _hold(self, tokens: Tokens) -> None:
        self._access = tokens.access_token
        self.expires_at = self.now() + timedelta(seconds=tokens.expires_in or DEFAULT_LIFETIME)

    def _refresh(self) -> str:
        try:
            saved = self.storage.load()
        except StorageError as exc:
            raise TokenUnavailable(str(exc)) from None
        if saved is None:
            raise SignInNeeded(f"Nobody is signed in to the mail provider yet; {LOGIN_ADVICE}.")
        if saved.client_id and saved.client_id != self.client.settings.client_id:
            raise SignInNeeded(f"The sign-in was made for another oauth2.client_id; {LOGIN_ADVICE}.")
        tokens = self.client.refresh(saved.refresh_token)
        self.refreshes += 1
        if tokens.refresh_token != saved.refresh_token:  # the provider rotated it: keep the new one
            try:
                rotated = replace(saved, refresh_token=tokens.refresh_token, saved_at=self.now().timestamp())
                self.storage.save(rotated)
            except StorageError as exc:
                raise TokenUnavailable(str(exc)) from None
        self._hold(tokens)
        return self._access


_SOURCES: dict[tuple[object, ...], BuiltInTokens] = {}
_SOURCES_LOCK = threading.Lock()


def built_in_tokens(config: Config) -> BuiltInTokens:
    """The process's one built-in token source for `config` (its [oauth2] section must be set)."""
    client = config.oauth2
    if client is None:
        raise SignInNeeded("No [oauth2] client is configured; add one with the client_id you registered.")
    from shared_inbox.auth.client import ProviderClient

    storage = TokenStorage.for_config(config)
    key = (client, storage.path, storage.keyring_user)
    with _SOURCES_LOCK:
        source = _SOURCES.get(key)
        if source is None:
            source = _SOURCES[key] = BuiltInTokens(ProviderClient(client), storage)
        return source


def oauth_login(config: Config, conn: ConnectionConfig) -> OAuthLogin | None:
    """How `conn` signs in with OAuth2 (a token command wins over the built-in sign-in), or None."""
    if conn.auth is not Auth.OAUTH2:
        return None
    if conn.token is not None:
        return oauth_login_for(conn)
    source = built_in_tokens(config)
    advice = "the server may not grant the scopes asked for, or the sign-in was made as someone else: "
    advice += "sign in as {user} with `shared-inbox auth login`"
    return OAuthLogin(source, conn.oauth2_mechanism.value, refused=source.refused, advice=advice)
