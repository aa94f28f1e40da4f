"""Attachments in the reader: selecting, saving (folder prompt, safe names), opening, by key and by click."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input

from shared_inbox.domain.model import Conversation, Location
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.services.session import Session, open_session
from shared_inbox.store import Store
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.prompts import TextPrompt
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.widgets.message_view import AttachmentRow
from tests.ui.test_app import NOW, drive, fill_store, make_config

HOSTILE_NAME = "../../.bashrc"
REPORT = b"%PDF-1.4\n" + bytes(range(256)) * 4
SCRIPT = b"echo owned\n"
MESSAGE_ID = "invoice-1@globex.example"
OURS = frozenset({"support@example.com", "alice@example.com", "bob@example.com"})


def mail_with_attachments() -> bytes:
    message = EmailMessage()
    message["From"] = "Pat Customer <pat@globex.example>"
    message["To"] = "support@example.com"
    message["Subject"] = "Invoice and a script"
    message["Date"] = "Wed, 03 Apr 2024 10:00:00 +0000"
    message["Message-ID"] = f"<{MESSAGE_ID}>"
    message.set_content("Both files are attached.\n")
    message.add_attachment(REPORT, maintype="application", subtype="pdf", filename="report.pdf")
    message.add_attachment(SCRIPT, maintype="text", subtype="x-shellscript", filename=HOSTILE_NAME)
    return message.as_bytes()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    (folder / "Downloads").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def session(tmp_path: Path, home: Path) -> Iterator[Session]:
    fill_store(tmp_path / "store", 30)
    raw = mail_with_attachments()
    with Store.open(tmp_path / "store") as store:
        location = Location("INBOX", 1, 10_000)
        meta = parse_header_block(raw, size=len(raw), location=location, our_addresses=OURS)
        store.save_raw(meta.message_id, raw)
        store.upsert_messages([meta])
    with open_session(make_config(tmp_path), now=lambda: NOW) as opened:
        yield opened


class RecordingOpener:
    """Stands in for the desktop's opener: remembers what it was given and what the file held."""

    def __init__(self, found: bool = True) -> None:
        self.found = found
        self.opened: list[tuple[Path, bytes]] = []

    def __call__(self, path: Path) -> bool:
        self.opened.append((path, path.read_bytes()))
        return self.found


def conversation(session: Session) -> Conversation:
    conv = session.inbox.conversation(MESSAGE_ID)
    assert conv is not None
    return conv


def messages(app: object) -> list[str]:
    assert isinstance(app, InboxApp)
    return [str(n.message) for n in app._notifications]


async def open_reader(pilot: Pilot[None], reader: ReaderScreen) -> ReaderScreen:
    await pilot.app.push_screen(reader)
    await pilot.pause()
    return reader


async def settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def save_selected(pilot: Pilot[None], folder: str | None = None) -> TextPrompt:
    await pilot.press("w")
    await pilot.pause()
    prompt = pilot.app.screen
    assert isinstance(prompt, TextPrompt)
    if folder is not None:
        prompt.query_one(Input).value = folder
    await pilot.press("enter")
    await settle(pilot)
    return prompt


def test_v_selects_attachments_in_turn_and_w_saves_into_downloads(session: Session, home: Path) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, ReaderScreen(session, conversation(session)))
        rows = list(reader.query(AttachmentRow))
        assert [row.info.filename for row in rows] == ["report.pdf", "bashrc"]
        assert not reader.check_action("save_attachment", ())  # nothing selected yet
        await pilot.press("v")
        assert reader.selected_attachment is rows[0]
        prompt = await save_selected(pilot)
        assert prompt.initial == str(home / "Downloads")
        saved = home / "Downloads" / "report.pdf"
        assert saved.read_bytes() == REPORT
        assert any(f"Saved to {saved}" in m for m in messages(pilot.app))
        await save_selected(pilot)
        assert (home / "Downloads" / "report (1).pdf").read_bytes() == REPORT  # never overwrites
        await pilot.press("v", "v")
        assert reader.selected_attachment is rows[0]  # v wraps around

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_hostile_name_is_saved_under_its_safe_name_inside_the_folder(session: Session, home: Path) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await open_reader(pilot, ReaderScreen(session, conversation(session)))
        await pilot.press("v", "v")
        await save_selected(pilot)
        saved = [path for path in home.rglob("*") if path.is_file()]
        assert saved == [home / "Downloads" / "bashrc"]
        assert saved[0].read_bytes() == SCRIPT
        assert not (home / ".bashrc").exists()

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_the_prompt_changes_the_folder_and_the_next_save_offers_it(
    session: Session, home: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "invoices"
    elsewhere.mkdir()

    async def scenario(pilot: Pilot[None]) -> None:
        await open_reader(pilot, ReaderScreen(session, conversation(session)))
        await pilot.press("v")
        await save_selected(pilot, str(elsewhere))
        assert (elsewhere / "report.pdf").read_bytes() == REPORT
        prompt = await save_selected(pilot)
        assert prompt.initial == str(elsewhere.resolve())
        assert not any((home / "Downloads").iterdir())

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_a_folder_that_does_not_exist_is_refused(session: Session, home: Path, tmp_path: Path) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await open_reader(pilot, ReaderScreen(session, conversation(session)))
        await pilot.press("v")
        await save_selected(pilot, str(tmp_path / "missing"))
        assert not (tmp_path / "missing").exists()
        assert any("is not a folder" in m for m in messages(pilot.app))
        assert not any((home / "Downloads").iterdir())

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_enter_opens_a_private_copy_with_the_system_opener(session: Session, home: Path) -> None:
    opener = RecordingOpener()

    async def scenario(pilot: Pilot[None]) -> None:
        await open_reader(pilot, ReaderScreen(session, conversation(session), opener=opener))
        await pilot.press("v", "enter")
        await settle(pilot)
        [(path, content)] = opener.opened
        assert path.name == "report.pdf" and content == REPORT
        assert path.parent.stat().st_mode & 0o077 == 0  # a folder only we can read
        assert not any((home / "Downloads").iterdir())

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)


def test_buttons_save_and_open_by_mouse(session: Session, home: Path) -> None:
    opener = RecordingOpener(found=False)

    async def scenario(pilot: Pilot[None]) -> None:
        reader = await open_reader(pilot, ReaderScreen(session, conversation(session), opener=opener))
        row = list(reader.query(AttachmentRow))[1]
        row.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click(row.query_one(".attachment-open", Button))
        await settle(pilot)
        assert reader.selected_attachment is row
        [(path, content)] = opener.opened
        assert path.name == "bashrc" and content == SCRIPT
        assert any(f"a copy is at {path}" in m for m in messages(pilot.app))
        await pilot.click(row.query_one(".attachment-save", Button))
        await pilot.pause()
        assert isinstance(pilot.app.screen, TextPrompt)
        await pilot.press("enter")
        await settle(pilot)
        assert (home / "Downloads" / "bashrc").read_bytes() == SCRIPT

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)
