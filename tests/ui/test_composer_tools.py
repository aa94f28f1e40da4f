"""The composer's tools: the agent's own editor, attachments, send later and the button bar."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Static, TextArea

from shared_inbox.outbox import OutboxState
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.prompts import ChoicePrompt, TextPrompt, snooze_presets
from shared_inbox.ui.screens.composer import ComposerScreen
from tests.ui.test_app import NOW, drive, session
from tests.ui.test_composer import answerable, app_for, open_composer, open_reader, queued_message, type_text
from tests.ui.test_composer_fields import body_text

__all__ = ["session"]  # the fixture, shared with the app tests

EDITOR_LINE = "Written in the editor"


def attached(message: EmailMessage) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = payload
    return found


def notes(app: InboxApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def replying(pilot: Pilot[None]) -> ComposerScreen:
    app = pilot.app
    assert isinstance(app, InboxApp)
    await open_reader(pilot, answerable(app))
    return await open_composer(pilot)


async def attach(pilot: Pilot[None], path: str) -> None:
    await pilot.press("ctrl+t")
    await pilot.pause()
    prompt = pilot.app.screen
    assert isinstance(prompt, TextPrompt)
    prompt.query_one(Input).value = path
    await pilot.press("enter")
    await pilot.pause()


def editor_script(tmp_path: Path, *, status: int = 0) -> tuple[Path, Path]:
    """An editor that appends a line to the file it is given and notes the file's path and mode."""
    log = tmp_path / "editor.log"
    script = tmp_path / "fake-editor"
    script.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' '{EDITOR_LINE}' >> \"$1\"\n"
        f'printf \'%s %s\\n\' "$1" "$(stat -c %a "$1")" > \'{log}\'\n'
        f"exit {status}\n"
    )
    script.chmod(0o755)
    return script, log


