"""What the sync benchmark runs: a seeded Dovecot, mbsync and `shared-inbox sync` as measured processes.

Kept apart from bench_sync.py, which only decides what to measure and prints the tables.
"""

from __future__ import annotations

import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared_inbox.config import load_config  # noqa: E402
from shared_inbox.corpus import generate  # noqa: E402
from shared_inbox.services.session import open_session  # noqa: E402
from tests.rig.dovecot import DovecotServer  # noqa: E402
from tests.rig.maildir import header_date  # noqa: E402

USER, PASSWORD = "bench", "bench-pass"
START = datetime(2026, 8, 1, tzinfo=UTC)
MB = 1024 * 1024
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*<([^>\r\n]*)>", re.IGNORECASE | re.MULTILINE)


@dataclass
class Measured:
    """One process run: wall time, the peak RSS of its largest process and of its whole tree, in MB."""

    seconds: float
    largest_mb: float
    tree_mb: float
    code: int


def run_measured(argv: list[str], on_line: Callable[[str, float], None] | None = None) -> Measured:
    """Run a command to its end, sampling RSS with psutil every 20 ms.

    wait4's ru_maxrss would report this script's own size (Linux carries it across fork
    and exec), so the process tree is sampled instead. stderr lines go to `on_line` with
    the seconds since the spawn.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    largest = tree = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal largest, tree
        parent = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                sizes = [p.memory_info().rss for p in (parent, *parent.children(recursive=True))]
                largest, tree = max(largest, max(sizes)), max(tree, sum(sizes))
            except psutil.Error:
                pass
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if on_line:
                on_line(line, time.perf_counter() - started)
        code = proc.wait()
    finally:
        if proc.poll() is None:  # interrupted: do not leave the child running
            proc.kill()
            proc.wait()
        done.set()
        sampler.join()
    return Measured(time.perf_counter() - started, largest / MB, tree / MB, code)


# -- the mailbox -------------------------------------------------------------------------


def seed_batch(
    server: DovecotServer, count: int, seed: int, start: datetime
) -> tuple[list[str], list[float]]:
    """Write one generated batch into the Maildir and let Dovecot index it (UIDs follow in order).

    Returns the batch's Message-IDs and the Date of every message (the INTERNALDATE).
    """
    by_folder: dict[str, list[bytes]] = {}
    ids: list[str] = []
    dates: list[float] = []
    for folder, raw in generate(count, seed=seed, start=start):
        by_folder.setdefault(folder, []).append(raw)
        found = _MESSAGE_ID.search(raw, 0, raw.find(b"\r\n\r\n"))
        if found is not None:
            ids.append(found.group(1).decode("ascii", "replace"))
        dates.append(header_date(raw) or 0.0)
    for folder, raws in by_folder.items():
        server.bulk_seed(USER, raws, folder)
    index_folders(server, list(by_folder))
    return ids, dates


def index_folders(server: DovecotServer, folders: list[str]) -> None:
    """Let Dovecot index new files now, before anything is timed and before the next batch."""
    with server.imap(USER, PASSWORD) as client:
        for folder in folders:
            client.select_folder(folder, readonly=True)  # a SELECT reads the new files
            client.noop()


def seed_size(server: DovecotServer, count: int) -> None:
    seed_batch(server, count, 7, START)


def seed_history(server: DovecotServer, total: int, batch: int, now: datetime) -> dict[str, Any]:
    """A mailbox of many years: batches of `batch` messages, each from its own seed, a year apart.

    The generator dates a batch within 90 days of its start; the newest batch starts 95 days
    ago so none of its mail lies in the future. Batches are seeded oldest first, so UIDs grow
    with the date, as mail arriving over the years would. Message-IDs repeated across batches
    (the generator repeats a few on purpose within one) are counted and reported.
    """
    batches = max(1, total // batch)
    newest = now - timedelta(days=95)
    seen: set[str] = set()
    across = 0
    dates: list[float] = []
    for n in range(batches):
        start = newest - timedelta(days=365 * (batches - 1 - n))
        ids, batch_dates = seed_batch(server, batch, 1000 + n, start)
        unique = set(ids)
        across += len(unique & seen)
        seen |= unique
        dates.extend(batch_dates)
    return {"messages": batches * batch, "ids_repeated_across_batches": across, "dates": dates}


def server_count(server: DovecotServer, folders: tuple[str, ...] = ("INBOX", "Sent")) -> int:
    with server.imap(USER, PASSWORD) as client:
        return sum(int(client.folder_status(f, [b"MESSAGES"])[b"MESSAGES"]) for f in folders)


# -- the two tools -------------------------------------------------------------------------


def mbsync(server: DovecotServer, work: Path) -> tuple[Measured, Measured]:
    """Full sync and no-change resync with mbsync's defaults (FSync yes)."""
    maildir = work / "mbsync-mail"
    maildir.mkdir()
    rc = work / "mbsyncrc"
    rc.write_text(
        f"""IMAPAccount bench
Host localhost
Port {server.port}
User {USER}
Pass {PASSWORD}
SSLType STARTTLS
CertificateFile {server.ca_file}

IMAPStore remote
Account bench

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel bench
Far :remote:
Near :local:
Patterns INBOX Sent
Create Near
SyncState *
Sync Pull
"""
    )
    argv = ["mbsync", "-q", "-c", str(rc), "bench"]
    errors: list[str] = []
    full = run_measured(argv, on_line=lambda line, at: errors.append(line))
    if full.code != 0:
        raise SystemExit(f"mbsync failed with exit code {full.code}: {''.join(errors[-5:])}")
    return full, run_measured(argv)


