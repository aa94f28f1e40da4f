"""The [oauth2] section: the registered client for `shared-inbox auth login`, endpoints from the preset."""

from __future__ import annotations

import pytest

from shared_inbox.config import Config, ConfigError, Problem, parse_config
from shared_inbox.config.check import effective_settings
from shared_inbox.config.model import Auth, TokenStore

ACCOUNT = '[account]\nname = "Acme Support"\naddress = "support@acme.example"\n'
TEAM = '[team]\nme = "ann@acme.example"\n'


def parse(text: str) -> Config:
    return parse_config(ACCOUNT + text + "\n" + TEAM)


def problems(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return caught.value.problems


def test_a_microsoft_preset_needs_only_the_client_id() -> None:
    config = parse(
        'provider = "microsoft365"\n[imap]\nusername = "support@acme.example"\n'
        '[oauth2]\nclient_id = "11111111-2222"\n'
    )
    client = config.oauth2
    assert client is not None and client.client_id == "11111111-2222"
    assert client.device_url.endswith("/devicecode") and client.token_url.endswith("/token")
    assert "offline_access" in client.scopes and client.token_store is TokenStore.AUTO
    assert config.imap.auth is Auth.OAUTH2 and config.imap.token is None  # the built-in sign-in
    assert config.smtp.auth is Auth.OAUTH2 and config.smtp.token is None
    rows = {key: (value, origin) for key, value, origin in effective_settings(config)}
    assert rows["oauth2.client_id"] == ("11111111-2222", "config file")
    assert rows["oauth2.token_url"][1] == "provider microsoft365"


def test_google_gets_its_revocation_endpoint_and_every_endpoint_can_be_overridden() -> None:
    config = parse(
        'provider = "google"\n[imap]\nusername = "support@acme.example"\n'
        '[oauth2]\nclient_id = "abc.apps.googleusercontent.com"\nclient_secret = "GOCSPX-x"\n'
        'token_url = "https://tokens.example/token"\nscopes = ["s1"]\ntoken_store = "file"\n'
    )
    client = config.oauth2
    assert client is not None
    assert client.revocation_url == "https://oauth2.googleapis.com/revoke"
    assert client.token_url == "https://tokens.example/token" and client.scopes == ("s1",)
    assert client.client_secret == "GOCSPX-x" and "GOCSPX" not in repr(client)
    assert client.token_store is TokenStore.FILE


GENERIC = (
    '[imap]\nhost = "i.example"\nusername = "s"\nauth = "oauth2"\n'
    '[smtp]\nhost = "s.example"\nauth = "oauth2"\n'
)


@pytest.mark.parametrize(
    ("oauth2", "path", "message", "hint"),
    [
        ('client_idd = "x"\n', "oauth2.client_idd", "unknown key", "did you mean 'client_id'?"),
        (
            'token_url = "https://t.example/t"\ndevice_url = "https://t.example/d"\nscopes=["s"]\n',
            "oauth2.client_id",
            "missing",
            None,
        ),
        (
            'client_id = "x"\ndevice_url = "https://t.example/d"\nscopes = ["s"]\n',
            "oauth2",
            "missing token_url",
            "account.provider",
        ),
        (
            'client_id = "x"\ntoken_url = "http://t.example/t"\ndevice_url = "https://t.example/d"\n'
            'scopes = ["s"]\n',
            "oauth2.token_url",
            "not an https URL",
            None,
        ),
        (
            'client_id = "x"\ntoken_url = "https://t.example/t"\nscopes = ["s"]\n',
            "oauth2",
            "no way to sign in",
            "device_url",
        ),
        (
            'client_id = "x"\ntoken_url = "https://t.example/t"\ndevice_url = "https://t.example/d"\n',
            "oauth2.scopes",
            "no scopes",
            None,
        ),
        (
            'client_id = "x"\ntoken_url = "https://t.example/t"\ndevice_url = "https://t.example/d"\n'
            'scopes = ["s"]\ntoken_store = "keyrnig"\n',
            "oauth2.token_store",
            "not allowed",
            "did you mean 'keyring'?",
        ),
    ],
)
def test_oauth2_section_problems_name_the_key_and_the_fix(
    oauth2: str, path: str, message: str, hint: str | None
) -> None:
    found = [p for p in problems(GENERIC + "[oauth2]\n" + oauth2) if p.path == path]
    assert found, problems(GENERIC + "[oauth2]\n" + oauth2)
    assert message in found[0].message
    if hint is not None:
        assert found[0].hint is not None and hint in found[0].hint


def test_a_loopback_provider_may_use_plain_http() -> None:
    config = parse(
        GENERIC + '[oauth2]\nclient_id = "x"\ntoken_url = "http://127.0.0.1:9/token"\n'
        'device_url = "http://localhost:9/device"\nscopes = ["s"]\n'
    )
    assert config.oauth2 is not None and config.oauth2.token_url == "http://127.0.0.1:9/token"


def test_without_a_token_command_or_client_the_hint_names_both_ways() -> None:
    [problem] = [p for p in problems(GENERIC) if p.path == "imap"]
    assert problem.hint is not None
    assert "[oauth2]" in problem.hint and "oauth2_token_command" in problem.hint


def test_an_unused_client_is_a_warning() -> None:
    config = parse(
        '[imap]\nhost = "i.example"\nusername = "s"\npassword_env = "P"\n[smtp]\nhost = "s.example"\n'
        '[oauth2]\nclient_id = "x"\ntoken_url = "https://t.example/t"\n'
        'device_url = "https://t.example/d"\nscopes = ["s"]\n'
    )
    assert any("no connection uses it" in warning for warning in config.warnings)


def test_a_token_command_wins_over_the_built_in_sign_in() -> None:
    from shared_inbox.auth.tokens import oauth_login

    config = parse(
        GENERIC.replace(
            'auth = "oauth2"\n', 'auth = "oauth2"\noauth2_token_command = "printf %s from-helper"\n', 1
        )
        + '[oauth2]\nclient_id = "x"\ntoken_url = "https://t.example/t"\n'
        'device_url = "https://t.example/d"\nscopes = ["s"]\n'
    )
    login = oauth_login(config, config.smtp)
    assert login is not None and login.tokens() == "from-helper"
    assert any("no connection uses it" in warning for warning in config.warnings)
