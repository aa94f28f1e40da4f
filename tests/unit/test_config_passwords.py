"""Obtaining passwords: commands, environment variables, the keyring and plain values."""

from __future__ import annotations

import json
import sys
import time
import types
from pathlib import Path

import psutil
import pytest

from shared_inbox.config import (
    KEYRING_SERVICE,
    Config,
    PasswordError,
    parse_config,
    resolve_password,
)

BASE = """
[account]
name = "Acme Support"
address = "support@example.com"

[team]
me = "ann@example.com"

[smtp]
host = "smtp.example.com"
password_same_as_imap = true
"""


def config_with(imap_source: str, *, file_mode: int | None = None) -> Config:
    text = BASE + f'[imap]\nhost = "imap.example.com"\nusername = "support"\n{imap_source}\n'
    return parse_config(text, file_mode=file_mode)


def toml_array(*args: str) -> str:
    return "[" + ", ".join(json.dumps(a) for a in args) + "]"


def python_command(code: str) -> str:
    return f"password_command = {toml_array(sys.executable, '-c', code)}"


def test_command_output_is_stripped() -> None:
    config = config_with(python_command("print('  s3cret-pass  ')"))
    assert resolve_password(config.imap, {}) == "s3cret-pass"


def test_command_only_first_line_counts() -> None:
    config = config_with(python_command("print('s3cret'); print('login: support'); print('url: x')"))
    assert resolve_password(config.imap, {}) == "s3cret"


def test_command_string_is_split_without_a_shell(tmp_path: Path) -> None:
    script = tmp_path / "print pw.sh"
    script.write_text('#!/bin/sh\nprintf "%s|%s" "$1" "$2"\n', encoding="ascii")
    script.chmod(0o700)
    config = config_with(f'password_command = \'"{script}" "two words" $HOME\'')
    assert config.imap.password is not None
    assert config.imap.password.argv == (str(script), "two words", "$HOME")
    assert resolve_password(config.imap, {}) == "two words|$HOME"  # no shell: $HOME stays as written


def test_command_failure_names_the_key_and_hides_the_output() -> None:
    config = config_with(python_command("import sys; print('leaked-secret'); sys.exit(3)"))
    with pytest.raises(PasswordError) as caught:
        resolve_password(config.imap, {})
    message = str(caught.value)
    assert caught.value.key == "imap.password_command"
    assert message.startswith("imap.password_command:") and "exit status 3" in message
    assert "leaked-secret" not in message


def test_command_error_output_is_not_shown() -> None:
    code = "import sys; sys.stderr.write('gpg: secret-in-stderr'); sys.exit(2)"
    config = config_with(python_command(code))
    with pytest.raises(PasswordError) as caught:
        resolve_password(config.imap, {})
    assert "secret-in-stderr" not in str(caught.value)


def test_command_printing_nothing_is_an_error() -> None:
    config = config_with(python_command("print('   ')"))
    with pytest.raises(PasswordError, match="printed nothing"):
        resolve_password(config.imap, {})


def test_missing_program_is_reported() -> None:
    config = config_with('password_command = "/nonexistent/bin/get-password --account support"')
    with pytest.raises(PasswordError, match="'/nonexistent/bin/get-password' was not found"):
        resolve_password(config.imap, {})


def test_command_timeout_kills_it_and_everything_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen(['sleep', '60'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    config = config_with(python_command(code))
    # Generous: on a loaded machine the interpreter alone can take a second to start.
    with pytest.raises(PasswordError, match="did not finish within 5 seconds") as caught:
        resolve_password(config.imap, {}, timeout=5)
    assert caught.value.key == "imap.password_command"
    grandchild = int(pid_file.read_text(encoding="ascii"))
    # SIGKILL is asynchronous: give the kernel a moment to take the process down.
    deadline = time.monotonic() + 10
    status = ""
    while time.monotonic() < deadline:
        try:
            status = psutil.Process(grandchild).status()
        except psutil.NoSuchProcess:
            return
        if status == psutil.STATUS_ZOMBIE:  # killed, waiting to be reaped by init
            return
        time.sleep(0.05)
    raise AssertionError(f"the command's own child survived the timeout ({status})")


def test_environment_variable_is_read_from_the_given_mapping() -> None:
    config = config_with('password_env = "SUPPORT_PW"')
    assert resolve_password(config.imap, {"SUPPORT_PW": "from-env"}) == "from-env"


def test_missing_environment_variable_names_it_and_the_key() -> None:
    config = config_with('password_env = "SUPPORT_PW"')
    with pytest.raises(PasswordError) as caught:
        resolve_password(config.imap, {"OTHER": "x"})
    assert caught.value.key == "imap.password_env"
    assert "SUPPORT_PW" in str(caught.value) and "not set" in str(caught.value)


def test_empty_environment_variable_is_an_error() -> None:
    config = config_with('password_env = "SUPPORT_PW"')
    with pytest.raises(PasswordError, match="is empty"):
        resolve_password(config.imap, {"SUPPORT_PW": ""})


def test_smtp_can_share_the_imap_password() -> None:
    config = config_with('password_env = "SUPPORT_PW"')
    assert resolve_password(config.smtp, {"SUPPORT_PW": "shared"}) == "shared"


def test_connection_without_login_needs_no_password() -> None:
    text = BASE.replace("password_same_as_imap = true", "") + (
        '[imap]\nhost = "imap.example.com"\nusername = "support"\npassword_env = "P"\n'
    )
    config = parse_config(text)
    assert resolve_password(config.smtp, {}) is None


def test_plain_password_from_a_private_file() -> None:
    config = config_with('password = "plain-pass"', file_mode=0o600)
    assert resolve_password(config.imap, {}) == "plain-pass"


def test_keyring_not_installed_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # makes `import keyring` fail
    config = config_with("keyring = true")
    with pytest.raises(PasswordError) as caught:
        resolve_password(config.imap, {})
    assert caught.value.key == "imap.keyring"
    assert "'keyring'" in str(caught.value) and "not installed" in str(caught.value)


def _fake_keyring(
    monkeypatch: pytest.MonkeyPatch, stored: dict[tuple[str, str], str]
) -> list[tuple[str, str]]:
    asked: list[tuple[str, str]] = []
    module = types.ModuleType("keyring")

    def get_password(service: str, username: str) -> str | None:
        asked.append((service, username))
        return stored.get((service, username))

    module.get_password = get_password  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)
    return asked


def test_keyring_is_asked_for_service_and_username(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _fake_keyring(monkeypatch, {(KEYRING_SERVICE, "support"): "from-keyring"})
    config = config_with("keyring = true")
    assert resolve_password(config.imap, {}) == "from-keyring"
    assert asked == [("shared-inbox", "support")]


def test_keyring_without_an_entry_explains_how_to_add_one(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_keyring(monkeypatch, {})
    config = config_with("keyring = true")
    with pytest.raises(PasswordError, match="keyring set shared-inbox support"):
        resolve_password(config.imap, {})


def test_keyring_backend_failure_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("keyring")

    def get_password(service: str, username: str) -> str | None:
        raise RuntimeError("no recommended backend")

    module.get_password = get_password  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)
    config = config_with("keyring = true")
    with pytest.raises(PasswordError, match="could not be read.*no recommended backend"):
        resolve_password(config.imap, {})


def test_loading_never_runs_the_command(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config_with(python_command(f"open({str(marker)!r}, 'w'); print('x')"))
    assert not marker.exists()