def ours_sync(config: Path) -> tuple[float, Measured]:
    """`shared-inbox sync --once` as a process: seconds to the last header batch stored, and the run.

    The progress lines go to stderr; headers of every folder are stored before any body
    is fetched, so the last "headers N/N" line is the moment the whole inbox can be listed.
    """
    usable: list[float] = []

    def on_line(line: str, at: float) -> None:
        if ": headers " in line and "/" in line:
            done, total = line.split()[-1].split("/")
            if done == total:
                usable.append(at)

    argv = [sys.executable, "-m", "shared_inbox", "--config", str(config), "sync", "--once"]
    run = run_measured(argv, on_line=on_line)
    if run.code != 0:
        raise SystemExit("shared-inbox sync failed")
    return (usable[-1] if usable else float("nan")), run


def ours_resync_process(config: Path) -> Measured:
    return run_measured([sys.executable, "-m", "shared_inbox", "--config", str(config), "sync", "--once"])


# -- in process ---------------------------------------------------------------------------


def in_process(config: Path, server: DovecotServer) -> dict[str, Any]:
    """No-change resync, a state change and IDLE latency, on an open session; also the counts."""
    figures: dict[str, Any] = {}
    with open_session(load_config(config)) as session:
        service = session.sync_service(fetch_bodies=False)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            service.sync_once()
            times.append(time.perf_counter() - started)
        figures["resync"] = statistics.median(times)
        convs = session.inbox.conversations()
        rng = random.Random(1)
        changes = []
        for i in range(200):
            conv = rng.choice(convs)
            started = time.perf_counter()
            session.commands.assign(conv.id, "bob@example.com" if i % 2 else "alice@example.com")
            changes.append(time.perf_counter() - started)
        changes.sort()
        figures["change"] = statistics.median(changes)
        figures["change_p95"] = changes[int(len(changes) * 0.95)]
        figures["conversations"] = len(convs)
        figures["stored"] = session.store.message_count()
        figures["idle"] = statistics.median(idle_latency(session, server))
    return figures


def idle_latency(session: Any, server: DovecotServer, rounds: int = 5) -> list[float]:
    """Seconds from LMTP delivery to the message reaching the watcher's round, `rounds` times."""
    service = session.sync_service(fetch_bodies=False)
    stop = threading.Event()
    seen: dict[str, float] = {}
    idle = threading.Event()

    def on_round(result: Any) -> None:
        for mid in result.new_ids:
            seen[mid] = time.perf_counter()

    def on_state(state: str, detail: str) -> None:
        if state == "idle":
            idle.set()

    worker = threading.Thread(target=service.watch, args=(stop, on_round, on_state), daemon=True)
    worker.start()
    latencies = []
    try:
        for n in range(rounds):
            idle.wait(60)
            time.sleep(0.3)
            mid = f"idle-{n}-{time.time_ns()}@bench.test"
            raw = (
                f"From: Ida <ida@bench.test>\r\nTo: support@example.com\r\nSubject: ping {n}\r\n"
                f"Message-ID: <{mid}>\r\nDate: {datetime.now(UTC):%a, %d %b %Y %H:%M:%S +0000}\r\n"
                "\r\nhello\r\n"
            ).encode()
            idle.clear()
            sent = time.perf_counter()
            server.deliver_lmtp(USER, raw)
            deadline = time.monotonic() + 30
            while mid not in seen and time.monotonic() < deadline:
                time.sleep(0.01)
            latencies.append(seen.get(mid, float("inf")) - sent)
    finally:
        stop.set()
        worker.join(10)
    return latencies


def disk_usage(path: Path) -> tuple[float, int]:
    """MB on disk (allocated blocks) and the number of files under `path`."""
    blocks = files = 0
    for item in _walk(path):
        blocks += item.stat().st_blocks
        files += 1
    return blocks * 512 / MB, files


def _walk(path: Path) -> Iterator[Path]:
    for item in path.rglob("*"):
        if item.is_file() and not item.is_symlink():
            yield item


def threading_figures(count: int) -> dict[str, str]:
    """Header parsing and threading alone, in process: the CPU part of a sync without the wire."""
    from shared_inbox.domain.threading import ThreadIndex
    from shared_inbox.mail.headers import parse_header_block

    heads = [raw[: raw.find(b"\r\n\r\n") + 4] for _, raw in generate(count, seed=11, start=START)]
    started = time.perf_counter()
    metas = [parse_header_block(h, internal_date=START + timedelta(seconds=i)) for i, h in enumerate(heads)]
    parse = time.perf_counter() - started
    started = time.perf_counter()
    index = ThreadIndex()
    index.add_many(metas)
    convs = len(index.conversations())
    threaded = time.perf_counter() - started
    return {
        f"parse {count:,} header blocks": f"{parse:.2f} s ({count / parse:,.0f}/s)",
        f"thread {count:,} messages": f"{threaded:.2f} s ({convs:,} conversations)",
    }
