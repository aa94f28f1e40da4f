"""Sync benchmark against a real Dovecot on loopback, beside mbsync on the same mailbox.

Run:  .venv/bin/python tests/bench/bench_sync.py [--sizes 10000 50000 200000] [--working-set 500000]

Per size: one mailbox, seeded once; mbsync syncs it into a Maildir and `shared-inbox sync
--once` into a fresh store, one after the other, both with fsync on (mbsync's FSync
default; the store always syncs its writes). Then, on our store: a no-change resync, state
changes, new mail through IDLE and the TUI's live-list start. Each figure is printed beside
mbsync's own ("peer"), its budget and a verdict. With 50k and a bigger size, a growth table
follows; `--working-set` seeds years of mail and syncs only the last year (`sync_since`).
Figures, not pass/fail: nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_rig import (  # noqa: E402
    PASSWORD,
    USER,
    disk_usage,
    in_process,
    mbsync,
    ours_resync_process,
    ours_sync,
    seed_history,
    seed_size,
    server_count,
    threading_figures,
)

from tests.integration.support import write_config  # noqa: E402
from tests.rig.dovecot import DovecotServer  # noqa: E402
from tests.rig.tls import make_tls_files  # noqa: E402

USABLE_X, FULL_X = 0.2, 0.7  # of mbsync's full sync
RSS_MB = 150.0
RESYNC_S, CHANGE_MS, IDLE_S, LIVE_S = 0.1, 10.0, 1.0, 0.5
GROWTH_X = 1.5
WINDOW_DAYS = 365
Row = tuple[str, str, str, str, str]  # measure, ours, peer, budget, verdict


def verdict(value: float, limit: float) -> str:
    if value != value:  # nan: not measured
        return "-"
    return "met" if value <= limit else "MISSED"


def ratio(ours: float, peer: float) -> float:
    return ours / peer if peer and peer == peer else float("nan")


def print_table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n== {title} ==")
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    sys.stdout.flush()


def started_server(work: Path) -> DovecotServer:
    server = DovecotServer(tls=make_tls_files(work / "tls"))
    server.add_user(USER, PASSWORD)
    server.start()
    return server


def our_config(work: Path, server: DovecotServer, imap: str = "") -> Path:
    box = SimpleNamespace(
        user=USER, password=PASSWORD, port=server.port, tls_port=server.tls_port, ca_file=server.ca_file
    )
    return write_config(work / "ours", box, imap=imap)


def measure_ours(config: Path, server: DovecotServer, paint: bool) -> dict[str, Any]:
    """Everything measured on our side of one mailbox, as plain numbers."""
    usable, run = ours_sync(config)
    figures: dict[str, Any] = {
        "usable": usable,
        "full": run.seconds,
        "rss": run.largest_mb,
        "tree": run.tree_mb,
    }
    figures["store_mb"], figures["store_files"] = disk_usage(config.parent / "store")
    figures.update(in_process(config, server))
    figures["resync_process"] = ours_resync_process(config).seconds
    figures.update(
        live_list(config) if paint else {"live": math.nan, "live_cold": math.nan, "live_rss": math.nan}
    )
    return figures


def live_list(config: Path) -> dict[str, float]:
    """The TUI's start on this store, the way tests/bench/bench_tui.py measures it."""
    from bench_tui import first_paint

    cold = first_paint(config, remembered=False)
    kept = first_paint(config, remembered=True)
    return {"live_cold": cold["live_ms"] / 1000, "live": kept["live_ms"] / 1000, "live_rss": kept["rss_mb"]}


