"""Validation of the [imap] and [smtp] sections, including where passwords come from."""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from shared_inbox.config.lines import format_path
from shared_inbox.config.model import (
    Auth,
    ImapConfig,
    OAuthMechanism,
    PasswordKind,
    PasswordSource,
    Security,
    SmtpConfig,
)
from shared_inbox.config.reader import Table, type_name

CONNECTION_KEYS = frozenset(
    {
        "host",
        "port",
        "security",
        "username",
        "tls_ca_file",
        "password_command",
        "password_env",
        "keyring",
        "password",
        "auth",
        "oauth2_mechanism",
        "oauth2_token_command",
    }
)
SPECIAL_FOLDER_KEYS = ("sent_folder", "drafts_folder", "junk_folder", "archive_folder", "trash_folder")
IMAP_ONLY_KEYS = frozenset(
    {
        "folders",
        "idle",
        "idle_renew",
        "idle_poll",
        "batch_size",
        "sync_since",
        "connections",
        *SPECIAL_FOLDER_KEYS,
    }
)
SMTP_ONLY_KEYS = frozenset({"server_saves_sent", "password_same_as_imap"})
IMAP_KEYS = CONNECTION_KEYS | IMAP_ONLY_KEYS
DEFAULT_IDLE_RENEW = 8 * 60  # seconds: some providers end an IDLE after about 10 minutes
SMTP_KEYS = CONNECTION_KEYS | SMTP_ONLY_KEYS

DEFAULT_PORTS = {
    "imap": {Security.TLS: 993, Security.STARTTLS: 143, Security.NONE: 143},
    "smtp": {Security.TLS: 465, Security.STARTTLS: 587, Security.NONE: 25},
}
# Ports that only make sense with one kind of security: a mismatch is almost always a typo.
_PORT_EXPECTS = {
    "imap": {993: Security.TLS, 143: Security.STARTTLS},
    "smtp": {465: Security.TLS, 587: Security.STARTTLS},
}
_PASSWORD_KEYS = ("password_command", "password_env", "keyring", "password")
_SMTP_PASSWORD_KEYS = (*_PASSWORD_KEYS, "password_same_as_imap")
_SOURCE_ADVICE = "use password_command, password_env or keyring = true instead"
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HOST_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?")


@dataclass(frozen=True, slots=True)
class FileContext:
    """Facts about the file being validated that some checks depend on."""

    source: str
    file_mode: int | None  # permission bits of the file, None when parsing text
    base_dir: Path | None  # relative paths are relative to the config file's directory
    home: Path

    def expand(self, raw: str) -> Path:
        """A user-written path: ``~`` expanded, relative paths anchored at the config file."""
        if raw == "~" or raw.startswith("~/"):
            path = self.home / raw[2:]
        else:
            path = Path(raw).expanduser() if raw.startswith("~") else Path(raw)
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return path


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only hosts where plaintext is acceptable."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _placeholder_imap() -> ImapConfig:
    return ImapConfig(host="", port=993, security=Security.TLS, username="")


def read_imap(root: Table, ctx: FileContext) -> ImapConfig:
    if not root.has("imap"):
        root.problem("imap", "missing required section [imap] (the support mailbox)")
        return _placeholder_imap()
    table = root.table("imap", IMAP_KEYS, elsewhere=dict.fromkeys(SMTP_ONLY_KEYS, "[smtp]"))
    host, port, security, ca_file = _endpoint(table, "imap", ctx)
    username = table.required_text("username", what="the login name of the support mailbox")
    auth, mechanism, token = _oauth(table, None, built_in=root.has("oauth2"))
    password = None
    if auth is Auth.PASSWORD:
        password = _password_source(table, ctx, username, imap=None)
        if password is None and username and not sources_given(table.data, _PASSWORD_KEYS):
            table.problem(None, "no password source", _needs_source_hint())
    return ImapConfig(
        auth=auth,
        oauth2_mechanism=mechanism,
        token=token,
        host=host,
        port=port,
        security=security,
        username=username,
        tls_ca_file=ca_file,
        password=password,
        folders=table.text_list("folders", ("INBOX",)),
        sent_folder=table.text("sent_folder", "Sent"),
        special_folders=MappingProxyType(
            {
                key.removesuffix("_folder"): name
                for key in SPECIAL_FOLDER_KEYS
                if (name := table.optional_text(key)) is not None
            }
        ),
        idle=table.flag("idle", True),
        idle_renew=table.integer("idle_renew", DEFAULT_IDLE_RENEW, minimum=5, maximum=29 * 60),
        idle_poll=table.integer("idle_poll", 0, minimum=0, maximum=3600) if table.has("idle_poll") else None,
        batch_size=table.integer("batch_size", 500, minimum=1, maximum=10_000),
        sync_since_days=_window_days(table, "sync_since"),
        connections=_connections(table),
    )


