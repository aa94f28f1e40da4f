"""Hostile subjects in a real terminal: shown as text, never obeyed as markup or terminal escapes.

A subject carrying a terminal escape would, if it reached the terminal, retitle the window or wipe
the screen; a subject carrying Textual markup would, if parsed, make its row quit the app when clicked.
"""

from __future__ import annotations

import socket
import sys
from dataclasses import replace
from pathlib import Path

from shared_inbox.domain.model import Location, MessageMeta
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.store import Store
from tests.tmux.drive import Screen, TmuxPane, is_inbox, is_reader, list_rows, reader_header, sidebar_counts
from tests.ui.test_app import CLICK_SUBJECT, CONFIG, OURS, fill_store, hostile

WIPE_SUBJECT = "Wipe \x1b[2J now"
# The header parser already drops escape sequences; this subject is stored as if one got past it,
# so the screen's own defence is what keeps it inert.
UNFILTERED_SUBJECT = "Unfiltered \x1b]0;title\x07\x1b[2J end"
# Each hostile row, found by its sender, and the words of its subject that must be on screen: the
# markup verbatim; around an escape sequence, the plain words (the sequence itself is made inert).
HOSTILE = {
    "click": ("Mallory 1", (CLICK_SUBJECT,)),
    "title": ("Mallory 2", ("Order", "pending")),
    "wipe": ("Mallory 3", ("Wipe", "now")),
    "unfiltered": ("Mallory 4", ("Unfiltered", "end")),
}
TITLE_IN_SUBJECT = "title"
ME = "alice@example.com"


def closed_port() -> int:
    """A loopback port nothing listens on, so the app's sync fails at once and the app works offline."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parse(raw: bytes, *, uid: int) -> MessageMeta:
    location = Location("INBOX", 1, uid)
    return parse_header_block(raw, size=len(raw), location=location, our_addresses=OURS, sent_folder=False)


def write_hostile_inbox(home: Path) -> Path:
    """A store of generated mail plus the three hostile subjects, and a config file pointing at it."""
    store = home / "store"
    fill_store(store, 20)  # adds the click-me and title subjects
    wipe, unfiltered = hostile(WIPE_SUBJECT, 3), hostile("placeholder", 4)
    metas = [parse(wipe, uid=10_000), replace(parse(unfiltered, uid=10_001), subject=UNFILTERED_SUBJECT)]
    with Store.open(store) as opened:
        for meta, raw in zip(metas, (wipe, unfiltered), strict=True):
            opened.save_raw(meta.message_id, raw)
        opened.upsert_messages(metas)
    text = CONFIG.format(store=store, extra="")
    assert "port = 1143" in text
    config = home / "config.toml"
    config.write_text(text.replace("port = 1143", f"port = {closed_port()}"), encoding="utf-8")
    return config


def intact(screen: Screen) -> bool:
    """Sidebar, status bar and footer are drawn once and kept: a wiped screen would lose them."""
    counts = sidebar_counts(screen)
    return len(counts) >= 7 and len(list_rows(screen)) == counts["All open"] and ME in screen


def row_of(screen: Screen, sender: str) -> int:
    return next(index for index, row in enumerate(list_rows(screen)) if sender in row)


def shows_hostile_rows(screen: Screen) -> bool:
    rows = list_rows(screen)
    return all(
        any(sender in row and all(word in row for word in words) for row in rows)
        for sender, words in HOSTILE.values()
    )


def test_hostile_subjects_stay_inert_text_in_a_real_terminal(tmp_path: Path) -> None:
    config = write_hostile_inbox(tmp_path)
    command = [sys.executable, "-m", "shared_inbox", "--config", str(config)]
    with TmuxPane.start(command, home=tmp_path) as pane:
        first = pane.wait_for(
            "the list shows every hostile subject",
            lambda s: is_inbox(s) and intact(s) and shows_hostile_rows(s),
        )
        title = pane.title()
        assert title != TITLE_IN_SUBJECT

        for name, (sender, words) in HOSTILE.items():
            pane.press("g", *["j"] * row_of(first, sender), "Enter")
            reader = pane.wait_for(f"Enter opens the {name} conversation", is_reader)
            assert all(word in reader_header(reader) for word in words)
            assert sender in reader
            assert pane.exit_status() is None, "opening the row ended the app"
            pane.press("q")
            back = pane.wait_for(f"back from the {name} conversation", is_inbox)
            assert intact(back), f"the {name} subject cleared the screen"
            assert pane.title() == title, f"the {name} subject changed the terminal title"

        pane.press("C-q")
        assert pane.wait_for_exit() == 0


def test_this_terminal_obeys_title_and_clear_escapes_that_reach_it(tmp_path: Path) -> None:
    """The checks above can fail: the same tmux setup does retitle and wipe when the escapes get through."""
    script = "printf 'kept\\n'; printf '\\033]0;title\\007'; printf '\\033[2J'; printf 'after\\n'; sleep 60"
    with TmuxPane.start(["sh", "-c", script], home=tmp_path) as pane:
        screen = pane.wait_for("the escapes were written", lambda s: "after" in s)
        assert pane.title() == TITLE_IN_SUBJECT
        assert "kept" not in screen
