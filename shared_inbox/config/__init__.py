"""The typed TOML configuration.

`locate_config` finds the file, `load_config` validates it in one pass into
frozen dataclasses (raising `ConfigError` with every problem found), and
`resolve_password` obtains a connection's password only when it is needed.
Importing this package never imports the UI or mail libraries.
"""

from shared_inbox.config.check import check_report
from shared_inbox.config.connections import is_loopback
from shared_inbox.config.errors import ConfigError, ConfigNotFound, PasswordError, Problem
from shared_inbox.config.load import ENV_VAR, default_config_path, load_config, locate_config
from shared_inbox.config.model import (
    KEYRING_SERVICE,
    AccountConfig,
    Config,
    ConnectionConfig,
    FromStyle,
    ImapConfig,
    Member,
    OutboxConfig,
    PasswordKind,
    PasswordSource,
    Security,
    SmtpConfig,
    StoreConfig,
    TeamConfig,
    ThreadingConfig,
)
from shared_inbox.config.passwords import PASSWORD_COMMAND_TIMEOUT, resolve_password
from shared_inbox.config.validate import default_store_path, parse_config

__all__ = [
    "ENV_VAR",
    "KEYRING_SERVICE",
    "PASSWORD_COMMAND_TIMEOUT",
    "AccountConfig",
    "Config",
    "FromStyle",
    "ConfigError",
    "ConfigNotFound",
    "ConnectionConfig",
    "ImapConfig",
    "Member",
    "OutboxConfig",
    "PasswordError",
    "PasswordKind",
    "PasswordSource",
    "Problem",
    "Security",
    "SmtpConfig",
    "StoreConfig",
    "TeamConfig",
    "ThreadingConfig",
    "check_report",
    "default_config_path",
    "default_store_path",
    "is_loopback",
    "load_config",
    "locate_config",
    "parse_config",
    "resolve_password",
]
