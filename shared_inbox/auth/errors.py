"""The sign-in's one sentence when a new sign-in is needed, kept apart from the HTTP client.

Every connection setup meets these names; the client (authlib, requests) loads only when a
token is actually asked of the provider, which keeps commands that never sign in fast.
"""

from __future__ import annotations

from shared_inbox.net.errors import AuthError

LOGIN_ADVICE = "run `shared-inbox auth login`"


class SignInNeeded(AuthError):
    """The stored sign-in cannot give tokens any more (revoked, expired, never made)."""
