"""Report speed on a large store, measured against the budgets, printed as a table.

    python tests/bench/bench_reports.py [--messages 50000] [--runs 5] [--cache DIR]

Uses (and, the first time, builds) the store of tests/bench/bench_tui.py under the same
cache directory, so both benchmarks share one generated mailbox. Measured:

* in process: `Reports.report` for 90 days with the period before and the agent breakdown,
  on an open session, facts built afresh each run;
* from the command line: `shared-inbox report --json` in a fresh process, spawn to exit;
* the Reports screen under Pilot: from pressing `R` to its first paint (title, "computing"),
  and to its figures and charts being shown;
* peak RSS of the command-line process (the app's memory budget).

Figures, not pass/fail; nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared_inbox.config import load_config  # noqa: E402
from shared_inbox.domain.metrics import Breakdown, Period  # noqa: E402
from shared_inbox.services.reports import ReportRequest, Reports  # noqa: E402
from shared_inbox.services.session import open_session  # noqa: E402
from tests.bench.bench_tui import NOW, RSS_BUDGET_MB, build_store  # noqa: E402

BUDGETS_S = {"in process": 1.0, "command line": 2.0, "screen opens": 0.5}
DAYS = 90


def request() -> ReportRequest:
    last = NOW.date()
    return ReportRequest(Period(last - timedelta(days=DAYS - 1), last), by=Breakdown.AGENT, compare=True)


def in_process(config: Path, runs: int) -> tuple[list[float], int]:
    times = []
    with open_session(load_config(config), now=lambda: NOW) as session:
        conversations = len(session.inbox.conversations())
        for _ in range(runs):
            reports = Reports(session, now=lambda: NOW)  # nothing kept from the last run
            began = time.perf_counter()
            reports.report(request())
            times.append(time.perf_counter() - began)
    return times, conversations


# The command line's own high-water mark, told on stderr as it exits. Not the rusage of
# wait4: Linux carries a process's peak RSS across exec, so a child spawned by this
# process (which holds the whole store after the in-process runs) would report ours.
_PEAK = """
import atexit, runpy, sys
def peak():
    with open('/proc/self/status') as status:
        kib = next(line.split()[1] for line in status if line.startswith('VmHWM:'))
    print('peak-rss-kib', kib, file=sys.stderr)
atexit.register(peak)
runpy.run_module('shared_inbox', run_name='__main__', alter_sys=True)
"""


def command_line(config: Path, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from spawn to exit, and the process's peak RSS in MB, per run."""
    period = request().period
    argv = [sys.executable, "-c", _PEAK, "--config", str(config), "report", "--json", "--compare"]
    argv += ["--by", "agent", "--from", period.first.isoformat(), "--to", period.last.isoformat()]
    times, peaks = [], []
    for _ in range(runs):
        began = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
        _, status = proc.communicate()
        times.append(time.perf_counter() - began)
        errors = status.decode(errors="replace")
        if proc.returncode:
            raise SystemExit(f"shared-inbox report failed: {errors[-2000:]}")
        told = [line.split()[1] for line in errors.splitlines() if line.startswith("peak-rss-kib ")]
        peaks.append(int(told[-1]) / 1024)
    return times, peaks


def screen(config: Path, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from pressing R to the Reports screen being up, and to its figures being shown."""
    from shared_inbox.ui.app import InboxApp
    from shared_inbox.ui.screens.inbox import InboxScreen
    from shared_inbox.ui.screens.reports import ReportsScreen

    opened, shown = [], []
    painted: list[float] = []
    mounted = ReportsScreen.on_mount

    def on_mount(self: ReportsScreen) -> None:
        mounted(self)
        self.call_after_refresh(lambda: painted.append(time.perf_counter()))

    ReportsScreen.on_mount = on_mount  # type: ignore[method-assign]
    with open_session(load_config(config), now=lambda: NOW) as session:
        app = InboxApp(session, sync=False, now=lambda: NOW)

        async def scenario() -> None:
            async with app.run_test(size=(160, 45)) as pilot:
                await pilot.pause()
                for _ in range(runs):
                    assert isinstance(app.screen, InboxScreen)
                    painted.clear()
                    began = time.perf_counter()
                    await pilot.press("R")
                    while not painted:
                        await pilot.pause()
                    opened.append(painted[0] - began)
                    reports = app.screen
                    assert isinstance(reports, ReportsScreen)
                    while reports.report is None:
                        await pilot.pause(0.01)
                    await pilot.pause()
                    shown.append(time.perf_counter() - began)
                    await pilot.press("q")
                    await pilot.pause()

        asyncio.run(scenario())
    return opened, shown


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "shared-inbox-bench-tui")
    args = parser.parse_args()

    config = build_store(args.cache / str(args.messages), args.messages)
    print(f"store: {(config.parent / 'built').read_text().strip()} ({config.parent / 'store'})")
    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, values: list[float], budget: float | None, unit: str) -> None:
        median, high = statistics.median(values), max(values)
        verdict = (
            ""
            if budget is None
            else ("met" if high <= budget else ("median met" if median <= budget else "MISSED"))
        )
        shown_budget = "" if budget is None else f"<= {budget:g} {unit}"
        rows.append((name, f"{median:.2f} / {high:.2f} {unit}", shown_budget, verdict))

    times, conversations = in_process(config, args.runs)
    print(f"conversations: {conversations}; report: {DAYS} days, the period before, by agent")
    row("report in process", times, BUDGETS_S["in process"], "s")
    cli_times, peaks = command_line(config, args.runs)
    row("report from the command line", cli_times, BUDGETS_S["command line"], "s")
    row("peak RSS of the command line", peaks, RSS_BUDGET_MB, "MB")
    opened, shown = screen(config, args.runs)
    row("Reports screen opens (R, first paint)", opened, BUDGETS_S["screen opens"], "s")
    row("  figures and charts shown", shown, None, "s")

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'median / max':>18}  {'budget':>10}  verdict")
    for name, measured, budget, verdict in rows:
        print(f"{name:<{width}}  {measured:>18}  {budget:>10}  {verdict}")


if __name__ == "__main__":
    main()
