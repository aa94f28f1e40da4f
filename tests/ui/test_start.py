"""A cold start paints the list as the agent left it, then swaps in the live one once the store is open."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList

from shared_inbox.config import Config, parse_config
from shared_inbox.services.session import Session, open_session
from shared_inbox.store import Store
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.first_screen import FirstScreen, load_first_screen, path_for, save_first_screen
from shared_inbox.ui.screens.inbox import InboxScreen
from shared_inbox.ui.screens.start import TYPED_AHEAD, StartScreen
from shared_inbox.ui.widgets.conversation_list import ConversationList
from tests.ui.test_app import CONFIG, ME, NOW, drive, fill_store, inbox_of, make_config, until


def remembered_screen(config: Config) -> list[str]:
    """Run the app once on the Unassigned view and let it keep its first screen; the kept row ids."""
    with open_session(config, now=lambda: NOW) as session:

        async def scenario(pilot: Pilot[None]) -> None:
            await pilot.press("1")  # Unassigned
            await pilot.pause()
            inbox_of(pilot.app).remember()

        drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)
    kept = load_first_screen(config.store.path)
    assert kept is not None and kept.view_id == "unassigned"
    return [conv.id for conv in kept.rows]


def start_slowly(config: Config, release: threading.Event) -> InboxApp:
    def opener() -> Session:
        release.wait(30)
        return open_session(config, now=lambda: NOW)

    return InboxApp(config=config, opener=opener, sync=False, now=lambda: NOW)


def test_the_remembered_list_shows_before_the_store_is_open_then_the_live_one(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 120)
    config = make_config(tmp_path)
    kept_ids = remembered_screen(config)
    assert kept_ids
    release = threading.Event()
    app = start_slowly(config, release)

    async def run() -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.pause()
            start = app.screen
            assert isinstance(start, StartScreen) and not app.ready
            listing = start.query_one(ConversationList)
            assert [c.id for c in listing.rows] == kept_ids
            sidebar = start.query_one("#sidebar", OptionList)
            assert sidebar.highlighted == 0 and "Unassigned" in str(sidebar.get_option_at_index(0).prompt)
            release.set()
            await until(
                pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.conversation_list.rows
            )
            live = app.screen
            assert isinstance(live, InboxScreen) and app.ready
            assert live.view_id == "unassigned"
            assert [c.id for c in live.conversation_list.rows][: len(kept_ids)] == kept_ids

    try:
        asyncio.run(run())
    finally:
        if app.ready:
            app.session.close()


def test_without_a_remembered_list_the_start_says_it_is_opening(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 30)
    config = make_config(tmp_path)
    path_for(config.store.path).write_text("{not json", encoding="utf-8")  # damaged: ignored
    release = threading.Event()
    app = start_slowly(config, release)

    async def run() -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            assert app.screen.query_one(ConversationList).rows == []
            assert "Opening the mailbox" in app.status_line or "opening the mailbox" in app.status_line
            release.set()
            await until(
                pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.conversation_list.rows
            )
            assert app.ready and isinstance(app.screen, InboxScreen) and app.screen.conversation_list.rows
            # Search texts are built once the live list is up, not before it.
            await until(pilot, app.session.inbox.search_prepared)

    try:
        asyncio.run(run())
    finally:
        if app.ready:
            app.session.close()


def test_a_store_in_use_ends_the_app_with_the_reason(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 10)
    config = make_config(tmp_path)
    with Store.open(config.store.path):  # another copy holds the store
        app = InboxApp(config=config, opener=lambda: open_session(config), sync=False, now=lambda: NOW)

        async def run() -> None:
            async with app.run_test(size=(120, 30)) as pilot:
                await until(pilot, lambda: app.failure is not None)

        asyncio.run(run())
    assert app.failure is not None and "already open" in app.failure
    assert app.return_code == 1


def test_a_team_key_that_cannot_be_obtained_ends_the_app_with_the_reason(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 10)
    text = CONFIG.format(store=tmp_path / "store", extra="")
    config = parse_config(text.replace("[team]\n", '[team]\nkey_command = "false"\n'), base_dir=tmp_path)
    opened: list[Session] = []

    def opener() -> Session:
        opened.append(open_session(config, now=lambda: NOW))
        return opened[-1]

    app = InboxApp(config=config, opener=opener, sync=False, now=lambda: NOW)

    async def run() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: app.failure is not None)

    try:
        asyncio.run(run())
    finally:
        for session in opened:
            session.close()
    assert app.failure == "team.key_command: the command failed with exit status 1"
    assert app.return_code == 1


def test_the_kept_screen_round_trips_and_is_private(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 40)
    config = make_config(tmp_path)
    with open_session(config, now=lambda: NOW) as session:
        rows = session.inbox.conversations()[:5]
    save_first_screen(config.store.path, FirstScreen("open", [("open", "All open", 5)], rows))
    kept = load_first_screen(config.store.path)
    assert kept is not None and kept.rows == rows and kept.views == [("open", "All open", 5)]
    assert path_for(config.store.path).stat().st_mode & 0o077 == 0


def test_a_theme_chosen_in_the_app_is_used_at_the_next_start(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 20)
    config = make_config(tmp_path)
    with open_session(config, now=lambda: NOW) as session:

        async def choose(pilot: Pilot[None]) -> None:
            assert pilot.app.theme != "shared-light"
            pilot.app.theme = "shared-light"  # what picking it in the palette does
            await pilot.pause()
            remembered = load_first_screen(config.store.path)  # at once, not only when quitting
            assert remembered is not None and remembered.theme == "shared-light"

        drive(InboxApp(session, sync=False, now=lambda: NOW), choose)
    release = threading.Event()
    release.set()
    app = start_slowly(config, release)

    async def run() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            assert app.theme == "shared-light"
            await until(pilot, lambda: app.ready)

    try:
        asyncio.run(run())
    finally:
        if app.ready:
            app.session.close()


def test_keys_typed_while_the_mailbox_opens_run_on_the_live_list(tmp_path: Path) -> None:
    fill_store(tmp_path / "store", 120)
    config = make_config(tmp_path)
    kept_ids = remembered_screen(config)
    release = threading.Event()
    app = start_slowly(config, release)

    async def run() -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.pause()
            start = app.screen
            assert isinstance(start, StartScreen)
            await pilot.press("j", "j", "m")  # the third conversation, assigned to me
            assert app.screen is start and start.query_one(ConversationList).cursor == 0  # nothing acted yet
            said = [note.message for note in app._notifications]
            assert said == [TYPED_AHEAD]  # once, at the first key
            release.set()
            await until(pilot, lambda: app.ready and isinstance(app.screen, InboxScreen))
            session = app.session
            await until(pilot, lambda: assigned(session, kept_ids[2]) == ME)
            assert [assigned(session, conv_id) for conv_id in kept_ids[:2]] == [None, None]
            live = app.screen
            assert isinstance(live, InboxScreen) and live.view_id == "unassigned"

    try:
        asyncio.run(run())
    finally:
        if app.ready:
            app.session.close()


def assigned(session: Session, conv_id: str) -> str | None:
    conv = session.inbox.conversation(conv_id)
    assert conv is not None
    return conv.state.assignee


def test_what_is_overdue_when_the_mailbox_opens_in_the_background_is_listed_not_announced(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    fill_store(tmp_path / "store", 40)
    config = make_config(tmp_path)
    with open_session(config, now=lambda: NOW) as session:
        late = session.inbox.conversations("status:active")[3]
        session.commands.set_promise(late.id, "Call back", NOW - timedelta(hours=5))
    release = threading.Event()
    release.set()
    app = start_slowly(config, release)

    async def run() -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, InboxScreen) and app.ready)
            assert isinstance(app.screen, InboxScreen) and app.screen.counts["overdue"] == 1
            app.deadline_watch.check()
            await pilot.pause()
            assert not [n for n in app._notifications if "Call back" in str(n.message)]  # noqa: SLF001

    try:
        asyncio.run(run())
    finally:
        if app.ready:
            app.session.close()
