"""The generated corpus is deterministic, well-formed, and has the mix real mailboxes have."""

from __future__ import annotations

import email
import mailbox
import struct
import subprocess
import sys
import zlib
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_inbox.corpus import generate, support_mail_demo, write_eml_dir, write_mbox
from shared_inbox.corpus.__main__ import main
from shared_inbox.corpus.demo_script import parse_script
from shared_inbox.corpus.mime import encoded_words, unstructured

START = datetime(2026, 3, 1, tzinfo=UTC)
SUPPORT = "support@example.com"


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, bytes]]:
    return list(generate(3000, seed=11, start=START))


@pytest.fixture(scope="module")
def parsed(corpus: list[tuple[str, bytes]]) -> list[tuple[str, bytes, EmailMessage]]:
    return [(folder, raw, parse(raw)) for folder, raw in corpus]


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    first = list(generate(300, seed=5, start=START))
    assert first == list(generate(300, seed=5, start=START))
    assert first != list(generate(300, seed=6, start=START))


@pytest.mark.parametrize("count", [0, 1, 7, 250])
def test_exactly_count_messages_in_inbox_and_sent(count: int) -> None:
    messages = list(generate(count, seed=2, start=START))
    assert len(messages) == count
    assert {folder for folder, _ in messages} <= {"INBOX", "Sent"}


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        next(generate(1, start=datetime(2026, 1, 1)))


def test_every_message_parses_without_defects(parsed: list[tuple[str, bytes, EmailMessage]]) -> None:
    for _, raw, message in parsed:
        defects = list(message.defects)
        for name in ("subject", "from", "to", "cc", "reply-to", "message-id", "in-reply-to", "references"):
            value = message[name]
            if value is not None:
                defects += value.defects
        for part in message.walk():
            defects += part.defects
            if not part.is_multipart():
                part.get_content()
        assert not defects, raw[:400]
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
        assert b"\n" not in raw.replace(b"\r\n", b"")


def test_dates_are_sorted_and_spread_over_the_90_day_window(
    parsed: list[tuple[str, bytes, EmailMessage]],
) -> None:
    dates = [message["date"].datetime for _, _, message in parsed]
    assert dates == sorted(dates)
    assert all(START <= when < START + timedelta(days=90) for when in dates)
    assert dates[-1] - dates[0] > timedelta(days=60)


def test_agent_replies_are_in_sent_and_fully_threaded(parsed: list[tuple[str, bytes, EmailMessage]]) -> None:
    sent = [message for folder, _, message in parsed if folder == "Sent"]
    assert len(sent) > 500
    for message in sent:
        (sender,) = message["from"].addresses
        assert sender.addr_spec == SUPPORT and sender.display_name.endswith(" via Acme Support")
        assert message["subject"].startswith("Re: ")
    threaded = [m for m in sent if m["in-reply-to"]]
    assert len(threaded) > 0.9 * len(sent)
    assert all(m["references"].split()[-1] == m["in-reply-to"] for m in threaded)


def test_customers_reply_with_full_partial_or_no_threading_headers(
    parsed: list[tuple[str, bytes, EmailMessage]],
) -> None:
    replies = [m for folder, _, m in parsed if folder == "INBOX" and _is_reply(m["subject"])]
    full = [m for m in replies if m["references"] and m["in-reply-to"]]
    in_reply_to_only = [m for m in replies if m["in-reply-to"] and not m["references"]]
    bare = [m for m in replies if not m["in-reply-to"] and not m["references"]]
    assert min(len(full), len(in_reply_to_only), len(bare)) >= 20


def test_about_a_third_of_conversations_are_a_single_message(
    parsed: list[tuple[str, bytes, EmailMessage]],
) -> None:
    by_id = {m["message-id"]: m for _, _, m in parsed if m["message-id"]}
    answered = {m["in-reply-to"] for folder, _, m in parsed if folder == "Sent" and m["in-reply-to"]}
    starts = [
        m for folder, _, m in parsed if folder == "INBOX" and not _is_reply(m["subject"]) and m["message-id"]
    ]
    unanswered = [m for m in starts if m["message-id"] not in answered]
    assert by_id and 0.2 < len(unanswered) / len(starts) < 0.45


