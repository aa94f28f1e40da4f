"""The self-contained imapd.conf and cyrus.conf of the Cyrus test server.

The layout is Debian's stock one: a user's folders live under `INBOX.` (altnamespace
off, `.` as the hierarchy separator), other users' under `user.`. Everything the server
writes stays inside one directory; plaintext login is allowed (the server listens on
loopback only) and STARTTLS and implicit TLS use the rig's certificates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ADMIN = "rigadmin"
REALM = "localhost"  # the SASL realm of every user (the server name)
AUTOCREATED_FOLDERS = {"Sent": "sent", "Drafts": "drafts", "Trash": "trash", "Junk": "junk"}


@dataclass(frozen=True, slots=True)
class CyrusPorts:
    imap: int
    imaps: int
    lmtp: int


@dataclass(frozen=True, slots=True)
class CyrusLayout:
    """Where the server keeps its files (all under `root`)."""

    root: Path

    @property
    def imapd_conf(self) -> Path:
        return self.root / "imapd.conf"

    @property
    def cyrus_conf(self) -> Path:
        return self.root / "cyrus.conf"

    @property
    def sasldb(self) -> Path:
        return self.root / "sasldb2"

    @property
    def config_dir(self) -> Path:
        return self.root / "conf"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def pid_file(self) -> Path:
        return self.run / "master.pid"

    @property
    def cert_file(self) -> Path:
        return self.root / "server.crt"

    @property
    def key_file(self) -> Path:
        return self.root / "server.key"

    def writable_dirs(self) -> tuple[Path, ...]:
        return (
            self.config_dir,
            self.spool,
            self.run,
            self.run / "proc",
            self.run / "lock",
            self.sockets,
        )

    @property
    def sockets(self) -> Path:
        """Cyrus puts its clients' idle sockets beside idled's, under the config directory."""
        return self.config_dir / "socket"


def render_imapd_conf(
    layout: CyrusLayout, cyrus_user: str, *, idled: bool, idle_timeout_minutes: int = 0
) -> str:
    run = layout.run
    lines = {
        "configdirectory": layout.config_dir,
        "defaultpartition": "default",
        "partition-default": layout.spool,
        "proc_path": run / "proc",
        "mboxname_lockpath": run / "lock",
        "lmtpsocket": layout.sockets / "lmtp",
        "idlesocket": layout.sockets / "idle",
        "notifysocket": layout.sockets / "notify",
        "cyrus_user": cyrus_user,
        "servername": REALM,
        "admins": ADMIN,
        # Debian's stock namespace: personal folders under INBOX., '.' between levels.
        "altnamespace": "no",
        "unixhierarchysep": "no",
        "allowplaintext": "yes",
        "sasl_pwcheck_method": "auxprop",
        "sasl_auxprop_plugin": "sasldb",
        "sasl_sasldb_path": layout.sasldb,
        "sasl_mech_list": "PLAIN LOGIN",
        "failedloginpause": "0",  # tests try wrong passwords on purpose
        "tls_server_cert": layout.cert_file,
        "tls_server_key": layout.key_file,
        "autocreate_quota": "0",  # INBOX is created at the first login or delivery
        "autocreate_post": "yes",
        "autocreate_inbox_folders": " | ".join(AUTOCREATED_FOLDERS),
        "lmtp_downcase_rcpt": "yes",
        "delete_mode": "immediate",
        "expunge_mode": "immediate",
        "syslog_prefix": "cyrus-rig",
        # Without idled an idling client hears of new mail at the next 60 s recheck.
        "imapidlepoll": "60",
        # How long an IDLE may last before the server ends it (0: the general 30-minute timeout).
        "imapidletimeout": str(idle_timeout_minutes),
    }
    text = "".join(f"{key}: {value}\n" for key, value in lines.items())
    text += "".join(f"xlist-{flag}: {name}\n" for name, flag in AUTOCREATED_FOLDERS.items())
    if not idled:
        text += f"# idled not started: {layout.sockets / 'idle'} stays unbound\n"
    return text


def render_cyrus_conf(layout: CyrusLayout, bin_dir: Path, ports: CyrusPorts, *, idled: bool) -> str:
    conf = layout.imapd_conf
    daemon = f'  idled cmd="{bin_dir / "idled"} -C {conf}"\n' if idled else ""
    return (
        "START {\n"
        f'  recover cmd="{bin_dir / "ctl_cyrusdb"} -r -C {conf}"\n'
        "}\n"
        "SERVICES {\n"
        f'  imap cmd="{bin_dir / "imapd"} -C {conf}" listen="127.0.0.1:{ports.imap}" prefork=0\n'
        f'  imaps cmd="{bin_dir / "imapd"} -s -C {conf}" listen="127.0.0.1:{ports.imaps}" prefork=0\n'
        f'  lmtp cmd="{bin_dir / "lmtpd"} -a -C {conf}" listen="127.0.0.1:{ports.lmtp}" prefork=0\n'
        "}\n"
        "EVENTS {\n"
        "}\n"
        "DAEMON {\n"
        f"{daemon}"
        "}\n"
    )
