"""Logging in to both servers once, for `config check`: a wrong password, a failing token
helper or a missing `auth login` shows up there, not at the first sync or the first reply.
The endpoints are built as sync and the outbox build them, so the check signs in the same way."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

from imapclient.exceptions import IMAPClientAbortError

from shared_inbox.config import Config, PasswordError
from shared_inbox.imap.connection import close_quietly, connect_imap
from shared_inbox.imap.special_use import SpecialFolders
from shared_inbox.imap.special_use import discover as special_folders
from shared_inbox.net.errors import MailServerError
from shared_inbox.outbox import smtp_endpoint
from shared_inbox.services.session import sync_plan
from shared_inbox.smtp import SmtpSession

CHECK_TIMEOUT = 15.0  # seconds per server; a check must not hang on a silent port


def try_logins(config: Config, env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """("imap" | "smtp", "ok: ..." | "failed: ...") for each server, logging in and out again."""
    env = env if env is not None else os.environ
    return [("imap", _imap_login(config, env)), ("smtp", _smtp_login(config, env))]


def _imap_login(config: Config, env: Mapping[str, str]) -> str:
    try:
        endpoint = replace(sync_plan(config, env).endpoint, timeout=CHECK_TIMEOUT)
        client = connect_imap(endpoint)
    except (MailServerError, PasswordError) as exc:
        return f"failed: {exc}"
    try:
        found = special_folders(client).overridden(config.imap.special_folders)
    except (OSError, EOFError, IMAPClientAbortError):
        found = SpecialFolders()
    close_quietly(client)
    folders = ", ".join(f"{use} = {name}" for use, name in found.named()) or "none flagged"
    return f"ok: logged in to {config.imap.host} as {config.imap.username}; special folders: {folders}"


def _smtp_login(config: Config, env: Mapping[str, str]) -> str:
    smtp = config.smtp
    try:
        endpoint = replace(smtp_endpoint(config, env), timeout=CHECK_TIMEOUT)
        session = SmtpSession.open(endpoint)
    except (MailServerError, PasswordError) as exc:
        return f"failed: {exc}"
    session.close()
    if smtp.username:
        return f"ok: logged in to {smtp.host} as {smtp.username}"
    return f"ok: {smtp.host} accepts connections (no login configured)"