def common_rows(f: dict[str, Any], peer: dict[str, float]) -> list[Row]:
    """Rows every run prints: the in-process figures, the process resync, the TUI start."""
    return [
        ("no-change resync, in process (incl. login)", f"{f['resync']:.3f} s", "", f"<= {RESYNC_S} s",
         verdict(f["resync"], RESYNC_S)),
        ("no-change resync, whole process", f"{f['resync_process']:.2f} s", _s(peer.get("resync", math.nan)),
         "peer", ""),
        ("state change (assign), median / p95", f"{f['change'] * 1000:.1f} / {f['change_p95'] * 1000:.1f} ms",
         "", f"<= {CHANGE_MS:g} ms", verdict(f["change"] * 1000, CHANGE_MS)),
        ("new mail visible via IDLE, median of 5", f"{f['idle']:.2f} s", "", f"<= {IDLE_S:g} s",
         verdict(f["idle"], IDLE_S)),
        ("TUI live list, list kept from last start", _s(f["live"]), "", f"<= {LIVE_S} s",
         verdict(f["live"], LIVE_S)),
        ("TUI live list, first start (nothing kept)", _s(f["live_cold"]), "", f"<= {LIVE_S} s",
         verdict(f["live_cold"], LIVE_S)),
        ("TUI RSS with the live list", _mb(f["live_rss"]), "", "", ""),
        ("store on disk (metadata + bodies)", f"{f['store_mb']:.0f} MB, {f['store_files']:,} files",
         _mb(peer.get("maildir_mb", math.nan)), "", ""),
        ("messages stored / conversations", f"{f['stored']:,} / {f['conversations']:,}", "", "", ""),
    ]  # fmt: skip


def _s(value: float) -> str:
    return "-" if value != value else f"{value:.2f} s"


def _mb(value: float) -> str:
    return "-" if value != value else f"{value:.0f} MB"


# -- one size --------------------------------------------------------------------------------


def bench_size(count: int, skip_mbsync: bool, paint: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="si-bench-"))
    server = started_server(work)
    try:
        began = time.perf_counter()
        seed_size(server, count)
        seeded = time.perf_counter() - began
        peer: dict[str, float] = {}
        if not skip_mbsync:
            full, resync = mbsync(server, work)
            peer = {"full": full.seconds, "rss": full.largest_mb, "resync": resync.seconds}
            peer["maildir_mb"] = disk_usage(work / "mbsync-mail")[0]
            shutil.rmtree(work / "mbsync-mail", ignore_errors=True)  # its page cache is no help to us
        f = measure_ours(our_config(work, server), server, paint)
        f.update({f"mb_{k}": v for k, v in peer.items()}, count=count, seeded=seeded)
        mb = peer.get("full", math.nan)
        u, d = ratio(f["usable"], mb), ratio(f["full"], mb)
        rows: list[Row] = [
            ("usable inbox (all headers stored, from spawn)", f"{f['usable']:.2f} s = {u:.2f} x", _s(mb),
             f"<= {USABLE_X} x mbsync", verdict(u, USABLE_X)),
            ("full durable sync (headers + bodies)", f"{f['full']:.2f} s = {d:.2f} x", _s(mb),
             f"<= {FULL_X} x mbsync", verdict(d, FULL_X)),
            ("peak RSS, largest sync process", _mb(f["rss"]), _mb(peer.get("rss", math.nan)),
             f"<= {RSS_MB:g} MB (set at 50k)", verdict(f["rss"], RSS_MB)),
            ("  peak RSS, whole process tree (parser helper too)", _mb(f["tree"]), "", "", ""),
            *common_rows(f, peer),
        ]  # fmt: skip
        title = f"{count:,} messages (Dovecot on loopback, STARTTLS; seeded in {seeded:.0f} s; {load()})"
        print_table(title, ("measure", "ours", "peer: mbsync", "budget", "verdict"), rows)
        return f
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


# -- growth ------------------------------------------------------------------------------------

