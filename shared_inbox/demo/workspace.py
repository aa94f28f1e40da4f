"""The demo's throwaway files: a config pointing at the embedded servers, and the store beside it.

The config is an ordinary one, read by the ordinary loader, so every other
command works on the demo mailbox with `--config PATH` while it runs. The
mailbox password sits in a file readable only by the user and is obtained with
`password_command`, the way the documentation recommends for real accounts.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from shared_inbox.corpus.people import BRAND, agents
from shared_inbox.demo.servers import ServerAddresses

SUPPORT_ADDRESS = "support@example.com"
DOMAIN = "example.com"
PASSWORD_FILE = "imap-password"
CONFIG_FILE = "config.toml"
STORE_DIR = "store"
_ALL_WEEK = ", ".join(f'{day} = "00:00-24:00"' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
# Prints the first line of a file: the password command, in the Python that runs the demo.
_READ_FIRST_LINE = "import sys; print(open(sys.argv[1], encoding='utf-8').readline().strip())"


@dataclass(frozen=True, slots=True)
class TeamMember:
    name: str
    email: str


def demo_team(support_address: str = SUPPORT_ADDRESS, domain: str = DOMAIN) -> tuple[TeamMember, ...]:
    """The agents who answer the demo mail, each with a personal address; the first runs the demo."""
    members = []
    for agent in agents(support_address):
        name = agent.name.removesuffix(f" via {BRAND}")
        members.append(TeamMember(name=name, email=f"{name.split(' ')[0].lower()}@{domain}"))
    return tuple(members)


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are a subset TOML accepts)."""
    return json.dumps(value, ensure_ascii=False)


def config_text(
    servers: ServerAddresses,
    *,
    password_file: Path,
    store: Path,
    team: tuple[TeamMember, ...],
    support_address: str = SUPPORT_ADDRESS,
) -> str:
    command = ", ".join(_toml(arg) for arg in (sys.executable, "-c", _READ_FIRST_LINE, str(password_file)))
    members = "\n".join(
        f"[[team.members]]\nname = {_toml(m.name)}\nemail = {_toml(m.email)}\n"
        f"signature = {_toml(m.name.split(' ')[0] + chr(10) + BRAND)}\n"
        for m in team
    )
    return f"""\
# Written by `shared-inbox demo` for its embedded mailbox; deleted when the demo stops.

[account]
name = {_toml(BRAND)}
address = {_toml(support_address)}

[imap]
host = {_toml(servers.host)}
port = {servers.imap_port}
security = "none"
username = {_toml(servers.username)}
password_command = [{command}]
folders = ["INBOX"]
sent_folder = "Sent"

[smtp]
host = {_toml(servers.host)}
port = {servers.smtp_port}
security = "none"
server_saves_sent = true

[team]
me = {_toml(team[0].email)}

{members}
[store]
path = {_toml(str(store))}

[canned]
dir = {_toml(str(store.parent / "canned"))}

# The demo team answers around the clock, so its SLA clocks run whenever you try it.
[business_hours]
hours = {{ {_ALL_WEEK} }}

[[sla]]
name = "vip"
tags = ["vip"]
first_response = "1h"
next_response = "2h"

[[sla]]
name = "standard"
first_response = "8h"
next_response = "24h"

# Some mail programs drop the headers replies are threaded by; join those by subject,
# only for the same customer and within a week.
[threading]
subject_merge = true
"""


def write_demo_config(
    directory: Path, servers: ServerAddresses, team: tuple[TeamMember, ...], *, support_address: str
) -> Path:
    """Write the password file and the config into `directory` (mode 0600 both); returns the config path."""
    password_file = directory / PASSWORD_FILE
    _write_private(password_file, servers.password + "\n")
    path = directory / CONFIG_FILE
    text = config_text(
        servers,
        password_file=password_file,
        store=directory / STORE_DIR,
        team=team,
        support_address=support_address,
    )
    _write_private(path, text)
    return path


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
