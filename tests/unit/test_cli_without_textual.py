"""The scripting commands run without loading the interface toolkit, nor the sign-in's HTTP client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.test_app import CONFIG, fill_store

# Runs one CLI command, then reports on stderr which toolkit modules were loaded.
PROBE = """
import json, sys
from shared_inbox.cli import main
code = main(sys.argv[1:])
loaded = sorted(name for name in sys.modules if name.split(".")[0] == "textual")
http = sorted(name for name in sys.modules if name.split(".")[0] in ("authlib", "requests"))
print(json.dumps({"code": code, "textual": loaded, "http": http}), file=sys.stderr)
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    fill_store(tmp_path / "store", 12)
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(store=tmp_path / "store", extra=""), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [["list", "--json"], ["due", "--json"]])
def test_json_commands_do_not_import_textual(config_path: Path, command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "--config", str(config_path), *command],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    json.loads(done.stdout)  # the command did its work
    assert report["textual"] == []
    assert report["http"] == []  # a mailbox signed in with a password never needs an OAuth client
