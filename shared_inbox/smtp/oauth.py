"""SMTP AUTH with an OAuth2 access token, retried once with a fresh token when refused."""

from __future__ import annotations

import aiosmtplib

from shared_inbox.mail.sanitize import clean_line
from shared_inbox.net.errors import AuthError
from shared_inbox.net.oauth import (
    OAUTHBEARER,
    OAuthLogin,
    choose_mechanism,
    encoded,
    fetch_token,
    oauthbearer_response,
    rejected_twice,
    xoauth2_response,
)

_AUTH_OK = 235
_AUTH_CONTINUE = 334


async def oauth_login(smtp: aiosmtplib.SMTP, user: str, login: OAuthLogin, host: str, port: int) -> None:
    """AUTH XOAUTH2 / OAUTHBEARER. Raises AuthError (from net.errors) with one sentence."""
    offered = smtp.server_auth_methods
    mechanism = choose_mechanism(login.mechanism, offered, f"SMTP server {host}:{port}")
    said = ""
    for _ in range(2):  # a refused token may have expired since the helper cached it: one fresh try
        token = fetch_token(login.tokens)
        if mechanism == OAUTHBEARER:
            response = encoded(oauthbearer_response(user, token, host, port))
        else:
            response = encoded(xoauth2_response(user, token))
        reply = await smtp.execute_command(b"AUTH", mechanism.encode(), response)
        if reply.code == _AUTH_CONTINUE:  # an error report as a challenge: answer it to get the final reply
            reply = await smtp.execute_command(encoded(b"\x01") if mechanism == OAUTHBEARER else b"")
        if reply.code == _AUTH_OK:
            return
        said = f"{reply.code} {clean_line(reply.message)}".strip()
        login.refused(token)
    raise AuthError(rejected_twice("SMTP", user, said, login))
