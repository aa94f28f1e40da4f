"""Attachments: safe names, decoded bytes, saving inside a folder only, opening with the desktop."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.mail.attachments import (
    MAX_FILENAME_BYTES,
    attachment_bytes,
    fallback_filename,
    open_with_system,
    safe_filename,
    save_attachment,
    unique_path,
)
from shared_inbox.mail.body import read_message
from shared_inbox.mail.sanitize import has_forbidden

BODY_DIR = Path(__file__).parent.parent / "data" / "eml" / "body"
HOSTILE = (BODY_DIR / "hostile_filenames.eml").read_bytes()
RELATED = (BODY_DIR / "related_inline_image.eml").read_bytes()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("Rechnung März 2024.pdf", "Rechnung März 2024.pdf"),
        ("../../../.bashrc", "bashrc"),
        ("..\\..\\Windows\\System32\\evil.bat", "evil.bat"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\x\\file.txt", "file.txt"),
        ("..", "fallback.bin"),
        ("...", "fallback.bin"),
        ("/", "fallback.bin"),
        ("", "fallback.bin"),
        (None, "fallback.bin"),
        ("   ", "fallback.bin"),
        (".hidden", "hidden"),
        ("trailing dots...", "trailing dots"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("\u2066evil\u2069.txt", "evil.txt"),
        ("report\x1b[31m\x07.pdf", "report.pdf"),
        ("a\x00b\nc.txt", "ab c.txt"),
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("LPT1.tar.gz", "_LPT1.tar.gz"),
        ("console.txt", "console.txt"),
        ('what?<is>"this"|*:.txt', "what__is__this____.txt"),
        ("file.txt:hidden-stream", "file.txt_hidden-stream"),
        ("[bold red]alert[@click=app.quit].txt", "[bold red]alert[@click=app.quit].txt"),
        ("e\u0301te\u0301.txt", "été.txt"),  # NFC, so the same name is the same file
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name, "fallback.bin") == expected


def test_long_names_are_capped_keeping_the_extension() -> None:
    name = safe_filename("ä" * 500 + ".pdf", "x.bin")
    assert name.endswith(".pdf")
    assert len(name.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert name.startswith("ää")
    without_extension = safe_filename("b" * 1000, "x.bin")
    assert without_extension == "b" * MAX_FILENAME_BYTES


def test_fallback_is_made_safe_too() -> None:
    assert safe_filename(None, "../evil/.x") == "x"
    assert safe_filename("..", "..") == "attachment.bin"


@pytest.mark.parametrize(
    ("index", "content_type", "expected"),
    [
        (0, "application/pdf", "attachment-1.pdf"),
        (1, "image/jpeg", "attachment-2.jpg"),
        (2, "message/rfc822", "attachment-3.eml"),
        (3, "text/calendar", "attachment-4.ics"),
        (4, "application/x-never-heard-of", "attachment-5.bin"),
    ],
)
def test_fallback_filename(index: int, content_type: str, expected: str) -> None:
    assert fallback_filename(index, content_type) == expected


windows_reserved = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{n}" for n in range(1, 10)),
    *(f"lpt{n}" for n in range(1, 10)),
}


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["/", "\\", "..", ".", "\x00", "\x1b[31m", "\u202e", "\u200b", "CON", ":", " ", "\n"]
            ),
            st.text(max_size=10),
        ),
        max_size=30,
    ).map("".join)
)
def test_any_name_becomes_a_safe_base_name(name: str) -> None:
    safe = safe_filename(name, "attachment-1.bin")
    assert safe and safe not in (".", "..")
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert not safe.startswith(".") and not safe.endswith((".", " "))
    assert not has_forbidden(safe)
    assert len(safe.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert safe.split(".")[0].lower() not in windows_reserved
    assert safe_filename(safe, "attachment-1.bin") == safe  # idempotent


# --- bytes and saving -----------------------------------------------------------------------------


def test_attachment_bytes_are_decoded() -> None:
    assert attachment_bytes(HOSTILE, 0) == b"echo pwned\n"
    assert attachment_bytes(HOSTILE, 7) == b"%PDF-1.4\n"
    assert attachment_bytes(RELATED, 0) == b"%PDF-1.4\n"


def test_attachment_bytes_match_the_listed_sizes() -> None:
    message = read_message(HOSTILE)
    for info in message.attachments:
        assert len(attachment_bytes(HOSTILE, info.index)) == info.size


def test_attachment_index_out_of_range() -> None:
    with pytest.raises(IndexError, match="no attachment number 8"):
        attachment_bytes(HOSTILE, 8)
    with pytest.raises(IndexError):
        attachment_bytes(HOSTILE, -1)


def test_save_uses_the_safe_name_inside_the_folder_with_private_mode(tmp_path: Path) -> None:
    saved = save_attachment(HOSTILE, 0, tmp_path)
    assert saved == tmp_path.resolve() / "bashrc"
    assert saved.read_bytes() == b"echo pwned\n"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bashrc"]
    assert not (tmp_path.parent / ".bashrc").exists()


def test_every_hostile_name_lands_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    count = len(read_message(HOSTILE).attachments)
    for index in range(count):
        assert save_attachment(HOSTILE, index, folder).parent == folder.resolve()
    assert len(list(folder.iterdir())) == count
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads"]


def test_existing_file_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "bashrc").write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="already exists") as raised:
        save_attachment(HOSTILE, 0, tmp_path)
    assert raised.value.filename == str(tmp_path.resolve() / "bashrc")
    assert (tmp_path / "bashrc").read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bashrc"]


def test_overwrite_when_asked_replaces_content_and_mode(tmp_path: Path) -> None:
    existing = tmp_path / "bashrc"
    existing.write_bytes(b"old content that is longer")
    existing.chmod(0o644)
    saved = save_attachment(HOSTILE, 0, tmp_path, overwrite=True)
    assert saved.read_bytes() == b"echo pwned\n"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bashrc"]  # no temporary file left


def test_symlink_in_the_way_is_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "bashrc").symlink_to(victim)
    with pytest.raises(FileExistsError):
        save_attachment(HOSTILE, 0, folder)
    save_attachment(HOSTILE, 0, folder, overwrite=True)
    assert victim.read_bytes() == b"precious"
    assert not (folder / "bashrc").is_symlink()
    assert (folder / "bashrc").read_bytes() == b"echo pwned\n"


def test_unique_path_and_saving_under_another_name(tmp_path: Path) -> None:
    first = save_attachment(HOSTILE, 7, tmp_path)
    assert first.name == "attachment-8.pdf"
    second_path = unique_path(first)
    assert second_path.name == "attachment-8 (1).pdf"
    second = save_attachment(HOSTILE, 7, tmp_path, filename=second_path.name)
    assert second == second_path
    assert unique_path(first).name == "attachment-8 (2).pdf"
    assert unique_path(tmp_path / "free.txt") == tmp_path / "free.txt"
    (tmp_path / "noext").write_bytes(b"")
    assert unique_path(tmp_path / "noext").name == "noext (1)"


def test_chosen_name_is_made_safe_too(tmp_path: Path) -> None:
    saved = save_attachment(HOSTILE, 0, tmp_path, filename="../../escape.sh")
    assert saved == tmp_path.resolve() / "escape.sh"


def test_saving_into_a_missing_folder_or_a_file_fails(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        save_attachment(HOSTILE, 0, tmp_path / "missing")
    a_file = tmp_path / "file"
    a_file.write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        save_attachment(HOSTILE, 0, a_file)


def test_save_through_a_symlinked_folder_resolves_it(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    saved = save_attachment(HOSTILE, 1, tmp_path / "link")
    assert saved == real.resolve() / "evil.bat"


# --- opening with the desktop ------------------------------------------------------------------


def fake_opener(folder: Path, record: Path) -> None:
    name = "open" if sys.platform == "darwin" else "xdg-open"
    script = folder / name
    script.write_text(f'#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done > "{record}"\n')
    script.chmod(0o755)


def test_open_with_system_runs_the_opener_without_a_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "record"
    fake_opener(bin_dir, record)
    monkeypatch.setenv("PATH", str(bin_dir))
    target = tmp_path / "; rm -rf ~ $(reboot) -x.pdf"
    target.write_bytes(b"%PDF")
    assert open_with_system(target) is True
    deadline = time.monotonic() + 30
    while not (record.exists() and record.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert record.read_text() == f"{target.resolve()}\n"


def test_open_with_system_passes_one_absolute_argument(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[list[str], dict[str, object]]] = []

    class FakePopen:
        def __init__(self, args: list[str], **kwargs: object) -> None:
            calls.append((args, kwargs))

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    monkeypatch.chdir(tmp_path)
    assert open_with_system(Path("-rf.pdf")) is True
    [(args, kwargs)] = calls
    assert args[1] == str(tmp_path.resolve() / "-rf.pdf")
    assert len(args) == 2 and "shell" not in kwargs
    assert kwargs["stdin"] is subprocess.DEVNULL and kwargs["start_new_session"] is True


def test_open_with_system_without_an_opener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert open_with_system(tmp_path / "x.pdf") is False


def test_open_with_system_when_the_opener_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / ("open" if sys.platform == "darwin" else "xdg-open")
    broken.write_bytes(b"\x7fELF not really")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert open_with_system(tmp_path / "x.pdf") is False


def test_saved_file_is_created_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        saved = save_attachment(HOSTILE, 2, tmp_path)
    finally:
        os.umask(old)
    assert saved.name == "invoicefdp.exe"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
