"""Rules in a team on one real Dovecot mailbox: every copy evaluates them, the team sees one effect."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared_inbox.domain.events import event_from_json
from shared_inbox.domain.notes import reduce_notes
from shared_inbox.services.rule_book import rule_runner_for
from tests.integration.support import cli, list_json, write_config
from tests.integration.team_support import CAROL, Agent, customer_mail, open_agent
from tests.integration.test_sync import LineReader

pytestmark = pytest.mark.integration

RULE = """
name = "triage"
trigger = "new_conversation"
if = "subject:question"
assign = "round-robin"
tag = "triaged"
note = "Triaged by rule"
follow_up = "in 2 days"
"""


@pytest.fixture
def agents(mailbox, tmp_path: Path) -> Iterator[list[Agent]]:
    for n in range(1, 4):
        mailbox.deliver(customer_mail(n))
    rules = tmp_path / "replies" / "rules"
    rules.mkdir(parents=True)
    (rules / "triage.toml").write_text(RULE, encoding="utf-8")
    canned = f'\n[canned]\ndir = "{tmp_path / "replies"}"\n'
    made: list[Agent] = []
    try:
        for name in ("alice", "bob"):
            config = write_config(tmp_path / name, mailbox, me=f"{name}@example.com", extra=CAROL + canned)
            made.append(open_agent(config))
        yield made
    finally:
        for agent in made:
            agent.close()


def event_ids(agent: Agent) -> set[str]:
    return {str(raw["id"]) for raw in agent.session.store.events()}


def test_two_agents_running_the_same_rule_converge_on_one_effect(agents: list[Agent]) -> None:
    alice, bob = agents
    now = datetime.now(UTC)
    done_by_alice = rule_runner_for(alice.session).run(now)
    done_by_bob = rule_runner_for(bob.session).run(now)  # before hearing of Alice's
    assert len(done_by_alice) == len(done_by_bob) == 3
    assert event_ids(alice) == event_ids(bob)  # the same events, written twice, independently
    alice.exchange()
    bob.exchange()
    alice.exchange()
    assert alice.states() == bob.states()
    assert len(event_ids(alice)) == len(event_ids(bob)) == 3 * 5  # assign, tag, note, follow-up, ran
    for agent in (alice, bob):
        events = [event_from_json(raw) for raw in agent.session.store.events()]
        assert len(reduce_notes(events)) == 3
        for conv in agent.session.inbox.conversations():
            assert conv.state.tags == frozenset({"triaged"})
            assert conv.state.assignee in {"alice@example.com", "bob@example.com", "carol@example.com"}
    # Having heard of each other's, neither acts again.
    assert rule_runner_for(alice.session).run(now) == []
    assert rule_runner_for(bob.session).run(now) == []


def test_an_agent_who_heard_of_the_rule_acting_does_not_act_again(agents: list[Agent]) -> None:
    alice, bob = agents
    now = datetime.now(UTC)
    assert len(rule_runner_for(alice.session).run(now)) == 3
    alice.exchange()
    bob.exchange()
    assert rule_runner_for(bob.session).run(now) == []
    assert event_ids(alice) == event_ids(bob)


def rule_config(mailbox, tmp_path: Path, rule: str) -> Path:
    rules = tmp_path / "replies" / "rules"
    rules.mkdir(parents=True)
    (rules / "rule.toml").write_text(rule, encoding="utf-8")
    return write_config(tmp_path / "me", mailbox, extra=f'\n[canned]\ndir = "{tmp_path / "replies"}"\n')


def test_a_sync_runs_the_rules_on_what_it_brought_in(mailbox, tmp_path: Path) -> None:
    mailbox.deliver(customer_mail(1))
    config = rule_config(mailbox, tmp_path, RULE)
    done = cli(config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    assert '[rules] rule triage on "Question 1": assign to ' in done.stderr
    (conv,) = list_json(config)
    assert conv["tags"] == ["triaged"]


def test_sync_watch_runs_the_rules_for_new_mail(mailbox, tmp_path: Path) -> None:
    config = rule_config(mailbox, tmp_path, RULE)
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared_inbox", "--config", str(config), "sync", "--watch"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    reader = LineReader(proc)
    try:
        assert reader.wait_for("[idle]"), reader.seen
        mailbox.deliver(customer_mail(2))
        assert reader.wait_for('[rules] rule triage on "Question 2"'), reader.seen
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    (conv,) = list_json(config)
    assert conv["tags"] == ["triaged"]


def test_config_check_names_rule_problems_with_file_and_line(mailbox, tmp_path: Path) -> None:
    config = rule_config(mailbox, tmp_path, RULE.replace('tag = "triaged"', 'tga = "triaged"'))
    check = cli(config, "config", "check")
    assert check.returncode == 1
    rule_file = tmp_path / "replies" / "rules" / "rule.toml"
    assert f"  {rule_file}: line 6: tga: unknown key 'tga'\n      hint: did you mean 'tag'?" in check.stdout
    assert "  rules     0 rules can be used" in check.stdout
