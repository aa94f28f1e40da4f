"""TUI speed on a large store, measured against the budgets, printed as a table.

    /work/venv/bin/python tests/bench/bench_tui.py [--messages 50000] [--runs 5] [--cache DIR]

The store is generated once (the corpus generator, parsed by the real header parser,
bodies in the raw cache, a few thousand team events) and kept under the cache directory,
so reruns start measuring at once. Measured:

* first paint: a fresh process started in a pseudo-terminal runs the real `InboxApp`
  the way `shared-inbox` starts it (sync off): the list kept from the last run is painted
  while the store opens in a thread. Noted: the first list line drawn with a conversation
  in it, and the first drawn once the live inbox is in place (keys work from then on),
  each minus the moment the process was spawned; RSS once the live list is shown. A first
  start on a store (nothing kept yet) is measured separately.
* j/k: the app under Pilot, `j` pressed 200 times; "app work" is the time spent in the
  cursor action plus the screen updates (layout, compositor) that followed it, the wall
  figure adds Pilot's own waiting.
* opening a conversation whose bodies are cached: Enter until the reader shows them.
* search: `Inbox.conversations(query)` in process, and through the list's search.

Figures, not pass/fail; nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared_inbox.config import load_config  # noqa: E402
from shared_inbox.corpus import generate  # noqa: E402
from shared_inbox.domain.model import SEEN, Location  # noqa: E402
from shared_inbox.mail.headers import parse_header_block  # noqa: E402
from shared_inbox.services.session import open_session  # noqa: E402
from shared_inbox.store import Store  # noqa: E402
from tests.ui.test_app import CONFIG, ME, NOW, OURS, START  # noqa: E402

BATCH = 500
EVENT_SHARE = 0.2  # conversations that get team events (assign, close, tag)
QUERIES = ("refund", "invoice", "from:gmail", "is:unread", "status:closed", "tag:vip", "assignee:me",
           "customer:example.org -status:closed", "zzz-no-such-word")  # fmt: skip
BUDGETS_MS = {"first paint": 1000.0, "j/k": 16.0, "open": 100.0, "search": 100.0}
RSS_BUDGET_MB = 250.0
TERMINAL = (160, 45)


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


# -- in process, under Pilot -----------------------------------------------------------


class Stopwatch:
    """Sums the time spent inside wrapped methods while armed."""

    def __init__(self) -> None:
        self.total = 0.0
        self.armed = False

    def wrap(self, owner: type, name: str) -> None:
        original = getattr(owner, name)
        watch = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                if watch.armed:
                    watch.total += time.perf_counter() - began

        setattr(owner, name, timed)

    @contextmanager
    def lap(self) -> Iterator[None]:
        self.total, self.armed = 0.0, True
        try:
            yield
        finally:
            self.armed = False


def warm_like_the_app(session: Any) -> None:
    """What `InboxApp` builds in its store-opening thread before the live list is shown."""
    from shared_inbox.services.customers import customer_profile
    from shared_inbox.services.deadlines import tracker_for

    customer_profile(session.inbox, "")
    tracker_for(session).due_within(session.inbox.conversations(), NOW, timedelta())


def in_process(config: Path) -> dict[str, list[float]]:
    from textual.screen import Screen

    from shared_inbox.ui.app import InboxApp
    from shared_inbox.ui.screens.inbox import InboxScreen
    from shared_inbox.ui.screens.reader import MessageView, ReaderScreen
    from shared_inbox.ui.widgets.conversation_list import ConversationList

    watch = Stopwatch()
    for name in ("action_cursor_down", "action_cursor_up"):
        watch.wrap(ConversationList, name)
    watch.wrap(Screen, "_on_timer_update")
    figures: dict[str, list[float]] = {}

    with open_session(load_config(config), now=lambda: NOW) as session:
        warm_like_the_app(session)
        inbox = session.inbox
        first, again = [], []
        for query in QUERIES:
            for times in (first, again):  # the inbox keeps results until the conversations change
                began = time.perf_counter()
                inbox.conversations(query)
                times.append((time.perf_counter() - began) * 1000)
        figures["search, Inbox.conversations(q), first time"] = first
        figures["search, Inbox.conversations(q), repeated"] = again
        app = InboxApp(session, sync=False, now=lambda: NOW)

        async def scenario() -> None:
            async with app.run_test(size=TERMINAL) as pilot:
                await pilot.pause()
                assert isinstance(app.screen, InboxScreen)
                screen = app.screen
                work, wall = [], []
                for n in range(200):
                    key = "k" if n % 50 == 49 else "j"
                    with watch.lap():
                        began = time.perf_counter()
                        await pilot.press(key)
                        await pilot.pause()
                        wall.append((time.perf_counter() - began) * 1000)
                    work.append(watch.total * 1000)
                figures["j/k app work (action + screen update)"] = work
                figures["j/k wall (incl. Pilot waits)"] = wall

                opened = []
                for _ in range(10):
                    began = time.perf_counter()
                    await pilot.press("enter")
                    while not (
                        isinstance(app.screen, ReaderScreen)
                        and app.screen.query(MessageView)
                        and all(view.query(".message-body > *") for view in app.screen.query(MessageView))
                    ):
                        await pilot.pause()
                    opened.append((time.perf_counter() - began) * 1000)
                    await pilot.press("escape")
                    await pilot.pause()
                    await pilot.press(*"jjj")
                figures["open cached conversation"] = opened

                ui = []
                for query in QUERIES:
                    began = time.perf_counter()
                    screen._search(query)
                    await pilot.pause()
                    ui.append((time.perf_counter() - began) * 1000)
                screen.action_clear_search()
                figures["search through the list"] = ui

        asyncio.run(scenario())
    return figures


# -- report ---------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5, help="first-paint runs (median reported)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "shared-inbox-bench-tui")
    parser.add_argument("--skip-paint", action="store_true")
    parser.add_argument("--skip-pilot", action="store_true")
    args = parser.parse_args()

    config = build_store(args.cache / str(args.messages), args.messages)
    print(f"store: {(config.parent / 'built').read_text().strip()} ({config.parent / 'store'})")
    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, values: list[float], budget: float, unit: str = "ms") -> None:
        median, high = statistics.median(values), p95(values)
        verdict = "met" if high <= budget else ("median met" if median <= budget else "MISSED")
        rows.append((name, f"{median:.1f} / {high:.1f} {unit}", f"<= {budget:g} {unit}", verdict))

    if not args.skip_paint:
        cold = [first_paint(config, remembered=False) for _ in range(max(1, args.runs // 2))]
        paints = [first_paint(config, remembered=True) for _ in range(args.runs)]
        row("first paint from process start", [p["ms"] for p in paints], BUDGETS_MS["first paint"])
        interpreter = statistics.median(p["interpreter_ms"] for p in paints)
        rows.append(("  of which interpreter start", f"{interpreter:.0f} ms", "", ""))
        row("  live list (store open, keys work)", [p["live_ms"] for p in paints], BUDGETS_MS["first paint"])
        row("first start on a store (nothing kept)", [p["ms"] for p in cold], BUDGETS_MS["first paint"])
        row("RSS with the live list", [p["rss_mb"] for p in paints], RSS_BUDGET_MB, "MB")
        print(f"conversations in the live list: {int(paints[0]['conversations'])}")
    if not args.skip_pilot:
        budgets: dict[str, float] = {"j/k": BUDGETS_MS["j/k"], "open": BUDGETS_MS["open"],
                                     "search": BUDGETS_MS["search"]}  # fmt: skip
        for name, values in in_process(config).items():
            budget = next(b for key, b in budgets.items() if name.startswith(key))
            row(name, values, budget)

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'median / p95':>20}  {'budget':>12}  verdict")
    for name, measured, budget, verdict in rows:
        print(f"{name:<{width}}  {measured:>20}  {budget:>12}  {verdict}")


if __name__ == "__main__":
    main()
