"""Every command, the interface included, loads the config the same way and says the same about it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_inbox.cli import main
from shared_inbox.config import Config
from tests.ui.test_app import CONFIG

COMMANDS = [[], ["list", "--json"], ["due"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_config_is_explained_alike_by_every_command(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "absent.toml"
    assert main(["--config", str(missing), *command]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"shared-inbox: the config file {missing} has problems:\n")
    assert "the configuration file does not exist" in err and "Traceback" not in err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_broken_config_names_its_problems_for_every_command(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[account]\nname = "Acme"\n', encoding="utf-8")
    path.chmod(0o600)
    assert main(["--config", str(path), *command]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"shared-inbox: the config file {path} has problems:\n")
    assert "Traceback" not in err


def test_no_command_starts_the_interface_on_the_loaded_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[Config] = []

    def run_interface(config: Config) -> int:
        started.append(config)
        return 0

    monkeypatch.setattr("shared_inbox.cli.interface.run_interface", run_interface)
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(store=tmp_path / "store", extra=""), encoding="utf-8")
    path.chmod(0o600)
    assert main(["--config", str(path)]) == 0
    assert [config.store.path for config in started] == [tmp_path / "store"]
