"""The demo's mail servers, IMAP and SMTP, running in one background event loop.

The rest of the product is blocking code (imapclient, the CLI), so the servers
get a thread of their own; callers use plain methods that hand work to that
loop and wait for it. Both servers listen on 127.0.0.1 and on ports the
operating system picks, so a demo never clashes with anything already running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from shared_inbox.demo.imap_server import LOOPBACK, Delivery, EmbeddedImap
from shared_inbox.demo.smtp_receiver import DemoSmtpHandler, smtp_protocol_factory

log = logging.getLogger(__name__)

START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ServerAddresses:
    """Where the running demo servers listen and how to log in to the mailbox."""

    host: str
    imap_port: int
    smtp_port: int
    username: str
    password: str = field(repr=False)


class DemoServers:
    """Start with `DemoServers.start(...)`; `close()` (or `with`) stops both servers and the thread."""

    def __init__(self, *, support_address: str, team_addresses: frozenset[str]) -> None:
        self.support_address = support_address.lower()
        self.team_addresses = team_addresses
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="demo-mail-servers", daemon=True)
        self._imap = EmbeddedImap(self.support_address, secrets.token_urlsafe(18))
        self._smtp: asyncio.AbstractServer | None = None
        self._addresses: ServerAddresses | None = None

    @classmethod
    def start(cls, *, support_address: str, team_addresses: Iterable[str]) -> DemoServers:
        servers = cls(
            support_address=support_address, team_addresses=frozenset(a.lower() for a in team_addresses)
        )
        servers._thread.start()
        try:
            servers._call(servers._start_servers(), timeout=START_TIMEOUT)
        except BaseException:
            servers.close()
            raise
        return servers

    @property
    def addresses(self) -> ServerAddresses:
        if self._addresses is None:
            raise RuntimeError("the demo servers are not running")
        return self._addresses

    def deliver(self, deliveries: Iterable[Delivery]) -> int:
        """File messages straight into the mailbox (how the demo is seeded); returns how many."""
        batch = list(deliveries)
        self._call(self._deliver_all(batch), timeout=START_TIMEOUT + len(batch))
        return len(batch)

    def close(self) -> None:
        """Stop listening, drop open connections, end the thread. Safe to call twice."""
        if self._loop.is_closed():
            return
        if self._thread.is_alive():
            with contextlib.suppress(Exception):  # a half-started server may fail to stop: still end the loop
                self._call(self._stop_servers(), timeout=STOP_TIMEOUT)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(STOP_TIMEOUT)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> DemoServers:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- inside the loop thread ----------------------------------------------

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _call(self, coro: Coroutine[Any, Any, T], *, timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _start_servers(self) -> None:
        imap_port = await self._imap.start()
        handler = DemoSmtpHandler(
            self._imap.deliver, support_address=self.support_address, team_addresses=self.team_addresses
        )
        self._smtp = await asyncio.get_running_loop().create_server(
            smtp_protocol_factory(handler), host=LOOPBACK, port=0
        )
        smtp_port = int(self._smtp.sockets[0].getsockname()[1])
        log.info("demo SMTP server listening on %s:%d", LOOPBACK, smtp_port)
        self._addresses = ServerAddresses(
            host=LOOPBACK,
            imap_port=imap_port,
            smtp_port=smtp_port,
            username=self._imap.username,
            password=self._imap.password,
        )

    async def _deliver_all(self, batch: list[Delivery]) -> None:
        for delivery in batch:
            await self._imap.deliver(delivery)

    async def _stop_servers(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None
        self._imap.stop()
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        for task in others:
            task.cancel()
        if others:
            await asyncio.wait(others, timeout=STOP_TIMEOUT)
