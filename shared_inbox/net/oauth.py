"""OAuth2 sign-in (SASL XOAUTH2 and OAUTHBEARER, RFC 7628) shared by IMAP and SMTP.

An access token is asked for only when a connection signs in, and once more when
the server rejects it (it may have expired since the helper cached it). Tokens
never appear in errors, logs or process arguments.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial

from shared_inbox.config.errors import PasswordError
from shared_inbox.config.model import Auth, ConnectionConfig
from shared_inbox.config.passwords import resolve_token
from shared_inbox.net.errors import AuthError, MailServerError

XOAUTH2 = "XOAUTH2"
OAUTHBEARER = "OAUTHBEARER"

HELPER_ADVICE = "check that the token helper signs in as that user with the mail scopes"
TokenSource = Callable[[], str]  # each call yields a current access token; raises PasswordError


def _ignore(token: str) -> None:
    return None


@dataclass(frozen=True)
class OAuthLogin:
    """How a connection signs in with OAuth2: `mechanism` is "auto", "xoauth2" or "oauthbearer".

    `refused` is told of a token the server rejected, so a source that caches tokens
    hands out a fresh one on the next call.
    """

    tokens: TokenSource = field(repr=False)
    mechanism: str = "auto"
    refused: Callable[[str], None] = field(default=_ignore, repr=False)
    # What to do when even a fresh token is refused; "{user}" is the mailbox user.
    advice: str = HELPER_ADVICE


def oauth_login_for(conn: ConnectionConfig) -> OAuthLogin | None:
    """How `conn` signs in with OAuth2, or None when it uses a password."""
    if conn.auth is not Auth.OAUTH2:
        return None
    return OAuthLogin(partial(resolve_token, conn), conn.oauth2_mechanism.value)


def choose_mechanism(wanted: str, offered: Collection[str], where: str) -> str:
    """The SASL mechanism to use, given what the server advertises (upper-case names)."""
    offered = {name.upper() for name in offered}
    if wanted != "auto":
        name = wanted.upper()
        if name not in offered:
            raise AuthError(
                f"The {where} does not offer {name} sign-in; set oauth2_mechanism = "
                f'"{_other(name).lower()}" or "auto".'
                if _other(name) in offered
                else f'The {where} does not offer OAuth2 sign-in; set auth = "password".'
            )
        return name
    for name in (OAUTHBEARER, XOAUTH2):
        if name in offered:
            return name
    raise AuthError(f'The {where} does not offer OAuth2 sign-in; set auth = "password".')


def _other(name: str) -> str:
    return XOAUTH2 if name == OAUTHBEARER else OAUTHBEARER


class TokenUnavailable(MailServerError):
    """The token source failed. Unlike a refused password this is worth retrying later: the
    helper may be offline for a moment, or the user may sign it in again meanwhile."""


def fetch_token(tokens: TokenSource) -> str:
    """A token, with a failing token source turned into one sentence (TokenUnavailable)."""
    try:
        return tokens()
    except PasswordError as exc:
        raise TokenUnavailable(f"No OAuth2 access token: {exc}.") from None


def xoauth2_response(user: str, token: str) -> bytes:
    """The client's first XOAUTH2 message (before base64)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def oauthbearer_response(user: str, token: str, host: str = "", port: int | None = None) -> bytes:
    """The client's first OAUTHBEARER message (RFC 7628 section 3.1, before base64)."""
    authzid = user.replace("=", "=3D").replace(",", "=2C")
    extras = (f"host={host}\x01" if host else "") + (f"port={port}\x01" if port else "")
    return f"n,a={authzid},\x01{extras}auth=Bearer {token}\x01\x01".encode()


def encoded(response: bytes) -> bytes:
    return base64.b64encode(response)


def rejected_twice(kind: str, user: str, said: str, login: OAuthLogin | None = None) -> str:
    """The sentence for a token the server refused even after a fresh one was fetched."""
    advice = (login.advice if login is not None else HELPER_ADVICE).replace("{user}", user)
    return f"The {kind} server refused the OAuth2 access token for user {user} ({said}); {advice}."
