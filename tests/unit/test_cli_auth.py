"""`shared-inbox auth ...` without a usable sign-in setup: one sentence that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_inbox.cli import main

BASE = """
[account]
name = "Acme Support"
address = "support@acme.example"
[imap]
host = "imap.example.com"
username = "support"
auth = "oauth2"
{token}
[smtp]
host = "smtp.example.com"
auth = "oauth2"
[team]
me = "ann@acme.example"
[store]
path = "{store}"
"""


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], token: str, *args: str) -> tuple[int, str]:
    config = tmp_path / "config.toml"
    config.write_text(BASE.format(token=token, store=tmp_path / "store"))
    status = main(["--config", str(config), "auth", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return status, captured.err.strip()


def test_a_token_command_config_points_at_its_helper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, said = run(tmp_path, capsys, 'oauth2_token_command = "printf x"', "login")
    assert status == 1
    assert said == (
        "shared-inbox: This configuration gets its tokens from oauth2_token_command; "
        "sign in with that helper."
    )


def test_status_before_any_sign_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = (
        '[oauth2]\nclient_id = "x"\ntoken_url = "https://t.example/t"\n'
        'device_url = "https://t.example/d"\nscopes = ["s"]\ntoken_store = "file"'
    )
    config = tmp_path / "config.toml"
    config.write_text(BASE.format(token="", store=tmp_path / "store") + client)
    status = main(["--config", str(config), "auth", "status"])
    assert status == 1
    assert (
        capsys.readouterr().err.strip() == "shared-inbox: Nobody is signed in; run `shared-inbox auth login`."
    )
