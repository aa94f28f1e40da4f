"""Two agents on one mailbox: a teammate's change reaches the running app, and its changes reach them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from shared_inbox.config import load_config
from shared_inbox.services.session import open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.inbox import InboxScreen
from tests.integration.support import cli, write_config
from tests.integration.team_support import customer_mail, open_agent
from tests.ui.test_app import until

pytestmark = pytest.mark.integration

ALICE, BOB = "alice@example.com", "bob@example.com"


def test_a_teammates_assignment_shows_up_and_mine_goes_to_them(tmp_path: Path, mailbox: Any) -> None:
    for n in range(3):
        mailbox.deliver(customer_mail(n))
    alice_config = write_config(tmp_path / "alice", mailbox, me=ALICE)
    bob_config = write_config(tmp_path / "bob", mailbox, me=BOB)
    assert cli(bob_config, "sync", "--once", "--quiet").returncode == 0

    async def run() -> None:
        with open_session(load_config(alice_config, {})) as session:
            app = InboxApp(session, sync=True)
            async with app.run_test(size=(160, 40)) as pilot:
                screen = next(s for s in app.screen_stack if isinstance(s, InboxScreen))
                await until(
                    pilot, lambda: "idle" in app.status_line and len(screen.conversation_list.rows) == 3
                )
                # Bob, on his own machine, gives Alice the first question.
                done = await asyncio.to_thread(cli, bob_config, "set", "q0@customer.test", "--assign", ALICE)
                assert done.returncode == 0, done.stderr
                conv_id = session.inbox.conversation("q0@customer.test").id  # type: ignore[union-attr]

                def assigned() -> bool:
                    conv = session.inbox.conversation(conv_id)
                    return conv is not None and conv.state.assignee == ALICE

                await until(pilot, assigned)
                messages = [f"{n.title}: {n.message}" for n in app._notifications]
                assert any("Bob Agent assigned you: Question 0" in m for m in messages), messages
                assert screen.counts["mine"] == 1
                # Alice closes the second question in the app; Bob sees it after his next sync.
                index = next(
                    i for i, c in enumerate(screen.conversation_list.rows) if c.subject == "Question 1"
                )
                screen.conversation_list.move_cursor(index)
                await pilot.press("c")
                await until(pilot, lambda: app.team.status().backlog == 0)

    asyncio.run(run())
    bob = open_agent(bob_config)
    try:
        bob.exchange()
        closed = bob.session.inbox.conversation("q1@customer.test")
        assert closed is not None and closed.state.status.value == "closed"
        assigned = bob.session.inbox.conversation("q0@customer.test")
        assert assigned is not None and assigned.state.assignee == ALICE
    finally:
        bob.close()