def _connections(table: Table) -> int:
    """How many IMAP connections an agent holds while syncing: 1 or 2."""
    raw = table.data.get("connections")
    if isinstance(raw, int) and not isinstance(raw, bool) and raw not in (1, 2):
        hint = "1 idles on INBOX and checks the team events folder in between; 2 idles on both"
        table.problem("connections", f"must be 1 or 2, got {raw}", hint)
        return 2
    return table.integer("connections", 2, minimum=1, maximum=2)


_WINDOW = re.compile(r"^\s*(\d{1,5})\s*([dwmy])\s*$")
_WINDOW_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def _window_days(table: Table, key: str) -> int | None:
    """``"365d"``, ``"52w"``, ``"12m"`` or ``"1y"`` as a number of days; absent means no limit."""
    text = table.optional_text(key)
    if text is None:
        return None
    match = _WINDOW.match(text.lower())
    days = int(match.group(1)) * _WINDOW_DAYS[match.group(2)] if match else 0
    if days < 1:
        table.problem(key, f'{text!r} is not a time span; write it like "365d", "26w", "12m" or "2y"')
        return None
    return days


def read_smtp(root: Table, ctx: FileContext, imap: ImapConfig) -> SmtpConfig:
    if not root.has("smtp"):
        root.problem("smtp", "missing required section [smtp] (the server replies are sent through)")
        return SmtpConfig(host="", port=465, security=Security.TLS, username=None)
    table = root.table("smtp", SMTP_KEYS, elsewhere=dict.fromkeys(IMAP_ONLY_KEYS, "[imap]"))
    host, port, security, ca_file = _endpoint(table, "smtp", ctx)
    same_as_imap = table.flag("password_same_as_imap", False)
    username = table.optional_text("username")
    auth, mechanism, token = _oauth(table, imap, built_in=root.has("oauth2"))
    if username is None and (same_as_imap or auth is Auth.OAUTH2) and not table.has("username"):
        username = imap.username
    imap_data = root.data.get("imap")
    imap_lacks_source = isinstance(imap_data, dict) and not sources_given(imap_data, _PASSWORD_KEYS)
    password = None
    if auth is Auth.PASSWORD:
        password = _password_source(table, ctx, username, imap=imap, imap_lacks_source=imap_lacks_source)
    if (
        auth is Auth.PASSWORD
        and password is None
        and username
        and not sources_given(table.data, _SMTP_PASSWORD_KEYS)
    ):
        table.problem(
            "username",
            "a username is set but no password source",
            _needs_source_hint()
            + " (or password_same_as_imap = true); remove username for a server without login",
        )
    return SmtpConfig(
        auth=auth,
        oauth2_mechanism=mechanism,
        token=token,
        host=host,
        port=port,
        security=security,
        username=username,
        tls_ca_file=ca_file,
        password=password,
        password_same_as_imap=same_as_imap,
        server_saves_sent=table.flag("server_saves_sent", False),
    )


def _oauth(
    table: Table, imap: ImapConfig | None, *, built_in: bool
) -> tuple[Auth, OAuthMechanism, PasswordSource | None]:
    """`auth`, the SASL mechanism and the token source; `imap` is given for SMTP, which shares its token.

    No token source (None) with `auth = "oauth2"` means the built-in sign-in of [oauth2] (`built_in`).
    """
    auth = table.choice("auth", Auth, Auth.PASSWORD)
    mechanism = table.choice("oauth2_mechanism", OAuthMechanism, OAuthMechanism.AUTO)
    if auth is Auth.PASSWORD:
        for key in ("oauth2_token_command", "oauth2_mechanism"):
            if table.has(key):
                table.problem(key, 'only used with auth = "oauth2"', 'set auth = "oauth2" or remove this key')
        return auth, mechanism, None
    for key in sources_given(table.data, _SMTP_PASSWORD_KEYS if imap is not None else _PASSWORD_KEYS):
        table.problem(
            key,
            'auth = "oauth2" signs in with an access token, not a password',
            'remove this key, or set auth = "password" (e.g. for an app password)',
        )
    if table.has("oauth2_token_command"):
        argv = command_argv(table, "oauth2_token_command")
        dotted = format_path(table.path + ("oauth2_token_command",))
        return auth, mechanism, PasswordSource(PasswordKind.COMMAND, dotted, argv=argv) if argv else None
    if imap is not None and imap.token is not None:
        return auth, mechanism, imap.token
    if not built_in:
        table.problem(
            None,
            'auth = "oauth2" needs a token source',
            "add an [oauth2] section with the client_id you registered (then run `shared-inbox auth login`), "
            "or set oauth2_token_command to a program that prints an access token "
            "(oama, mutt_oauth2.py, pizauth, ...)",
        )
    return auth, mechanism, None


def _needs_source_hint() -> str:
    return "set one of password_command, password_env, keyring = true or password"


