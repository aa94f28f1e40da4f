"""Replying to enormous mail: a reply to all never drops recipients silently, and quoting a
huge original reads a bounded part of it."""

from __future__ import annotations

import json
import tracemalloc
from email.utils import format_datetime

import pytest

from shared_inbox.outbox import quotable_text
from tests.integration.fault_support import BASE
from tests.integration.support import cli, write_config

CC_COUNT = 5000


def crowded_mail() -> bytes:
    cc = ", ".join(f"Person {n} <p{n}@crowd.test>" for n in range(CC_COUNT))
    lines = [
        "From: Ann Customer <ann@customer.test>",
        "To: Acme Support <support@example.com>",
        f"Cc: {cc}",
        "Subject: Everyone, look",
        f"Date: {format_datetime(BASE)}",
        "Message-ID: <crowd@customer.test>",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Please all reply.",
        "",
    ]
    return "\r\n".join(lines).encode()


@pytest.mark.integration
def test_reply_all_to_more_recipients_than_are_kept_is_refused(mailbox, tmp_path):
    mailbox.deliver(crowded_mail())
    config = write_config(tmp_path, mailbox)
    assert cli(config, "sync", "--once", "--quiet").returncode == 0
    body = tmp_path / "body.txt"
    body.write_text("Thanks.\n")
    refused = cli(config, "reply", "crowd@customer.test", "--all", "--body-file", str(body))
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    [said] = refused.stderr.strip().splitlines()
    assert "a reply to all would leave some of them out" in said
    assert json.loads(cli(config, "outbox", "--json").stdout) == []  # nothing was queued
    plain = cli(config, "reply", "crowd@customer.test", "--body-file", str(body), "--json")
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout)["to"] == ["ann@customer.test"]


def test_quoting_a_30_mb_original_reads_a_bounded_part():
    attachment = b"QUJD" * (30 * 1024 * 1024 // 4)  # 30 MB of base64
    raw = (
        b"From: Ann <ann@customer.test>\r\nSubject: Big\r\nMessage-ID: <big@customer.test>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe logs are attached.\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + attachment
        + b"\r\n--b--\r\n"
    )
    tracemalloc.start()
    try:
        text = quotable_text(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024  # parsing all of it took hundreds of megabytes
    assert text.startswith("The logs are attached.")
    assert text.rstrip().endswith("[... the rest was left out]")
