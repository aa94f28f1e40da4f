"""Reading whole messages: body choice, charsets, broken structure, notes, view source."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from email.policy import compat32
from pathlib import Path

import pytest

from shared_inbox.corpus import generate
from shared_inbox.mail import body
from shared_inbox.mail.body import MAX_TEXT_CHARS, ReadMessage, raw_source, read_message
from shared_inbox.mail.charset import decode_text, sniff_html_charset
from shared_inbox.mail.mime_tree import MAX_DEPTH, read_structure
from shared_inbox.mail.sanitize import FORBIDDEN_CHARS, has_forbidden

BODY_DIR = Path(__file__).parent.parent / "data" / "eml" / "body"
EML_DIR = BODY_DIR.parent


@pytest.fixture(autouse=True)
def parse_anew() -> None:
    """Some tests here swap parts of the parser: no test may be answered from what another read."""
    body._read_kept.cache_clear()


def read_sample(name: str) -> ReadMessage:
    return read_message((BODY_DIR / name).read_bytes())


def assert_safe(message: ReadMessage) -> None:
    """Nothing a reader sees may carry terminal controls or spoofing characters."""
    shown = [message.text, *message.notes, *(a.filename for a in message.attachments)]
    shown += [a.content_type for a in message.attachments] + [s.text for s in message.segments]
    for value in shown:
        assert not has_forbidden(value), repr(value)
        assert not FORBIDDEN_CHARS.intersection(value), repr(value)
    assert "".join(segment.text for segment in message.segments) == message.text


def mime(headers: str, body: str | bytes) -> bytes:
    head = ("From: a@example.com\nSubject: t\nMIME-Version: 1.0\n" + headers.strip("\n") + "\n\n").encode()
    return head + (body.encode() if isinstance(body, str) else body)


# --- choosing and decoding the body -------------------------------------------------------------


def test_plain_utf8_with_crlf_line_ends() -> None:
    message = read_sample("plain_utf8.eml")
    assert message.text.startswith("Hello,\n\nmy order 1234")
    assert "Grüße, Jörg – thanks!" in message.text
    assert "\r" not in message.text
    assert not message.html_rendered
    assert message.notes == ()
    assert message.attachments == ()


def test_plain_text_is_preferred_over_html() -> None:
    message = read_sample("alternative_plain_html.eml")
    assert message.text == "This is the PLAIN version of the message."
    assert not message.html_rendered


def test_empty_plain_alternative_falls_back_to_html() -> None:
    message = read_sample("alternative_empty_plain.eml")
    assert message.text == "Only the HTML part has words in it."
    assert message.html_rendered


def test_html_only_mail_is_rendered_with_real_link_targets() -> None:
    message = read_sample("html_only_links.eml")
    assert message.html_rendered
    assert "https://bank.example/login [https://phish.example/steal?id=1]" in message.text
    assert "terms [https://bank.example/terms]" in message.text
    assert "[image: Bank logo] [https://tracker.example/c]" in message.text
    for hidden in ("SCRIPT-TEXT", "PREHEADER-HIDDEN", "color: red", "<p>", "Bank\n"):
        assert hidden not in message.text
    assert "help@bank.example [" not in message.text  # a mailto link that says where it goes
    assert "First item" in message.text and "Balance" in message.text


def test_html_charset_from_meta_tag_when_the_part_declares_none() -> None:
    message = read_sample("html_meta_charset.eml")
    assert message.text == "Prix : 20 € TTC — merci."
    assert message.notes == ()


@pytest.mark.parametrize(
    ("sample", "expected", "note"),
    [
        (
            "wrong_charset.eml",
            "Café crème, 20 € bitte. Schöne Grüße",
            'not valid "utf-8"; read as windows-1252',
        ),
        (
            "unknown_charset.eml",
            "Déjà vu: naïve façade.",
            'unknown charset "x-no-such-charset"; read as UTF-8',
        ),
        (
            "undeclared_8bit.eml",
            "Ærgerligt: ordren er ikke kommet.",
            "no charset declared; read as windows-1252",
        ),
    ],
)
def test_bad_charsets_fall_back_with_a_note(sample: str, expected: str, note: str) -> None:
    message = read_sample(sample)
    assert message.text == expected
    assert [n for n in message.notes if note in n], message.notes


def test_inline_text_file_is_shown_and_listed() -> None:
    message = read_sample("inline_text_attachment.eml")
    assert message.text == "Here are my notes.\n\nStep 1: open the app."
    assert [(a.filename, a.is_inline) for a in message.attachments] == [("notes.txt", True)]


def test_message_without_text_part_says_so() -> None:
    message = read_sample("pdf_only.eml")
    assert message.text == ""
    assert message.segments == ()
    assert [(a.part, a.filename, a.content_type) for a in message.attachments] == [
        ("1", "scan.pdf", "application/pdf")
    ]
    assert any("no text part" in note for note in message.notes)


def test_missing_message_id_and_date_do_not_matter_to_the_body() -> None:
    message = read_sample("no_ids_no_date.eml")
    assert message.text == "Body of a message without Message-ID or Date."
    assert message.notes == ()


# --- attachments in the structure ---------------------------------------------------------------


def test_inline_image_of_the_unchosen_html_form_is_not_listed() -> None:
    message = read_sample("related_inline_image.eml")
    assert message.text == "See the screenshot below."
    assert [(a.index, a.part, a.filename, a.size) for a in message.attachments] == [(0, "2", "report.pdf", 9)]


def test_inline_image_of_a_shown_html_body_is_listed_as_inline() -> None:
    message = read_sample("html_related_only.eml")
    assert message.text == "Our logo is below.\n\n[image: Company logo]"
    [logo] = message.attachments
    assert (logo.part, logo.filename, logo.content_type, logo.is_inline) == (
        "2",
        "attachment-1.gif",
        "image/gif",
        True,
    )


def test_calendar_alternative_is_kept_as_an_attachment() -> None:
    message = read_sample("calendar_invite.eml")
    assert message.text == "You are invited to a call."
    assert [(a.part, a.filename, a.content_type) for a in message.attachments] == [
        ("3", "attachment-1.ics", "text/calendar")
    ]


def test_forwarded_message_is_an_eml_attachment() -> None:
    message = read_sample("forwarded_message.eml")
    assert message.text == "Forwarding the complaint as an attachment."
    [forwarded] = message.attachments
    assert (forwarded.filename, forwarded.content_type) == ("attachment-1.eml", "message/rfc822")
    inner = read_structure((BODY_DIR / "forwarded_message.eml").read_bytes()).attachments[0].payload
    assert b"Subject: Complaint" in inner and b"The product broke after a day." in inner
    assert forwarded.size == len(inner)


def test_hostile_attachment_names_are_made_safe() -> None:
    message = read_sample("hostile_filenames.eml")
    assert [a.filename for a in message.attachments] == [
        "bashrc",
        "evil.bat",
        "invoicefdp.exe",
        "report.pdf",
        "_CON.txt",
        "passwd",
        "Rechnung März.pdf",
        "attachment-8.pdf",
    ]
    assert_safe(message)


# --- broken structure -----------------------------------------------------------------------------


def test_truncated_base64_decodes_what_it_can_with_a_note() -> None:
    message = read_sample("truncated_base64.eml")
    assert message.text == "The invoice is attached."
    [invoice] = message.attachments
    assert invoice.filename == "invoice.pdf"
    assert 0 < invoice.size < 1043  # the whole file would be 1043 bytes
    assert any("base64" in note for note in message.notes)
    assert any("not closed" in note for note in message.notes)


@pytest.mark.parametrize("sample", ["missing_boundary_param.eml", "boundary_not_found.eml"])
def test_multipart_without_usable_boundary_is_shown_as_text(sample: str) -> None:
    message = read_sample(sample)
    assert ("must still be readable" in message.text) or ("Text behind the wrong boundary." in message.text)
    assert any("no usable boundary" in note for note in message.notes)


def test_unclosed_multipart_keeps_parts_that_arrived() -> None:
    message = read_sample("unclosed_multipart.eml")
    assert message.text == "The first part arrived."
    assert [(a.filename, a.size) for a in message.attachments] == [("data.bin", 8)]
    assert any("may be truncated" in note for note in message.notes)


def nested(depth: int, innermost: str = "deep text") -> bytes:
    opening = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(depth))
    closing = "".join(f"\n--b{i}--\n" for i in reversed(range(depth)))
    head = "From: a@example.com\nSubject: nested\nMIME-Version: 1.0\n"
    return (head + opening + f"Content-Type: text/plain\n\n{innermost}" + closing).encode()


def test_nesting_up_to_the_cap_is_read() -> None:
    message = read_message(nested(MAX_DEPTH))
    assert message.text == "deep text"
    assert message.notes == ()


def test_nesting_beyond_the_cap_is_cut_with_a_note() -> None:
    message = read_message(nested(MAX_DEPTH + 5))
    assert "deep text" not in message.text
    assert any(f"more than {MAX_DEPTH} levels" in note for note in message.notes)


def test_absurd_nesting_that_defeats_the_parser_still_reads() -> None:
    message = read_message(nested(3000))
    assert "deep text" in message.text  # shown as raw text, with the structure around it
    assert any("nested too deeply" in note or "could not be read" in note for note in message.notes)
    assert_safe(message)


def test_huge_headers_and_a_huge_body_are_bounded() -> None:
    raw = mime("X-Junk: " + "a" * 500_000 + "\nContent-Type: text/plain", "line of text\n" * 120_000)
    message = read_message(raw)
    assert len(message.text) <= MAX_TEXT_CHARS
    assert message.text.startswith("line of text\n")
    assert any("longer than" in note for note in message.notes)


def test_only_headers_and_empty_input() -> None:
    assert read_message(b"Subject: nothing else").text == ""
    assert read_message(b"").text == ""
    assert read_message(b"\n\n\n").text == ""


def test_strict_parser_crash_falls_back_to_lenient_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared_inbox.mail import mime_tree

    real_read = mime_tree._Walker.read

    def strict_fails(self: mime_tree._Walker, raw: bytes) -> mime_tree.MimeStructure:
        if self.policy is mime_tree._STRICT:
            raise IndexError("simulated header parser crash")
        return real_read(self, raw)

    monkeypatch.setattr(mime_tree._Walker, "read", strict_fails)
    message = read_sample("related_inline_image.eml")
    assert message.text == "See the screenshot below."
    assert [a.filename for a in message.attachments] == ["report.pdf"]
    assert any("read leniently" in note for note in message.notes)


def test_encoded_attachment_name_is_decoded_by_both_parsers(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared_inbox.mail import mime_tree

    raw = (EML_DIR / "rfc2231_params.eml").read_bytes()
    strict = read_message(raw)
    monkeypatch.setattr(mime_tree, "_STRICT", compat32)
    lenient = read_message(raw)
    assert [a.filename for a in strict.attachments] == [a.filename for a in lenient.attachments]
    assert strict.attachments[0].filename == "Rechnung März.pdf"


# The damaged scan notice the fuzzer found: its Content-Disposition ends in a bare ``filename*``.
CUT_OFF_FILENAME_PARAMETER = (
    b"om:\x00\x00\x00\x00\x00\x00 Scanner <scanner@office.example>\nTo: support@example.com\n"
    b"Subject: =?utf-8*de?Q?Rechnung_M=C3=A4rz?=\nDate: Tue, 5 Mar 2024 13:00:00 +0000\n"
    b"Message-ID: <scan.2024.03.05.1300@office.example>\nMIME-Version: 1.0\n"
    b"Content-Type: application/pdf;\n name*=utf-8''Rechnung%20M%C3%A4rz.pdf\n"
    b"Content-Disposition: attachment;\n filename*"
)


def test_a_cut_off_parameter_costs_only_its_own_header() -> None:
    message = read_message(CUT_OFF_FILENAME_PARAMETER)
    assert message.notes == ("no text part: the message has no body text to show",)
    assert [(a.filename, a.content_type) for a in message.attachments] == [
        ("Rechnung März.pdf", "application/pdf")
    ]


@pytest.mark.parametrize(
    "headers",
    [
        "Content-Type: text/plain; charset*",
        "Content-Type: text/plain\nContent-Disposition: inline; filename*",
    ],
)
def test_a_bare_parameter_name_leaves_the_body_read_strictly(headers: str) -> None:
    message = read_message(mime(headers, "hello there\n"))
    assert message.text == "hello there"
    assert message.notes == ()


def test_a_bare_parameter_name_in_a_multipart_header_keeps_its_parts() -> None:
    body = "--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: text/plain; name=a.txt\n\nfile\n--b--\n"
    message = read_message(mime("Content-Type: multipart/mixed; boundary=b; x*", body))
    assert message.text == "hi"
    assert [a.filename for a in message.attachments] == ["a.txt"]
    assert message.notes == ()


# --- hostile content ------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", ["injection_plain.eml", "injection_qp.eml", "injection_html.eml"])
def test_terminal_injection_comes_out_inert(sample: str) -> None:
    message = read_sample(sample)
    assert_safe(message)
    assert "\x1b" not in message.text and "\x9b" not in message.text
    assert "pwned" not in message.text and "title" not in message.text


def test_markup_in_the_body_is_kept_as_literal_text() -> None:
    plain = read_sample("injection_plain.eml")
    assert "[@click=app.quit]quit[/] [bold red]loud[/]" in plain.text
    html = read_sample("injection_html.eml")
    assert "[@click=app.quit]quit[/] [link=https://evil.example]x[/link]" in html.text
    assert "click here [https://evil.example/path]" in html.text


def test_notes_never_carry_hostile_charset_names() -> None:
    raw = mime('Content-Type: text/plain; charset="x\x1b[31m\u202eevil"', b"caf\xe9")
    message = read_message(raw)
    assert message.text == "café"
    assert_safe(message)
    assert message.notes and all("\x1b" not in note for note in message.notes)


# --- every sample, the standard library's test mail, generated support mail ----------------------


ALL_SAMPLES = sorted(BODY_DIR.glob("*.eml")) + sorted(EML_DIR.glob("*.eml"))


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda path: path.name)
def test_every_sample_reads_safely(path: Path) -> None:
    assert_safe(read_message(path.read_bytes()))


def stdlib_test_mail() -> list[Path]:
    try:
        import test as stdlib_test
    except ImportError:
        return []
    folder = Path(os.path.dirname(stdlib_test.__file__)) / "test_email" / "data"
    return sorted(folder.glob("msg_*.txt"))


STDLIB_MAIL = stdlib_test_mail()


@pytest.mark.skipif(not STDLIB_MAIL, reason="the Python test suite (test.test_email) is not installed")
@pytest.mark.parametrize("path", STDLIB_MAIL, ids=lambda path: path.name)
def test_standard_library_test_mail_reads_safely(path: Path) -> None:
    raw = path.read_bytes()
    message = read_message(raw)
    assert_safe(message)
    for info in message.attachments:
        assert info.size == len(read_structure(raw).attachments[info.index].payload)


def test_generated_support_mail_reads_cleanly() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    seen_html = seen_quote = seen_attachment = False
    for _folder, raw in generate(300, seed=11, start=start):
        message = read_message(raw)
        assert_safe(message)
        assert message.text, raw[:300]
        assert not any("could not be read" in note for note in message.notes), message.notes
        seen_html = seen_html or message.html_rendered
        seen_quote = seen_quote or any(s.kind == "quote" for s in message.segments)
        seen_attachment = seen_attachment or bool(message.attachments)
    assert seen_html and seen_quote and seen_attachment


# --- view source ----------------------------------------------------------------------------------


def test_raw_source_is_readable_and_sanitized() -> None:
    raw = (BODY_DIR / "injection_plain.eml").read_bytes() + b"latin-1 line: caf\xe9\r\n"
    source = raw_source(raw)
    assert source.startswith("From: Jane Customer <jane@customer.example>\n")
    assert "Subject: Terminal injection in the body" in source
    assert "latin-1 line: café" in source
    assert not has_forbidden(source)
    assert "\r" not in source


def test_raw_source_of_a_huge_message_is_cut_visibly() -> None:
    raw = b"Subject: big\n\n" + base64.encodebytes(os.urandom(3000))
    source = raw_source(raw, max_bytes=1000)
    assert source.startswith("Subject: big\n")
    assert source.endswith(f"[{len(raw) - 1000:,} more bytes not shown]")


# --- charset decoding on its own --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "declared", "text", "noted"),
    [
        (b"plain", None, "plain", False),
        ("grüße".encode(), "utf-8", "grüße", False),
        ("grüße".encode(), None, "grüße", True),
        ("grüße".encode(), "us-ascii", "grüße", True),
        ("Straße".encode("latin-1"), "ISO-8859-1", "Straße", False),
        (b"\x93quoted\x94", "iso-8859-1", "\u201cquoted\u201d", False),  # windows-1252 reading
        (b"undefined \x81 byte", "iso-8859-1", "undefined \x81 byte", False),
        ("日本語".encode("shift_jis"), "shift_jis", "日本語", False),
        ("한국어".encode("cp949"), "ks_c_5601-1987", "한국어", False),
        ("中文".encode("gbk"), "gb2312", "中文", False),
        (b"caf\xe9", "unknown-8bit", "café", True),
        (b"caf\xe9", "base64", "café", True),  # a codec, but not a text encoding
        (b"\\u202e", "unicode_escape", "\\u202e", True),  # refused: it would interpret escapes
        (b"xn--bcher-kva", "punycode", "xn--bcher-kva", True),
        (b"caf\xe9", "../../etc", "café", True),
        (b"\x81\x8d\x8f", "windows-1252", "\x81\x8d\x8f", True),
    ],
)
def test_decode_text(data: bytes, declared: str | None, text: str, noted: bool) -> None:
    decoded = decode_text(data, declared)
    assert decoded.text == text
    assert (decoded.note is not None) == noted


def test_sniff_html_charset() -> None:
    assert sniff_html_charset(b'<meta charset="ISO-8859-15">') == "iso-8859-15"
    assert (
        sniff_html_charset(b'<meta http-equiv="content-type" content="text/html; charset=koi8-r">')
        == "koi8-r"
    )
    assert sniff_html_charset(b"<p>charset=utf-8 in text</p>") is None


def test_a_message_read_again_is_not_parsed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared_inbox.mail import body

    raw = (
        b"From: a@example.com\r\nSubject: kept\r\nMessage-ID: <kept-once@example.com>\r\n\r\nHello there\r\n"
    )
    parsed: list[bytes] = []
    real = body._read

    def counted(data: bytes) -> body.ReadMessage:
        parsed.append(data)
        return real(data)

    monkeypatch.setattr(body, "_read", counted)
    first = read_message(raw)
    again = read_message(bytearray(raw))
    assert again == first and "Hello there" in first.text
    assert len(parsed) == 1
