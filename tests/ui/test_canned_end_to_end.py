"""A canned reply sent from the TUI reaches the customer filled in: real Dovecot, real SMTP receiver."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.canned_picker import BlanksForm, CannedPicker
from shared_inbox.ui.screens.composer import ComposerScreen
from shared_inbox.ui.screens.reader import ReaderScreen
from tests.rig.smtp import SmtpReceiver
from tests.ui.test_end_to_end import app_config, customer_mail, inbox_screen, run_app, until

pytestmark = pytest.mark.integration

ORDER_REPLY = """+++
name = "Order status"
tags = ["shipping"]
[actions]
tags = ["shipping"]
+++
Hi {{ customer.first_name | default: "there" }},

order {{ ask "Order number" }} left our warehouse today.

{{ agent.first_name }} from {{ company.name }}
"""


def test_a_canned_reply_with_variables_reaches_the_customer_filled_in(
    tmp_path: Path, mailbox: Any, smtp_receiver: SmtpReceiver
) -> None:
    mailbox.deliver(customer_mail(20, "Ann Oldest", "ann@customer.test", "Where is my order?", hours=0))
    team = tmp_path / "team"
    team.mkdir()
    (team / "order.md").write_text(ORDER_REPLY, encoding="utf-8")
    config_path = app_config(tmp_path / "app", mailbox, smtp_receiver)
    with config_path.open("a", encoding="utf-8") as config:
        config.write(f'\n[canned]\ndir = "{team}"\npersonal_dir = "{tmp_path / "mine"}"\n')

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        screen = inbox_screen(app)
        await until(pilot, lambda: app.last_sync is not None and len(screen.conversation_list.rows) == 1)
        conv_id = screen.conversation_list.rows[0].id
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("r")
        await pilot.pause()
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        await pilot.click("#composer-canned")  # the button, as a mouse user would
        picker = app.screen
        assert isinstance(picker, CannedPicker)
        await until(pilot, lambda: picker.choices is not None)
        await pilot.press("enter")  # the best match: the only reply
        await pilot.pause()
        form = app.screen
        assert isinstance(form, BlanksForm)
        form.query_one(Input).value = "A-17"
        await pilot.click("#blanks-insert")
        await pilot.pause()
        assert app.screen is composer
        await pilot.press("ctrl+s")
        await pilot.pause()
        await until(pilot, lambda: len(smtp_receiver.received) == 1, rounds=900)
        [mail] = smtp_receiver.received
        assert mail.rcpt_tos == ("ann@customer.test",)
        sent = message_from_bytes(mail.raw, policy=policy.default)
        text = sent.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert "Hi Ann,\n\norder A-17 left our warehouse today.\n\nAlice from Acme Support" in text
        assert "{{" not in text and "}}" not in text
        conv = app.session.inbox.conversation(conv_id)
        assert conv is not None and "shipping" in conv.state.tags

    run_app(config_path, scenario)