def test_html_only_alternative_and_attachments_are_present(
    parsed: list[tuple[str, bytes, EmailMessage]],
) -> None:
    types = Counter(message.get_content_type() for _, _, message in parsed)
    assert types["text/html"] >= 30
    assert types["multipart/alternative"] >= 300
    attachments = [part for _, _, m in parsed for part in m.iter_attachments()]
    kinds = Counter(part.get_content_type() for part in attachments)
    assert kinds["image/png"] >= 20 and kinds["application/pdf"] >= 20
    for part in attachments:
        assert part["content-transfer-encoding"] == "base64"
        data = part.get_content()
        if part.get_content_type() == "image/png":
            assert_valid_png(data)
        else:
            assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")


def test_subjects_use_encoded_words_in_several_charsets(
    parsed: list[tuple[str, bytes, EmailMessage]],
) -> None:
    raw_subjects = [_raw_header(raw, b"Subject").lower() for _, raw, _ in parsed]
    assert any(b"=?utf-8?b?" in s for s in raw_subjects)
    assert any(b"=?iso-8859-1?q?" in s for s in raw_subjects)
    assert any(b"=?iso-2022-jp?b?" in s for s in raw_subjects)
    subjects = [str(m["subject"]) for _, _, m in parsed]
    assert any("Commande n°" in s for s in subjects)
    assert any("Bestellung für" in s for s in subjects)
    assert any(any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in s) for s in subjects)


def test_outlook_style_replies_are_present(parsed: list[tuple[str, bytes, EmailMessage]]) -> None:
    outlook = [m for folder, _, m in parsed if folder == "INBOX" and m["thread-index"]]
    assert outlook
    prefixes = {str(m["subject"]).split(":")[0] for m in outlook if _is_reply(m["subject"])}
    assert {"RE", "AW"} <= prefixes
    bodies = [_plain_text(m) for m in outlook]
    assert any("-----Original Message-----\nFrom: " in body and "\nSent: " in body for body in bodies)


def test_generic_subjects_come_from_different_customers(
    parsed: list[tuple[str, bytes, EmailMessage]],
) -> None:
    senders: dict[str, set[str]] = defaultdict(set)
    for folder, _, m in parsed:
        if folder == "INBOX":
            senders[str(m["subject"])].add(m["from"].addresses[0].addr_spec)
    assert len(senders["Order problem"]) >= 5


def test_some_messages_lack_a_message_id_and_a_few_share_one(
    parsed: list[tuple[str, bytes, EmailMessage]],
) -> None:
    ids = [m["message-id"] for _, _, m in parsed]
    assert 5 <= ids.count(None) < 0.05 * len(ids)
    repeated = [mid for mid, n in Counter(i for i in ids if i).items() if n > 1]
    assert 1 <= len(repeated) < 0.01 * len(ids)


def test_contact_form_mail_carries_the_customer_in_reply_to(
    parsed: list[tuple[str, bytes, EmailMessage]],
) -> None:
    forms = [m for _, _, m in parsed if str(m["subject"]).startswith("Contact form: ")]
    assert forms
    assert all(m["reply-to"] and m["from"].addresses[0].addr_spec == "forms@example.com" for m in forms)


def test_eml_directory_holds_the_generated_bytes_under_counter_names(tmp_path: Path) -> None:
    messages = list(generate(40, seed=3, start=START))
    counts = write_eml_dir(messages, tmp_path)
    assert sum(counts.values()) == 40
    written = sorted(tmp_path.rglob("*"))
    files = [p for p in written if p.is_file()]
    assert {p.parent.name for p in files} == set(counts)
    assert all(p.name[:6].isdigit() and p.suffix == ".eml" for p in files)
    inbox = [raw for folder, raw in messages if folder == "INBOX"]
    assert [p.read_bytes() for p in sorted((tmp_path / "INBOX").iterdir())] == inbox


@pytest.mark.parametrize("folder", ["../escape", "a/b", "", ".hidden"])
def test_eml_directory_refuses_folder_names_that_are_paths(tmp_path: Path, folder: str) -> None:
    with pytest.raises(ValueError):
        write_eml_dir([(folder, b"Subject: x\r\n\r\nbody\r\n")], tmp_path)


def test_mbox_round_trips_through_the_stdlib_reader(tmp_path: Path) -> None:
    raws = [raw for _, raw in generate(30, seed=4, start=START)]
    raws.append(b"Subject: tricky\r\n\r\nFrom here on the line starts with From\r\n>From quoted\r\n")
    path = tmp_path / "INBOX.mbox"
    assert write_mbox(raws, path) == 31
    box = mailbox.mbox(path, create=False)
    read = [msg.as_bytes(unixfrom=False) for msg in box]
    assert len(read) == 31
    # mboxrd: every ">*From " body line gains one ">", so a reader can undo it exactly.
    assert read[-1].endswith(b"\n>From here on the line starts with From\n>>From quoted\n")
    assert [parse(r)["message-id"] for r in read[:-1]] == [parse(r)["message-id"] for r in raws[:-1]]


