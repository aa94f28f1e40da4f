"""The README's one test command sets up a fresh machine, and CI runs exactly it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.rig import setup

ROOT = Path(__file__).resolve().parents[2]


def readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"Run the tests[^\n]*\n\n```sh\n(.+?)\n```", text)
    assert match is not None, "README lost its test command"
    return match.group(1)


def test_ci_runs_the_readme_command_word_for_word() -> None:
    command = readme_test_command()
    assert command.startswith("python3 -m tests.rig.setup && ")
    lines = [
        line for line in (ROOT / ".ci/run").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert lines[-1] == command + ' "$@"'


def test_without_root_setup_stops_and_names_the_one_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(setup, "missing_packages", lambda: ["dovecot-imapd"])
    monkeypatch.setattr(setup, "cyrus_installed", lambda: False)
    monkeypatch.setattr(setup.os, "geteuid", lambda: 1000)
    with pytest.raises(setup.SetupError) as caught:
        setup.ensure_servers()
    message = str(caught.value)
    assert "dovecot-imapd" in message and "Cyrus IMAP" in message
    assert message.endswith(f"install them with: sudo {setup.sys.executable} -m tests.rig.setup")


def test_nothing_to_do_when_everything_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(setup, "missing_packages", lambda: [])
    monkeypatch.setattr(setup, "cyrus_installed", lambda: True)
    assert setup.ensure_servers() == []


def test_only_library_packages_of_a_deb_are_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    field = "libc6 (>= 2.34), gawk, libsasl2-2 (>= 2.1.28) | libsasl2-3, perl:any, libicu72 (>= 72.1~rc-1~)\n"

    class Done:
        stdout = field

    monkeypatch.setattr(setup.subprocess, "run", lambda *args, **kwargs: Done())
    assert setup.library_dependencies(tmp_path / "x.deb") == ["libc6", "libsasl2-2", "libicu72"]
