"""Rules that act outside the team's events, against Dovecot and an SMTP receiver: one copy acts."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from shared_inbox.services.replies import Replies
from shared_inbox.services.rule_book import automatic_replies, rule_runner_for
from shared_inbox.services.rule_claims import CommandClaims
from shared_inbox.services.rules import RuleOutcome
from shared_inbox.wallclock import utc_now
from tests.integration.auto_reply_support import agent_with_smtp, customer_mail
from tests.integration.team_support import Agent

pytestmark = pytest.mark.integration

RULE = """
name = "acknowledge"
trigger = "new_conversation"
tag = "acknowledged"
reply = "Acknowledgement"
"""


def agents_with_rule(mailbox: Any, receiver: Any, tmp_path: Path) -> list[Agent]:
    rules = tmp_path / "canned" / "rules"
    rules.mkdir(parents=True)
    (rules / "acknowledge.toml").write_text(RULE, encoding="utf-8")
    return [
        agent_with_smtp(tmp_path / name, mailbox, receiver, f"{name}@example.com")
        for name in ("alice", "bob")
    ]


def test_two_copies_running_a_reply_rule_at_once_send_one_message(
    mailbox: Any, smtp_receiver: Any, tmp_path: Path
) -> None:
    mailbox.deliver(customer_mail("Ann Lee <ann@customer.test>", "Order problem", utc_now()))
    agents = agents_with_rule(mailbox, smtp_receiver, tmp_path)
    start = threading.Barrier(len(agents))
    said: dict[str, list[RuleOutcome]] = {}

    def run(agent: Agent) -> None:
        replies = Replies(agent.session, now=utc_now)
        runner = rule_runner_for(agent.session, sender=automatic_replies(agent.session, replies, agent.team))
        start.wait()
        said[agent.session.config.team.me] = runner.run(utc_now())
        replies.flush()
        replies.close()

    threads = [threading.Thread(target=run, args=(agent,)) for agent in agents]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(smtp_receiver.received) == 1, said
        lines = sorted(outcome.done[-1].split(": ")[1] for found in said.values() for outcome in found)
        assert lines == ["sent", "skipped"], said
        for agent in agents:
            agent.exchange()
        assert agents[0].states() == agents[1].states()
        assert all(state[2] == ["acknowledged"] for state in agents[0].states().values())
        # Heard of each other's: the rule does not act again, and no second message goes out.
        for agent in agents:
            agent.sync_mail()
            assert rule_runner_for(agent.session).run(utc_now()) == []
        assert len(smtp_receiver.received) == 1
    finally:
        for agent in agents:
            agent.close()


def test_two_copies_running_a_command_rule_at_once_run_the_command_once(
    mailbox: Any, smtp_receiver: Any, tmp_path: Path
) -> None:
    mailbox.deliver(customer_mail("Ann Lee <ann@customer.test>", "Order problem", utc_now()))
    log = tmp_path / "hook.log"
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, sys\n"
        "doc = json.load(sys.stdin)\n"
        f"open({str(log)!r}, 'a').write(doc['conversation']['subject'] + '\\n')\n"
    )
    argv = json.dumps([sys.executable, str(script)])
    rule = f'name = "notify"\ntrigger = "new_conversation"\nrun = {argv}\n'
    rules = tmp_path / "canned" / "rules"
    rules.mkdir(parents=True)
    (rules / "notify.toml").write_text(rule, encoding="utf-8")
    agents = [
        agent_with_smtp(tmp_path / n, mailbox, smtp_receiver, f"{n}@example.com") for n in ("alice", "bob")
    ]
    start = threading.Barrier(len(agents))
    said: dict[str, list[RuleOutcome]] = {}

    def run(agent: Agent) -> None:
        runner = rule_runner_for(agent.session, claims=CommandClaims(agent.session, agent.team))
        start.wait()
        said[agent.session.config.team.me] = runner.run(utc_now())

    threads = [threading.Thread(target=run, args=(agent,)) for agent in agents]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert log.read_text().splitlines() == ["Order problem"], said
        notes = sorted(outcome.done[0] for found in said.values() for outcome in found)
        assert notes[0].startswith("run ") and notes[1].endswith("'s copy runs it"), said
    finally:
        for agent in agents:
            agent.close()
