"""A real Cyrus IMAP server for integration tests, started in a temp directory.

The binaries are the distribution's, unpacked by `python -m tests.rig.setup`. The server
listens on free loopback ports (plaintext IMAP with STARTTLS, implicit TLS, LMTP), keeps
its users in its own sasldb and uses Debian's stock namespace: personal folders under
`INBOX.` with `.` between levels. As root its processes run as `nobody` (Cyrus refuses
to serve mail as root); otherwise as the current user.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import psutil
from imapclient import IMAPClient

from tests.rig import setup
from tests.rig.cyrus_config import (
    ADMIN,
    REALM,
    CyrusLayout,
    CyrusPorts,
    render_cyrus_conf,
    render_imapd_conf,
)
from tests.rig.dovecot import HOST, RigMailbox, _die_with_parent, _scratch_parent, free_ports
from tests.rig.tls import TlsFiles, make_tls_files

_USER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # no '.': it is the hierarchy separator
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
_STOP_TIMEOUT = 10.0
_ALL_RIGHTS = "lrswipkxtecdan"


class CyrusError(RuntimeError):
    """The server could not be started or did not do what the rig asked."""


def find_cyrus() -> Path | None:
    """The unpacked Cyrus `master`, or None when `python -m tests.rig.setup` has not run."""
    return setup.CYRUS_BIN / "master" if setup.cyrus_installed() else None


class CyrusServer:
    """One private Cyrus instance; the same interface as `DovecotServer` for what tests use.

    `idled=False` leaves out Cyrus's idle daemon, as many installations do: an idling
    client then hears of new mail only at the server's next recheck.
    """

    kind = "cyrus"

    def __init__(
        self,
        tls: TlsFiles | None = None,
        *,
        idled: bool = True,
        idle_timeout_minutes: int = 0,
        startup_timeout: float = 20.0,
    ) -> None:
        if find_cyrus() is None:
            raise CyrusError(f"Cyrus IMAP is not unpacked; run: {setup.install_command()}")
        self.layout = CyrusLayout(Path(tempfile.mkdtemp(prefix="cyrus-rig-", dir=_scratch_parent())))
        self.tls = tls if tls is not None else make_tls_files(self.layout.root / "tls")
        self.idled = idled
        self.idle_timeout_minutes = idle_timeout_minutes  # > 0: IDLE ends after this, as at some providers
        self.startup_timeout = startup_timeout
        self.host = HOST
        self.ports = CyrusPorts(*free_ports(3))
        self._users: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._owner = _service_account()
        self._set_password(ADMIN, secrets.token_urlsafe(16))
        self._prepare()

    @property
    def port(self) -> int:
        return self.ports.imap

    @property
    def tls_port(self) -> int:
        return self.ports.imaps

    @property
    def lmtp_port(self) -> int:
        return self.ports.lmtp

    @property
    def ca_file(self) -> Path:
        return self.tls.ca_file

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        self._write_config()
        log = open(self.layout.root / "master.stderr", "ab")  # noqa: SIM115 - the child keeps it
        try:
            self._process = subprocess.Popen(
                [
                    str(setup.CYRUS_BIN / "master"),
                    "-C",
                    str(self.layout.imapd_conf),
                    "-M",
                    str(self.layout.cyrus_conf),
                    "-p",
                    str(self.layout.pid_file),
                ],  # fmt: skip
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=_environment(),
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        atexit.register(self.stop)
        try:
            self._wait_until_listening()
        except CyrusError:
            self.stop()
            raise

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        self.layout.pid_file.unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.layout.root, ignore_errors=True)

    def __enter__(self) -> CyrusServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def log_tail(self, lines: int = 40) -> str:
        path = self.layout.root / "master.stderr"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:]) or "(Cyrus logs to syslog)"

    # -- users -----------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        """Add (or re-password) a user; their INBOX is created at the first login or delivery."""
        if not _USER_NAME.match(name):
            raise ValueError(f"user names are lower-case letters, digits, '_', '-': {name!r}")
        self._set_password(name, password)
        self._users[name] = password

    def password(self, user: str) -> str:
        return self._users[user]

    @staticmethod
    def personal_folder(name: str) -> str:
        """The server's name of a personal folder written with '/': under INBOX., '.' between levels."""
        return "INBOX" if name.upper() == "INBOX" else "INBOX." + name.replace("/", ".")

    def new_mailbox(self, prefix: str = "user") -> RigMailbox:
        name = f"{prefix}-{secrets.token_hex(4)}"
        self.add_user(name, secrets.token_urlsafe(12))
        return RigMailbox(self, name)  # type: ignore[arg-type]

    # -- putting mail in -------------------------------------------------------------

    def deliver_lmtp(
        self, user: str, raw: bytes, sender: str = "sender@example.net", *, detail: str | None = None
    ) -> None:
        """Deliver into INBOX through Cyrus's LMTP service; a `detail` folder gets an APPEND."""
        if detail:
            self.append(user, self._users[user], detail, raw)
            return
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=30) as client:
            refused = client.sendmail(sender, [user], raw)
        if refused:
            raise CyrusError(f"LMTP refused delivery to {user}: {refused}")

    def append(
        self,
        user: str,
        password: str,
        folder: str,
        raw: bytes,
        flags: Iterable[str | bytes] = (),
        internal_date: datetime | None = None,
    ) -> int:
        with self.imap(user, password) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=tuple(flags), msg_time=internal_date)
        match = _APPENDUID.search(response)
        if match is None:
            raise CyrusError(f"APPEND gave no APPENDUID: {response!r}")
        return int(match.group(2))

    def bulk_seed(
        self, user: str, messages: Iterable[bytes], folder: str = "INBOX", *, flags: Iterable[str] = ()
    ) -> int:
        count = 0
        with self.imap(user, self._users[user]) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in messages:
                client.append(folder, raw, flags=tuple(flags))
                count += 1
        return count

    # -- server-side events tests need -----------------------------------------------

    def reset_uidvalidity(self, user: str, folder: str) -> int:
        """Give `folder` a new UIDVALIDITY and new UIDs, keeping messages, flags and dates.

        Cyrus cannot rename INBOX safely, so the rig saves the folder's messages, the
        admin removes the folder (for INBOX: the whole mailbox), and they are appended back.
        """
        with self.imap(user, self._users[user]) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["RFC822", "FLAGS", "INTERNALDATE"]) if uids else {}
            saved = [
                (data[b"RFC822"], data[b"FLAGS"], data[b"INTERNALDATE"])
                for _, data in sorted(fetched.items())
            ]
            client.unselect_folder()
            if folder.upper() != "INBOX":
                client.delete_folder(folder)
        if folder.upper() == "INBOX":
            with self.imap(ADMIN, self._users[ADMIN]) as admin:
                admin.setacl(f"user.{user}", ADMIN, _ALL_RIGHTS)
                admin.delete_folder(f"user.{user}")
        with self.imap(user, self._users[user]) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw, flags, when in saved:
                client.append(folder, raw, flags=tuple(f for f in flags if f != b"\\Recent"), msg_time=when)
            return int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])

    def set_alert(self, text: str | None) -> None:
        """Cyrus's message of the day: sent as `* OK [ALERT] text` after every login (None: none)."""
        motd = self.layout.config_dir / "msg" / "motd"
        if text is None:
            motd.unlink(missing_ok=True)
            return
        motd.parent.mkdir(exist_ok=True)
        motd.write_text(text + "\n")
        self._hand_over(motd.parent)
        self._hand_over(motd)

    def set_rights(self, user: str, folder: str, rights: str) -> None:
        """The admin sets `user`'s rights on their folder (server spelling, e.g. "INBOX.Sent")."""
        internal = f"user.{user}" + folder[len("INBOX") :]
        with self.imap(ADMIN, self._users[ADMIN]) as admin:
            admin.setacl(internal, user, rights)

    def kick(self, user: str) -> bool:
        """Drop every IMAP connection (Cyrus serves each in an imapd process of its own)."""
        master = psutil.Process(self._process.pid) if self._process is not None else None
        imapds = [p for p in master.children(recursive=True) if p.name() == "imapd"] if master else []
        for process in imapds:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(imapds, timeout=_STOP_TIMEOUT)
        return bool(imapds)

    def kill_connections(self) -> bool:
        return self.kick("*")

    def imap(self, user: str, password: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        try:
            client.login(user, password)
        except BaseException:
            client.shutdown()
            raise
        return client

    # -- internals -------------------------------------------------------------------

    def _prepare(self) -> None:
        root = self.layout.root
        os.chmod(root, 0o755)
        for path in self.layout.writable_dirs():
            path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.tls.cert_file, self.layout.cert_file)
        shutil.copyfile(self.tls.key_file, self.layout.key_file)
        os.chmod(self.layout.key_file, 0o600)
        self._write_config()
        for path in (*self.layout.writable_dirs(), self.layout.cert_file, self.layout.key_file, root):
            self._hand_over(path)

    def _write_config(self) -> None:
        self.layout.imapd_conf.write_text(
            render_imapd_conf(
                self.layout,
                self._owner.pw_name,
                idled=self.idled,
                idle_timeout_minutes=self.idle_timeout_minutes,
            )
        )
        self.layout.cyrus_conf.write_text(
            render_cyrus_conf(self.layout, setup.CYRUS_BIN, self.ports, idled=self.idled)
        )

    def _set_password(self, name: str, password: str) -> None:
        """saslpasswd2 reads the password from stdin: it never shows in a process list."""
        done = subprocess.run(
            [str(setup.SASLPASSWD), "-p", "-c", "-f", str(self.layout.sasldb), "-u", REALM, name],
            input=password.encode(),
            capture_output=True,
            env=_environment(),
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            raise CyrusError(f"saslpasswd2 failed: {done.stderr.decode(errors='replace').strip()}")
        self._users[name] = password
        self._hand_over(self.layout.sasldb)

    def _hand_over(self, path: Path) -> None:
        if os.geteuid() != self._owner.pw_uid:
            os.chown(path, self._owner.pw_uid, self._owner.pw_gid)

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        probes = [
            (self.ports.imap, False, b"* OK"),
            (self.ports.imaps, True, b"* OK"),
            (self.ports.lmtp, False, b"220"),
        ]
        while probes:
            assert self._process is not None
            if self._process.poll() is not None:
                raise CyrusError(
                    f"Cyrus master exited with status {self._process.returncode}: {self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise CyrusError(f"Cyrus did not greet on port {probes[0][0]} within {self.startup_timeout}s")
            port, use_tls, greeting = probes[0]
            if self._greets(port, use_tls, greeting):
                probes.pop(0)
            else:
                time.sleep(0.02)

    def _greets(self, port: int, use_tls: bool, greeting: bytes) -> bool:
        try:
            with socket.create_connection((self.host, port), timeout=5) as raw:
                if not use_tls:
                    return raw.recv(64).startswith(greeting)
                with self.tls.client_context().wrap_socket(raw, server_hostname="localhost") as wrapped:
                    return wrapped.recv(64).startswith(greeting)
        except OSError:
            return False


def _service_account() -> pwd.struct_passwd:
    """`nobody` as root (Cyrus will not serve mail as root), else the current user."""
    return pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        filter(None, [str(setup.CYRUS_LIBS), env.get("LD_LIBRARY_PATH")])
    )
    return env
