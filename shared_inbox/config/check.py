"""The report printed by `shared-inbox config check`.

It summarises what the program understood from the file, lists every problem
with its line, and tries each password source, saying only whether it worked.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from shared_inbox.config.errors import ConfigError, PasswordError
from shared_inbox.config.load import load_config
from shared_inbox.config.model import (
    Auth,
    Config,
    ConnectionConfig,
    ImapConfig,
    PasswordKind,
    PasswordSource,
    Provider,
    SmtpConfig,
    TeamConfig,
)
from shared_inbox.config.passwords import PASSWORD_COMMAND_TIMEOUT, resolve_password, resolve_token
from shared_inbox.config.providers import FROM_DEFAULT, FROM_FILE, PRESETS
from shared_inbox.config.team_key import resolve_team_keys

_LABEL_WIDTH = 10
UNAUTHENTICATED = (
    "Team state is unauthenticated: anyone who can put a message into the events folder with the "
    "mailbox password can change it (mail delivered by a server is refused). Set [team] key_command, "
    "key_env or key_keyring to a key made with `shared-inbox team key --new` (see README, working as a team)."
)


def check_report(
    path: Path,
    env: Mapping[str, str],
    *,
    resolve_passwords: bool = True,
    timeout: float = PASSWORD_COMMAND_TIMEOUT,
    try_logins: Callable[[Config], list[tuple[str, str]]] | None = None,
    rule_problems: Callable[[Config], tuple[int, list[str]]] | None = None,
) -> tuple[bool, str]:
    """Validate the file at `path` and describe it. Returns (everything ok, report text).

    `try_logins` (from the layer that can connect) logs in to the servers and returns
    (label, "ok ..." | "failed: ...") rows; it runs only when the passwords were obtained.
    `rule_problems` reads the rule files: (how many rules can be used, every problem found).
    """
    try:
        config = load_config(path, env)
    except ConfigError as exc:
        return False, str(exc) + "\n\nResult: the configuration cannot be used.\n"
    lines = [f"Configuration: {path}", ""]
    lines.extend(_row(label, text) for label, text in summarise(config))
    lines += ["", "Effective settings:"]
    lines.extend(f"  {key} = {value}  ({origin})" for key, value, origin in effective_settings(config))
    if config.warnings:
        lines += ["", "Warnings:"]
        lines.extend(f"  {warning}" for warning in config.warnings)
    store_problem = store_path_problem(config.store.path)
    if store_problem is not None:
        lines += ["", "Store:", _row("store", f"failed: {store_problem}")]
    rules_broken = False
    if rule_problems is not None:
        usable, problems = rule_problems(config)
        rules_broken = bool(problems)
        lines += ["", "Rules:", _row("rules", f"{usable} rule{'s' if usable != 1 else ''} can be used")]
        lines.extend(f"  {problem}" for problem in problems)
    failed: list[str] = []
    if resolve_passwords:
        lines += ["", "Passwords:"]
        outcomes: dict[int, str] = {}
        for label, conn in (("imap", config.imap), ("smtp", config.smtp)):
            result = _password_outcome(conn, env, timeout, outcomes)
            what = "an access token" if conn.auth is Auth.OAUTH2 else "a password"
            if result.startswith("failed") and what not in failed:
                failed.append(what)
            lines.append(_row(label, result))
        if config.team.key is not None:
            result = _team_key_outcome(config, env, timeout)
            if result.startswith("failed"):
                failed.append("the team key")
            lines.append(_row("team key", result))
    if config.team.key is None:
        lines += ["", UNAUTHENTICATED]
    ok = not failed and store_problem is None and not rules_broken
    if try_logins is not None and resolve_passwords and not failed:
        lines += ["", "Logins:"]
        for label, result in try_logins(config):
            ok = ok and not result.startswith("failed")
            lines.append(_row(label, result))
    if ok:
        verdict = "Result: ok."
    elif failed:
        verdict = f"Result: the configuration is valid, but {' and '.join(failed)} could not be obtained."
    elif rules_broken:
        verdict = "Result: the configuration is valid, but some rules have problems and are left out."
    else:
        verdict = "Result: the configuration is valid, but it cannot be used as it is."
    lines += ["", verdict]
    return ok, "\n".join(lines) + "\n"


def store_path_problem(path: Path) -> str | None:
    """Why the store directory cannot be used, or None: it exists as a writable directory, or can be made."""
    if path.exists():
        if not path.is_dir():
            return f"{path} is not a directory"
        if not os.access(path, os.W_OK | os.X_OK):
            return f"{path} is not writable"
        return None
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is not a directory, so {path} cannot be created"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{parent} is not writable, so {path} cannot be created"
    return None


def effective_settings(config: Config) -> list[tuple[str, str, str]]:
    """(dotted key, value, where it came from) for the connection settings a provider preset can fill."""
    rows: list[tuple[str, str, str]] = []
    imap, smtp = config.imap, config.smtp
    values: list[tuple[str, object]] = [
        ("account.provider", config.account.provider.value),
        ("imap.host", imap.host),
        ("imap.port", imap.port),
        ("imap.security", imap.security.value),
        ("imap.auth", imap.auth.value),
    ]
    if imap.auth is Auth.OAUTH2:
        values.append(("imap.oauth2_mechanism", imap.oauth2_mechanism.value))
    values += [
        (
            "imap.sent_folder",
            imap.sent_folder
            if "sent" in imap.special_folders
            else f"the folder the server flags \\Sent (else {imap.sent_folder})",
        ),
        ("imap.connections", imap.connections),
        ("smtp.host", smtp.host),
        ("smtp.port", smtp.port),
        ("smtp.security", smtp.security.value),
        ("smtp.auth", smtp.auth.value),
    ]
    if smtp.auth is Auth.OAUTH2:
        values.append(("smtp.oauth2_mechanism", smtp.oauth2_mechanism.value))
    values.append(("smtp.server_saves_sent", smtp.server_saves_sent))
    for key, value in values:
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        origin = config.origins.get(key, FROM_DEFAULT)
        if key == "account.provider" and config.account.provider is not Provider.GENERIC:
            origin = FROM_FILE
        rows.append((key, shown, origin))
    client = config.oauth2
    if client is not None:
        settings = [
            ("oauth2.client_id", client.client_id),
            ("oauth2.token_url", client.token_url),
            ("oauth2.device_url", client.device_url or "(none)"),
            ("oauth2.authorize_url", client.authorize_url or "(none)"),
            ("oauth2.scopes", " ".join(client.scopes)),
            ("oauth2.token_store", client.token_store.value),
        ]
        rows.extend((key, value, config.origins.get(key, FROM_DEFAULT)) for key, value in settings)
        return rows
    oauth = PRESETS[config.account.provider].oauth
    if oauth is not None and Auth.OAUTH2 in (imap.auth, smtp.auth):
        origin = f"provider {config.account.provider.value}"
        rows.append(("oauth2 token endpoint", oauth.token_url, origin))
        rows.append(("oauth2 scopes", " ".join(oauth.scopes), origin))
    return rows


def summarise(config: Config) -> list[tuple[str, str]]:
    """One line per section, in the order of the file format."""
    team = config.team
    me = config.me
    threading = config.threading
    merge = (
        f"subject merge on, within {threading.subject_merge_window_days} days"
        if threading.subject_merge
        else "subject merge off"
    )
    keys = (
        f"{len(config.keys)} custom binding{'s' if len(config.keys) != 1 else ''}"
        if config.keys
        else "defaults"
    )
    return [
        ("account", f"{config.account.name} <{config.account.address}>"),
        ("imap", _describe_connection(config.imap)),
        ("smtp", _describe_connection(config.smtp)),
        (
            "team",
            f"me = {me.display()}; {len(team.members)} member{'s' if len(team.members) != 1 else ''}; "
            + _describe_team_key(team),
        ),
        ("store", str(config.store.path)),
        ("threading", merge),
        ("keys", keys),
        ("theme", config.theme or "default"),
    ]


def _describe_connection(conn: ConnectionConfig) -> str:
    login = f"as {conn.username}" if conn.username else "without login"
    parts = [f"{conn.host}:{conn.port}, security {conn.security}, {login}"]
    if conn.auth is Auth.OAUTH2:
        source = "oauth2_token_command" if conn.token is not None else "the built-in sign-in ([oauth2])"
        parts.append(f"OAuth2 ({conn.oauth2_mechanism}), access token from {source}")
    elif conn.password is not None:
        parts.append(f"password from {_describe_source(conn.password, conn.password_same_as_imap)}")
    if conn.tls_ca_file is not None:
        parts.append(f"CA file {conn.tls_ca_file}")
    if isinstance(conn, ImapConfig):
        sent = conn.sent_folder if "sent" in conn.special_folders else "found by its flag"
        parts.append(f"folders {', '.join(conn.folders)}; sent folder {sent}")
        parts.append(f"IDLE {_describe_idle(conn)}; batches of {conn.batch_size}")
        if conn.sync_since_days is not None:
            parts.append(f"mail of the last {conn.sync_since_days} days kept locally")
    elif isinstance(conn, SmtpConfig):
        saves = conn.server_saves_sent
        parts.append("the server files sent mail" if saves else "sent mail is filed by shared-inbox")
    return "; ".join(parts)


def _describe_source(source: PasswordSource, shared: bool) -> str:
    if shared:
        return "the [imap] section"
    if source.kind is PasswordKind.COMMAND:
        return "password_command"
    if source.kind is PasswordKind.ENV:
        return f"${source.env_var}"
    if source.kind is PasswordKind.KEYRING:
        return "the system keyring"
    return "the config file (plain password)"


def _describe_team_key(team: TeamConfig) -> str:
    if team.key is None:
        return "team state unauthenticated (no team key)"
    text = f"team state signed, key from {_describe_key_source(team.key)}"
    if team.previous_key is not None:
        text += f", previous key from {_describe_key_source(team.previous_key)}"
    return text


def _describe_key_source(source: PasswordSource) -> str:
    if source.kind is PasswordKind.COMMAND:
        return source.key.rpartition(".")[2]
    return _describe_source(source, False)


def _team_key_outcome(config: Config, env: Mapping[str, str], timeout: float) -> str:
    try:
        resolve_team_keys(config.team, env, timeout=timeout)
    except PasswordError as exc:
        return f"failed: {exc}"
    return "ok"


def _password_outcome(
    conn: ConnectionConfig, env: Mapping[str, str], timeout: float, seen: dict[int, str]
) -> str:
    """ "ok" / "failed: reason" / "not needed"; a source shared by both connections is tried once."""
    if conn.auth is Auth.OAUTH2 and conn.token is not None:
        token_key = id(conn.token)
        if token_key not in seen:
            try:
                resolve_token(conn, timeout=timeout)
            except PasswordError as exc:
                seen[token_key] = f"failed: {exc}"
            else:
                seen[token_key] = "ok (access token)"
        return seen[token_key]
    if conn.auth is Auth.OAUTH2:
        return "from the built-in sign-in (`shared-inbox auth login`); tried with the logins"
    if conn.password is None:
        return "not needed (no login)"
    key = id(conn.password)
    if key not in seen:
        try:
            resolve_password(conn, env, timeout=timeout)
        except PasswordError as exc:
            seen[key] = f"failed: {exc}"
        else:
            seen[key] = "ok"
    return seen[key]


def _row(label: str, text: str) -> str:
    return f"  {label:<{_LABEL_WIDTH}}{text}"


def _describe_idle(conn: ImapConfig) -> str:
    if not conn.idle:
        return "off"
    poll = (
        "checked every 15 s on servers with lazy IDLE"
        if conn.idle_poll is None
        else (f"checked every {conn.idle_poll} s" if conn.idle_poll else "never checked in between")
    )
    return f"on (renewed every {conn.idle_renew} s; {poll})"
