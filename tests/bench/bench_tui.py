"""TUI speed on large stores, measured against the budgets, printed as tables.

    .venv/bin/python tests/bench/bench_tui.py [--sizes 10000 50000 200000] [--runs 5] [--cache DIR]

Each store is generated once (the corpus generator, parsed by the real header parser,
bodies in the raw cache, team events on a fifth of the conversations) and kept under the
cache directory, so reruns start measuring at once. Per size:

* start in a fresh process: the app spawned in a pseudo-terminal the way `shared-inbox`
  starts it (sync off). Noted: the first list row painted (the list kept from the last run,
  while the store opens in a thread), and the moment keys act on the live list, each from
  the spawn; RSS then. Measured with the list remembered and with nothing remembered.
* in process, under Pilot (see `tui_scenarios`): j/k, opening a cached conversation, search
  as you type (every prefix of a typed query), switching views.

Then a growth table: each figure at the largest size over the same figure at 50k, which
must stay within 1.5 x (start-up and memory must not grow with the whole history).

Figures, not pass/fail; nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared_inbox.config import load_config  # noqa: E402
from shared_inbox.corpus import generate  # noqa: E402
from shared_inbox.domain.model import SEEN, Location  # noqa: E402
from shared_inbox.mail.headers import parse_header_block  # noqa: E402
from shared_inbox.services.session import open_session  # noqa: E402
from shared_inbox.store import Store  # noqa: E402
from tests.bench.tui_scenarios import TERMINAL, in_process  # noqa: E402
from tests.ui.test_app import CONFIG, ME, NOW, OURS, START  # noqa: E402

BATCH = 500
EVENT_SHARE = 0.2  # conversations that get team events (assign, close, tag)
BUDGETS_MS = {"first paint": 1000.0, "keys act": 500.0, "j/k": 8.0, "open": 50.0, "search": 50.0,
              "switch view": 30.0}  # fmt: skip
RSS_BUDGET_MB = 200.0
GROWTH_BUDGET = 1.5  # the largest size's figure over the 50k one
GROWTH_BASE = 50_000


# -- the store -------------------------------------------------------------------


def build_store(root: Path, count: int) -> Path:
    """A store with `count` generated messages under `root` (reused when already built); its config."""
    config = root / "config.toml"
    done = root / "built"
    if done.exists():
        return config
    root.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG.format(store=root / "store", extra=""))
    config.chmod(0o600)
    began = time.perf_counter()
    rng = random.Random(5)
    with Store.open(root / "store") as store:
        metas, raws = [], []
        for uid, (folder, raw) in enumerate(generate(count, seed=3, start=START), start=1):
            head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
            meta = parse_header_block(
                head,
                internal_date=START + timedelta(minutes=uid),
                flags=[SEEN] if folder == "Sent" or rng.random() < 0.8 else [],
                size=len(raw),
                location=Location(folder, 1, uid),
                our_addresses=OURS,
                sent_folder=folder == "Sent",
            )
            metas.append(meta)
            raws.append((meta.message_id, raw))
            if len(metas) == BATCH:
                store.upsert_messages(metas)
                store.save_raw_many(raws)
                metas, raws = [], []
        if metas:
            store.upsert_messages(metas)
            store.save_raw_many(raws)
    with open_session(load_config(config), now=lambda: NOW) as session:
        convs = session.inbox.conversations()
        for conv in rng.sample(convs, int(len(convs) * EVENT_SHARE)):
            choice = rng.random()
            if choice < 0.4:
                session.commands.assign(conv.id, rng.choice([ME, "bob@example.com"]))
            elif choice < 0.8:
                session.commands.set_status(conv.id, "closed")
            else:
                session.commands.tag(conv.id, "vip")
    done.write_text(f"{count} messages, built in {time.perf_counter() - began:.0f} s\n")
    return config


# -- first paint in a fresh process ------------------------------------------------

PAINT_RUNNER = """
import json, sys, time
started_python = time.time()
from pathlib import Path
import psutil
from shared_inbox.config import load_config
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.widgets.conversation_list import ConversationList

out = Path(sys.argv[2])
draw = ConversationList.render_line
seen = {}

def note(key, rows):
    seen[key] = time.time()
    seen[key + "_rss_mb"] = psutil.Process().memory_info().rss / 2**20
    seen[key + "_rows"] = rows

def render_line(self, y):
    strip = draw(self, y)
    if self.rows and "painted" not in seen:
        note("painted", len(self.rows))
    if self.rows and self.app.ready and "live" not in seen:
        note("live", len(self.rows))
        out.write_text(json.dumps({**seen, "python": started_python}))
        self.app.call_later(self.app.exit)
    return strip

ConversationList.render_line = render_line
config = load_config(Path(sys.argv[1]))

def opener():
    from shared_inbox.services.session import open_session
    return open_session(config)

app = InboxApp(config=config, opener=opener, sync=False)
app.run()
if app.ready:
    app.session.close()
