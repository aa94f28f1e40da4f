"""Agents for team tests: each one its own config and store, all on one rig mailbox."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from shared_inbox.config import load_config
from shared_inbox.config.team_key import resolve_team_keys
from shared_inbox.imap.connection import connect_imap
from shared_inbox.services.session import Session, open_session, sync_plan
from shared_inbox.services.team import Exchange, TeamSync, apply_remote
from shared_inbox.team.signing import TeamKeys
from tests.integration.support import write_config

CAROL = """
[[team.members]]
name = "Carol Agent"
email = "carol@example.com"
"""
BASE = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def customer_mail(n: int) -> bytes:
    lines = [
        f"From: Customer {n} <c{n}@customer.test>",
        "To: Acme Support <support@example.com>",
        f"Subject: Question {n}",
        f"Date: {format_datetime(BASE + timedelta(minutes=n))}",
        f"Message-ID: <q{n}@customer.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"Question number {n}.",
        "",
    ]
    return "\r\n".join(lines).encode()


@dataclass
class Agent:
    config: Path
    session: Session
    team: TeamSync

    @property
    def commands(self) -> Any:
        return self.session.commands

    def connect(self) -> Any:
        return connect_imap(sync_plan(self.session.config).endpoint)

    def sync_mail(self) -> None:
        self.session.sync_service(fetch_bodies=False).sync_once()

    def exchange(self) -> Exchange:
        client = self.connect()
        try:
            result = self.team.exchange(client)
        finally:
            client.logout()
        apply_remote(self.session.inbox, self.session.commands, result.fetched)
        return result

    def compact(self) -> Exchange:
        client = self.connect()
        try:
            result = self.team.compact(client)
        finally:
            client.logout()
        apply_remote(self.session.inbox, self.session.commands, result.fetched)
        return result

    def states(self) -> dict[str, tuple[object, ...]]:
        """Every conversation's team state, comparable between agents."""
        return {
            conv.id: (state.assignee, state.status, sorted(state.tags), state.snoozed_until)
            for conv in self.session.inbox.conversations()
            for state in [conv.state]
        }

    def close(self) -> None:
        self.session.close()


def make_agent(directory: Path, mailbox: Any, me: str, *, team: str = "", **options: Any) -> Agent:
    """An agent with its own store; `team` adds [team] keys (a team key source)."""
    config = write_config(directory, mailbox, me=me, extra=CAROL, team=team)
    return open_agent(config, **options)


def key_lines(key: str, previous: str | None = None) -> str:
    """[team] keys that give the team key (and the previous one) through commands, as a user would."""
    lines = f'key_command = "printf %s {key}"\n'
    if previous is not None:
        lines += f'previous_key_command = "printf %s {previous}"\n'
    return lines


def open_agent(config: Path, **options: Any) -> Agent:
    session = open_session(load_config(config, os.environ))
    team_config = session.config.team
    current, previous = resolve_team_keys(team_config, os.environ)
    options.setdefault("keys", TeamKeys.from_text(current, previous))
    team = TeamSync(session.store, me=team_config.me, folder=team_config.events_folder, **options)
    agent = Agent(config, session, team)
    agent.sync_mail()
    return agent
