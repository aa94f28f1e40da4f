"""Where the team key comes from: `[team] key_command`, `key_env` or `key_keyring`, like passwords.

The key signs the team's messages in the events folder. `previous_key_*` names
the key the team used before a change, accepted for reading until a compaction
has re-signed the folder. Nothing is run or unlocked at load time; the key is
obtained with :func:`resolve_team_keys` when team state is exchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared_inbox.config.connections import ENV_NAME, command_argv, sources_given
from shared_inbox.config.errors import PasswordError
from shared_inbox.config.lines import format_path
from shared_inbox.config.model import PasswordKind, PasswordSource, TeamConfig
from shared_inbox.config.passwords import PASSWORD_COMMAND_TIMEOUT, resolve_secret
from shared_inbox.config.reader import Table

KEY_PREFIXES = ("key", "previous_key")
KEY_KEYS = frozenset(f"{prefix}_{kind}" for prefix in KEY_PREFIXES for kind in ("command", "env", "keyring"))
MIN_KEY_CHARS = 16  # `shared-inbox team key --new` prints 43
NEW_KEY_HINT = "make one with: shared-inbox team key --new"


def keyring_user(prefix: str, address: str) -> str:
    """The keyring entry (service "shared-inbox") a team key is read from."""
    return f"team-{prefix.replace('_', '-')}:{address}"


def read_key_source(table: Table, prefix: str, address: str) -> PasswordSource | None:
    """At most one of `<prefix>_command`, `<prefix>_env`, `<prefix>_keyring`; None when none (or invalid)."""
    chosen = sources_given(table.data, [f"{prefix}_command", f"{prefix}_env", f"{prefix}_keyring"])
    if len(chosen) > 1:
        table.problem(chosen[1], f"choose one source for the team key, not {' and '.join(chosen)}")
        return None
    if not chosen:
        return None
    key = chosen[0]
    dotted = format_path(table.path + (key,))
    if key.endswith("_command"):
        argv = command_argv(table, key)
        return PasswordSource(PasswordKind.COMMAND, dotted, argv=argv) if argv else None
    if key.endswith("_env"):
        name = table.optional_text(key)
        if name is not None and not ENV_NAME.fullmatch(name):
            table.problem(key, f"{name!r} is not an environment variable name", "e.g. SUPPORT_TEAM_KEY")
            return None
        return PasswordSource(PasswordKind.ENV, dotted, env_var=name) if name else None
    if not table.flag(key, False):
        return None
    return PasswordSource(PasswordKind.KEYRING, dotted, keyring_user=keyring_user(prefix, address))


def read_team_keys(table: Table, address: str) -> tuple[PasswordSource | None, PasswordSource | None]:
    """(current key source, previous key source); a previous key without a current one is a problem."""
    current = read_key_source(table, "key", address)
    previous = read_key_source(table, "previous_key", address)
    given = sources_given(table.data, ["key_command", "key_env", "key_keyring"])
    if previous is not None and current is None and not given:
        table.problem(
            previous.key.rpartition(".")[2],
            "a previous team key needs a current one",
            "set key_command, key_env or key_keyring = true to the new key",
        )
    return current, previous


def resolve_team_keys(
    team: TeamConfig, env: Mapping[str, str], *, timeout: float = PASSWORD_COMMAND_TIMEOUT
) -> tuple[str | None, str | None]:
    """(current key, previous key) as configured; (None, None) when the team has no key.

    Raises PasswordError naming the config key when a key cannot be obtained or is too short.
    """
    if team.key is None:
        return None, None
    current = _checked(team.key, resolve_secret(team.key, env, timeout=timeout))
    previous = None
    if team.previous_key is not None:
        previous = _checked(team.previous_key, resolve_secret(team.previous_key, env, timeout=timeout))
    return current, previous


def _checked(source: PasswordSource, key: str) -> str:
    if len(key) < MIN_KEY_CHARS:
        raise PasswordError(
            source.key,
            f"the team key is {len(key)} characters long; it needs at least {MIN_KEY_CHARS} ({NEW_KEY_HINT})",
        )
    return key
