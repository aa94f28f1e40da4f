"""Signing in to the mail provider with the built-in OAuth2 client: `auth login`, `auth status`,
`auth logout`. The refresh token is kept (keyring or private file); access tokens stay in memory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared_inbox.auth.client import DeviceCode, ProviderClient, SignInNeeded
from shared_inbox.auth.flows import browser_sign_in, device_sign_in, identity_of
from shared_inbox.auth.storage import SavedSignIn, StorageError, TokenStorage
from shared_inbox.auth.tokens import built_in_tokens
from shared_inbox.config import Config
from shared_inbox.config.model import Auth
from shared_inbox.net.errors import MailServerError
from shared_inbox.wallclock import Now, utc_now

__all__ = ["DeviceCode", "SignInError", "SignInStatus", "sign_in", "sign_in_status", "sign_out"]


class SignInError(Exception):
    """One sentence saying why signing in (or out) did not work and what to do."""


@dataclass(frozen=True)
class SignInStatus:
    identity: str
    kept_in: str
    expires_at: datetime | None  # of the current access token


def _client(config: Config) -> ProviderClient:
    if config.oauth2 is None:
        uses_command = any(
            conn.auth is Auth.OAUTH2 and conn.token is not None for conn in (config.imap, config.smtp)
        )
        if uses_command:
            raise SignInError(
                "This configuration gets its tokens from oauth2_token_command; sign in with that helper."
            )
        raise SignInError(
            "No [oauth2] client is configured; add one with the client_id you registered "
            "(docs/providers.md), then run `shared-inbox auth login`."
        )
    return ProviderClient(config.oauth2)


def sign_in(
    config: Config,
    *,
    browser: bool = False,
    show_code: Callable[[DeviceCode], None] = lambda device: None,
    open_url: Callable[[str], None] = lambda url: None,
    sleep: Callable[[float], None] = time.sleep,
    now: Now = utc_now,
) -> SignInStatus:
    """Run the device-code flow (or, with `browser`, the PKCE flow) and keep the refresh token."""
    client = _client(config)
    try:
        if browser:
            tokens = browser_sign_in(client, open_url)
        else:
            tokens = device_sign_in(client, show_code, sleep=sleep, now=now)
    except MailServerError as exc:
        raise SignInError(str(exc)) from None
    if not tokens.refresh_token:
        raise SignInError(
            "The provider gave no refresh token, so the sign-in would not last; "
            'add "offline_access" (Microsoft) to oauth2.scopes, or check the app registration.'
        )
    identity = identity_of(tokens, config.imap.username)
    storage = TokenStorage.for_config(config)
    saved = SavedSignIn(identity, tokens.refresh_token, client.settings.client_id, now().timestamp())
    try:
        kept_in = storage.save(saved)
    except StorageError as exc:
        raise SignInError(str(exc)) from None
    source = built_in_tokens(config)
    source.accept(tokens)
    return SignInStatus(identity, kept_in, source.expires_at)


def sign_in_status(config: Config) -> SignInStatus:
    """Who is signed in, and until when the access token holds (refreshing it if needed)."""
    _client(config)
    storage = TokenStorage.for_config(config)
    try:
        saved = storage.load()
    except StorageError as exc:
        raise SignInError(str(exc)) from None
    if saved is None:
        raise SignInError("Nobody is signed in; run `shared-inbox auth login`.")
    source = built_in_tokens(config)
    try:
        source()
    except MailServerError as exc:
        raise SignInError(str(exc)) from None
    return SignInStatus(saved.identity, storage.where(), source.expires_at)


def sign_out(config: Config) -> str:
    """Forget the stored sign-in (and revoke it where the provider can); says what was done."""
    client = _client(config)
    storage = TokenStorage.for_config(config)
    try:
        saved = storage.load()
        storage.forget()
    except StorageError as exc:
        raise SignInError(str(exc)) from None
    built_in_tokens(config).forget_access()
    if saved is None:
        return "Nobody was signed in."
    try:
        revoked = client.revoke(saved.refresh_token)
    except (MailServerError, SignInNeeded):
        return f"Signed out {saved.identity}; the provider could not be told (the token is forgotten here)."
    if revoked:
        return f"Signed out {saved.identity}; the provider revoked the refresh token."
    return f"Signed out {saved.identity}."