"""


def first_paint(config: Path, *, remembered: bool) -> dict[str, float]:
    """Spawn the app in a pseudo-terminal: ms from spawn to the first painted row and to the live list.

    `remembered=False` deletes the list kept from the last run first (a first start on this store).
    """
    from shared_inbox.ui.screens.first_screen import path_for

    if not remembered:
        path_for(load_config(config).store.path).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "paint.json"
        leader, follower = pty.openpty()
        columns, lines = TERMINAL
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)}
        drained = threading.Thread(target=_drain, args=(leader,), daemon=True)
        drained.start()
        spawned = time.time()
        proc = subprocess.Popen(
            [sys.executable, "-c", PAINT_RUNNER, str(config), str(result)],
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        os.close(follower)
        _, errors = proc.communicate(timeout=120)
        os.close(leader)
        if not result.exists():
            raise SystemExit(f"the app never painted a row:\n{errors.decode(errors='replace')[-2000:]}")
        figures = json.loads(result.read_text())
    return {
        "ms": (figures["painted"] - spawned) * 1000,
        "live_ms": (figures["live"] - spawned) * 1000,
        "interpreter_ms": (figures["python"] - spawned) * 1000,
        "rss_mb": figures["live_rss_mb"],
        "conversations": figures["live_rows"],
    }


def _drain(fd: int) -> None:
    """Read the terminal output, so the app never blocks on a full pseudo-terminal."""
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


# -- report ---------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


Figure = tuple[str, float, float, float, str]  # name, median, p95, budget, unit


def verdict(median: float, high: float, budget: float) -> str:
    return "met" if high <= budget else ("median met" if median <= budget else "MISSED")


def measure_size(config: Path, runs: int, *, paint: bool, pilot: bool) -> list[Figure]:
    figures: list[Figure] = []

    def add(name: str, values: list[float], budget: float, unit: str = "ms") -> None:
        figures.append((name, statistics.median(values), p95(values), budget, unit))

    if paint:
        cold = [first_paint(config, remembered=False) for _ in range(max(1, runs // 2))]
        warm = [first_paint(config, remembered=True) for _ in range(runs)]
        add("first paint (remembered list)", [p["ms"] for p in warm], BUDGETS_MS["first paint"])
        add("keys act, list remembered", [p["live_ms"] for p in warm], BUDGETS_MS["keys act"])
        add("keys act, nothing remembered", [p["live_ms"] for p in cold], BUDGETS_MS["keys act"])
        add("  of which interpreter start", [p["interpreter_ms"] for p in warm], float("nan"))
        add("RSS with the live list", [p["rss_mb"] for p in warm], RSS_BUDGET_MB, "MB")
        add("conversations", [p["conversations"] for p in warm], float("nan"), "")
    if pilot:
        for name, values in in_process(config, NOW).items():
            key = next((k for k in BUDGETS_MS if name.startswith(k)), "")
            # Wall figures add Pilot's own waits (~60 ms a key): shown, not judged.
            budget = BUDGETS_MS[key] if key and "wall" not in name and "Inbox." not in name else float("nan")
            add(name, values, budget)
    return figures


def print_size(size: int, figures: list[Figure]) -> None:
    width = max(len(f[0]) for f in figures)
    print(f"\n== {size:,} messages ==")
    print(f"{'measure':<{width}}  {'median / p95':>22}  {'budget':>10}  verdict")
    for name, median, high, budget, unit in figures:
        shown = f"{median:.1f} / {high:.1f} {unit}".strip() if unit else f"{median:.0f}"
        limit = f"<= {budget:g} {unit}".strip() if budget == budget else ""
        judged = verdict(median, high, budget) if budget == budget else ""
        print(f"{name:<{width}}  {shown:>22}  {limit:>10}  {judged}")


def print_growth(base: list[Figure], largest: int, figures: list[Figure]) -> None:
    """Each figure's median at the largest size over its median at 50k."""
    before = {f[0]: f[1] for f in base}
    print(f"\n== growth: {largest:,} messages over {GROWTH_BASE:,} (median over median) ==")
    width = max(len(f[0]) for f in figures)
    for name, median, _high, budget, _unit in figures:
        if name not in before or not before[name] or budget != budget and name != "conversations":
            continue
        ratio = median / before[name]
        judged = "(size of the mailbox)" if name == "conversations" else (
            "met" if ratio <= GROWTH_BUDGET else "MISSED")  # fmt: skip
        print(f"{name:<{width}}  {ratio:>6.2f} x  <= {GROWTH_BUDGET:g} x  {judged}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--runs", type=int, default=5, help="start-up runs per size (median reported)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "shared-inbox-bench-tui")
    parser.add_argument("--skip-paint", action="store_true")
    parser.add_argument("--skip-pilot", action="store_true")
    args = parser.parse_args()

    results: dict[int, list[Figure]] = {}
    for size in args.sizes:
        config = build_store(args.cache / str(size), size)
        print(
            f"store: {(config.parent / 'built').read_text().strip()} ({config.parent / 'store'})", flush=True
        )
        results[size] = measure_size(config, args.runs, paint=not args.skip_paint, pilot=not args.skip_pilot)
        print_size(size, results[size])
    largest = max(args.sizes)
    if GROWTH_BASE in results and largest > GROWTH_BASE:
        print_growth(results[GROWTH_BASE], largest, results[largest])


if __name__ == "__main__":
    main()
