"""`shared-inbox summary ID [--json]` through the real command line, on mail from a real Dovecot."""

from __future__ import annotations

import json
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.integration.support import cli, list_json, write_config
from tests.integration.test_sync import BASE, mail

pytestmark = pytest.mark.integration

FIRST = (
    "Hi,\n\nMy order #48213 has not arrived. Can you check where it is?\n\nThanks,\nAnn\n"
    "-- \nAnn Example | Do you like our newsletter?\n"
)
FOLLOW_UP = (
    "Still nothing, this is getting urgent. Will you refund the shipping fee of $9.90?\n\n"
    "On Mon, 1 Jan 2024 at 10:00, Acme Support <support@example.com> wrote:\n"
    "> Where exactly did you ship it?\n"
    "\x1b]0;owned\x07\n"
)


def agent_reply() -> bytes:
    lines = [
        "From: Acme Support <support@example.com>",
        "To: Customer 1 <ann@customer.test>",
        "Subject: Re: Order problem",
        f"Date: {format_datetime(BASE.replace(minute=2))}",
        "Message-ID: <reply1@example.com>",
        "In-Reply-To: <m1@customer.test>",
        "References: <m1@customer.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Hi Ann,\n\nyour order 48213 is held at the depot; the courier checks where it is.\n\nBest,\nAlice",
        "",
    ]
    return "\r\n".join(lines).encode()


@pytest.fixture
def config(mailbox, tmp_path: Path) -> Path:
    mailbox.deliver(mail(1, "Order problem", body=FIRST))
    mailbox.append("Sent", agent_reply(), flags=["\\Seen"])
    mailbox.deliver(
        mail(3, "Re: Order problem", refs=("m1@customer.test", "reply1@example.com"), body=FOLLOW_UP)
    )
    return write_config(tmp_path, mailbox)


def test_summary_json_fetches_missing_bodies_and_keeps_quotes_signatures_and_controls_out(
    config: Path,
) -> None:
    done = cli(config, "sync", "--once", "--headers-only", "--quiet")
    assert done.returncode == 0, done.stderr
    [conv] = list_json(config)
    done = cli(config, "summary", conv["id"][:8], "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert {"ask", "timeline", "open_questions", "promises", "facts", "mood"} <= doc.keys()
    assert doc["id"] == conv["id"] and doc["bodies_missing"] == 0
    assert doc["ask"] == "My order #48213 has not arrived. Can you check where it is?"
    # Answered by the reply's words (the depot, where it is); the refund question is not.
    assert doc["open_questions"] == ["Will you refund the shipping fee of $9.90?"]
    assert [(e["actor"], e["text"]) for e in doc["timeline"]] == [
        ("customer", "My order #48213 has not arrived."),
        ("agent", "your order 48213 is held at the depot; the courier checks where it is."),
        ("customer", "Still nothing, this is getting urgent."),
    ]
    assert {(f["kind"], f["value"]) for f in doc["facts"]} == {("order", "48213"), ("amount", "$9.90")}
    assert doc["mood"] == {"label": "frustrated", "words": ["Still nothing", "getting urgent"]}
    assert doc["promises"] == []
    assert "newsletter" not in done.stdout and "Where exactly" not in done.stdout
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout


def test_summary_text_and_an_unknown_id(config: Path) -> None:
    assert cli(config, "sync", "--once", "--quiet").returncode == 0
    [conv] = list_json(config)
    done = cli(config, "summary", conv["id"], "--cached")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Summary: Order problem  [{conv['id']}]"
    assert "Ask: My order #48213 has not arrived. Can you check where it is?" in lines
    assert "Mood: frustrated (Still nothing, getting urgent)" in lines
    assert "  - Will you refund the shipping fee of $9.90?" in lines
    missing = cli(config, "summary", "nosuchconversation")
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0 and "no conversation" in missing.stderr
