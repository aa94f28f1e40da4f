"""Sync benchmark against a real Dovecot on loopback, beside mbsync on the same mailbox.

Run:  .venv/bin/python tests/bench/bench_sync.py [--sizes 10000 50000] [--skip-mbsync]

Prints one table per mailbox size. Figures, not pass/fail: the budgets are
printed beside them. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared_inbox.config import load_config  # noqa: E402
from shared_inbox.corpus import generate  # noqa: E402
from shared_inbox.domain.threading import ThreadIndex  # noqa: E402
from shared_inbox.mail.headers import parse_header_block  # noqa: E402
from shared_inbox.services.session import open_session  # noqa: E402
from tests.integration.support import write_config  # noqa: E402
from tests.rig.dovecot import DovecotServer  # noqa: E402
from tests.rig.tls import make_tls_files  # noqa: E402

USER, PASSWORD = "bench", "bench-pass"
START = datetime(2026, 8, 1, tzinfo=UTC)


def run_measured(
    argv: list[str], *, env: dict[str, str] | None = None, on_line: Callable[[str, float], None] | None = None
) -> tuple[float, int, int]:
    """Run a command; return (seconds, peak RSS in MB of it and its children, exit code).

    RSS is sampled with psutil: wait4's ru_maxrss would report this script's own size,
    because Linux carries the counter across fork and exec.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        parent = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                tree = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stderr is not None
    for line in proc.stderr:
        if on_line:
            on_line(line, time.perf_counter() - started)
    code = proc.wait()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return elapsed, peak // (1024 * 1024), code


def seed(server: DovecotServer, count: int) -> None:
    by_folder: dict[str, list[bytes]] = {}
    for folder, raw in generate(count, seed=7, start=START):
        by_folder.setdefault(folder, []).append(raw)
    for folder, raws in by_folder.items():
        server.bulk_seed(USER, raws, folder)
    # Let Dovecot build its indexes before either tool is timed.
    with server.imap(USER, PASSWORD) as client:
        for folder in by_folder:
            client.select_folder(folder, readonly=True)
            client.search("ALL")


def mbsync(server: DovecotServer, work: Path) -> tuple[float, int, float]:
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
    seconds, rss, code = run_measured(argv, on_line=lambda line, at: errors.append(line))
    if code != 0:
        raise SystemExit(f"mbsync failed with exit code {code}: {''.join(errors[-5:])}")
    resync, _, _ = run_measured(argv)
    return seconds, rss, resync


def ours_full(config: Path) -> tuple[float, float, int]:
    """Headers-usable time, full durable sync time, peak RSS, through the real command."""
    usable: list[float] = []

    def on_line(line: str, at: float) -> None:
        if line.startswith("Sent: headers") and "/" in line:
            done, total = line.split()[-1].split("/")
            if done == total:
                usable.append(at)

    argv = [sys.executable, "-m", "shared_inbox", "--config", str(config), "sync", "--once"]
    seconds, rss, code = run_measured(argv, on_line=on_line)
    if code != 0:
        raise SystemExit("shared-inbox sync failed")
    return (usable[0] if usable else float("nan")), seconds, rss


def in_process(config: Path, server: DovecotServer, count: int) -> dict[str, str]:
    figures: dict[str, str] = {}
    with open_session(load_config(config)) as session:
        service = session.sync_service(fetch_bodies=False)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            service.sync_once()
            times.append(time.perf_counter() - started)
        figures["no-change resync (in process, incl. login)"] = f"{statistics.median(times):.3f} s"

        convs = session.inbox.conversations()
        rng = random.Random(1)
        changes = []
        for i in range(200):
            conv = rng.choice(convs)
            started = time.perf_counter()
            session.commands.assign(conv.id, "bob@example.com" if i % 2 else "alice@example.com")
            changes.append(time.perf_counter() - started)
        changes.sort()
        figures["state change (assign), median / p95"] = (
            f"{statistics.median(changes) * 1000:.1f} / {changes[int(len(changes) * 0.95)] * 1000:.1f} ms"
        )
        figures["conversations"] = str(len(convs))

        latencies = idle_latency(session, server)
        figures["new mail visible via IDLE, median of 5"] = f"{statistics.median(latencies):.2f} s"
    return figures


