"""Validation of the [oauth2] section: the client the admin registered for the built-in sign-in.

The provider preset fills the endpoints and scopes before this runs (see providers.py), so
a Microsoft 365 or Google config needs only `client_id` (and Google's `client_secret`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from shared_inbox.config.connections import is_loopback
from shared_inbox.config.model import OAuthClientConfig, TokenStore
from shared_inbox.config.reader import Table

OAUTH2_KEYS = frozenset(
    {
        "client_id",
        "client_secret",
        "token_url",
        "device_url",
        "authorize_url",
        "revocation_url",
        "scopes",
        "token_store",
    }
)
_URL_KEYS = ("token_url", "device_url", "authorize_url", "revocation_url")


def read_oauth_client(root: Table, *, used: bool) -> OAuthClientConfig | None:
    """The [oauth2] section, or None when absent; `used` says whether a connection signs in with it."""
    if not root.has("oauth2"):
        return None
    table = root.table("oauth2", OAUTH2_KEYS)
    client_id = table.required_text("client_id", what="the application (client) id you registered")
    secret = table.optional_text("client_secret", secret=True) or ""
    urls = {key: _url(table, key) for key in _URL_KEYS}
    if not table.has("token_url"):
        table.problem(None, "missing token_url", "set token_url, or account.provider to a known provider")
    if table.has("token_url") and not (urls["device_url"] or urls["authorize_url"]):
        table.problem(
            None,
            "neither device_url nor authorize_url is set, so there is no way to sign in",
            "set device_url (device-code sign-in) or authorize_url (sign-in in a browser)",
        )
    scopes = table.text_list("scopes", ())
    if not scopes:
        table.problem("scopes", "no scopes are set", 'e.g. scopes = ["https://mail.example.com/"]')
    if not used:
        table.warn("client_id", 'no connection uses it: set auth = "oauth2" in [imap] and [smtp]')
    return OAuthClientConfig(
        client_id=client_id,
        client_secret=secret,
        token_url=urls["token_url"],
        device_url=urls["device_url"],
        authorize_url=urls["authorize_url"],
        revocation_url=urls["revocation_url"],
        scopes=scopes,
        token_store=table.choice("token_store", TokenStore, TokenStore.AUTO),
    )


def _url(table: Table, key: str) -> str:
    """An https URL (plain http only to a loopback host, e.g. a provider on this machine)."""
    raw = table.optional_text(key)
    if raw is None:
        return ""
    parts = urlsplit(raw)
    if parts.scheme == "https" and parts.hostname:
        return raw
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return raw
    table.problem(
        key, f"{raw!r} is not an https URL", "write the whole URL, e.g. https://login.example.com/token"
    )
    return ""
