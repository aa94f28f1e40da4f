"""The mailbox side of sending: finding a sent message on the server, saving the Sent copy,
setting \\Answered, and recording the sent message locally so it shows in its conversation.

IMAP work here is best effort per round: whatever fails stays pending in the outbox entry
(or, for flags, in the sync's queue of pending flag changes) and is done on a later round.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from shared_inbox.domain.model import ANSWERED, SEEN, Location, MessageMeta
from shared_inbox.imap.connection import Endpoint, connect_imap, imap_failure
from shared_inbox.imap.special_use import discover as special_folders
from shared_inbox.imap.sync import FolderSync
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.mail.sanitize import clean_line
from shared_inbox.net.errors import MailServerError, describe_os_error
from shared_inbox.net.folder_names import personal_namespace
from shared_inbox.store import Store
from shared_inbox.store.pending_flags import FlagChange, PendingFlags

log = logging.getLogger(__name__)

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


class ServerMailbox:
    """One IMAP connection, opened on first use and reused for the rest of a sending round."""

    def __init__(
        self,
        endpoint: Callable[[], Endpoint],
        *,
        sent_folder: str,
        search_folders: Sequence[str] = ("INBOX",),
        connect: Callable[[Endpoint], IMAPClient] = connect_imap,
        find_sent: bool = False,
    ) -> None:
        """With `find_sent`, the folder the server flags \\Sent replaces `sent_folder` once connected."""
        self._endpoint = endpoint
        self._connect = connect
        self._find_sent = find_sent
        self._configured = (sent_folder, *search_folders)
        self.sent_folder = sent_folder  # the server's spelling once connected (net.folder_names)
        self.search_folders = tuple(dict.fromkeys(self._configured))
        self._client: IMAPClient | None = None
        self._server: tuple[str, int] | None = None
        self.problem: str | None = None  # why the server could not be used this round

    def client(self) -> IMAPClient | None:
        """The connection, or None (with `problem` set) when the server cannot be reached."""
        if self._client is None and self.problem is None:
            try:
                endpoint = self._endpoint()
                self._server = (endpoint.host, endpoint.port)
                client = self._connect(endpoint)
                self._use_server_names(client)
                if self._find_sent:
                    self._use_flagged_sent(client, endpoint)
                self._client = client
            except MailServerError as exc:
                self.problem = str(exc)
            except Exception as exc:  # e.g. a password command that failed: reported, never raised
                self.problem = f"Cannot reach the IMAP server: {clean_line(str(exc))}"
        return self._client

    def sent_name(self) -> str:
        """The Sent folder as the server names it: in its spelling, or the one it flags \\Sent."""
        self.client()
        return self.sent_folder

    def _use_server_names(self, client: IMAPClient) -> None:
        names = personal_namespace(client)
        self.sent_folder = names.server_name(self._configured[0])
        self.search_folders = tuple(dict.fromkeys(names.server_name(name) for name in self._configured))

    def _use_flagged_sent(self, client: IMAPClient, endpoint: Endpoint) -> None:
        try:
            found = special_folders(client).sent
        except (OSError, EOFError, IMAPClientAbortError) as exc:
            with contextlib.suppress(Exception):  # the connection is already broken
                client.shutdown()
            raise imap_failure(endpoint, exc, "while listing folders") from None
        if found is not None and found != self.sent_folder:
            self.search_folders = tuple(
                dict.fromkeys((found, *(f for f in self.search_folders if f != self.sent_folder)))
            )
            self.sent_folder = found

    def find(self, message_id: str, *, sent_only: bool = False) -> Location | None:
        """Where the server holds a message with this Message-ID (Sent first), if anywhere."""
        client = self.client()
        if client is None:
            return None
        for folder in self.search_folders[:1] if sent_only else self.search_folders:
            try:
                selected = client.select_folder(folder, readonly=True)
                uids = client.search(["HEADER", "Message-ID", f"<{message_id}>"])
            except (OSError, EOFError, IMAPClientAbortError) as exc:
                self._lost(exc)
                return None
            except IMAPClientError:
                continue  # the folder does not exist here
            if uids:
                return Location(folder, int(selected[b"UIDVALIDITY"]), int(min(uids)))
        return None

    def save_copy(self, raw: bytes, when: datetime) -> Location | None:
        """APPEND the sent message to the Sent folder, marked read; None if the server refused."""
        client = self.client()
        if client is None:
            return None
        try:
            try:
                response = client.append(self.sent_folder, raw, flags=(SEEN,), msg_time=when)
            except IMAPClientError as exc:
                if "TRYCREATE" not in str(exc).upper():
                    raise
                client.create_folder(self.sent_folder)
                response = client.append(self.sent_folder, raw, flags=(SEEN,), msg_time=when)
        except (OSError, EOFError, IMAPClientAbortError) as exc:
            self._lost(exc)
            return None
        except IMAPClientError as exc:
            self.problem = (
                f"The IMAP server would not save a copy in {self.sent_folder}: {clean_line(str(exc))}"
            )
            return None
        match = _APPENDUID.search(response if isinstance(response, bytes) else b"")
        if match is None:
            return None  # no UIDPLUS: the next sync finds the copy by its Message-ID
        return Location(self.sent_folder, int(match.group(1)), int(match.group(2)))

    def push_answered(self, store: Store, message_ids: Iterable[str], our_addresses: frozenset[str]) -> None:
        """Push queued \\Answered changes for these messages now; the next sync pushes what fails."""
        wanted = set(message_ids)
        pending = PendingFlags(store)
        changes: list[FlagChange] = [c for c in pending.load() if c[0] in wanted and c[1] == ANSWERED]
        client = self.client() if changes else None
        if client is None:
            return
        engine = FolderSync(client, store, our_addresses=our_addresses, sent_folder=self.sent_folder)
        try:
            unplaced = engine.push_flags(changes)
        except (OSError, EOFError, IMAPClientAbortError) as exc:
            self._lost(exc)
            return
        except IMAPClientError as exc:
            log.warning("setting \\Answered failed (%s); the next sync retries", exc)
            return
        done = [c for c in changes if c not in unplaced]
        pending.clear(done)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.logout()
            except Exception:  # noqa: BLE001 - the connection may already be gone
                _shut(client)

    def _lost(self, exc: BaseException) -> None:
        host, port = self._server or ("?", 0)
        if isinstance(exc, IMAPClientAbortError | EOFError | ConnectionResetError | BrokenPipeError):
            self.problem = (
                f"The connection to the IMAP server {host}:{port} was lost; the next round finishes the rest."
            )
        else:
            self.problem = describe_os_error("IMAP", host, port, exc)
        client, self._client = self._client, None
        if client is not None:
            _shut(client)


def _shut(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # closing a broken socket may fail in many ways
        client.shutdown()


def record_sent(
    store: Store,
    raw: bytes,
    *,
    when: datetime,
    our_addresses: frozenset[str],
    location: Location | None = None,
) -> MessageMeta:
    """Store a sent message's metadata and bytes, so it joins its conversation at once."""
    end = _HEADER_END.search(raw)
    header = raw[: end.end()] if end else raw
    meta = parse_header_block(
        header,
        internal_date=when,
        flags=(SEEN,),
        size=len(raw),
        location=location,
        our_addresses=our_addresses,
        sent_folder=True,
    )
    if not store.has_raw(meta.message_id):
        store.save_raw(meta.message_id, raw)
    store.upsert_messages([meta])
    return meta


def queue_answered(store: Store, message_id: str) -> bool:
    """Set \\Answered locally and queue it for the server (durably, like any flag change)."""
    return PendingFlags(store).mark([message_id], ANSWERED, True) > 0