def _endpoint(table: Table, kind: str, ctx: FileContext) -> tuple[str, int, Security, Path | None]:
    host = _host(table)
    security = table.choice("security", Security, Security.TLS)
    port = table.integer("port", DEFAULT_PORTS[kind][security], minimum=1, maximum=65_535)
    expected = _PORT_EXPECTS[kind].get(port)
    if (
        table.has("port")
        and expected is not None
        and expected is not security
        and security is not Security.NONE
    ):
        table.warn("port", f'port {port} usually means security = "{expected}", but "{security}" is set')
    if security is Security.NONE and host and not is_loopback(host):
        table.problem(
            "security",
            f'"none" means no encryption at all; it is only allowed for a loopback host, not {host!r}',
            'use "tls" or "starttls" (localhost, 127.0.0.0/8 and ::1 may use "none")',
        )
    ca_file = None
    raw_ca = table.optional_text("tls_ca_file")
    if raw_ca is not None:
        ca_file = ctx.expand(raw_ca)
        if not ca_file.is_file():
            table.problem("tls_ca_file", f"file not found: {ca_file}", "give the PEM file of your private CA")
        elif not os.access(ca_file, os.R_OK):
            table.problem("tls_ca_file", f"file is not readable: {ca_file}")
        elif security is Security.NONE:
            table.warn("tls_ca_file", 'ignored because security = "none"')
    return host, port, security, ca_file


def _host(table: Table) -> str:
    host = table.required_text("host", what="the server's host name")
    if not host:
        return ""
    bare = host.strip("[]") if host.startswith("[") and host.endswith("]") else host
    if "://" in host or (not _HOST_NAME.fullmatch(bare) and not _is_ip(bare)):
        table.problem(
            "host",
            f"{host!r} is not a host name",
            "write only the name, e.g. imap.example.com; port and security are separate keys",
        )
        return ""
    return bare


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def sources_given(data: Mapping[str, object], keys: Sequence[str]) -> list[str]:
    """The password keys present; `keyring = false` and `password_same_as_imap = false` do not count."""
    return [key for key in keys if key in data and data[key] is not False]


def _password_source(
    table: Table,
    ctx: FileContext,
    username: str | None,
    *,
    imap: ImapConfig | None,
    imap_lacks_source: bool = False,
) -> PasswordSource | None:
    """At most one source; `imap` is given for SMTP, which may reuse the IMAP password.

    Returns None both when no source is given and when the given one is invalid
    (a problem is recorded then).
    """
    chosen = sources_given(table.data, _PASSWORD_KEYS if imap is None else _SMTP_PASSWORD_KEYS)
    if len(chosen) > 1:
        table.problem(chosen[1], f"choose one password source, not {' and '.join(chosen)}")
        return None
    if not chosen:
        return None
    key = chosen[0]
    dotted = format_path(table.path + (key,))
    if key == "password_same_as_imap":
        if imap is None or not isinstance(table.data[key], bool):
            return None  # the type problem is recorded where the flag is read
        if imap_lacks_source:
            table.problem(key, "[imap] has no password source to share")
        return imap.password
    if username is None:
        table.problem(key, "a password source needs a username", "add username = ... to this section")
        return None
    if key == "password_command":
        argv = command_argv(table, key)
        return PasswordSource(PasswordKind.COMMAND, dotted, argv=argv) if argv else None
    if key == "password_env":
        name = table.optional_text(key)
        if name is not None and not ENV_NAME.fullmatch(name):
            table.problem(key, f"{name!r} is not an environment variable name", "e.g. SUPPORT_IMAP_PASSWORD")
            return None
        return PasswordSource(PasswordKind.ENV, dotted, env_var=name) if name else None
    if key == "keyring":
        if not table.flag(key, False):
            return None
        return PasswordSource(PasswordKind.KEYRING, dotted, keyring_user=username)
    return _plain_password(table, ctx, dotted)


def command_argv(table: Table, key: str) -> tuple[str, ...]:
    """The argv of a secret command: a string split like a shell would (but never run by one), or an array."""
    raw = table.data[key]
    if isinstance(raw, list):
        if raw and all(isinstance(arg, str) for arg in raw) and raw[0].strip():
            return tuple(str(arg) for arg in raw)
        table.problem(key, "must be a non-empty array of strings")
        return ()
    if not isinstance(raw, str):
        table.problem(key, f"expected a string or an array of strings, got {type_name(raw)}")
        return ()
    text = table.optional_text(key)
    if text is None:
        return ()
    try:
        argv = tuple(shlex.split(text))
    except ValueError as exc:
        table.problem(key, f"cannot be split into arguments ({exc})", "check the quotes")
        return ()
    return argv


def _plain_password(table: Table, ctx: FileContext, dotted: str) -> PasswordSource | None:
    value = table.optional_text("password", secret=True)
    if value is None:
        return None
    mode = ctx.file_mode
    if mode is not None and mode & 0o077:
        table.problem(
            "password",
            f"a plain password is refused: the file is readable by other users (mode {mode & 0o777:04o})",
            f"run: chmod 600 {ctx.source}  (better: {_SOURCE_ADVICE})",
        )
        return None
    table.warn("password", f"a plain password in the config file is discouraged; {_SOURCE_ADVICE}")
    return PasswordSource(PasswordKind.PLAIN, dotted, plain=value)
