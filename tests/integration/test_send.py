"""Sending replies through the real command line, against Dovecot and a real SMTP receiver."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.support import SUPPORT_ADDRESS, cli, list_json, write_config
from tests.rig.smtp import OnwardDelivery, SmtpReceiver

pytestmark = pytest.mark.integration

BASE = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
CUSTOMER = "ann@customer.test"


def customer_mail(
    n: int, subject: str, *, extra: tuple[str, ...] = (), body: str = "Where is my order?"
) -> bytes:
    lines = [
        f"From: Ann Customer <{CUSTOMER}>",
        f"To: Acme Support <{SUPPORT_ADDRESS}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(BASE + timedelta(minutes=n))}",
        f"Message-ID: <m{n}@customer.test>",
        *extra,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()


def send_config(
    directory: Path,
    mailbox: Any,
    receiver: SmtpReceiver,
    *,
    security: str = "none",
    login: bool = False,
    ca_file: Path | None = None,
    server_saves_sent: bool = False,
) -> Path:
    """A config for the rig mailbox whose [smtp] section points at `receiver`."""
    path = write_config(directory, mailbox)
    lines = [f"port = {receiver.port}", f'security = "{security}"']
    if login:
        lines += [f'username = "{receiver.user}"', f'password_command = "printf %s {receiver.password}"']
    if ca_file is not None:
        lines.append(f'tls_ca_file = "{ca_file}"')
    if server_saves_sent:
        lines.append("server_saves_sent = true")
    text = path.read_text()
    placeholder = 'port = 2525\nsecurity = "none"'
    assert placeholder in text
    path.write_text(text.replace(placeholder, "\n".join(lines)))
    return path


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stderr
    return done


def outbox_json(config: Path) -> list[dict[str, Any]]:
    return json.loads(ok(cli(config, "outbox", "--json")).stdout)


def body_file(directory: Path, text: str = "Hi Ann,\n\nyour parcel left our warehouse today.\n") -> Path:
    path = directory / "reply.txt"
    path.write_text(text, encoding="utf-8")
    return path


def queue_reply(config: Path, conv_id: str, body: Path, *args: str) -> dict[str, Any]:
    return json.loads(ok(cli(config, "reply", conv_id, "--body-file", str(body), "--json", *args)).stdout)


def synced_conversation(config: Path, mailbox: Any) -> str:
    mailbox.deliver(customer_mail(1, "Order problem"))
    ok(cli(config, "sync", "--once", "--quiet"))
    [conv] = list_json(config)
    return str(conv["id"])


def folder_messages(mailbox: Any, folder: str) -> list[tuple[bytes, tuple[bytes, ...]]]:
    with mailbox.imap() as client:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        found = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"]) if uids else {}
    return [(item[b"BODY[]"], tuple(item[b"FLAGS"])) for item in found.values()]


@pytest.fixture
def customer_box(dovecot: Any) -> Any:
    """The customer's own mailbox: replies the receiver accepts are delivered there."""
    return dovecot.new_mailbox("customer")


