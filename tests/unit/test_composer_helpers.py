"""The composer's plain helpers: address completion, attaching files, the editor command, drafts."""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest

from shared_inbox.domain.model import Address
from shared_inbox.mail.attachments import human_size
from shared_inbox.services.replies import ReplyError
from shared_inbox.ui.screens.composer_attachments import AttachmentError, load_attachment
from shared_inbox.ui.screens.composer_editor import edit_text, editor_command
from shared_inbox.ui.screens.composer_recipients import AddressSuggester, parse_addresses, suggest
from shared_inbox.ui.screens.composer_state import Draft

PEOPLE = [
    Address("Ann Lee", "ann@customer.test"),
    Address("", "anna.k@shop.test"),
    Address("Bert", "b.rown@other.test"),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("an", "ann Lee <ann@customer.test>"),
        ("ANNA.", "ANNA.k@shop.test"),
        ("B.ROWN@other.test", None),  # typed in full: nothing left to suggest
        ("be", "bert <b.rown@other.test>"),
        ("b.r", "b.rown@other.test"),
        ("x@y.test, Ann L", "x@y.test, Ann Lee <ann@customer.test>"),
        ("x@y.test,b.", "x@y.test,b.rown@other.test"),
        ("x@y.test, ", None),
        ("", None),
        ("zed", None),
    ],
)
def test_suggest_completes_the_last_part_keeping_what_was_typed(typed: str, expected: str | None) -> None:
    assert suggest(typed, PEOPLE) == expected


def test_the_suggester_answers_through_textual() -> None:
    assert asyncio.run(AddressSuggester(PEOPLE).get_suggestion("Ber")) == "Bert <b.rown@other.test>"


def test_parse_addresses_names_the_unusable_entry() -> None:
    assert parse_addresses("Ann <ANN@x.test>, b@y.test") == [
        Address("Ann", "ann@x.test"),
        Address("", "b@y.test"),
    ]
    with pytest.raises(ReplyError, match="'bob' is not an email address"):
        parse_addresses("a@x.test, bob")


def test_load_attachment_reads_the_file_and_guesses_its_type(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG data")
    attachment = load_attachment(f"  {path}  ")
    assert (attachment.filename, attachment.data, attachment.content_type) == (
        "photo.png",
        b"\x89PNG data",
        "image/png",
    )


def test_load_attachment_enforces_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 11)
    assert load_attachment(str(path), limit=11).data == b"x" * 11
    with pytest.raises(AttachmentError, match="big.bin is 11 B; at most 10 B"):
        load_attachment(str(path), limit=10)
    with pytest.raises(AttachmentError, match="Type the path"):
        load_attachment("   ")


@pytest.mark.parametrize(
    ("size", "shown"), [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 kB"), (3 << 20, "3.0 MB")]
)
def test_human_size(size: int, shown: str) -> None:
    assert human_size(size) == shown


def test_editor_command_prefers_visual_and_splits_without_a_shell() -> None:
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor_command({"VISUAL": " ", "EDITOR": "'my editor' -x"}) == ["my editor", "-x"]
    assert editor_command({}) == ["vi"]


def test_a_missing_editor_keeps_the_text(tmp_path: Path) -> None:
    outcome = edit_text("as typed", suspend=nullcontext, environ={"EDITOR": str(tmp_path / "none")})
    assert (
        outcome.text == "as typed"
        and outcome.problem is not None
        and "could not be started" in outcome.problem
    )


def test_an_unbalanced_quote_in_the_editor_setting_keeps_the_text() -> None:
    outcome = edit_text("as typed", suspend=_no_suspend, environ={"EDITOR": "vim 'oops"})
    assert outcome.text == "as typed" and outcome.problem is not None


def test_drafts_round_trip_and_older_plain_text_drafts_still_load() -> None:
    draft = Draft(mode="new", body="hi", to="a@x.test", cc="", subject="Hello")
    assert Draft.from_setting(draft.to_setting()) == draft
    assert Draft.from_setting("just text") == Draft(mode="", body="just text")
    assert Draft.from_setting({"mode": "reply", "body": 3}) is None
    assert Draft.from_setting(None) is None


def _no_suspend() -> AbstractContextManager[None]:
    raise AssertionError("the editor must not run")