GROWTH_ROWS: list[tuple[str, Callable[[dict[str, Any]], float], bool]] = [
    # (measure, figure, whether the 1.5 x budget applies to it)
    ("usable inbox / mbsync full sync", lambda f: ratio(f["usable"], f.get("mb_full", math.nan)), True),
    ("usable inbox, s per 1k messages", lambda f: f["usable"] / f["count"] * 1000, False),
    ("full sync / mbsync full sync", lambda f: ratio(f["full"], f.get("mb_full", math.nan)), True),
    ("full sync, s per 1k messages", lambda f: f["full"] / f["count"] * 1000, False),
    ("peak RSS, largest sync process (MB)", lambda f: f["rss"], True),
    ("no-change resync, in process (s)", lambda f: f["resync"], True),
    ("no-change resync, whole process (s)", lambda f: f["resync_process"], True),
    ("state change, median (ms)", lambda f: f["change"] * 1000, True),
    ("new mail via IDLE (s)", lambda f: f["idle"], True),
    ("TUI live list, list kept (s)", lambda f: f["live"], True),
    ("TUI live list, nothing kept (s)", lambda f: f["live_cold"], True),
    ("TUI RSS with the live list (MB)", lambda f: f["live_rss"], True),
]


def growth(base: dict[str, Any], big: dict[str, Any], label: str) -> None:
    rows = []
    for name, figure, budgeted in GROWTH_ROWS:
        a, b = figure(base), figure(big)
        g = ratio(b, a)
        rows.append((name, f"{a:.3g}", f"{b:.3g}", f"{g:.2f} x", f"<= {GROWTH_X} x" if budgeted else "info",
                     verdict(g, GROWTH_X) if budgeted else ""))  # fmt: skip
    print_table(f"growth, {label} / 50k", ("measure", "50k", label, "growth", "budget", "verdict"), rows)
    print(
        "Sync time is judged as the ratio to mbsync on the same mailbox in the same run: 4x the mail\n"
        "takes about 4x as long for any tool, and the server's own cost grows with it; what must not\n"
        "grow is that ratio. Seconds per 1k messages are shown for reference (info). Memory, resync,\n"
        "state change, IDLE and TUI start are compared as they are: none of them should depend on\n"
        "how much history the mailbox holds."
    )


# -- the working set ---------------------------------------------------------------------------