def test_reply_goes_out_once_threads_and_finishes_in_the_mailbox(
    any_mailbox: Any, smtp_receiver_factory: Any, tmp_path: Path
) -> None:
    customer_box = any_mailbox.server.new_mailbox("customer")
    receiver = smtp_receiver_factory(onward=OnwardDelivery(any_mailbox.server, customer_box.user))
    config = send_config(tmp_path, any_mailbox, receiver)
    conv_id = synced_conversation(config, any_mailbox)

    queued = queue_reply(config, conv_id, body_file(tmp_path), "--undo", "0")
    assert queued["state"] == "queued" and queued["to"] == [CUSTOMER]
    ok(cli(config, "outbox", "--flush"))

    [mail] = receiver.wait_for(1)
    assert mail.mail_from == SUPPORT_ADDRESS and mail.rcpt_tos == (CUSTOMER,)
    sent = message_from_bytes(mail.raw, policy=policy.default)
    assert sent["From"] == f"Alice Agent via Acme Support <{SUPPORT_ADDRESS}>"
    assert sent["Subject"] == "Re: Order problem"
    assert sent["In-Reply-To"] == "<m1@customer.test>"
    assert sent["X-Shared-Inbox-Conversation"] == conv_id
    assert str(sent["Message-ID"]).startswith(f"<si.{conv_id}.") and sent["Message-ID"].endswith(
        "@example.com>"
    )
    text = sent.get_body(("plain",)).get_content()
    assert "your parcel left our warehouse today." in text and "> Where is my order?" in text

    # The Sent folder holds exactly our bytes, read; the customer's message is answered.
    [(copy, copy_flags)] = folder_messages(any_mailbox, any_mailbox.folder("Sent"))
    assert copy == mail.raw and b"\\Seen" in copy_flags
    [(_, inbox_flags)] = folder_messages(any_mailbox, "INBOX")
    assert b"\\Answered" in inbox_flags
    # The reply shows in its conversation at once, without a sync.
    [conv] = list_json(config)
    assert conv["message_count"] == 2 and queued["message_id"] in conv["message_ids"]
    [entry] = outbox_json(config)
    assert entry["state"] == "sent" and entry["pending"] == []

    # The customer answers from their own any_mailbox, quoting only In-Reply-To.
    [(received, _)] = folder_messages(customer_box, "INBOX")
    ours = message_from_bytes(received, policy=policy.default)["Message-ID"]
    any_mailbox.deliver(
        customer_mail(30, "Re: Order problem", extra=(f"In-Reply-To: {ours}",), body="Thanks!")
    )
    ok(cli(config, "sync", "--once", "--quiet"))
    [conv] = list_json(config)
    assert conv["id"] == conv_id and conv["message_count"] == 3

    # Flushing again sends nothing more.
    ok(cli(config, "outbox", "--flush"))
    assert len(receiver.received) == 1


def test_undo_within_the_window_sends_nothing(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver)
    conv_id = synced_conversation(config, mailbox)
    queued = queue_reply(config, conv_id, body_file(tmp_path))
    assert queued["state"] == "held"

    ok(cli(config, "outbox", "--flush"))  # still inside the undo window
    ok(cli(config, "outbox", "--cancel", queued["id"]))
    ok(cli(config, "outbox", "--flush"))

    assert smtp_receiver.received == []
    assert outbox_json(config) == []
    assert folder_messages(mailbox, "Sent") == []


def test_send_later_waits_for_its_time_and_can_be_sent_now(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver)
    conv_id = synced_conversation(config, mailbox)
    before = datetime.now(UTC)
    queued = queue_reply(config, conv_id, body_file(tmp_path), "--send-at", "+2h")
    release = datetime.fromisoformat(queued["release_at"])
    assert queued["state"] == "held" and before + timedelta(hours=2) <= release

    ok(cli(config, "outbox", "--flush"))
    assert smtp_receiver.received == []
    ok(cli(config, "outbox", "--send-now", queued["id"]))
    assert len(smtp_receiver.received) == 1


