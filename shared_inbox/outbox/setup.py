"""Wiring the outbox from a validated Config: endpoints (passwords resolved on demand) and a sender."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from shared_inbox.auth.tokens import oauth_login
from shared_inbox.config import Config, resolve_password
from shared_inbox.imap.settings import imap_endpoint
from shared_inbox.outbox.model import OutboxPolicy
from shared_inbox.outbox.queue import Outbox
from shared_inbox.outbox.sender import OutboxSender
from shared_inbox.smtp import SmtpEndpoint
from shared_inbox.store import Store

__all__ = ["imap_endpoint", "open_sender", "smtp_endpoint"]


def smtp_endpoint(config: Config, env: Mapping[str, str] | None = None) -> SmtpEndpoint:
    """The [smtp] section with its password resolved (may run the password command)."""
    smtp = config.smtp
    password = resolve_password(smtp, env if env is not None else os.environ)
    return SmtpEndpoint(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security.value,
        username=smtp.username,
        password=password,
        ca_file=smtp.tls_ca_file,
        oauth=oauth_login(config, smtp),
    )


def open_sender(
    config: Config,
    store: Store,
    outbox: Outbox,
    *,
    env: Mapping[str, str] | None = None,
    policy: OutboxPolicy | None = None,
    on_messages: Callable[[list[str]], None] | None = None,
) -> OutboxSender:
    """A sender for this configuration; nothing connects until a round needs to."""
    return OutboxSender(
        outbox,
        store,
        smtp=lambda: smtp_endpoint(config, env),
        imap=lambda: imap_endpoint(config, env),
        sent_folder=config.imap.sent_folder,
        our_addresses=config.our_addresses,
        save_sent_copy=not config.smtp.server_saves_sent,
        search_folders=config.imap.folders,
        policy=policy,
        on_messages=on_messages,
        find_sent="sent" not in config.imap.special_folders,
    )
