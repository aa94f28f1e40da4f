"""A conversation the agent starts is theirs and waits on the customer, under the customer's own name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from shared_inbox.domain.model import Status
from shared_inbox.outbox import OutboxState
from shared_inbox.services.session import open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.composer import ComposerScreen
from tests.ui.test_app import drive, inbox_of

SUBJECT = "Your new account is ready"


@pytest.mark.integration
def test_a_started_conversation_is_the_agents_pending_and_named_as_the_customer_writes(
    tmp_path: Path,
) -> None:
    from shared_inbox.demo import open_demo

    clock = [datetime.now(UTC)]

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        for _ in range(400):  # bounded wait for the first sync round, not a timing assertion
            if app.last_sync is not None and inbox_of(app).conversation_list.rows:
                break
            await pilot.pause(0.05)
        customers = [c.customer for c in app.session.inbox.conversations() if c.customer is not None]
        known = next(customer for customer in customers if customer.name)
        await pilot.press("C")
        await pilot.pause()
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        composer.query_one("#composer-to", Input).value = f"{known.name.lower()} <{known.email.upper()}>"
        composer.query_one("#composer-subject", Input).value = SUBJECT
        composer.query_one("#composer-body", TextArea).load_text("Welcome aboard.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [queued] = [e for e in app.replies.outbox.entries() if e.subject == SUBJECT]
        clock[0] += app.replies.policy.undo_window + timedelta(seconds=1)
        for _ in range(600):  # bounded wait for the sender thread, not a timing assertion
            if app.replies.outbox.get(queued.id).state is OutboxState.SENT:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        [started] = [c for c in app.session.inbox.conversations() if c.subject == SUBJECT]
        assert started.state.assignee == app.session.config.team.me
        assert started.state.status is Status.PENDING
        assert started.customer is not None
        assert (started.customer.name, started.customer.email) == (known.name, known.email)

    with open_demo(parent=tmp_path) as demo, open_session(demo.config) as opened:
        drive(InboxApp(opened, sync=True, now=lambda: clock[0]), scenario)
