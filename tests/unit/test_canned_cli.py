"""`shared-inbox canned` and `shared-inbox reply --canned` over a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared_inbox.cli import main
from shared_inbox.config import load_config
from shared_inbox.domain.templates import split_name
from shared_inbox.outbox import Outbox
from shared_inbox.services.session import open_session
from tests.ui.test_app import CONFIG, fill_store

REFUND = """+++
name = "Refund: how to"
tags = ["billing", "refund"]
[actions]
status = "closed"
tags = ["refund"]
promise = "within 2 business days"
+++
Hi {{ customer.first_name | default: "there" }},
the refund for order {{ ask "Order number" }} is on its way.
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    team = tmp_path / "team"
    team.mkdir()
    (team / "refund.md").write_text(REFUND, encoding="utf-8")
    (team / "broken.md").write_text("no front matter\n", encoding="utf-8")
    fill_store(tmp_path / "store", 40)
    extra = f'[canned]\ndir = "{team}"\npersonal_dir = "{tmp_path / "mine"}"\n'
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(store=tmp_path / "store", extra=extra), encoding="utf-8")
    return path


def a_conversation(config_path: Path) -> tuple[str, str]:
    """An open conversation with a named customer: its id and the customer's name."""
    with open_session(load_config(config_path, {})) as session:
        for conv in session.inbox.conversations("status:active"):
            if conv.customer is not None and conv.customer.name and "mallory" not in conv.customer.email:
                return conv.id, conv.customer.name
    raise AssertionError("no conversation with a named customer")


def test_canned_lists_replies_and_skipped_files(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_path), "canned", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["refund.md"]["name"] == "Refund: how to"
    assert rows["refund.md"]["tags"] == ["billing", "refund"]
    assert rows["refund.md"]["blanks"] == ["Order number"]
    assert rows["refund.md"]["personal"] is False and rows["refund.md"]["uses"] == 0
    assert "must start with a +++ line" in rows["broken.md"]["problems"][0]
    assert main(["--config", str(config_path), "canned"]) == 0
    assert "skipped broken.md" in capsys.readouterr().out


def test_reply_with_a_canned_reply_queues_it_rendered_and_applies_its_actions(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conv_id, customer = a_conversation(config_path)
    args = ["--config", str(config_path), "reply", conv_id, "--canned", "refund: how to"]
    assert main([*args, "--answer", "Order number=A-17", "--json"]) == 0
    queued = json.loads(capsys.readouterr().out)
    first_name = split_name(customer)[0] or "there"
    assert queued["body"] == f"Hi {first_name},\nthe refund for order A-17 is on its way.\n"
    with open_session(load_config(config_path, {})) as session:
        conv = session.inbox.conversation(conv_id)
        assert conv is not None and conv.state.status.value == "closed" and "refund" in conv.state.tags
        kinds = [str(event.kind) for event in session.inbox.events_of(conv_id)]
        assert "promise_set" in kinds
        assert session.store.get_setting("canned.usage") == {"refund.md": 1}
    assert main(["--config", str(config_path), "canned", "--json"]) == 0
    assert {r["id"]: r["uses"] for r in json.loads(capsys.readouterr().out)}["refund.md"] == 1


def test_the_name_in_the_customer_profile_greets_the_customer(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conv_id, customer = a_conversation(config_path)
    assert split_name(customer)[0] != "Bob"
    with open_session(load_config(config_path, {})) as session:
        conv = session.inbox.conversation(conv_id)
        assert conv is not None and conv.customer is not None
        session.commands.set_customer_field(conv_id, conv.customer.email, "name", "Bob Stone")
    args = ["--config", str(config_path), "reply", conv_id, "--canned", "refund: how to"]
    assert main([*args, "--answer", "Order number=A-17", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["body"].startswith("Hi Bob,\n")


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ([], '"Order number" is not filled in'),
        (["--answer", "Order=1"], "asks 'Order number', not 'Order'"),
        (["--answer", "no equals sign"], 'write it as "Question=value"'),
    ],
)
def test_a_canned_reply_with_open_blanks_is_not_queued(
    config_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], problem: str
) -> None:
    conv_id, _ = a_conversation(config_path)
    assert main(["--config", str(config_path), "reply", conv_id, "--canned", "refund.md", *extra]) == 1
    assert problem in capsys.readouterr().err
    with open_session(load_config(config_path, {})) as session:
        outbox = Outbox.open(session.store)
        try:
            assert outbox.entries() == []
        finally:
            outbox.close()


def test_an_unknown_or_broken_canned_reply_is_named(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conv_id, _ = a_conversation(config_path)
    assert main(["--config", str(config_path), "reply", conv_id, "--canned", "nope"]) == 1
    assert "no canned reply 'nope'" in capsys.readouterr().err
    assert main(["--config", str(config_path), "reply", conv_id, "--canned", "broken.md"]) == 1
    assert "broken.md cannot be used" in capsys.readouterr().err