def test_edit_replaces_the_text_of_a_held_reply(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver)
    conv_id = synced_conversation(config, mailbox)
    queued = queue_reply(config, conv_id, body_file(tmp_path), "--send-at", "+1h")
    new_text = tmp_path / "better.txt"
    new_text.write_text("Hi Ann,\n\nit arrives tomorrow.\n", encoding="utf-8")

    ok(cli(config, "outbox", "--edit", queued["id"], "--body-file", str(new_text)))
    ok(cli(config, "outbox", "--send-now", queued["id"]))

    [mail] = smtp_receiver.received
    text = message_from_bytes(mail.raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "it arrives tomorrow." in text and "warehouse" not in text and "> Where is my order?" in text


def test_smtp_down_then_up_delivers_once(mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver)
    conv_id = synced_conversation(config, mailbox)
    smtp_receiver.stop()
    queue_reply(config, conv_id, body_file(tmp_path), "--undo", "0")

    down = cli(config, "outbox", "--flush")
    assert down.returncode == 1 and "refused the connection" in down.stderr
    [entry] = outbox_json(config)
    assert (
        entry["state"] == "queued" and entry["attempts"] == 1 and "refused the connection" in entry["error"]
    )

    smtp_receiver.start()
    ok(cli(config, "outbox", "--flush"))
    ok(cli(config, "outbox", "--flush"))
    assert len(smtp_receiver.received) == 1
    assert outbox_json(config)[0]["state"] == "sent"


def start_waiting_reply(config: Path, conv_id: str, body: Path) -> subprocess.Popen[str]:
    """`reply --send` with a long undo window, returned once the reply is queued and waiting."""
    child = subprocess.Popen(
        [sys.executable, "-m", "shared_inbox", "--config", str(config), "reply", conv_id]
        + ["--body-file", str(body), "--send", "--undo", "600", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "SHARED_INBOX_CONFIG"},
    )
    assert child.stderr is not None
    for line in child.stderr:  # once it says so, the reply is on disk and the process waits
        if line.startswith("Sending in"):
            break
    return child


def test_ctrl_c_during_the_undo_window_undoes(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver)
    conv_id = synced_conversation(config, mailbox)
    child = start_waiting_reply(config, conv_id, body_file(tmp_path))
    try:
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0 and "Undone" in stderr
    assert outbox_json(config) == [] and smtp_receiver.received == []


def test_killed_process_leaves_its_reply_queued_and_it_is_sent_after_restart(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver)
    conv_id = synced_conversation(config, mailbox)
    child = start_waiting_reply(config, conv_id, body_file(tmp_path))
    try:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL and child.stdout is not None
        queued = json.loads(child.stdout.read())
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    [entry] = outbox_json(config)
    assert entry["id"] == queued["id"] and entry["state"] == "held"
    assert smtp_receiver.received == []
    ok(cli(config, "outbox", "--send-now", entry["id"]))
    ok(cli(config, "outbox", "--flush"))
    assert len(smtp_receiver.received) == 1


def test_connection_cut_after_data_is_not_sent_twice(
    mailbox: Any, smtp_receiver_factory: Any, tmp_path: Path
) -> None:
    receiver = smtp_receiver_factory(drop_after_data=True)
    config = send_config(tmp_path, mailbox, receiver)
    conv_id = synced_conversation(config, mailbox)
    queue_reply(config, conv_id, body_file(tmp_path), "--undo", "0")

    cut = cli(config, "outbox", "--flush")
    assert cut.returncode == 1 and "unconfirmed" in cut.stderr
    again = cli(config, "outbox", "--flush")
    assert again.returncode == 1 and "1 unconfirmed" in again.stderr  # still in doubt, still said
    [mail] = receiver.received  # the server stored it once, and it was not sent again
    [entry] = outbox_json(config)
    assert entry["state"] == "unconfirmed" and "may have taken it" in entry["error"]
    assert folder_messages(mailbox, "Sent") == []

    # A copy shows up on the server (as a server that saves sent mail would file it): settled.
    mailbox.append("Sent", mail.raw, flags=["\\Seen"])
    ok(cli(config, "outbox", "--flush"))
    [entry] = outbox_json(config)
    assert entry["state"] == "sent" and "Sent" in entry["note"]
    assert len(receiver.received) == 1 and len(folder_messages(mailbox, "Sent")) == 1
    [conv] = list_json(config)
    assert entry["message_id"] in conv["message_ids"]


def test_starttls_with_login_and_a_private_ca(
    mailbox: Any, smtp_receiver_factory: Any, rig_ca_file: Path, tmp_path: Path
) -> None:
    receiver = smtp_receiver_factory(tls=True, auth=True)
    untrusted = send_config(tmp_path / "untrusted", mailbox, receiver, security="starttls", login=True)
    conv_id = synced_conversation(untrusted, mailbox)
    queue_reply(untrusted, conv_id, body_file(tmp_path), "--undo", "0")
    refused = cli(untrusted, "outbox", "--flush")
    assert refused.returncode == 1 and "is not trusted" in refused.stderr
    assert receiver.received == []

    trusted = send_config(
        tmp_path / "trusted", mailbox, receiver, security="starttls", login=True, ca_file=rig_ca_file
    )
    ok(cli(trusted, "sync", "--once", "--quiet"))
    queue_reply(trusted, conv_id, body_file(tmp_path), "--undo", "0")
    ok(cli(trusted, "outbox", "--flush"))
    [mail] = receiver.received
    assert mail.over_tls and mail.authenticated_as == receiver.user


def test_server_that_saves_sent_mail_gets_no_copy_from_us(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver, server_saves_sent=True)
    conv_id = synced_conversation(config, mailbox)
    queue_reply(config, conv_id, body_file(tmp_path), "--undo", "0")
    ok(cli(config, "outbox", "--flush"))
    assert len(smtp_receiver.received) == 1
    assert folder_messages(mailbox, "Sent") == []
    [entry] = outbox_json(config)
    assert entry["state"] == "sent" and entry["pending"] == []


def test_outbox_lists_failures_with_their_reason(
    mailbox: Any, smtp_receiver: SmtpReceiver, tmp_path: Path
) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver)
    conv_id = synced_conversation(config, mailbox)
    smtp_receiver.stop()
    queued = queue_reply(config, conv_id, body_file(tmp_path), "--undo", "0")
    cli(config, "outbox", "--flush")

    listing = ok(cli(config, "outbox")).stdout
    assert queued["id"] in listing and "queued" in listing and "refused the connection" in listing


