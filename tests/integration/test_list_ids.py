"""The ids `list` prints are the ids `set` and `reply` take, whole or by a unique start (real CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared_inbox.domain.threading import conversation_id_for
from shared_inbox.services.inbox import MIN_PREFIX
from tests.integration.support import cli, list_json, write_config
from tests.integration.test_sync import mail

pytestmark = pytest.mark.integration


def twin_numbers(start: int) -> tuple[int, int]:
    """Two numbers whose mails' conversation ids share their first `start` characters."""
    seen: dict[str, int] = {}
    for n in range(100_000):
        head = conversation_id_for(f"m{n}@customer.test")[:start]
        if head in seen:
            return seen[head], n
        seen[head] = n
    raise AssertionError("no two ids share a start")


def printed_rows(stdout: str, ids: set[str]) -> dict[str, list[str]]:
    """The table's rows by the id they start with (only ids the JSON knows count)."""
    return {
        line.split()[0]: line.split()
        for line in stdout.splitlines()
        if line.split()[:1] and line.split()[0] in ids
    }


def test_every_id_list_prints_is_taken_by_set_and_a_unique_start_by_reply(
    mailbox: Any, tmp_path: Path
) -> None:
    first, second = twin_numbers(MIN_PREFIX + 1)
    mailbox.deliver(mail(first, "Refund"))
    mailbox.deliver(mail(second, "Refund", sender="bob@other.test"))
    subject = "My order arrived broken and nobody answers my mails " * 3
    mailbox.deliver(mail(3, subject, sender="a.very.long.address.indeed@customers.example.test"))
    config = write_config(tmp_path, mailbox)
    assert cli(config, "sync", "--once", "--quiet").returncode == 0
    ids = {str(conv["id"]) for conv in list_json(config)}
    assert cli(config, "set", conversation_id_for("m3@customer.test"), "--status", "pending").returncode == 0

    listed = cli(config, "list")  # piped: not a terminal
    assert listed.returncode == 0, listed.stderr
    rows = printed_rows(listed.stdout, ids)
    assert set(rows) == ids
    statuses = {str(conv["id"]): conv["status"] for conv in list_json(config)}
    assert {conv_id: row[1] for conv_id, row in rows.items()} == statuses
    for conv_id in rows:
        done = cli(config, "set", conv_id, "--tag", "seen")
        assert done.returncode == 0, done.stderr
    assert all(conv["tags"] == ["seen"] for conv in list_json(config))

    lone = conversation_id_for("m3@customer.test")
    done = cli(config, "set", lone[: MIN_PREFIX + 1], "--status", "closed", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == lone and json.loads(done.stdout)["status"] == "closed"

    body = tmp_path / "reply.txt"
    body.write_text("Hello,\n\nthe new part is on its way.\n", encoding="utf-8")
    queued = cli(config, "reply", lone[: MIN_PREFIX + 2], "--body-file", str(body), "--json")
    assert queued.returncode == 0, queued.stderr
    entry = json.loads(queued.stdout)
    assert entry["conversation_id"] == lone
    outbox = cli(config, "outbox")  # piped too: the outbox id is typed back into --cancel
    assert outbox.returncode == 0, outbox.stderr
    rows = printed_rows(outbox.stdout, {entry["id"]})
    assert rows[entry["id"]][1] == entry["state"]

    twins = sorted(conversation_id_for(f"m{n}@customer.test") for n in (first, second))
    shared = twins[0][: MIN_PREFIX + 1]
    for command in (["set", shared, "--status", "spam"], ["reply", shared, "--body-file", str(body)]):
        refused = cli(config, *command)
        assert refused.returncode == 1
        assert twins[0] in refused.stderr and twins[1] in refused.stderr and "type more" in refused.stderr
        assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert {conv["status"] for conv in list_json(config) if conv["id"] in twins} == {"active"}
