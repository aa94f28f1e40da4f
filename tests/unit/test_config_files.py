"""Finding and reading the configuration file, and the `config check` report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import platformdirs
import pytest

from shared_inbox.config import (
    ConfigError,
    ConfigNotFound,
    check_report,
    default_config_path,
    load_config,
    locate_config,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "config"
MINIMAL = (DATA / "minimal.toml").read_text(encoding="utf-8")


def write_config(directory: Path, text: str, mode: int = 0o600) -> Path:
    path = directory / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


# -- locate_config -------------------------------------------------------------------


def test_command_line_path_wins_over_environment() -> None:
    env = {"SHARED_INBOX_CONFIG": "/from/env.toml"}
    assert locate_config("/from/cli.toml", env) == Path("/from/cli.toml")


def test_environment_wins_over_default() -> None:
    assert locate_config(None, {"SHARED_INBOX_CONFIG": "/from/env.toml"}) == Path("/from/env.toml")


def test_empty_environment_variable_is_ignored() -> None:
    assert locate_config(None, {"SHARED_INBOX_CONFIG": ""}) == default_config_path()


def test_default_is_in_the_user_config_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    expected = platformdirs.user_config_path("shared-inbox") / "config.toml"
    assert locate_config(None, {}) == expected
    if sys.platform.startswith("linux"):
        assert expected == tmp_path / "shared-inbox" / "config.toml"


def test_tilde_in_given_path_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert locate_config("~/si.toml", {}) == tmp_path / "si.toml"


# -- load_config ---------------------------------------------------------------------


def test_load_records_the_source_and_anchors_relative_paths(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL + '\n[store]\npath = "state"\n')
    config = load_config(path, {})
    assert config.source == path
    assert config.store.path == tmp_path / "state"


def test_missing_file_is_config_not_found_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigNotFound) as caught:
        load_config(tmp_path / "absent.toml")
    report = str(caught.value)
    assert str(tmp_path / "absent.toml") in report and "does not exist" in report
    assert "docs/configuration.md" in report and "--config" in report


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(tmp_path)


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[account]\nname = "Caf\xe9"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems[0].line == 2 and "UTF-8" in caught.value.problems[0].message


def test_plain_password_in_a_world_readable_file_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace('password_env = "SUPPORT_IMAP_PASSWORD"', 'password = "plain-pass"')
    path = write_config(tmp_path, text, mode=0o644)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [p.path for p in caught.value.problems] == ["imap.password"]
    assert f"chmod 600 {path}" in str(caught.value)
    assert "plain-pass" not in str(caught.value)


def test_plain_password_in_a_private_file_is_accepted_with_a_warning(tmp_path: Path) -> None:
    text = MINIMAL.replace('password_env = "SUPPORT_IMAP_PASSWORD"', 'password = "plain-pass"')
    config = load_config(write_config(tmp_path, text, mode=0o600))
    assert config.warnings and "discouraged" in config.warnings[0]


def test_group_readable_file_also_refuses_a_plain_password(tmp_path: Path) -> None:
    text = MINIMAL.replace('password_env = "SUPPORT_IMAP_PASSWORD"', 'password = "plain-pass"')
    with pytest.raises(ConfigError, match="mode 0640"):
        load_config(write_config(tmp_path, text, mode=0o640))


# -- check_report --------------------------------------------------------------------


def test_check_report_summarises_and_tries_passwords_without_showing_them(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL)
    ok, report = check_report(path, {"SUPPORT_IMAP_PASSWORD": "very-secret-value"})
    assert ok
    assert "very-secret-value" not in report
    for label in ("account", "imap", "smtp", "team", "store", "threading", "keys", "theme"):
        assert f"\n  {label} " in report
    assert "imap.example.com:993, security tls, as support@example.com" in report
    assert "  imap      ok" in report and "  smtp      ok" in report
    assert report.rstrip().endswith("Result: ok.")


def test_check_report_shows_password_failures(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL)
    ok, report = check_report(path, {})
    assert not ok
    assert (
        "  imap      failed: imap.password_env: the environment variable SUPPORT_IMAP_PASSWORD is not set"
        in report
    )


def test_check_report_runs_a_command_once_when_smtp_shares_it(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    code = f"p = {str(counter)!r}\nopen(p, 'a').write('x')\nprint('pw')"
    command = "password_command = [" + ", ".join(json.dumps(a) for a in (sys.executable, "-c", code)) + "]"
    path = write_config(tmp_path, MINIMAL.replace('password_env = "SUPPORT_IMAP_PASSWORD"', command))
    ok, _ = check_report(path, {})
    assert ok
    assert counter.read_text(encoding="ascii") == "x"


def test_check_report_can_skip_password_resolution(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL)
    ok, report = check_report(path, {}, resolve_passwords=False)
    assert ok and "Passwords:" not in report


def test_check_report_lists_every_problem_with_lines_and_hints(tmp_path: Path) -> None:
    text = MINIMAL.replace('host = "imap.example.com"', 'hots = "imap.example.com"\nport = "993"')
    path = write_config(tmp_path, text)
    ok, report = check_report(path, {})
    assert not ok
    assert "line 7: imap.hots: unknown key 'hots'\n    hint: did you mean 'host'?" in report
    assert "line 8: imap.port: expected an integer" in report
    assert "imap.host: missing required key 'host'" in report
    assert "cannot be used" in report


def test_check_report_for_a_missing_file(tmp_path: Path) -> None:
    ok, report = check_report(tmp_path / "nope.toml", {})
    assert not ok and "does not exist" in report


def test_check_report_shows_warnings(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL.replace("[smtp]\n", '[smtp]\nport = 465\nsecurity = "starttls"\n'))
    ok, report = check_report(path, {"SUPPORT_IMAP_PASSWORD": "x"})
    assert ok
    assert "Warnings:" in report and "smtp.port" in report
