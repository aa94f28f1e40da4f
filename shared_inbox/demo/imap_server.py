"""An embedded IMAP server for the demo: pymap's in-memory backend on a loopback port.

pymap is built as a daemon driven by command-line arguments; this module wires
its pieces together directly so the server can run inside our own event loop,
on an ephemeral port, with one mailbox user and no files on disk. Everything
here runs in that event loop's thread.
"""

from __future__ import annotations

import asyncio
import logging
from argparse import Namespace
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import Config as DictConfig
from pymap.backend.dict import Login
from pymap.concurrent import Subsystem
from pymap.imap import IMAPServer
from pymap.parsing.message import AppendMessage
from pymap.parsing.specials.flag import Flag
from pymap.user import Passwords, UserMetadata

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
# The folders a fresh mailbox of a typical provider has; the product files replies in Sent.
DEMO_FOLDERS = ("Sent", "Drafts", "Trash")
MAX_MESSAGE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to put into a folder, as a mail server would file it."""

    folder: str
    raw: bytes
    flags: frozenset[str]
    when: datetime  # the INTERNALDATE; timezone-aware


class _DemoImapConfig(DictConfig):
    """pymap's dict-backend settings, minus the DNS look-up its default greeting does."""

    @property
    def greeting(self) -> bytes:
        return b"shared-inbox demo mailbox ready"


def _pymap_args() -> Namespace:
    """The command-line values pymap's config still reads when built directly."""
    return Namespace(passlib_cfg=None, proxy_protocol=None, inherited_sockets=None)


class EmbeddedImap:
    """A one-user, in-memory IMAP server listening on 127.0.0.1 only.

    Plain text login is accepted because the socket never leaves the machine
    (the product accepts `security = "none"` only for loopback hosts too).
    """

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-imap")
        self._server: asyncio.AbstractServer | None = None
        self._config: _DemoImapConfig | None = None
        self._login: Login | None = None
        self.port = 0

    async def start(self) -> int:
        """Create the user and its folders, start listening; returns the port."""
        config = _DemoImapConfig(
            _pymap_args(),
            host=LOOPBACK,
            port=0,
            tls_enabled=False,
            demo_data=False,
            demo_user=self.username,
            demo_password=self.password,
            cpu_subsystem=Subsystem.for_threading(self._executor),
            invalid_user_sleep=0.5,
            reject_dnsbl=False,
            max_append_len=MAX_MESSAGE_BYTES,
        )
        # pymap finds its concurrency primitives through a context variable; connection
        # tasks copy the context of the code that starts the server, so set it first.
        config.apply_context()
        login = Login(config)
        hashed = await Passwords(config).hash_password(self.password)
        await login.demo_user_identity.set(UserMetadata(config, self.username, password=hashed))
        self._config, self._login = config, login
        async with login.demo_user_identity.new_session() as session:
            for folder in DEMO_FOLDERS:
                await session.mailbox_set.add_mailbox(folder)
        callback = ProxyProtocolReader(config.proxy_protocol).get_callback(IMAPServer(login, config))
        self._server = await asyncio.start_server(callback, host=LOOPBACK, port=0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("demo IMAP server listening on %s:%d", LOOPBACK, self.port)
        return self.port

    async def deliver(self, delivery: Delivery) -> None:
        """File a message the way a mail server's delivery agent would; IDLE clients are woken."""
        if self._login is None:
            raise RuntimeError("the demo IMAP server is not running")
        flags = frozenset(Flag(flag.encode("ascii")) for flag in delivery.flags)
        async with self._login.demo_user_identity.new_session() as session:
            mailbox = await session.mailbox_set.get_mailbox(delivery.folder)
            await mailbox.append(AppendMessage(delivery.raw, delivery.when, flags), recent=True)

    def stop(self) -> None:
        """Stop accepting connections; the caller ends the open ones by cancelling their tasks."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self._executor.shutdown(wait=False, cancel_futures=True)
