"""`shared-inbox due` and the deadline fields of `list --json`, through the real command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from shared_inbox.config import load_config
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.services.session import open_session
from shared_inbox.store import Store
from tests.integration.support import cli, list_json, write_config

SUPPORT = Address("Acme Support", "support@example.com")
SLA = """
[[sla]]
name = "standard"
first_response = "2h"
business_hours = false
"""


def customer_mail(n: int, at: datetime) -> MessageMeta:
    customer = Address(f"Customer {n}", f"customer{n}@globex.test")
    return MessageMeta(
        message_id=f"q{n}@globex.test",
        subject=f"Question {n}",
        sender=customer,
        to=(SUPPORT,),
        cc=(),
        date=at,
    )


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """Three conversations: one answered in time, one whose first reply is 3 hours late, one fresh."""
    now = datetime.now(UTC)
    mailbox = SimpleNamespace(port=1143, tls_port=1993, password="unused", user="support", ca_file="")
    path = write_config(tmp_path / "cfg", mailbox, security="none", extra=SLA)
    store_path = tmp_path / "cfg" / "store"
    with Store.open(store_path) as store:
        store.upsert_messages(
            [
                customer_mail(1, now - timedelta(minutes=10)),
                customer_mail(2, now - timedelta(hours=5)),
                customer_mail(3, now - timedelta(minutes=5)),
            ]
        )
    with open_session(load_config(path, {})) as session:
        first = session.inbox.conversation("q1@globex.test")
        assert first is not None
        session.commands.set_promise(first.id, "Send the refund form", now + timedelta(hours=1))
        session.commands.set_promise(first.id, "Ship the part", now + timedelta(days=3))
        session.commands.follow_up(first.id, "in 2 days")
    return path


def by_subject(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["subject"]: row for row in rows}


def test_list_json_carries_promises_sla_clocks_and_the_next_due_time(config_path: Path) -> None:
    rows = by_subject(list_json(config_path))
    first = rows["Question 1"]
    promises = first["promises"]
    assert isinstance(promises, list)
    assert [(p["text"], p["state"], p["author"], p["follow_up"]) for p in promises] == [
        ("Send the refund form", "open", "alice@example.com", False),
        ("Ship the part", "open", "alice@example.com", False),
        ("Follow up in 2 days", "open", "alice@example.com", True),
    ]
    assert all(len(str(p["id"])) == 16 for p in promises)
    sla = first["sla"]
    assert isinstance(sla, list) and [(c["policy"], c["target"], c["state"]) for c in sla] == [
        ("standard", "first_response", "running")
    ]
    assert first["next_due"] == min(str(p["due"]) for p in promises + sla)
    late = rows["Question 2"]
    assert late["promises"] == [] and [c["state"] for c in late["sla"]] == ["broken"]


def test_due_lists_what_is_overdue_or_due_within_the_window(config_path: Path) -> None:
    done = cli(config_path, "due", "--json")
    assert done.returncode == 0, done.stderr
    rows = by_subject(json.loads(done.stdout))
    assert set(rows) == {"Question 1", "Question 2", "Question 3"}
    assert rows["Question 2"]["urgency"] == "overdue"
    assert [row["subject"] for row in json.loads(done.stdout)][0] == "Question 2"  # overdue first
    narrow = cli(config_path, "due", "--json", "--within", "30m")
    assert narrow.returncode == 0, narrow.stderr
    assert [row["subject"] for row in json.loads(narrow.stdout)] == ["Question 2"]
    text = cli(config_path, "due", "--within", "30m")
    assert text.returncode == 0 and "Question 2" in text.stdout and "-3h" in text.stdout


def test_due_says_so_when_nothing_is_due_and_still_succeeds(tmp_path: Path) -> None:
    mailbox = SimpleNamespace(port=1143, tls_port=1993, password="unused", user="support", ca_file="")
    path = write_config(tmp_path, mailbox, security="none")
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([customer_mail(1, datetime.now(UTC))])
    done = cli(path, "due")
    assert done.returncode == 0 and "Nothing is overdue" in done.stdout
    bad = cli(path, "due", "--within", "soon")
    assert bad.returncode == 2 and "not a window" in bad.stderr
