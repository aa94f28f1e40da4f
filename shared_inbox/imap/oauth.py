"""IMAP sign-in with an OAuth2 access token, retried once with a fresh token when refused."""

from __future__ import annotations

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from shared_inbox.net.errors import AuthError
from shared_inbox.net.oauth import OAUTHBEARER, OAuthLogin, choose_mechanism, fetch_token, rejected_twice


def oauth_login(client: IMAPClient, user: str, login: OAuthLogin, where: str) -> None:
    """AUTHENTICATE with XOAUTH2 or OAUTHBEARER. Raises AuthError with one sentence."""
    offered = [
        name.decode("ascii", "replace")[5:]
        for name in client.capabilities()
        if name.upper().startswith(b"AUTH=")
    ]
    mechanism = choose_mechanism(login.mechanism, offered, where)
    said = ""
    for _ in range(2):  # a refused token may have expired since the helper cached it: one fresh try
        token = fetch_token(login.tokens)
        try:
            if mechanism == OAUTHBEARER:
                client.oauthbearer_login(user, token)
            else:
                client.oauth2_login(user, token)
        except LoginError as exc:
            said = _words(exc, token)
            login.refused(token)
            continue
        return
    raise AuthError(rejected_twice("IMAP", user, said, login))


def _words(exc: BaseException, token: str) -> str:
    text = str(exc).replace(token, "[token]")
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text.strip() or "no reason given"
