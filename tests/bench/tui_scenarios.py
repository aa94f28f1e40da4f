"""The in-process half of tests/bench/bench_tui.py: the app under Pilot on an open session.

Each scenario presses real keys and reports two kinds of figure:

* "app work": the time spent inside the app's own code for that key (the action, and the
  screen updates, layout and compositing, that follow it), summed by `Stopwatch`; this is
  what the budgets mean, as Pilot's own waiting would otherwise dominate small figures;
* "wall": key press to the screen being settled, Pilot's waits included, where the budget is
  about what the user sees (opening a conversation).

Figures, not pass/fail; nothing here runs in the test suite.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shared_inbox.config import load_config
from shared_inbox.services.session import open_session

TERMINAL = (160, 45)
QUERIES = ("refund", "invoice", "from:gmail", "is:unread", "status:closed", "tag:vip", "assignee:me",
           "customer:example.org -status:closed", "zzz-no-such-word")  # fmt: skip
# What an agent types, one key at a time; every prefix is a search of its own.
TYPED = ("refund", "invoice 40", "from:gmail", "tag:vip")
VIEW_KEYS = "1234567890" + "3"  # every sidebar view, then back to All open


class Stopwatch:
    """Sums the time spent inside wrapped methods while armed (nested calls counted once)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.armed = False
        self._depth = 0

    def wrap(self, owner: type, name: str) -> None:
        original = getattr(owner, name)
        watch = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            watch._depth += 1
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                watch._depth -= 1
                if watch.armed and watch._depth == 0:
                    watch.total += time.perf_counter() - began

        setattr(owner, name, timed)

    @contextmanager
    def lap(self) -> Iterator[None]:
        self.total, self.armed = 0.0, True
        try:
            yield
        finally:
            self.armed = False


def warm_like_the_app(session: Any, now: datetime) -> None:
    """What `InboxApp` builds while the store opens (deadlines) and once the live list is up (the rest)."""
    from shared_inbox.services.customers import customer_profile
    from shared_inbox.services.deadlines import tracker_for

    customer_profile(session.inbox, "")
    tracker_for(session).due_within(session.inbox.conversations(), now, timedelta())
    session.inbox.prepare_search()  # the app builds the search texts once the live list is up


def in_process(config: Path, now: datetime) -> dict[str, list[float]]:
    """Every in-process figure, as lists of milliseconds (one entry per key or per search)."""
    from textual.screen import Screen

    from shared_inbox.ui.app import InboxApp
    from shared_inbox.ui.screens.inbox import InboxScreen
    from shared_inbox.ui.widgets.conversation_list import ConversationList

    watch = Stopwatch()
    for owner, name in (
        (ConversationList, "action_cursor_down"),
        (ConversationList, "action_cursor_up"),
        (InboxScreen, "action_show_view"),
        (InboxScreen, "_search"),
        (Screen, "_on_timer_update"),
    ):
        watch.wrap(owner, name)
    figures: dict[str, list[float]] = {}

    with open_session(load_config(config), now=lambda: now) as session:
        warm_like_the_app(session, now)
        inbox = session.inbox
        first = []
        for query in QUERIES:
            began = time.perf_counter()
            inbox.conversations(query)
            first.append((time.perf_counter() - began) * 1000)
        figures["search, Inbox.conversations(q), first time"] = first
        app = InboxApp(session, sync=False, now=lambda: now)

        async def scenario() -> None:
            async with app.run_test(size=TERMINAL) as pilot:
                await pilot.pause()
                assert isinstance(app.screen, InboxScreen)
                figures.update(await _cursor_keys(pilot, watch))
                figures["open cached conversation (wall)"] = await _open_cached(pilot, app)
                figures["search as you type, per key (app work)"] = await _typed_searches(
                    pilot, app.screen, watch
                )
                figures["switch view (app work)"] = await _view_switches(pilot, watch)

        asyncio.run(scenario())
    return figures


async def _cursor_keys(pilot: Any, watch: Stopwatch) -> dict[str, list[float]]:
    work, wall = [], []
    for n in range(200):
        key = "k" if n % 50 == 49 else "j"
        with watch.lap():
            began = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            wall.append((time.perf_counter() - began) * 1000)
        work.append(watch.total * 1000)
    return {"j/k (app work)": work, "j/k wall (incl. Pilot waits)": wall}


async def _open_cached(pilot: Any, app: Any) -> list[float]:
    """Enter until the reader shows every message body; Escape; three rows on; ten times."""
    from shared_inbox.ui.screens.reader import MessageView, ReaderScreen

    def shown() -> bool:
        screen = app.screen
        return (
            isinstance(screen, ReaderScreen)
            and bool(screen.query(MessageView))
            and all(view.query(".message-body > *") for view in screen.query(MessageView))
        )

    opened = []
    for _ in range(10):
        began = time.perf_counter()
        await pilot.press("enter")
        while not shown():
            await pilot.pause()
        opened.append((time.perf_counter() - began) * 1000)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press(*"jjj")
    return opened


async def _typed_searches(pilot: Any, screen: Any, watch: Stopwatch) -> list[float]:
    """Each prefix of each typed query searched and shown, as a search-as-you-type list does."""
    per_key = []
    for query in TYPED:
        for end in range(1, len(query) + 1):
            with watch.lap():
                screen._search(query[:end])
                await pilot.pause()
            per_key.append(watch.total * 1000)
        screen.action_clear_search()
        await pilot.pause()
    return per_key


async def _view_switches(pilot: Any, watch: Stopwatch) -> list[float]:
    switches = []
    for _ in range(3):
        for key in VIEW_KEYS:
            with watch.lap():
                await pilot.press(key)
                await pilot.pause()
            switches.append(watch.total * 1000)
    return switches
