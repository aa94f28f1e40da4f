"""`shared-inbox reply` and the composer's Ctrl+S are one use case: the same message, promises and changes."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from shared_inbox.cli import main, outbox_cmd
from shared_inbox.config import load_config
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.promise_events import reduce_promises
from shared_inbox.outbox import Outbox
from shared_inbox.services.session import Session, open_session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.dialogs.promise_prompt import PromisePrompt
from tests.ui.test_app import CONFIG, NOW, drive, fill_store
from tests.ui.test_composer import open_composer, open_reader

ACCOUNT = 'address = "support@example.com"\n'
STYLED_ACCOUNT = ACCOUNT + 'from_style = "plain"\nreply_to = "help@example.com"\n'
BODY = "Thanks for waiting.\n\nI'll get back to you by Friday with the fix."


def styled_config(directory: Path) -> Path:
    """The same generated mailbox in its own store, with a plain From and a Reply-To for the team."""
    directory.mkdir()
    fill_store(directory / "store", 60)
    path = directory / "config.toml"
    text = CONFIG.format(store=directory / "store", extra="")
    assert ACCOUNT in text
    path.write_text(text.replace(ACCOUNT, STYLED_ACCOUNT), encoding="utf-8")
    return path


def unanswered(session: Session) -> Conversation:
    """An active conversation nobody has, whose latest message is the customer's."""
    for conv in session.inbox.conversations("status:active"):
        messages = session.inbox.messages_of(conv)
        customer = conv.customer.email if conv.customer is not None else "mallory"
        if conv.state.assignee is None and "mallory" not in customer and not messages[-1].outgoing:
            return conv
    raise AssertionError("the generated mailbox has no unanswered conversation")


def outcome(session: Session, conversation_id: str) -> dict[str, object]:
    """What replying produced: the queued message's headers and text, the promises, the state."""
    outbox = Outbox.open(session.store)
    try:
        [entry] = outbox.entries()
        message = message_from_bytes(outbox.raw(entry.id), policy=policy.default)
    finally:
        outbox.close()
    assert isinstance(message, EmailMessage)
    text = message.get_body(("plain",))
    assert text is not None
    conv = session.inbox.conversation(conversation_id)
    assert conv is not None
    promises = reduce_promises(session.inbox.events_of(conv.id))
    return {
        "headers": {name: str(message[name]) for name in ("From", "Reply-To", "To", "Cc", "Subject")},
        "body": text.get_content(),
        "promises": [(p.text, p.due, p.state.value, p.made_in == entry.message_id) for p in promises],
        "status": conv.state.status.value,
        "assignee": conv.state.assignee,
    }


def test_the_reply_command_and_ctrl_s_produce_the_same_message_promises_and_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_config, tui_config = styled_config(tmp_path / "cli"), styled_config(tmp_path / "tui")
    with open_session(load_config(cli_config, {}), now=lambda: NOW) as session:
        conv = unanswered(session)

    # The command line, at the same moment as the app below.
    monkeypatch.setattr(outbox_cmd, "_now", lambda: NOW)
    body_file = tmp_path / "reply.txt"
    body_file.write_text(BODY, encoding="utf-8")
    assert main(["--config", str(cli_config), "reply", conv.id, "--body-file", str(body_file)]) == 0
    printed = capsys.readouterr().out
    assert "Tracking the promise" in printed and "by Friday" in printed
    with open_session(load_config(cli_config, {}), now=lambda: NOW) as session:
        by_command = outcome(session, conv.id)

    # The composer: open the conversation, r, write, Ctrl+S, track the promise it offers.
    with open_session(load_config(tui_config, {}), now=lambda: NOW) as session:

        async def scenario(pilot: Pilot[None]) -> None:
            await open_reader(pilot, conv)
            composer = await open_composer(pilot)
            composer.query_one("#composer-body", TextArea).load_text(BODY)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(pilot.app.screen, PromisePrompt)
            await pilot.press("enter")
            await pilot.pause()

        drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)
        in_app = outcome(session, conv.id)

    assert by_command == in_app
    headers = in_app["headers"]
    assert isinstance(headers, dict)
    assert headers["From"] == "Acme Support <support@example.com>"  # [account] from_style = "plain"
    assert headers["Reply-To"] == "help@example.com"
    assert in_app["status"] == "pending" and in_app["assignee"] == "alice@example.com"
    promises = in_app["promises"]
    assert isinstance(promises, list) and len(promises) == 1
    assert promises[0][2] == "open" and promises[0][3]  # made by this reply