def bench_working_set(total: int, base: dict[str, Any] | None, with_mbsync: bool, paint: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="si-bench-ws-"))
    server = started_server(work)
    try:
        now = datetime.now(UTC)
        began = time.perf_counter()
        seeded = seed_history(server, total, 50_000, now)
        seed_s = time.perf_counter() - began
        on_server = server_count(server)
        since = (now - timedelta(days=WINDOW_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
        in_window = sum(1 for d in seeded["dates"] if d >= since.timestamp())
        peer: dict[str, float] = {}
        if with_mbsync:
            full, resync = mbsync(server, work)
            peer = {"full": full.seconds, "rss": full.largest_mb, "resync": resync.seconds}
            peer["maildir_mb"] = disk_usage(work / "mbsync-mail")[0]
            shutil.rmtree(work / "mbsync-mail", ignore_errors=True)
        config = our_config(work, server, imap=f'sync_since = "{WINDOW_DAYS}d"')
        f = measure_ours(config, server, paint)

        def vs(key: str, limit: str = "") -> tuple[str, str]:
            budget = ", ".join(part for part in (limit, f"<= {GROWTH_X} x 50k" if base else "") if part)
            if base is None:
                return "-", budget
            return f"{base[key]:.3g} ({ratio(f[key], base[key]):.2f} x)", budget

        def judged(key: str, limit: float = math.inf) -> str:
            g = ratio(f[key], base[key]) if base else math.nan
            own = verdict(f[key], limit) if limit != math.inf else ("met" if base else "-")
            return "MISSED" if own == "MISSED" or verdict(g, GROWTH_X) == "MISSED" else own

        rows = [
            (f"seeding {total:,} (generate, write Maildir, Dovecot index)", f"{seed_s:.0f} s", "", "", ""),
            ("messages on the server (INBOX + Sent)", f"{on_server:,}", "", "", ""),
            (f"seeded messages dated in the last {WINDOW_DAYS} days", f"{in_window:,}", "", "", ""),
            ("Message-IDs repeated across seeds", f"{seeded['ids_repeated_across_batches']:,}", "", "", ""),
            ("messages in the local store (before IDLE test)", f"{f['stored']:,}", "", "<= the window",
             verdict(f["stored"], in_window)),
            ("usable inbox (all headers stored, from spawn)", f"{f['usable']:.2f} s", *vs("usable"),
             judged("usable")),
            ("full durable sync (headers + bodies)", f"{f['full']:.2f} s", *vs("full"), judged("full")),
            ("peak RSS, largest sync process", _mb(f["rss"]), *vs("rss", f"<= {RSS_MB:g} MB"),
             judged("rss", RSS_MB)),
            ("store on disk (MB)", f"{f['store_mb']:.0f} MB", *vs("store_mb"), judged("store_mb")),
            ("no-change resync, in process (s)", f"{f['resync']:.3f} s", *vs("resync"), judged("resync")),
            ("no-change resync, whole process (s)", f"{f['resync_process']:.2f} s", *vs("resync_process"),
             judged("resync_process")),
            ("TUI live list, list kept (s)", _s(f["live"]), *vs("live", f"<= {LIVE_S} s"),
             judged("live", LIVE_S)),
            ("TUI live list, nothing kept (s)", _s(f["live_cold"]), *vs("live_cold", f"<= {LIVE_S} s"),
             judged("live_cold", LIVE_S)),
        ]  # fmt: skip
        if peer:
            rows.append(("mbsync full sync / no-change resync (all history)",
                         f"{peer['full']:.1f} / {peer['resync']:.2f} s", "", "peer", ""))  # fmt: skip
        years = total // 50_000
        title = f"working set: {total:,} messages over {years} years, sync_since = {WINDOW_DAYS}d ({load()})"
        print_table(title, ("measure", "working set", "50k run (growth)", "budget", "verdict"), rows)
        rest = [
            r for r in common_rows(f, peer) if r[0].startswith(("state", "new mail", "TUI RSS", "messages"))
        ]
        print_table("working set, in process", ("measure", "ours", "peer", "budget", "verdict"), rest)
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} / {five:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 50_000])
    parser.add_argument("--working-set", type=int, default=0, help="messages of history (batches of 50k)")
    parser.add_argument("--working-set-mbsync", action="store_true", help="also time mbsync on all history")
    parser.add_argument("--skip-mbsync", action="store_true")
    parser.add_argument("--skip-tui", action="store_true", help="do not time the TUI's live-list start")
    parser.add_argument("--threading-size", type=int, default=100_000, help="0: skip")
    args = parser.parse_args()
    if not args.skip_mbsync and shutil.which("mbsync") is None:
        raise SystemExit("mbsync not found: apt-get install isync, or pass --skip-mbsync")
    runs: dict[int, dict[str, Any]] = {}
    try:
        for size in args.sizes:
            runs[size] = bench_size(size, args.skip_mbsync, not args.skip_tui)
        for size, figures in runs.items():
            if size > 50_000 and 50_000 in runs:
                growth(runs[50_000], figures, f"{size // 1000}k")
        if args.working_set:
            if 50_000 not in runs:
                print("\n(no 50k run in this invocation: the working set is shown without growth ratios)")
            bench_working_set(args.working_set, runs.get(50_000), args.working_set_mbsync, not args.skip_tui)
        if args.threading_size:
            rows = list(threading_figures(args.threading_size).items())
            title = f"threading, pure, in process (budget <= 1 s for {args.threading_size:,})"
            print_table(title, ("measure", "figure"), rows)
    except KeyboardInterrupt:
        raise SystemExit("\ninterrupted; servers closed, temporary directories removed") from None


if __name__ == "__main__":
    main()
