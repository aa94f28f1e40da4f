"""Finding and reading the configuration file."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from shared_inbox.config.errors import ConfigError, ConfigNotFound, Problem
from shared_inbox.config.model import Config
from shared_inbox.config.validate import APP_NAME, parse_config

ENV_VAR = "SHARED_INBOX_CONFIG"
MAX_CONFIG_BYTES = 1024 * 1024  # a configuration file is a few kilobytes; refuse to slurp anything huge


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def locate_config(cli_path: str | None, env: Mapping[str, str]) -> Path:
    """`--config PATH` wins, then $SHARED_INBOX_CONFIG, then the XDG config directory."""
    if cli_path:
        return Path(cli_path).expanduser()
    from_env = env.get(ENV_VAR)
    if from_env:
        return Path(from_env).expanduser()
    return default_config_path()


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the file at `path`. Raises ConfigNotFound or ConfigError."""
    text, mode = read_config_file(path)
    config = parse_config(text, source=str(path), file_mode=mode, env=env, base_dir=path.parent)
    return dataclasses.replace(config, source=path)


def read_config_file(path: Path) -> tuple[str, int]:
    """The file's text and permission bits, with every failure turned into a ConfigError."""
    source = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ConfigNotFound(
            [Problem("", None, "the configuration file does not exist", _create_hint(path))], source=source
        ) from None
    except OSError as exc:
        raise _file_error(source, f"cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise _file_error(source, "is not a regular file")
    if info.st_size > MAX_CONFIG_BYTES:
        raise _file_error(source, f"is too large ({info.st_size} bytes) to be a configuration file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _file_error(source, f"cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError([Problem("", line, "the file is not valid UTF-8")], source=source) from None
    return text, stat.S_IMODE(info.st_mode)


def _file_error(source: str, what: str) -> ConfigError:
    return ConfigError([Problem("", None, f"the configuration file {what}")], source=source)


def _create_hint(path: Path) -> str:
    return (
        f"create {path} (docs/configuration.md has a complete example), or point to another file with "
        f"--config PATH or ${ENV_VAR}"
    )
