"""Finding and loading the config: one loader for every command and for the interface,
so a missing or broken file reads the same whichever was asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from shared_inbox.config import Config, ConfigError, load_config


def load_or_explain(path: Path, env: Mapping[str, str]) -> Config | None:
    """The config at `path`, its warnings printed; None once what is wrong with it has been printed."""
    try:
        config = load_config(path, env)
    except ConfigError as exc:
        print(f"shared-inbox: the config file {path} has problems:\n{exc}", file=sys.stderr)
        return None
    for warning in config.warnings:
        print(f"shared-inbox: warning: {warning}", file=sys.stderr)
    return config