def test_command_line_writes_eml_files(tmp_path: Path) -> None:
    assert main(["--count", "25", "--seed", "9", "--out", str(tmp_path / "out")]) == 0
    expected = list(generate(25, seed=9, start=datetime(2026, 1, 1, tzinfo=UTC)))
    files = sorted((tmp_path / "out").rglob("*.eml"))
    assert sorted(p.read_bytes() for p in files) == sorted(raw for _, raw in expected)


def test_module_entry_point_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shared_inbox.corpus", "--count", "5", "--out", str(tmp_path), "--mbox"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote 5 messages" in done.stderr
    assert sum(len(mailbox.mbox(p)) for p in tmp_path.glob("*.mbox")) == 5


def test_demo_mailbox_is_realistic_and_dated_before_now() -> None:
    now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    demo = support_mail_demo(now)
    assert demo == support_mail_demo(now)
    messages = [(folder, parse(raw)) for folder, raw in demo]
    starts = [m for folder, m in messages if folder == "INBOX" and not _is_reply(m["subject"])]
    assert 25 <= len(starts) <= 35
    assert all(m["date"].datetime < now for _, m in messages)
    assert len({m["from"].addresses[0].addr_spec for _, m in messages}) >= 20
    subjects = " ".join(str(m["subject"]) for _, m in messages)
    assert "Bestellung für Müller" in subjects and "Commande n°" in subjects
    assert any(m.get_content_type() == "text/html" for _, m in messages)
    assert any(True for _, m in messages for _ in m.iter_attachments())
    assert any(folder == "Sent" for folder, _ in messages)


def test_demo_script_format_reads_turns_attachments_and_continued_lines() -> None:
    script = """
=== Ann Lee <ann@lee.example> | gmail | en | -300 | utf-8
Subject: Broken lamp
Cc: Office <office@lee.example>
--- 5 customer [png: lamp.png] [pdf: receipt.pdf | Receipt 7]
Hi, the lamp is \\
broken.

Ann
--- 4.5 Dana
Sorry!

=== <robot@shop.example> | legacy | en | 0 | utf-8
Subject: Order
--- 1 customer
Order placed.
"""
    first, second = parse_script(script)
    assert first.customer.name == "Ann Lee" and first.customer.utc_offset_minutes == -300
    assert first.subject == "Broken lamp" and first.cc == (("Office", "office@lee.example"),)
    (hours, who, text, files), reply = first.turns
    assert (hours, who, text) == (5.0, "customer", "Hi, the lamp is broken.\n\nAnn")
    assert [(f.kind, f.filename, f.title) for f in files] == [
        ("png", "lamp.png", ""),
        ("pdf", "receipt.pdf", "Receipt 7"),
    ]
    assert reply == (4.5, "Dana", "Sorry!", ())
    assert second.customer.name == "" and second.turns == ((1.0, "customer", "Order placed.", ()),)


@given(st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1))
def test_utf8_encoded_words_round_trip_and_stay_short(text: str) -> None:
    _assert_round_trip("x" + text + "é", "utf-8", "B")


@given(st.text(alphabet=st.characters(codec="latin-1", categories=["L", "N", "P", "Zs"]), min_size=1))
def test_latin1_q_encoded_words_round_trip(text: str) -> None:
    _assert_round_trip("ü" + text, "iso-8859-1", "Q")


@given(
    st.text(
        alphabet=st.sampled_from("注文番号の配送についてログインできません返金お願い 0123ABC"), min_size=1
    )
)
def test_iso_2022_jp_encoded_words_round_trip(text: str) -> None:
    _assert_round_trip("注" + text, "iso-2022-jp", "B")


def _assert_round_trip(text: str, charset: str, mode: str) -> None:
    assert all(len(word) <= 75 for word in encoded_words(text, charset, mode))
    raw = f"Subject: {unstructured(text, charset, mode)}\r\n\r\n".encode("ascii")
    assert str(parse(raw)["subject"]) == text


def assert_valid_png(data: bytes) -> None:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    offset, chunks = 8, {}
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = body
        offset += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + 3 * width)
    assert b"IEND" in chunks


def _is_reply(subject: object) -> bool:
    return str(subject).split(":")[0].strip().upper() in {"RE", "AW"}


def _raw_header(raw: bytes, name: bytes) -> bytes:
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(name.lower() + b":"):
            return line
    return b""


def _plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""