def test_sync_watch_sends_outbox_mail_that_falls_due(
    mailbox: Any, smtp_receiver_factory: Any, tmp_path: Path
) -> None:
    receiver = smtp_receiver_factory()
    config = send_config(tmp_path, mailbox, receiver)
    conv_id = synced_conversation(config, mailbox)
    queued = queue_reply(config, conv_id, body_file(tmp_path), "--undo", "1")
    assert queued["state"] == "held"

    watcher = subprocess.Popen(
        [sys.executable, "-m", "shared_inbox", "--config", str(config), "sync", "--watch", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "SHARED_INBOX_CONFIG"},
    )
    try:
        [mail] = receiver.wait_for(1, timeout=60)  # a running instance sends it; nobody ran `outbox --flush`
        assert queued["message_id"] in mail.raw.decode()
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.communicate(timeout=60)
    [entry] = outbox_json(config)
    assert entry["state"] == "sent"


def test_reply_command_makes_the_conversation_pending_and_tracks_its_promise(
    mailbox: Any, smtp_receiver_factory: Any, tmp_path: Path
) -> None:
    config = send_config(tmp_path, mailbox, smtp_receiver_factory())
    conv_id = synced_conversation(config, mailbox)
    promising = body_file(tmp_path, "I'll get back to you by Friday.\n")
    queued = queue_reply(config, conv_id, promising)
    assert queued["changes"] == ["assigned to alice@example.com", "pending"]
    [promise] = queued["promises"]
    assert promise["text"] == "I'll get back to you by Friday."
    [conv] = list_json(config)
    assert conv["status"] == "pending" and conv["assignee"] == "alice@example.com"

    quiet = queue_reply(config, conv_id, promising, "--no-promises")
    assert quiet["promises"] == []


def test_compose_starts_a_conversation_that_is_the_agents_and_pending_once_sent(
    mailbox: Any, smtp_receiver_factory: Any, tmp_path: Path
) -> None:
    receiver = smtp_receiver_factory()
    config = send_config(tmp_path, mailbox, receiver)
    synced_conversation(config, mailbox)
    body = body_file(tmp_path, "Welcome aboard.\n")
    ok(cli(config, "compose", "--to", "ann customer <ANN@customer.test>", "--subject", "Your account",
           "--body-file", str(body), "--undo", "0"))  # fmt: skip
    ok(cli(config, "outbox", "--flush"))
    [mail] = receiver.wait_for(1)
    assert message_from_bytes(mail.raw, policy=policy.default)["To"] == f"Ann Customer <{CUSTOMER}>"
    [started] = [conv for conv in list_json(config) if conv["subject"] == "Your account"]
    assert started["status"] == "pending" and started["assignee"] == "alice@example.com"


def test_a_reply_quotes_an_original_the_store_had_not_fetched(
    mailbox: Any, smtp_receiver_factory: Any, tmp_path: Path
) -> None:
    receiver = smtp_receiver_factory()
    config = send_config(tmp_path, mailbox, receiver)
    mailbox.deliver(customer_mail(1, "Order problem"))
    ok(cli(config, "sync", "--once", "--quiet", "--headers-only"))
    [conv] = list_json(config)
    queue_reply(config, str(conv["id"]), body_file(tmp_path), "--undo", "0")
    ok(cli(config, "outbox", "--flush"))
    [mail] = receiver.wait_for(1)
    text = message_from_bytes(mail.raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "> Where is my order?" in text
