"""`shared-inbox rules` lists the rules and their problems; `rules test` is a dry run over a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared_inbox.cli import main
from shared_inbox.config import load_config
from shared_inbox.services.session import open_session
from tests.ui.test_app import CONFIG, NOW, fill_store

TRIAGE = """
name = "triage"
trigger = "new_conversation"
if = "-from:mallory"
assign = "round-robin"
tag = ["new"]
"""
NUDGE = """
[[rules]]
name = "nudge"
trigger = "unassigned"
after = "4h"
note = "Nobody has taken this yet"
mention = ["alice@example.com"]

[[rules]]
name = "broken"
trigger = "customer_reply"
tga = "x"
"""


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    rules = tmp_path / "team" / "rules"
    rules.mkdir(parents=True)
    (rules / "triage.toml").write_text(TRIAGE, encoding="utf-8")
    (rules / "nudge.toml").write_text(NUDGE, encoding="utf-8")
    fill_store(tmp_path / "store", 12)
    extra = f'[canned]\ndir = "{tmp_path / "team"}"\npersonal_dir = "{tmp_path / "mine"}"\n'
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(store=tmp_path / "store", extra=extra), encoding="utf-8")
    monkeypatch.setattr("shared_inbox.cli.rules_cmd.utc_now", lambda: NOW)
    return path


def test_rules_lists_each_rule_and_each_problem_with_its_line(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_path), "rules"]) == 1  # a rule is left out
    out = capsys.readouterr().out
    nudge = config_path.parent / "team" / "rules" / "nudge.toml"
    assert out.splitlines() == [
        "nudge: unassigned for 4h while active, in business hours",
        "  add a note mentioning alice@example.com",
        "triage: new conversation, if -from:mallory",
        "  assign round-robin among the team; tag new",
        "2 rules; 2 problems (those rules are left out):",
        f"  {nudge}: line 9: rules[1]: the rule does nothing; give it an action such as tag, assign, note "
        "or reply",
        f"  {nudge}: line 12: rules[1].tga: unknown key 'tga'",
        "      hint: did you mean 'tag'?",
    ]


def test_rules_json_is_for_scripts(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_path), "rules", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [rule["name"] for rule in doc["rules"]] == ["nudge", "triage"]
    assert doc["rules"][1]["actions"] == ["assign round-robin among the team", "tag new"]
    assert doc["rules"][1]["line"] == 2
    assert [(p["line"], p["key"], p["hint"]) for p in doc["problems"]][1] == (
        12,
        "rules[1].tga",
        "did you mean 'tag'?",
    )


def test_rules_test_says_what_would_happen_to_which_conversations_and_changes_nothing(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_path), "rules", "test", "triage", "--since", "200d"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Rule triage (new conversation, if -from:mallory), over the last 200d:"
    assert lines[-1].endswith("conversations; nothing was changed and no mail was sent.")
    actions = [line for line in lines if line.startswith("    ")]
    assert actions and all(": assign to " in line and line.endswith("; tag new") for line in actions)
    assert all("\x1b" not in line for line in lines)  # hostile subjects are made inert
    with open_session(load_config(config_path, {})) as session:
        assert session.store.event_count() == 0
    assert main(["--config", str(config_path), "rules", "test", "triage", "--since", "1h", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_rules_test_of_a_time_condition_looks_at_now(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_path), "rules", "test", "nudge", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found and {row["why"] for row in found} == {"unassigned for 4 h while active"}
    assert all(
        row["actions"] == ["add a note mentioning alice@example.com: Nobody has taken this yet"]
        for row in found
    )


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["rules", "test", "triag"], "shared-inbox: there is no rule 'triag' (rules: nudge, triage).\n"),
        (
            ["rules", "test", "triage", "--since", "soon"],
            "shared-inbox: --since 'soon' is not a span like 30d, 12h or 90m.\n",
        ),
    ],
)
def test_rules_test_mistakes_are_one_sentence(
    config_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    assert main(["--config", str(config_path), *argv]) == 1
    assert capsys.readouterr().err == said
