"""OAuth2 sign-in settings and provider presets: validated once, every filled value overridable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared_inbox.config import Config, ConfigError, PasswordError, Problem, parse_config
from shared_inbox.config.check import check_report, effective_settings
from shared_inbox.config.model import Auth, OAuthMechanism, PasswordKind, Provider, Security
from shared_inbox.config.passwords import resolve_token

ACCOUNT = '[account]\nname = "Acme Support"\naddress = "support@acme.example"\n'
TEAM = '[team]\nme = "ann@acme.example"\n'
TOKEN = 'oauth2_token_command = "printf %s access-token"'


def parse(text: str) -> Config:
    return parse_config(ACCOUNT + text + "\n" + TEAM)


def problems(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return caught.value.problems


def with_provider(provider: str, rest: str = "") -> str:
    return f'provider = "{provider}"\n[imap]\nusername = "support@acme.example"\n{rest}'


def test_oauth2_for_imap_shares_its_token_command_and_username_with_smtp() -> None:
    config = parse(
        '[imap]\nhost = "imap.example.com"\nusername = "support"\nauth = "oauth2"\n'
        f'{TOKEN}\noauth2_mechanism = "oauthbearer"\n'
        '[smtp]\nhost = "smtp.example.com"\nauth = "oauth2"\n'
    )
    assert config.imap.auth is Auth.OAUTH2 and config.imap.password is None
    assert config.imap.oauth2_mechanism is OAuthMechanism.OAUTHBEARER
    assert config.imap.token is not None and config.imap.token.kind is PasswordKind.COMMAND
    assert config.imap.token.key == "imap.oauth2_token_command"
    assert config.smtp.token is config.imap.token and config.smtp.username == "support"
    assert config.smtp.oauth2_mechanism is OAuthMechanism.AUTO
    assert resolve_token(config.smtp) == "access-token"


@pytest.mark.parametrize(
    ("section", "path", "message", "hint"),
    [
        (
            f'[imap]\nhost = "i.example"\nusername = "s"\nauth = "oauth"\n{TOKEN}\n',
            "imap.auth",
            "'oauth' is not allowed",
            "did you mean 'oauth2'?",
        ),
        (
            '[imap]\nhost = "i.example"\nusername = "s"\nauth = "oauth2"\noauth2_token_comand = "x"\n',
            "imap.oauth2_token_comand",
            "unknown key",
            "did you mean 'oauth2_token_command'?",
        ),
        (
            '[imap]\nhost = "i.example"\nusername = "s"\nauth = "oauth2"\n',
            "imap",
            "needs a token source",
            "set oauth2_token_command",
        ),
        (
            f'[imap]\nhost = "i.example"\nusername = "s"\nauth = "oauth2"\n{TOKEN}\npassword_env = "P"\n',
            "imap.password_env",
            "signs in with an access token, not a password",
            'set auth = "password"',
        ),
        (
            f'[imap]\nhost = "i.example"\nusername = "s"\npassword_env = "P"\n{TOKEN}\n',
            "imap.oauth2_token_command",
            'only used with auth = "oauth2"',
            'set auth = "oauth2"',
        ),
        (
            f'[imap]\nhost = "i.example"\nusername = "s"\nauth = "oauth2"\n{TOKEN}\n'
            'oauth2_mechanism = "xoauth"\n',
            "imap.oauth2_mechanism",
            "is not allowed",
            "did you mean 'xoauth2'?",
        ),
    ],
    ids=["auth typo", "key typo", "no token source", "password too", "token without oauth2", "mechanism"],
)
def test_oauth2_mistakes_are_reported_with_what_to_do(
    section: str, path: str, message: str, hint: str
) -> None:
    found = [p for p in problems(section + '[smtp]\nhost = "s.example"\n') if p.path == path]
    assert found and message in found[0].message and found[0].hint and hint in found[0].hint, found


def test_provider_fills_everything_but_the_username_and_token() -> None:
    config = parse_config(ACCOUNT + with_provider("microsoft365", TOKEN) + "\n" + TEAM)
    assert config.account.provider is Provider.MICROSOFT365
    assert (config.imap.host, config.imap.port, config.imap.security) == (
        "outlook.office365.com",
        993,
        Security.TLS,
    )
    assert (config.smtp.host, config.smtp.port, config.smtp.security) == (
        "smtp.office365.com",
        587,
        Security.STARTTLS,
    )
    assert config.imap.auth is Auth.OAUTH2 and config.smtp.auth is Auth.OAUTH2
    assert config.imap.oauth2_mechanism is OAuthMechanism.XOAUTH2
    assert config.smtp.server_saves_sent is True and "sent" not in config.imap.special_folders  # by flag
    assert config.smtp.username == "support@acme.example" and config.smtp.token is config.imap.token


def test_every_filled_value_can_be_overridden() -> None:
    config = parse_config(
        ACCOUNT
        + with_provider("google", 'auth = "password"\npassword_env = "APP_PASSWORD"\nsent_folder = "Sent"\n')
        + '[smtp]\nsecurity = "starttls"\nserver_saves_sent = false\nauth = "password"\n'
        "password_same_as_imap = true\n" + TEAM
    )
    assert config.imap.host == "imap.gmail.com" and config.imap.auth is Auth.PASSWORD
    assert config.imap.sent_folder == "Sent"
    assert config.smtp.security is Security.STARTTLS and config.smtp.port == 587  # port follows security
    assert config.smtp.server_saves_sent is False and config.smtp.password is config.imap.password


def test_password_sign_in_with_a_provider_that_defaults_to_oauth2() -> None:
    config = parse_config(
        ACCOUNT
        + with_provider("microsoft365", 'auth = "password"\npassword_env = "APP_PASSWORD"\n')
        + '[smtp]\nauth = "password"\npassword_same_as_imap = true\n'
        + TEAM
    )
    assert config.imap.auth is Auth.PASSWORD and config.smtp.auth is Auth.PASSWORD
    assert config.imap.host == "outlook.office365.com" and config.smtp.password is config.imap.password


@pytest.mark.parametrize(
    ("provider", "imap_host", "smtp_port", "saves_sent"),
    [
        ("google", "imap.gmail.com", 465, True),
        ("fastmail", "imap.fastmail.com", 465, False),
        ("icloud", "imap.mail.me.com", 587, False),
    ],
)
def test_each_provider_preset(provider: str, imap_host: str, smtp_port: int, saves_sent: bool) -> None:
    source = TOKEN if provider == "google" else 'password_env = "P"'
    smtp = "" if provider == "google" else "[smtp]\npassword_same_as_imap = true\n"
    config = parse_config(ACCOUNT + with_provider(provider, source) + "\n" + smtp + TEAM)
    assert config.imap.host == imap_host and config.smtp.port == smtp_port
    assert config.smtp.server_saves_sent is saves_sent
    assert config.imap.connections == (1 if provider == "google" else 2)  # Gmail: 15 per account


def test_unknown_provider_gets_a_hint() -> None:
    found = [p for p in problems(with_provider("gmail", TOKEN)) if p.path == "account.provider"]
    assert found and "is not allowed" in found[0].message


def test_effective_settings_say_where_each_value_came_from() -> None:
    config = parse_config(
        ACCOUNT + with_provider("microsoft365", TOKEN) + '\n[smtp]\nport = 465\nsecurity = "tls"\n' + TEAM
    )
    rows = {key: (value, origin) for key, value, origin in effective_settings(config)}
    assert rows["imap.host"] == ("outlook.office365.com", "provider microsoft365")
    assert rows["smtp.port"] == ("465", "config file")
    assert rows["smtp.server_saves_sent"] == ("true", "provider microsoft365")
    assert rows["imap.connections"] == ("2", "default")
    google = parse_config(ACCOUNT + with_provider("google", TOKEN) + "\n" + TEAM)
    rows = {key: (value, origin) for key, value, origin in effective_settings(google)}
    assert rows["imap.connections"] == ("1", "provider google")
    plain = parse_config(
        ACCOUNT + '[imap]\nhost = "i.example"\nusername = "s"\npassword_env = "P"\n'
        '[smtp]\nhost = "s.example"\n' + TEAM
    )
    rows = {key: (value, origin) for key, value, origin in effective_settings(plain)}
    assert rows["imap.port"] == ("993", "default") and rows["imap.host"] == ("i.example", "config file")


def test_config_check_runs_the_token_command_and_reports_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    failing = f'oauth2_token_command = ["{sys.executable}", "-c", "raise SystemExit(3)"]'
    path.write_text(ACCOUNT + with_provider("microsoft365", failing) + "\n" + TEAM)
    path.chmod(0o600)
    ok, report = check_report(path, {})
    assert not ok
    assert "imap.host = outlook.office365.com  (provider microsoft365)" in report
    assert (
        "imap.oauth2_token_command: the command failed with exit status 3; run it yourself to see why"
        in report
    )
    assert "an access token could not be obtained" in report


def test_a_failing_token_command_says_what_to_do() -> None:
    config = parse_config(
        ACCOUNT
        + with_provider("google", f'oauth2_token_command = ["{sys.executable}", "-c", "pass"]')
        + "\n"
        + TEAM
    )
    with pytest.raises(PasswordError) as raised:
        resolve_token(config.imap)
    assert str(raised.value) == (
        "imap.oauth2_token_command: the command printed nothing; run it yourself to see why; "
        "your token helper may need you to sign in again"
    )


def test_the_google_preset_holds_one_connection_unless_the_file_asks_for_two() -> None:
    config = parse_config(ACCOUNT + with_provider("google", TOKEN + "\nconnections = 2") + "\n" + TEAM)
    assert config.imap.connections == 2
