"""Sanitizing untrusted text: escape sequences, spoofing characters, header injection."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text

from shared_inbox.mail.sanitize import (
    FORBIDDEN_CHARS,
    clean_line,
    clean_text,
    has_forbidden,
    header_safe,
    looks_like_markup,
)

# Fragments that hostile mail is made of, mixed with arbitrary text by the strategies below.
NASTY = [
    "\x1b", "[", "]", ";", "\x07", "\\", "\x9b", "\x9d", "\x9c", "\x90", "\r", "\n", "\t", "\x00", "\x7f",
    "\x85", "\u202e", "\u2066", "\u200f", "\u061c", "\ufeff", "\u200b", "\u2028", "\u3164", "\U000e0041",
    "\ud83d", "\ude00", "\udce9", "31m", "0;title", "=?", "[@click=app.quit]", "\u200d", "a", " ",
]  # fmt: skip
any_text = st.lists(
    st.one_of(st.text(st.characters(exclude_categories=()), max_size=4), st.sampled_from(NASTY)), max_size=30
).map("".join)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain text", "plain text"),
        ("\x1b]0;pwned\x07Invoice", "Invoice"),  # OSC window title, BEL-terminated
        ("\x1b]0;pwned\x1b\\Invoice", "Invoice"),  # OSC, ST-terminated
        ("\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", "click"),  # OSC 8 hyperlink
        ("\x1b[31mred\x1b[0m", "red"),  # CSI colour
        ("\x1b[2J\x1b[Hwiped", "wiped"),  # clear screen, cursor home
        ("\x9b6n\x9d0;x\x9cok", "ok"),  # the 8-bit C1 forms of CSI, OSC and ST
        ("\x1bPq#0;2;0;0;0\x1b\\sixel", "sixel"),  # DCS
        ("\x1bcreset", "reset"),  # RIS, a two-byte sequence
        ("\x1b]unterminated", "unterminated"),  # the introducer goes, the rest is plain text
        ("a\x00b\x08c\x7fd\x85e\x9ff", "abcdef"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        (
            "\u2066isolated\u2069 \u202aembedded\u202c \u200emark\u200f \u061calm",
            "isolated embedded mark alm",
        ),
        ("zero\u200bwidth\u2060joined\ufeffbom\u00adsoft", "zerowidthjoinedbomsoft"),
        ("\ufeffleading bom", "leading bom"),
        ("\u3164\uffa0 fake blank", " fake blank"),
        ("hidden\U000e0041\U000e0042tags", "hiddentags"),
        ("one\r\ntwo\rthree\u2028four\u2029five", "one\ntwo\nthree\nfour\nfive"),
        ("keep\ttabs\nand newlines", "keep\ttabs\nand newlines"),
        ("lost \udce9 byte", "lost \ufffd byte"),
        ("paired \ud83d\ude00 surrogates", "paired \U0001f600 surrogates"),
        (
            "family \U0001f468\u200d\U0001f469\u200d\U0001f467 stays",
            "family \U0001f468\u200d\U0001f469\u200d\U0001f467 stays",
        ),
        ("שלום עולם", "שלום עולם"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # ZWNJ is part of Persian spelling
        ("[@click=app.quit]Win[/]", "[@click=app.quit]Win[/]"),
    ],
)
def test_clean_text_removes_hostile_characters(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_without_newlines_turns_them_into_spaces() -> None:
    assert clean_text("a\r\nb\nc\td", keep_newlines=False) == "a b c\td"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Re:\tHello\r\n  world  ", "Re: Hello world"),
        ("Name\u2028Bcc: x@example.com", "Name Bcc: x@example.com"),
        ("\x1b[1mBold\x1b[0m  name", "Bold name"),
        ("\u00a0nbsp\u3000ideographic ", "nbsp ideographic"),
        ("", ""),
    ],
)
def test_clean_line_makes_one_tidy_line(raw: str, expected: str) -> None:
    assert clean_line(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Hello\r\nBcc: victim@example.com",
        "Hi\nX-Evil: 1",
        "a\rb",
        "a\x0bb\x0cc",
        "a\x1cb\x1dc\x1ed",
        "a\x85b",
        "a\u2028b",
    ],
)
def test_header_safe_leaves_nothing_that_could_start_a_new_header(raw: str) -> None:
    safe = header_safe(raw)
    assert len(safe.splitlines()) == 1
    assert not any(ch in safe for ch in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


@given(any_text)
@settings(max_examples=200)
def test_header_safe_value_cannot_inject_headers(raw: str) -> None:
    message = EmailMessage(policy=SMTP)
    message["Subject"] = header_safe(raw)
    message.set_content("body")
    header_block = bytes(message).split(b"\r\n\r\n", 1)[0]
    names = [
        line.split(b":", 1)[0] for line in header_block.split(b"\r\n") if line and line[:1] not in b" \t"
    ]
    assert names == [b"Subject", b"Content-Type", b"Content-Transfer-Encoding", b"MIME-Version"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[@click=app.quit]Win", True),
        ("[bold red]alarm[/]", True),
        ("closing [/] only", True),
        ("[#ff0000]colour", True),
        ("[$accent]variable", True),
        ("[Ticket #12] printer broken", True),
        ("plain subject", False),
        ("price [10] and a [ bracket", False),
        ("empty [] brackets", False),
    ],
)
def test_looks_like_markup(text: str, expected: bool) -> None:
    assert looks_like_markup(text) is expected


def test_markup_survives_cleaning_and_renders_literally_as_plain_text() -> None:
    hostile = "[@click=app.quit]Claim your prize[/] [link=https://evil.example]here[/link]"
    cleaned = clean_line(hostile)
    assert cleaned == hostile
    assert Text(cleaned).plain == hostile


@given(any_text, st.booleans())
@settings(max_examples=500)
def test_clean_text_never_outputs_a_forbidden_character(raw: str, keep_newlines: bool) -> None:
    cleaned = clean_text(raw, keep_newlines=keep_newlines)
    assert not FORBIDDEN_CHARS.intersection(cleaned)
    assert "\r" not in cleaned
    assert not has_forbidden(cleaned)
    if not keep_newlines:
        assert "\n" not in cleaned


@given(any_text, st.booleans())
@settings(max_examples=500)
def test_clean_text_is_idempotent(raw: str, keep_newlines: bool) -> None:
    once = clean_text(raw, keep_newlines=keep_newlines)
    assert clean_text(once, keep_newlines=keep_newlines) == once


@given(any_text)
@settings(max_examples=500)
def test_clean_line_and_header_safe_are_idempotent_single_lines(raw: str) -> None:
    for clean in (clean_line, header_safe):
        once = clean(raw)
        assert clean(once) == once
        assert not FORBIDDEN_CHARS.intersection(once)
        assert "\n" not in once and "\t" not in once and "  " not in once
        assert once == once.strip()


@given(st.text(st.characters(exclude_characters=FORBIDDEN_CHARS | {"\r"})))
def test_clean_text_keeps_text_that_is_already_safe(raw: str) -> None:
    assert clean_text(raw) == raw


def test_forbidden_set_covers_the_documented_ranges() -> None:
    for ch in ["\x00", "\x1b", "\x7f", "\x80", "\x9b", "\x9f", "\u200e", "\u200f", "\u061c", "\ufeff"]:
        assert ch in FORBIDDEN_CHARS
    for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xD800, 0xDFFF, 0xE0001, 0xE007F]:
        assert chr(code) in FORBIDDEN_CHARS
    for ch in ["\t", "\n", " ", "a", "\u200c", "\u200d", "\ufffd", "\u00a0"]:
        assert ch not in FORBIDDEN_CHARS