def test_the_editor_key_edits_the_text_in_the_agents_editor(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, log = editor_script(tmp_path)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{script} ")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        composer = await replying(pilot)
        await type_text(pilot, "Typed first")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert composer.query_one("#composer-body", TextArea).text == f"Typed first{EDITOR_LINE}\n"
        path, mode = log.read_text().split()
        assert mode == "600" and not os.path.exists(path)
        await pilot.press("ctrl+s")
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        assert body_text(queued_message(app, entry.id)).startswith(f"Typed first{EDITOR_LINE}\n")

    drive(app_for(session), scenario)


def test_an_editor_that_fails_leaves_the_text_as_it_was(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, log = editor_script(tmp_path, status=3)
    monkeypatch.setenv("VISUAL", str(script))

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        composer = await replying(pilot)
        await type_text(pilot, "Kept")
        await pilot.click("#composer-editor")
        await pilot.pause()
        assert log.exists()  # the editor did run
        assert composer.query_one("#composer-body", TextArea).text == "Kept"
        assert any("status 3" in note for note in notes(app))

    drive(app_for(session), scenario)


def test_attached_files_are_listed_and_sent_with_the_reply(session: Session, tmp_path: Path) -> None:
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.4 invoice")
    notes_file = tmp_path / "notes.txt"
    notes_file.write_text("remember the milk\n")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        composer = await replying(pilot)
        await attach(pilot, str(invoice))
        await attach(pilot, str(notes_file))
        assert app.screen is composer
        listed = [str(s.visual) for s in composer.query("#composer-attachments Static").results(Static)]
        assert listed == ["invoice.pdf (16 B)", "notes.txt (18 B)"]
        composer.query_one("#composer-body", TextArea).focus()
        await type_text(pilot, "See attached")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        sent = queued_message(app, entry.id)
        assert attached(sent) == {"invoice.pdf": invoice.read_bytes(), "notes.txt": notes_file.read_bytes()}
        assert body_text(sent).startswith("See attached\n")

    drive(app_for(session), scenario)


def test_an_attachment_removed_by_click_or_key_is_not_sent(session: Session, tmp_path: Path) -> None:
    names = ["one.txt", "two.txt", "three.txt"]
    for name in names:
        (tmp_path / name).write_text(name)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        composer = await replying(pilot)
        for name in names:
            await attach(pilot, str(tmp_path / name))
        first_remove = composer.query(".composer-remove-attachment").results(Button).__next__()
        await pilot.click(first_remove)
        await pilot.pause()
        await pilot.press("ctrl+r")  # two left: a prompt asks which
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, ChoicePrompt)
        options = prompt.query_one(OptionList)
        options.highlighted = 1
        await pilot.press("enter")
        await pilot.pause()
        assert [a.filename for a in composer.attachments] == ["two.txt"]
        composer.query_one("#composer-body", TextArea).focus()
        await type_text(pilot, "one file")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        assert attached(queued_message(app, entry.id)) == {"two.txt": b"two.txt"}

    drive(app_for(session), scenario)


def test_unusable_paths_are_refused_with_a_reason(session: Session, tmp_path: Path) -> None:
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as handle:
        handle.truncate(26 * 1024 * 1024)  # sparse: big to the size check, cheap on disk
    locked = tmp_path / "locked.txt"
    locked.write_text("secret")
    locked.chmod(0)
    readable_anyway = os.access(locked, os.R_OK)  # root reads any file

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        composer = await replying(pilot)
        await attach(pilot, str(huge))
        await attach(pilot, str(tmp_path))
        await attach(pilot, str(tmp_path / "missing.txt"))
        if not readable_anyway:
            await attach(pilot, str(locked))
        assert composer.attachments == []
        said = notes(app)
        assert any("huge.bin is 26.0 MB; at most 25.0 MB" in note for note in said)
        assert any("is not a regular file" in note for note in said)
        assert any("There is no file at" in note for note in said)
        if not readable_anyway:
            assert any("cannot be read" in note for note in said)

    try:
        drive(app_for(session), scenario)
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_a_home_relative_path_is_expanded(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "report.csv").write_text("a,b\n")

    async def scenario(pilot: Pilot[None]) -> None:
        composer = await replying(pilot)
        await attach(pilot, "~/report.csv")
        assert [(a.filename, a.data, a.content_type) for a in composer.attachments] == [
            ("report.csv", b"a,b\n", "text/csv")
        ]

    drive(app_for(session), scenario)


def test_send_later_queues_the_reply_until_the_picked_preset(session: Session) -> None:
    presets = {key: at for key, _, at in snooze_presets(NOW)}

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        await replying(pilot)
        await type_text(pilot, "tomorrow is fine")
        await pilot.press("ctrl+l")
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, ChoicePrompt)
        prompt.query_one(OptionList).highlighted = list(presets).index("next_week")
        await pilot.press("enter")
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        assert entry.release_at == presets["next_week"]
        assert entry.state is OutboxState.HELD
        assert entry.body == "tomorrow is fine"
        when = presets["next_week"].astimezone()
        assert f"Scheduled for {when:%a %d %b %Y %H:%M}" in notes(app)

    drive(app_for(session), scenario)


def test_send_later_takes_a_typed_time(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        await replying(pilot)
        await type_text(pilot, "later")
        await pilot.click("#composer-send-later")
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, ChoicePrompt)
        prompt.query_one("#prompt-input", Input).value = "in 2 days"
        prompt.query_one("#prompt-input", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        [entry] = app.replies.outbox.entries()
        assert entry.release_at == NOW + timedelta(days=2)

    drive(app_for(session), scenario)


def test_the_buttons_send_and_close_like_the_keys(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        reader = await open_reader(pilot, answerable(app))
        await open_composer(pilot)
        await pilot.click("#composer-close")
        await pilot.pause()
        assert app.screen is reader and app.replies.outbox.entries() == []
        await open_composer(pilot)
        await pilot.click("#composer-attach")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#composer-body")
        await type_text(pilot, "clicked")
        await pilot.click("#composer-send")
        await pilot.pause()
        assert app.screen is reader
        assert [e.body for e in app.replies.outbox.entries()] == ["clicked"]

    drive(app_for(session), scenario)
