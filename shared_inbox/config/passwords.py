"""Obtaining a connection's password on demand.

Resolution is lazy so that loading or checking a configuration never runs a
command or unlocks a keyring by surprise. Failures raise `PasswordError` with a
message naming the config key; the command's output is never repeated, because
it may contain the secret.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence

from shared_inbox.config.errors import PasswordError
from shared_inbox.config.model import (
    KEYRING_SERVICE,
    ConnectionConfig,
    PasswordKind,
    PasswordSource,
    SmtpConfig,
)

PASSWORD_COMMAND_TIMEOUT = 10.0  # seconds


def resolve_password(
    conn: ConnectionConfig, env: Mapping[str, str], *, timeout: float = PASSWORD_COMMAND_TIMEOUT
) -> str | None:
    """The password for `conn`, or None when the connection does not log in.

    `env` is where `password_env` variables are looked up. Raises PasswordError.
    """
    source = conn.password
    if source is None:
        return None
    return resolve_secret(source, env, timeout=timeout)


def resolve_secret(
    source: PasswordSource, env: Mapping[str, str], *, timeout: float = PASSWORD_COMMAND_TIMEOUT
) -> str:
    """The secret a source names (a password or the team key). Raises PasswordError."""
    if source.kind is PasswordKind.PLAIN:
        return source.plain
    if source.kind is PasswordKind.ENV:
        return _from_env(source, env)
    if source.kind is PasswordKind.KEYRING:
        return _from_keyring(source)
    return run_password_command(source.argv, key=source.key, timeout=timeout)


def _from_env(source: PasswordSource, env: Mapping[str, str]) -> str:
    value = env.get(source.env_var)
    if value is None:
        raise PasswordError(source.key, f"the environment variable {source.env_var} is not set")
    if not value:
        raise PasswordError(source.key, f"the environment variable {source.env_var} is empty")
    return value


def _from_keyring(source: PasswordSource) -> str:
    try:
        import keyring  # optional dependency, imported only when asked for
    except ImportError:
        raise PasswordError(
            source.key,
            "keyring = true needs the Python package 'keyring', which is not installed "
            "(pip install 'shared-inbox[keyring]')",
        ) from None
    try:
        value = keyring.get_password(KEYRING_SERVICE, source.keyring_user)
    except Exception as exc:  # any backend failure (locked, no backend, D-Bus down) is reported the same way
        raise PasswordError(
            source.key, f"the keyring could not be read ({type(exc).__name__}: {exc})"
        ) from None
    if not value:
        raise PasswordError(
            source.key,
            f"the keyring has no password for service '{KEYRING_SERVICE}', user '{source.keyring_user}' "
            f"(store one with: keyring set {KEYRING_SERVICE} {source.keyring_user})",
        )
    return str(value)


def run_password_command(argv: Sequence[str], *, key: str, timeout: float = PASSWORD_COMMAND_TIMEOUT) -> str:
    """Run a password command without a shell; its stripped standard output is the password.

    Only the first line counts, so tools such as `pass show` that print more
    lines after the password work unchanged. The command runs in its own process
    group so a timeout also ends anything it started.
    """
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise PasswordError(key, f"the program {argv[0]!r} was not found") from None
    except PermissionError:
        raise PasswordError(key, f"the program {argv[0]!r} is not executable") from None
    except OSError as exc:
        raise PasswordError(key, f"the command could not be started ({exc.strerror})") from None
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise PasswordError(key, f"the command did not finish within {timeout:g} seconds") from None
    if process.returncode < 0:
        raise PasswordError(key, f"the command was killed by signal {-process.returncode}")
    if process.returncode != 0:
        raise PasswordError(key, f"the command failed with exit status {process.returncode}")
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError:
        raise PasswordError(key, "the command's output is not valid UTF-8") from None
    password = text.strip().split("\n", 1)[0].strip()
    if not password:
        raise PasswordError(key, "the command printed nothing")
    return password


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    if process.stdout is not None:
        process.stdout.close()
    process.wait()


TOKEN_ADVICE = "run it yourself to see why; your token helper may need you to sign in again"


def resolve_token(conn: ConnectionConfig, *, timeout: float = PASSWORD_COMMAND_TIMEOUT) -> str:
    """A fresh OAuth2 access token from `oauth2_token_command`. Raises PasswordError.

    The command runs each time a token is needed: token helpers cache and refresh
    tokens themselves, and a rejected token must be replaced by a newer one.
    """
    source = conn.token
    if source is None:
        raise PasswordError(f"{_section(conn)}.oauth2_token_command", "no token source is configured")
    try:
        return run_password_command(source.argv, key=source.key, timeout=timeout)
    except PasswordError as exc:
        raise PasswordError(exc.key, f"{exc.reason}; {TOKEN_ADVICE}") from None


def _section(conn: ConnectionConfig) -> str:
    return "smtp" if isinstance(conn, SmtpConfig) else "imap"
