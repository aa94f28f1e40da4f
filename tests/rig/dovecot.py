"""A real Dovecot IMAP/LMTP server for integration tests, started in a temp directory.

The server listens on free loopback ports: plaintext IMAP offering STARTTLS, implicit
TLS IMAP, and LMTP. Each user has a one-line passwd-file of their own, so users can be
added while it runs and are known at once. Works as root and as an ordinary user.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import re
import secrets
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient

from tests.rig import maildir
from tests.rig.dovecot_config import Accounts, Layout, Ports, render_config, render_oauth2
from tests.rig.tls import TlsFiles, make_tls_files

HOST = "127.0.0.1"
_USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
_PORT_ATTEMPTS = 3
_STOP_TIMEOUT = 10.0
_SOCKET_PATH_BUDGET = 70
_SHM = "/dev/shm"
_PR_SET_PDEATHSIG = 1
_PRCTL: Callable[..., int] | None
try:  # looked up here, not in the forked child, where loading a library is unsafe
    _PRCTL = ctypes.CDLL(None).prctl
except (OSError, AttributeError):
    _PRCTL = None
_SHM_MINIMUM_FREE = 2 << 30  # unix socket paths must stay under 108 bytes with Dovecot's suffixes


class DovecotError(RuntimeError):
    """The server could not be started or did not do what the rig asked."""


def find_dovecot() -> str | None:
    """The dovecot binary, also where a non-root PATH lacks /usr/sbin."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    return shutil.which("dovecot", path=search)


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports that were free a moment ago (all held open while picking)."""
    with contextlib.ExitStack() as stack:
        sockets = [
            stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)
        ]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


class DovecotServer:
    """One private Dovecot instance; see the module docstring.

    Use as a context manager or call `start()` and `close()`. `directory` defaults to a
    fresh temp directory that `close()` removes.
    """

    kind = "dovecot"

    def __init__(
        self,
        directory: Path | None = None,
        tls: TlsFiles | None = None,
        *,
        startup_timeout: float = 20.0,
        introspection_url: str | None = None,
        special_folders: Mapping[str, str] | None = None,
    ) -> None:
        binary = find_dovecot()
        if binary is None:
            raise DovecotError("dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)")
        self._binary = binary
        self._doveadm = shutil.which("doveadm", path=os.path.dirname(binary) + os.pathsep + "/usr/bin")
        self._owns_directory = directory is None
        root = (
            Path(tempfile.mkdtemp(prefix="dovecot-rig-", dir=_scratch_parent()))
            if directory is None
            else directory
        )
        root.mkdir(parents=True, exist_ok=True)
        self.accounts = Accounts.for_current_process()
        base_dir = root / "run"
        if len(str(base_dir)) > _SOCKET_PATH_BUDGET:
            base_dir = Path(tempfile.mkdtemp(prefix="dvr-", dir="/tmp"))
        self.layout = Layout(root=root, base_dir=base_dir)
        self.tls = tls if tls is not None else make_tls_files(root / "tls")
        self.startup_timeout = startup_timeout
        self.introspection_url = introspection_url  # tokens are checked here (XOAUTH2, OAUTHBEARER)
        self.special_folders = special_folders  # folder name -> RFC 6154 flag; None: the usual English names
        self.host = HOST
        self.ports = Ports(*free_ports(3))
        self._users: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._prepare_directories()

    # -- addresses -------------------------------------------------------------------

    @property
    def port(self) -> int:
        """Plaintext IMAP port; STARTTLS is offered."""
        return self.ports.imap

    @property
    def tls_port(self) -> int:
        """Implicit-TLS IMAP port."""
        return self.ports.imaps

    @property
    def lmtp_port(self) -> int:
        return self.ports.lmtp

    @property
    def ca_file(self) -> Path:
        """The CA that signed the server certificate; clients verify against it."""
        return self.tls.ca_file

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start Dovecot and return once all three ports greet."""
        if self.running:
            return
        for attempt in range(_PORT_ATTEMPTS):
            self._spawn()
            try:
                self._wait_until_listening()
                atexit.register(self.stop)
                return
            except DovecotError:
                log = self.log_tail()
                self.stop()
                if "Address already in use" not in log or attempt == _PORT_ATTEMPTS - 1:
                    raise
                # Another process took a port between our probe and Dovecot's bind.
                self.ports = Ports(*free_ports(3))

    def stop(self) -> None:
        """SIGTERM the master (it stops its children) and wait for it to exit."""
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
        # Logged-in imap processes can outlive the master; they share its process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        # A master stopped early in its start-up leaves its pid file; that pid is gone now.
        (self.layout.base_dir / "master.pid").unlink(missing_ok=True)

    def restart(self) -> None:
        """Stop and start on the same ports; every client connection is dropped."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self._owns_directory:
            shutil.rmtree(self.layout.root, ignore_errors=True)
        if self.layout.base_dir.parent != self.layout.root:
            shutil.rmtree(self.layout.base_dir, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def log_tail(self, lines: int = 40) -> str:
        text = ""
        for path in (self.layout.log, self.layout.root / "dovecot.stderr"):
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- users -----------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> Path:
        """Add (or re-password) a user and return their home; works while running."""
        if not _USER_NAME.match(name):
            raise ValueError(f"user names are lower-case letters, digits, '.', '_', '-': {name!r}")
        if any(ch in password for ch in ":\r\n\0"):
            raise ValueError("passwords for the passwd-file cannot contain ':' or line breaks")
        self._users[name] = password
        home = self.home(name)
        if not home.is_dir():
            home.mkdir(mode=0o700)
            self._hand_to_mail_account(home)
        self._write_passwd(name, password)
        return home

    def password(self, user: str) -> str:
        return self._users[user]

    @staticmethod
    def personal_folder(name: str) -> str:
        """The server's name of a personal folder written with '/' ("Sent", "A/B"): as it is."""
        return name

    def home(self, user: str) -> Path:
        self._require_user(user)
        return self.layout.homes / user

    def _require_user(self, user: str) -> None:
        if user not in self._users:
            raise KeyError(f"unknown rig user {user!r}")

    def new_mailbox(self, prefix: str = "user") -> RigMailbox:
        """A brand-new user with a random password and an empty mailbox."""
        name = f"{prefix}-{secrets.token_hex(4)}"
        self.add_user(name, secrets.token_urlsafe(12))
        return RigMailbox(self, name)

    # -- putting mail in -------------------------------------------------------------

    def deliver_lmtp(
        self, user: str, raw: bytes, sender: str = "sender@example.net", *, detail: str | None = None
    ) -> None:
        """Deliver through Dovecot's LMTP service, as an MTA would: to INBOX, or to the folder
        named by `detail` (user+detail, filed there by lmtp_save_to_detail_mailbox)."""
        self._require_user(user)
        recipient = f"{user}+{detail}" if detail else user
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=30) as client:
            refused = client.sendmail(sender, [recipient], raw)
        if refused:
            raise DovecotError(f"LMTP refused delivery to {user}: {refused}")

    def append(
        self,
        user: str,
        password: str,
        folder: str,
        raw: bytes,
        flags: Iterable[str | bytes] = (),
        internal_date: datetime | None = None,
    ) -> int:
        """IMAP APPEND one message and return its UID."""
        with self.imap(user, password) as client:
            response = client.append(folder, raw, flags=tuple(flags), msg_time=internal_date)
        match = _APPENDUID.search(response)
        if match is None:
            raise DovecotError(f"APPEND gave no APPENDUID: {response!r}")
        return int(match.group(2))

    def bulk_seed(
        self, user: str, messages: Iterable[bytes], folder: str = "INBOX", *, flags: Iterable[str] = ()
    ) -> int:
        """Write many messages straight into the user's Maildir; see `tests.rig.maildir`.

        Works before start and while running: Dovecot indexes the files at the next
        sync of the folder. Returns how many messages were written.
        """
        root = self.home(user) / "Maildir"
        path = maildir.folder_path(root, folder)
        if path != root and not path.is_dir() and self.running:
            # Let Dovecot create the folder so its mailbox list knows about it.
            with self.imap(user, self._users[user]) as client:
                if not client.folder_exists(folder):  # logging in auto-creates the special-use ones
                    client.create_folder(folder)
        if not root.is_dir():
            maildir.ensure_maildir(root, self._mail_owner())
        return maildir.write_messages(path, messages, flags=flags, owner=self._mail_owner())

    # -- server-side events tests need -----------------------------------------------

    def reset_uidvalidity(self, user: str, folder: str) -> int:
        """Give `folder` a new UIDVALIDITY and new UIDs, keeping messages and flags.

        Messages are copied onto themselves (new UIDs), the originals expunged, then
        doveadm sets a different UIDVALIDITY, as after a server restore or migration.
        Returns the new UIDVALIDITY.
        """
        with self.imap(user, self._users[user]) as client:
            client.select_folder(folder)
            uids = client.search("ALL")
            if uids:
                client.copy(uids, folder)
                client.delete_messages(uids)
                client.uid_expunge(uids)
            old = int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])
        new = old % 0xFFFFFFFF + 1
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(new), folder)
        return new

    def kick(self, user: str) -> bool:
        """Drop every IMAP connection of `user` (a `*` mask matches all); False if none was open.

        Returns once the serving processes are gone, so the next command a client
        sends is certain to hit a closed connection.
        """
        pids = self._connection_pids(user)
        done = self.doveadm("kick", user, check=False)
        if done.returncode == 68:  # EX_NOUSER: nobody was connected
            return False
        if done.returncode != 0:
            raise DovecotError(f"doveadm kick failed: {done.stderr.strip()}")
        deadline = time.monotonic() + _STOP_TIMEOUT
        while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.01)
        return True

    def kill_connections(self) -> bool:
        """Drop every logged-in client connection of every user."""
        return self.kick("*")

    def _connection_pids(self, user: str) -> list[int]:
        listing = self.doveadm("who", "-1", user, check=False).stdout.splitlines()[1:]
        return [int(fields[2]) for fields in (line.split() for line in listing) if len(fields) >= 3]

    def doveadm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run doveadm against this instance's config."""
        if self._doveadm is None:
            raise DovecotError("doveadm is not installed")
        done = subprocess.run(
            [self._doveadm, "-c", str(self.layout.config), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if check and done.returncode != 0:
            raise DovecotError(f"doveadm {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
        return done

    def imap(self, user: str, password: str) -> IMAPClient:
        """A logged-in plaintext IMAP client (no TLS: the rig's own bookkeeping)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        try:
            client.login(user, password)
        except BaseException:
            client.shutdown()
            raise
        return client

    # -- internals -------------------------------------------------------------------

    def _prepare_directories(self) -> None:
        root = self.layout.root
        if self.accounts.needs_chown:
            # The mail account must be able to walk down to the homes.
            _check_traversable(root)
            os.chmod(root, 0o711)
        for path in (self.layout.state_dir, self.layout.base_dir):
            path.mkdir(exist_ok=True)
        os.chmod(self.layout.base_dir, 0o755)  # login processes run as the unprivileged account
        self.layout.homes.mkdir(exist_ok=True)
        self.layout.users.mkdir(mode=0o700, exist_ok=True)
        self._hand_to_mail_account(self.layout.users)
        os.chmod(self.layout.homes, 0o711)
        self._write_config()

    def _write_passwd(self, name: str, password: str) -> None:
        """Replace the user's passwd-file atomically with a strictly newer mtime.

        Dovecot re-reads a changed file by mtime and size (at most once a second), so
        a new password of the same length needs the mtime to move on.
        """
        path = self.layout.users / name
        previous = int(path.stat().st_mtime) if path.exists() else 0
        temporary = path.with_suffix(".new")
        temporary.write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        os.chmod(temporary, 0o600)
        self._hand_to_mail_account(temporary)  # the auth service reads it
        stamp = max(int(time.time()), previous + 1)
        os.utime(temporary, (stamp, stamp))
        os.replace(temporary, path)

    def _write_config(self) -> None:
        oauth2 = self.introspection_url is not None
        if self.introspection_url is not None:
            self.layout.oauth2.write_text(render_oauth2(self.introspection_url))
            os.chmod(self.layout.oauth2, 0o644)  # the auth service reads it
        text = render_config(
            self.layout,
            self.ports,
            self.tls,
            self.accounts,
            oauth2=oauth2,
            special_folders=self.special_folders,
        )
        self.layout.config.write_text(text)
        os.chmod(self.layout.config, 0o600)

    def _spawn(self) -> None:
        self._write_config()
        stderr = open(self.layout.root / "dovecot.stderr", "ab")  # noqa: SIM115 - the child keeps it
        try:
            self._process = subprocess.Popen(
                [self._binary, "-F", "-c", str(self.layout.config)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            stderr.close()

    def _wait_until_listening(self) -> None:
        """Poll until each port greets (IMAP "* OK", TLS handshake then "* OK", LMTP "220").

        Waiting for the greeting, not just the TCP accept, also means the processes that
        served the probes are fully up, so an immediate stop() does not leave them
        waiting on services that are already gone.
        """
        deadline = time.monotonic() + self.startup_timeout
        probes = [
            (self.ports.imap, False, b"* OK"),
            (self.ports.imaps, True, b"* OK"),
            (self.ports.lmtp, False, b"220"),
        ]
        while probes:
            assert self._process is not None
            if self._process.poll() is not None:
                raise DovecotError(
                    f"dovecot exited with status {self._process.returncode}; log tail:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise DovecotError(
                    f"dovecot did not greet on port {probes[0][0]} within {self.startup_timeout}s; "
                    f"log tail:\n{self.log_tail()}"
                )
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

    def _mail_owner(self) -> tuple[int, int] | None:
        return (self.accounts.mail_uid, self.accounts.mail_gid) if self.accounts.needs_chown else None

    def _hand_to_mail_account(self, path: Path) -> None:
        owner = self._mail_owner()
        if owner is not None:
            os.chown(path, *owner)


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM the master if the test process dies.

    A test run killed with SIGKILL runs no cleanup; without this its Dovecot would
    keep running, holding ports and memory. (Start servers from the main thread: the
    signal fires when the thread that started the server ends.)
    """
    if _PRCTL is not None:  # elsewhere atexit and stop() still clean up on a normal exit
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _scratch_parent() -> str | None:
    """/dev/shm when it is a roomy tmpfs, else the usual temp dir.

    Creating a file on these machines' disk costs about half a millisecond, on tmpfs
    about 12 microseconds: seeding and delivery are many times faster in memory.
    """
    try:
        stats = os.statvfs(_SHM)
    except OSError:
        return None
    roomy = stats.f_bavail * stats.f_frsize >= _SHM_MINIMUM_FREE
    return _SHM if roomy and os.access(_SHM, os.W_OK | os.X_OK) else None


def _check_traversable(directory: Path) -> None:
    for parent in directory.resolve().parents:
        if not os.stat(parent).st_mode & 0o001:
            raise DovecotError(
                f"{parent} is not searchable by others; as root the mail account needs to reach "
                f"{directory} (let DovecotServer create its own directory)"
            )


@dataclass(frozen=True, slots=True)
class RigMailbox:
    """One user's mailbox on a running rig server, with what a client needs to log in."""

    server: DovecotServer
    user: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def tls_port(self) -> int:
        return self.server.tls_port

    @property
    def password(self) -> str:
        return self.server.password(self.user)

    @property
    def ca_file(self) -> Path:
        return self.server.ca_file

    @property
    def home(self) -> Path:
        return self.server.home(self.user)

    def deliver(self, raw: bytes, *, detail: str | None = None) -> None:
        """Deliver over LMTP into INBOX, or into the folder `detail` names (user+detail)."""
        self.server.deliver_lmtp(self.user, raw, detail=detail)

    def append(
        self,
        folder: str,
        raw: bytes,
        flags: Iterable[str | bytes] = (),
        internal_date: datetime | None = None,
    ) -> int:
        return self.server.append(self.user, self.password, folder, raw, flags, internal_date)

    def bulk_seed(
        self, messages: Iterable[bytes], folder: str = "INBOX", *, flags: Iterable[str] = ()
    ) -> int:
        return self.server.bulk_seed(self.user, messages, folder, flags=flags)

    def imap(self) -> IMAPClient:
        """A logged-in plaintext IMAP client for checking what the server holds."""
        return self.server.imap(self.user, self.password)

    def folder(self, name: str) -> str:
        """The server's own name of the personal folder `name` (written with '/')."""
        return self.server.personal_folder(name)
