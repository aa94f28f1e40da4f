"""Message bodies for reading: the local cache first, the server for what the sync has not fetched yet.

Front ends ask here instead of talking IMAP themselves. A server that cannot be reached is an
answer (no body, one logged sentence), never an exception they would need the IMAP layer to name.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from imapclient.exceptions import IMAPClientError

from shared_inbox.config import PasswordError
from shared_inbox.imap.connection import close_quietly, imap_failure
from shared_inbox.net.errors import MailServerError

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

log = logging.getLogger(__name__)


def cached_body(session: Session, message_id: str) -> bytes | None:
    """The raw message when the sync has already downloaded it; None otherwise."""
    return session.store.load_raw(message_id)


def fetch_bodies(session: Session, message_ids: Sequence[str]) -> dict[str, bytes | None]:
    """Each message's raw bytes, downloaded now over a connection of its own and cached.

    None for a message the server no longer has, and for all of them when the server cannot be
    reached. Blocking: front ends call it from a worker thread.
    """
    raws: dict[str, bytes | None] = dict.fromkeys(message_ids)
    try:
        service = session.sync_service(fetch_bodies=False)
        client = service.connect()
    except (MailServerError, PasswordError) as exc:
        log.info("message bodies not fetched: %s", exc)
        return raws
    endpoint = service.plan.endpoint
    try:
        engine = service.folder_sync(client)
        for message_id in message_ids:
            raws[message_id] = engine.fetch_body(message_id)
    except (IMAPClientError, OSError, EOFError) as exc:
        problem = imap_failure(endpoint, exc, "while fetching message bodies")
        log.info("message bodies not fetched: %s", problem)
    finally:
        close_quietly(client)
    return raws
