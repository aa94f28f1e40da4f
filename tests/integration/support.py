"""Shared helpers for integration tests: config files and running the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SUPPORT_ADDRESS = "support@example.com"


def write_config(
    directory: Path,
    mailbox: Any,
    *,
    security: str = "starttls",
    port: int | None = None,
    batch_size: int = 500,
    password: str | None = None,
    ca_file: bool = True,
    folders: tuple[str, ...] = ("INBOX",),
    store: Path | None = None,
    me: str = "alice@example.com",
    extra: str = "",
    team: str = "",
    imap: str = "",
) -> Path:
    """A config file pointing at a rig mailbox; the password comes from a command.

    `team` holds more [team] keys (a team key source), `imap` more [imap] keys,
    `extra` more sections at the end.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if port is None:
        port = mailbox.tls_port if security == "tls" else mailbox.port
    secret = password if password is not None else mailbox.password
    ca_line = f'tls_ca_file = "{mailbox.ca_file}"' if ca_file and security != "none" else ""
    folder_list = ", ".join(json.dumps(f) for f in folders)
    text = f"""
[account]
name = "Acme Support"
address = "{SUPPORT_ADDRESS}"

[imap]
host = "127.0.0.1"
port = {port}
security = "{security}"
username = "{mailbox.user}"
password_command = "printf %s {secret}"
{ca_line}
folders = [{folder_list}]
sent_folder = "Sent"
batch_size = {batch_size}
{imap}

[smtp]
host = "127.0.0.1"
port = 2525
security = "none"

[team]
me = "{me}"
{team}

[[team.members]]
name = "Alice Agent"
email = "alice@example.com"

[[team.members]]
name = "Bob Agent"
email = "bob@example.com"

[store]
path = "{store or directory / "store"}"
{extra}
"""
    path = directory / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def cli(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess, as a user would."""
    env = dict(os.environ)
    env.pop("SHARED_INBOX_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "shared_inbox", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def list_json(config: Path, query: str = "") -> list[dict[str, Any]]:
    args = ["list", "--json"] + (["--query", query] if query else [])
    done = cli(config, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
