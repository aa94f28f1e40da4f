"""Fetching a message the store has no text of, so a reply can quote it and a forward carry it.

Blocking IMAP work: the CLI calls it directly, the TUI from a worker thread. A failure only
means the original is not quoted; it is reported in one sentence, never raised.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from shared_inbox.config import Config, PasswordError
from shared_inbox.imap.connection import connect_imap
from shared_inbox.imap.settings import imap_endpoint
from shared_inbox.imap.sync import FolderSync
from shared_inbox.net.errors import MailServerError
from shared_inbox.store import Store

Warn = Callable[[str], None]


def fetch_original(config: Config, store: Store, message_id: str, warn: Warn | None = None) -> bytes | None:
    """The raw message, from the store or else from the server (cached for next time); None if neither."""
    raw = store.load_raw(message_id)
    if raw is not None:
        return raw
    try:
        client = connect_imap(imap_endpoint(config))
    except (MailServerError, PasswordError, OSError) as exc:
        if warn is not None:
            warn(f"the original is not quoted ({exc})")
        return None
    try:
        engine = FolderSync(
            client, store, our_addresses=config.our_addresses, sent_folder=config.imap.sent_folder
        )
        return engine.fetch_body(message_id)
    except Exception as exc:  # noqa: BLE001 - quoting is optional; the reply still goes out
        if warn is not None:
            warn(f"the original is not quoted ({exc})")
        return None
    finally:
        with contextlib.suppress(Exception):  # the connection may already be gone
            client.logout()
