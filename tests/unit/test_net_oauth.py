"""Choosing the SASL mechanism for an access token, and what the client sends."""

from __future__ import annotations

import pytest

from shared_inbox.config import PasswordError
from shared_inbox.net.errors import AuthError
from shared_inbox.net.oauth import (
    TokenUnavailable,
    choose_mechanism,
    fetch_token,
    oauthbearer_response,
    xoauth2_response,
)

WHERE = "IMAP server mail.example.com"


@pytest.mark.parametrize(
    ("wanted", "offered", "chosen"),
    [
        ("auto", ["PLAIN", "XOAUTH2", "OAUTHBEARER"], "OAUTHBEARER"),
        ("auto", ["PLAIN", "XOAUTH2"], "XOAUTH2"),
        ("xoauth2", ["xoauth2", "oauthbearer"], "XOAUTH2"),
        ("oauthbearer", ["XOAUTH2", "OAUTHBEARER"], "OAUTHBEARER"),
    ],
)
def test_mechanism_follows_the_setting_and_the_server(wanted: str, offered: list[str], chosen: str) -> None:
    assert choose_mechanism(wanted, offered, WHERE) == chosen


def test_a_mechanism_the_server_lacks_names_the_one_it_has() -> None:
    with pytest.raises(AuthError) as raised:
        choose_mechanism("oauthbearer", ["PLAIN", "XOAUTH2"], WHERE)
    assert str(raised.value) == (
        f'The {WHERE} does not offer OAUTHBEARER sign-in; set oauth2_mechanism = "xoauth2" or "auto".'
    )


def test_a_server_without_oauth2_says_to_use_a_password() -> None:
    with pytest.raises(AuthError) as raised:
        choose_mechanism("auto", ["PLAIN", "LOGIN"], WHERE)
    assert str(raised.value) == f'The {WHERE} does not offer OAuth2 sign-in; set auth = "password".'


def test_client_responses_follow_the_specifications() -> None:
    assert xoauth2_response("a@b.example", "T") == b"user=a@b.example\x01auth=Bearer T\x01\x01"
    assert (
        oauthbearer_response("a,b=c@d.example", "T", "smtp.d.example", 587)
        == b"n,a=a=2Cb=3Dc@d.example,\x01host=smtp.d.example\x01port=587\x01auth=Bearer T\x01\x01"
    )


def test_a_failing_token_source_becomes_one_sentence_and_may_be_retried() -> None:
    def failing() -> str:
        raise PasswordError("imap.oauth2_token_command", "the command failed with exit status 1")

    with pytest.raises(TokenUnavailable) as raised:
        fetch_token(failing)
    assert not isinstance(raised.value, AuthError)  # `sync --watch` keeps trying, with backoff
    assert str(raised.value) == (
        "No OAuth2 access token: imap.oauth2_token_command: the command failed with exit status 1."
    )
