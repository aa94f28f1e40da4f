"""A TCP proxy on loopback that breaks connections on purpose, for fault-injection tests.

It sits between a client and a real rig server (Dovecot, the SMTP receiver) and, when a
fault is injected, refuses connections, accepts and closes them, stalls them, or cuts them
after a number of bytes in either direction, or at a named protocol stage, found by
watching the client's commands and the server's replies:

* IMAP: greeting, capability, starttls, login, select, fetch-literal (in the middle of a
  literal of a FETCH answer), idle, append (before the message is sent);
* SMTP: greeting, ehlo, starttls, auth, mail, rcpt, data (the DATA command, before the
  354), body (the message data without its final dot), after-dot (the server accepted the
  message; its reply never reaches the client).

Stages after STARTTLS cannot be seen inside TLS: test them with security = "none" (the
clients allow that on loopback). The proxy runs its own asyncio loop in a daemon thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from tests.rig.dovecot import HOST, free_port

IMAP_STAGES = ("greeting", "capability", "starttls", "login", "select", "fetch-literal", "idle", "append")
SMTP_STAGES = ("greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "body", "after-dot")

_IMAP_VERBS = {
    "capability": {b"CAPABILITY"},
    "starttls": {b"STARTTLS"},
    "login": {b"LOGIN", b"AUTHENTICATE"},
    "select": {b"SELECT", b"EXAMINE"},
    "fetch-literal": {b"FETCH"},
    "idle": {b"IDLE"},
    "append": {b"APPEND"},
}
_SMTP_VERBS = {
    "ehlo": {b"EHLO", b"HELO"},
    "starttls": {b"STARTTLS"},
    "auth": {b"AUTH"},
    "mail": {b"MAIL"},
    "rcpt": {b"RCPT"},
    "data": {b"DATA"},
}
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n")
_CHUNK = 65536


@dataclass(frozen=True)
class Fault:
    """What to break. `kind`: "refuse", "close", "stall" or "cut".

    A cut or stall happens at the `nth` occurrence of `stage` when given, else after `after_bytes` bytes in
    `direction` ("down": server to client, "up": client to server), else at once.
    `times` is how many connections it hits before it clears itself (None: until cleared).
    """

    kind: str
    stage: str | None = None
    after_bytes: int | None = None
    direction: str = "down"
    times: int | None = 1
    nth: int = 1  # at a stage: let this many minus one occurrences through first


class _Cut(Exception):
    """The fault fired: end this connection."""


class FaultProxy:
    """Forward 127.0.0.1:`port` to `upstream_port`, breaking what `inject` says.

    `protocol` is "imap" or "smtp" (for stage names). `hits` counts faults fired.
    """

    def __init__(self, upstream_port: int, protocol: str, *, upstream_host: str = HOST) -> None:
        if protocol not in ("imap", "smtp"):
            raise ValueError("protocol is imap or smtp")
        self.protocol = protocol
        self.upstream = (upstream_host, upstream_port)
        self.host = HOST
        self.port = free_port()
        self.hits = 0
        self.connections = 0
        self._fault: Fault | None = None
        self._left: int | None = None
        self._lock = threading.Lock()
        self._fired = threading.Condition(self._lock)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.Task[None]] = set()
        self._stalled: list[asyncio.Event] = []

    # -- control, from the test's thread ---------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def inject(self, fault: Fault) -> None:
        """From now on, new connections meet `fault` (a refusal closes the port at once)."""
        with self._lock:
            self._fault, self._left = fault, fault.times
        if fault.kind == "refuse":
            self._call(self._unlisten())

    def clear(self) -> None:
        """No more faults: listen again if refusing, and let stalled connections go (closed)."""
        with self._lock:
            self._fault = None
        self._call(self._relisten())

    def wait_for_hits(self, count: int, timeout: float = 30.0) -> None:
        """Block until the fault fired `count` times in all; AssertionError otherwise."""
        with self._fired:
            if not self._fired.wait_for(lambda: self.hits >= count, timeout):
                raise AssertionError(f"the fault fired {self.hits} times, not {count}")

    # -- the loop's side ---------------------------------------------------------------

    def _call(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)  # type: ignore[arg-type]

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, reuse_address=True)

    async def _unlisten(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _relisten(self) -> None:
        for released in self._stalled:
            released.set()
        self._stalled.clear()
        if self._server is None:
            await self._listen()

    async def _shutdown(self) -> None:
        await self._unlisten()
        for task in list(self._open):
            task.cancel()
        for task in list(self._open):
            with contextlib.suppress(BaseException):
                await task

    def _take_fault(self) -> Fault | None:
        with self._lock:
            return self._fault

    def _fire(self, fault: Fault) -> bool:
        """Count a hit; False when the fault ran out (or was cleared) in the meantime."""
        with self._lock:
            if self._fault is not fault:
                return False
            if self._left is not None:
                self._left -= 1
                if self._left <= 0:
                    self._fault = None
            self.hits += 1
            self._fired.notify_all()
            return True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._open.add(task)
        self.connections += 1
        try:
            await self._connection(reader, writer, self._take_fault())
        except (_Cut, OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # a cancelled connection ends like any other: the proxy is stopping
        finally:
            self._open.discard(task)
            writer.transport.abort()

    async def _connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, fault: Fault | None
    ) -> None:
        at_once = fault is not None and fault.stage is None and fault.after_bytes is None
        if fault is not None and (fault.kind == "close" or (at_once and fault.kind == "cut")):
            if self._fire(fault):
                return
            fault = None
        if fault is not None and fault.kind == "stall" and at_once:
            if self._fire(fault):
                await self._stall()
                return
            fault = None
        if fault is not None and fault.stage == "greeting":
            if self._fire(fault):
                if fault.kind == "stall":
                    await self._stall()
                return
            fault = None
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        link = _Link(self, fault)
        try:
            down = asyncio.ensure_future(self._pump(up_reader, writer, link.down))
            up = asyncio.ensure_future(self._pump(reader, up_writer, link.up))
            done, pending = await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            for task in done | pending:
                with contextlib.suppress(BaseException):
                    await task
            if link.stall:
                await self._stall()
        finally:
            up_writer.transport.abort()

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        watch: Callable[[bytes], bytes],
    ) -> None:
        while True:
            data = await source.read(_CHUNK)
            if not data:
                return
            try:
                passed = watch(data)
            except _CutWith as cut:  # what may still pass goes out, then the connection ends
                sink.write(cut.passed)
                await sink.drain()
                raise
            sink.write(passed)
            await sink.drain()

    async def _stall(self) -> None:
        released = asyncio.Event()
        self._stalled.append(released)
        await released.wait()


class _Link:
    """One proxied connection: counts bytes and follows the protocol to find the stage."""

    def __init__(self, proxy: FaultProxy, fault: Fault | None) -> None:
        self.proxy = proxy
        self.fault = fault
        self.stall = False
        self.sent = {"up": 0, "down": 0}
        self.up_line = b""
        self.literal_left = 0  # IMAP: bytes of a client literal still to come
        self.in_body = False  # SMTP: between the 354 and the final dot
        self.body_tail = b""
        self.armed = ""  # a stage seen in the client's stream that fires on the server's side
        self.literal_scan = b""
        self.waiting_354 = False
        self.seen = 0  # occurrences of the stage so far

    # -- directions --------------------------------------------------------------------

    def up(self, data: bytes) -> bytes:
        return self._bytes("up", data, self._watch_client)

    def down(self, data: bytes) -> bytes:
        return self._bytes("down", data, self._watch_server)

    def _bytes(self, direction: str, data: bytes, watch: Callable[[bytes], bytes]) -> bytes:
        fault = self.fault
        by_count = fault is not None and fault.stage is None and fault.after_bytes is not None
        if by_count and fault is not None and fault.after_bytes is not None and fault.direction == direction:
            room = fault.after_bytes - self.sent[direction]
            if len(data) >= room and self._fire():
                self._break(data[: max(room, 0)])
        self.sent[direction] += len(data)
        return watch(data) if fault is not None and fault.stage is not None else data

    def _fire(self) -> bool:
        assert self.fault is not None
        if self.fault.stage is not None:
            self.seen += 1
            if self.seen < self.fault.nth:
                return False
        fired = self.proxy._fire(self.fault)
        if not fired:
            self.fault = None
        elif self.fault.kind == "stall":
            self.stall = True
        return fired

    def _break(self, passed: bytes) -> None:
        raise _CutWith(passed)

    # -- the client's stream -------------------------------------------------------------

    def _watch_client(self, data: bytes) -> bytes:
        assert self.fault is not None
        stage = self.fault.stage
        if self.proxy.protocol == "smtp" and self.in_body:
            return self._smtp_body(data, stage)
        out = b""
        rest = data
        while rest:
            if self.literal_left:
                take = rest[: self.literal_left]
                self.literal_left -= len(take)
                out += take
                rest = rest[len(take) :]
                continue
            line, sep, after = rest.partition(b"\n")
            if not sep:
                self.up_line += line
                return out + line
            full = self.up_line + line + sep
            self.up_line = b""
            verb = self._verb(full)
            if self._stage_of(verb) == stage and self.fault is not None:
                if stage in ("fetch-literal", "idle"):
                    self.armed = stage  # fires on the server's answer
                elif self._fire():
                    self._break(out)
            if self.proxy.protocol == "imap":
                literal = _LITERAL.search(full[-16:])
                if literal and full.rstrip().endswith(b"}"):
                    self.literal_left = int(literal.group(1))
            elif verb == b"DATA":
                self.waiting_354 = True
            out += line + sep  # the start of a split line went out with its own chunk
            rest = after
            if self.in_body and rest:
                return out + self._smtp_body(rest, stage)
        return out

    def _smtp_body(self, data: bytes, stage: str | None) -> bytes:
        window = self.body_tail + data
        end = window.find(b"\r\n.\r\n")
        if end < 0:
            if stage == "body" and self.fault is not None and self._fire():
                self._break(b"")  # not one byte of the message reaches the server
            self.body_tail = window[-4:]
            return data
        self.in_body = False
        self.body_tail = b""
        dot_at = end + 2 - (len(window) - len(data))  # where the final dot starts in `data`
        if stage == "body" and self.fault is not None and self._fire():
            self._break(data[: max(dot_at, 0)])
        if stage == "after-dot" and self.fault is not None:
            self.armed = "after-dot"
        return data

    def _verb(self, line: bytes) -> bytes:
        words = line.strip().split()
        if self.proxy.protocol == "smtp":
            return words[0].upper() if words else b""
        if len(words) >= 3 and words[1].upper() == b"UID":
            return words[2].upper()
        return words[1].upper() if len(words) >= 2 else b""

    def _stage_of(self, verb: bytes) -> str | None:
        table = _IMAP_VERBS if self.proxy.protocol == "imap" else _SMTP_VERBS
        for stage, verbs in table.items():
            if verb in verbs:
                return stage
        return None

    # -- the server's stream -------------------------------------------------------------

    def _watch_server(self, data: bytes) -> bytes:
        if self.waiting_354 and data.startswith(b"354"):
            self.waiting_354 = False
            self.in_body = True
        elif self.waiting_354:
            self.waiting_354 = False
        if not self.armed or self.fault is None:
            return data
        if self.armed == "after-dot":
            if self._fire():
                self._break(b"")  # the server took the message; its reply is lost
            return data
        if self.armed == "idle":
            if (data.startswith(b"+") or b"\r\n+" in data) and self._fire():
                self._break(data)
            return data
        return self._fetch_literal(data)

    def _fetch_literal(self, data: bytes) -> bytes:
        window = self.literal_scan + data
        found = _LITERAL.search(window)
        if found is None:
            self.literal_scan = window[-24:]
            return data
        size = int(found.group(1))
        start = found.end() - (len(window) - len(data))  # the literal's first byte in `data`
        self.literal_scan = b""
        if size < 2:
            return data
        if start + size // 2 > len(data):
            if self._fire():
                self._break(data)  # the rest of the literal never comes
            return data
        if self._fire():
            self._break(data[: start + size // 2])
        return data


class _CutWith(_Cut):
    def __init__(self, passed: bytes) -> None:
        super().__init__()
        self.passed = passed