def idle_latency(session, server: DovecotServer) -> list[float]:
    service = session.sync_service(fetch_bodies=False)
    stop = threading.Event()
    seen: dict[str, float] = {}
    idle = threading.Event()

    def on_round(result) -> None:
        for mid in result.new_ids:
            seen[mid] = time.perf_counter()

    def on_state(state: str, detail: str) -> None:
        if state == "idle":
            idle.set()

    worker = threading.Thread(target=service.watch, args=(stop, on_round, on_state), daemon=True)
    worker.start()
    latencies = []
    for n in range(5):
        idle.wait(60)
        time.sleep(0.3)
        mid = f"idle-{n}-{time.time_ns()}@bench.test"
        raw = (
            f"From: Ida <ida@bench.test>\r\nTo: support@example.com\r\nSubject: ping {n}\r\n"
            f"Message-ID: <{mid}>\r\nDate: {datetime.now(UTC):%a, %d %b %Y %H:%M:%S +0000}\r\n\r\nhello\r\n"
        ).encode()
        idle.clear()
        sent = time.perf_counter()
        server.deliver_lmtp(USER, raw)
        deadline = time.monotonic() + 30
        while mid not in seen and time.monotonic() < deadline:
            time.sleep(0.01)
        latencies.append(seen.get(mid, float("inf")) - sent)
    stop.set()
    worker.join(10)
    return latencies


def threading_figures(count: int) -> dict[str, str]:
    raws = [raw for _, raw in generate(count, seed=11, start=START)]
    headers = [raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" for raw in raws]
    started = time.perf_counter()
    metas = [parse_header_block(h, internal_date=START + timedelta(seconds=i)) for i, h in enumerate(headers)]
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


def bench_size(count: int, skip_mbsync: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="si-bench-"))
    tls = make_tls_files(work / "tls")
    server = DovecotServer(tls=tls)
    server.add_user(USER, PASSWORD)
    server.start()
    try:
        seed(server, count)
        rows: list[tuple[str, str, str]] = []
        mb_full = mb_resync = float("nan")
        mb_rss = 0
        if not skip_mbsync:
            mb_full, mb_rss, mb_resync = mbsync(server, work)
        box = SimpleNamespace(
            user=USER, password=PASSWORD, port=server.port, tls_port=server.tls_port, ca_file=server.ca_file
        )
        config = write_config(work / "ours", box)
        usable, full, rss = ours_full(config)
        ratio = (lambda ours: f"{ours / mb_full:.2f} x mbsync") if mb_full == mb_full else (lambda ours: "-")
        rows.append(("mbsync full sync (FSync default)", f"{mb_full:.2f} s", "peer"))
        rows.append(
            ("usable inbox (all headers stored)", f"{usable:.2f} s ({ratio(usable)})", "<= 0.25 x mbsync")
        )
        rows.append(
            ("full durable sync (headers + bodies)", f"{full:.2f} s ({ratio(full)})", "<= 1.0 x mbsync")
        )
        rows.append(("mbsync no-change resync (process)", f"{mb_resync:.3f} s", "peer"))
        rows.append(("peak RSS, ours / mbsync", f"{rss} MB / {mb_rss} MB", "<= 250 MB"))
        for name, value in in_process(config, server, count).items():
            budget = {"no-change": "<= 0.1 s", "state": "<= 10 ms", "new mail": "<= 1 s"}
            rows.append((name, value, next((b for k, b in budget.items() if name.startswith(k)), "")))
        print(f"\n== {count:,} messages (Dovecot on loopback, STARTTLS) ==")
        width = max(len(r[0]) for r in rows)
        for name, value, budget in rows:
            print(f"{name:<{width}}  {value:<28}  {budget}")
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--threading-size", type=int, default=100_000)
    parser.add_argument("--skip-mbsync", action="store_true")
    args = parser.parse_args()
    if not args.skip_mbsync and shutil.which("mbsync") is None:
        raise SystemExit("mbsync not found: apt-get install isync, or pass --skip-mbsync")
    for size in args.sizes:
        bench_size(size, args.skip_mbsync)
    print(f"\n== threading (pure, in process), budget <= 1 s for {args.threading_size:,} ==")
    for name, value in threading_figures(args.threading_size).items():
        print(f"{name:<32}  {value}")


if __name__ == "__main__":
    main()
