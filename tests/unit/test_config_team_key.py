"""The team key in [team]: where it comes from, how it is checked, and what `config check` says."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from shared_inbox.config import ConfigError, PasswordError, PasswordKind, check_report, parse_config
from shared_inbox.config.model import Config
from shared_inbox.config.team_key import MIN_KEY_CHARS, keyring_user, resolve_team_keys

BASE = """
[account]
name = "Acme Support"
address = "support@example.com"

[imap]
host = "imap.example.com"
username = "support"
password_env = "IMAP_PASSWORD"

[smtp]
host = "smtp.example.com"
password_same_as_imap = true

[team]
me = "ann@example.com"
"""
KEY = "Z" * 43


def config_with(team_lines: str) -> Config:
    return parse_config(BASE + team_lines + "\n")


def problems(team_lines: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config_with(team_lines)
    return [p.format() for p in caught.value.problems]


def command(code: str, key: str = "key_command") -> str:
    return f"{key} = {json.dumps([sys.executable, '-c', code])}"


def test_no_key_means_unauthenticated_team_state() -> None:
    config = config_with("")
    assert config.team.key is None
    assert resolve_team_keys(config.team, {}) == (None, None)


def test_key_from_a_command_and_the_previous_one_from_the_environment() -> None:
    config = config_with(command(f"print({KEY!r})") + '\nprevious_key_env = "OLD_TEAM_KEY"')
    assert config.team.key is not None and config.team.key.kind is PasswordKind.COMMAND
    assert config.team.key.key == "team.key_command"
    assert resolve_team_keys(config.team, {"OLD_TEAM_KEY": "y" * 20}) == (KEY, "y" * 20)


def test_key_command_is_split_like_password_command() -> None:
    config = config_with("key_command = \"pass show 'team key'\"")
    assert config.team.key is not None and config.team.key.argv == ("pass", "show", "team key")


def test_key_from_the_keyring_is_looked_up_per_support_address(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str]] = []

    def get_password(service: str, user: str) -> str:
        asked.append((service, user))
        return KEY

    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=get_password))
    config = config_with("key_keyring = true")
    assert resolve_team_keys(config.team, {}) == (KEY, None)
    assert asked == [("shared-inbox", keyring_user("key", "support@example.com"))]
    assert asked[0][1] == "team-key:support@example.com"


def test_a_short_key_is_refused_with_the_way_to_make_one() -> None:
    config = config_with('key_env = "TEAM_KEY"')
    with pytest.raises(PasswordError) as caught:
        resolve_team_keys(config.team, {"TEAM_KEY": "x" * (MIN_KEY_CHARS - 1)})
    assert str(caught.value).startswith("team.key_env: the team key is 15 characters long")
    assert "shared-inbox team key --new" in str(caught.value)


def test_a_failing_key_command_names_the_key_and_never_the_output() -> None:
    config = config_with(command("print('leaked-secret'); raise SystemExit(3)"))
    with pytest.raises(PasswordError) as caught:
        resolve_team_keys(config.team, {})
    assert str(caught.value) == "team.key_command: the command failed with exit status 3"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ('key_comand = "pass show team"', "did you mean 'key_command'"),
        ('key_command = "x"\nkey_env = "TEAM_KEY"', "choose one source for the team key"),
        ('previous_key_env = "OLD"', "a previous team key needs a current one"),
        ('key_env = "not a name"', "is not an environment variable name"),
        ("key_command = []", "must be a non-empty array of strings"),
        ('key_keyring = "yes"', "key_keyring"),
    ],
)
def test_broken_key_settings_are_reported(lines: str, expected: str) -> None:
    found = problems(lines)
    assert any(expected in problem for problem in found), found


def test_a_key_source_at_the_top_level_points_to_the_team_section() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config('key_command = "pass show team"\n' + BASE)
    assert any("[team]" in problem.format() for problem in caught.value.problems)


def write(tmp_path: Path, team_lines: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(BASE + team_lines + "\n")
    path.chmod(0o600)
    return path


def test_config_check_says_team_state_is_unauthenticated_without_a_key(tmp_path: Path) -> None:
    ok, report = check_report(write(tmp_path, ""), {"IMAP_PASSWORD": "pw"})
    assert ok
    assert "team state unauthenticated (no team key)" in report
    assert "Team state is unauthenticated" in report


def test_config_check_tries_the_team_key(tmp_path: Path) -> None:
    path = write(tmp_path, 'key_env = "TEAM_KEY"\nprevious_key_command = "pass show old"')
    ok, report = check_report(path, {"IMAP_PASSWORD": "pw", "TEAM_KEY": KEY}, resolve_passwords=False)
    assert "team state signed, key from $TEAM_KEY, previous key from previous_key_command" in report
    assert "unauthenticated" not in report
    ok, report = check_report(
        write(tmp_path, 'key_env = "TEAM_KEY"'), {"IMAP_PASSWORD": "pw", "TEAM_KEY": KEY}
    )
    assert ok and "team key  ok" in report
    ok, report = check_report(write(tmp_path, 'key_env = "TEAM_KEY"'), {"IMAP_PASSWORD": "pw"})
    assert not ok
    assert "team key  failed: team.key_env: the environment variable TEAM_KEY is not set" in report
    assert "Result: the configuration is valid, but the team key could not be obtained." in report


def test_team_key_new_prints_a_fresh_key_without_any_config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from shared_inbox.cli import main

    monkeypatch.setenv("SHARED_INBOX_CONFIG", str(tmp_path / "missing.toml"))
    keys = []
    for _ in range(2):
        assert main(["team", "key", "--new"]) == 0
        out, err = capsys.readouterr()
        keys.append(out.strip())
        assert "Share this key with your teammates" in err
    assert keys[0] != keys[1] and all(len(key) >= 43 and key.isprintable() for key in keys)
    config = config_with('key_env = "TEAM_KEY"')
    assert resolve_team_keys(config.team, {"TEAM_KEY": keys[0]}) == (keys[0], None)
