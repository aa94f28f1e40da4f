"""The embedded demo mailbox: real IMAP and SMTP on loopback, seeded, synced, triaged, cleaned up."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import psutil
import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from shared_inbox.cli.demo_cmd import summary_line
from shared_inbox.corpus import support_mail_demo
from shared_inbox.demo import DemoMailbox, open_demo
from shared_inbox.demo.seed import ANSWERED, SEEN, demo_deliveries
from shared_inbox.demo.smtp_receiver import route
from shared_inbox.demo.state import DEMO_TRIAGE, agent_address
from shared_inbox.demo.workspace import SUPPORT_ADDRESS, demo_team
from shared_inbox.domain.model import Conversation, Status
from shared_inbox.services.session import Session, open_session
from shared_inbox.store import Store
from tests.integration.support import cli

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 10, 14, 30, tzinfo=UTC)
KNOWN_SUBJECT = "Problème de facturation"
CUSTOMER = "chloe.dubois@courriel-fr.example"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoMailbox]:
    with open_demo(now=NOW, parent=tmp_path) as running:
        yield running


def by_customer(session: Session, email: str, subject: str) -> Conversation:
    matches = [
        c
        for c in session.inbox.conversations()
        if c.customer and c.customer.email == email and c.subject == subject
    ]
    assert len(matches) == 1, [c.subject for c in session.inbox.conversations()]
    return matches[0]


def demo_env(tmp: Path) -> dict[str, str]:
    """The environment of a demo subprocess: its temp files go to `tmp`; a wide table."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmp), COLUMNS="220")
    env.pop("SHARED_INBOX_CONFIG", None)
    return env


# -- the command ---------------------------------------------------------------


def test_demo_no_ui_prints_the_synced_conversations_and_removes_its_files(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    done = subprocess.run(
        [sys.executable, "-m", "shared_inbox", "demo", "--no-ui"],
        capture_output=True,
        text=True,
        timeout=180,
        env=demo_env(tmp),
    )
    assert done.returncode == 0, done.stderr
    assert KNOWN_SUBJECT in done.stdout
    assert "Bestellung für Müller GmbH" in done.stdout
    assert "pending" in done.stdout and "closed" in done.stdout
    assert "shared-inbox demo --serve" in done.stdout
    assert "Traceback" not in done.stderr
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_demo_serve_listens_on_loopback_only_and_cleans_up_when_stopped(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    tmp = tmp_path / "tmp"
    process = subprocess.Popen(
        [sys.executable, "-m", "shared_inbox", "demo", "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=demo_env(tmp),
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Press Ctrl+C"):
            line = process.stdout.readline()
            assert line, f"the demo ended early: {''.join(lines)}"
            lines.append(line)
        config = Path(
            next(line for line in lines if line.startswith("Config: ")).removeprefix("Config: ").strip()
        )
        assert config.is_relative_to(tmp)

        listening = [c for c in psutil.Process(process.pid).net_connections("inet") if c.status == "LISTEN"]
        assert len(listening) == 2
        assert {c.laddr.ip for c in listening} == {"127.0.0.1"}

        # The printed config works with the other commands while the demo runs.
        listed = cli(config, "list", "--json", "--query", "status:pending")
        assert listed.returncode == 0, listed.stderr
        pending = json.loads(listed.stdout)
        assert pending and {c["status"] for c in pending} == {"pending"}
        synced = cli(config, "sync")
        assert synced.returncode == 0, synced.stderr

        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not config.exists()
    assert list(tmp.iterdir()) == []


# -- the servers -----------------------------------------------------------------


def test_embedded_imap_server_serves_the_seeded_mail_over_real_imap(demo: DemoMailbox) -> None:
    seeded = support_mail_demo(NOW)
    inbox_raw = [raw for folder, raw in seeded if folder == "INBOX"]
    sent_raw = [raw for folder, raw in seeded if folder == "Sent"]
    servers = demo.addresses
    assert servers.host == "127.0.0.1"

    client = IMAPClient(servers.host, port=servers.imap_port, ssl=False, timeout=30)
    try:
        client.login(servers.username, servers.password)
        folders = {name for _, _, name in client.list_folders()}
        assert {"INBOX", "Sent"} <= folders
        assert client.select_folder("Sent", readonly=True)[b"EXISTS"] == len(sent_raw)
        assert client.select_folder("INBOX")[b"EXISTS"] == len(inbox_raw)
        uids = client.search("ALL")
        bodies = client.fetch(uids, [b"BODY.PEEK[]", b"FLAGS"])
        assert sorted(item[b"BODY[]"] for item in bodies.values()) == sorted(inbox_raw)

        # Flags set by a client persist.
        client.add_flags([uids[0]], [b"\\Flagged"])
        assert b"\\Flagged" in client.fetch([uids[0]], [b"FLAGS"])[uids[0]][b"FLAGS"]
    finally:
        client.logout()

    with pytest.raises(LoginError):
        IMAPClient(servers.host, port=servers.imap_port, ssl=False, timeout=30).login(
            servers.username, "wrong"
        )


def test_mail_sent_through_the_demo_smtp_server_comes_back_into_the_mailbox(demo: DemoMailbox) -> None:
    servers = demo.addresses
    with open_session(demo.config) as session:
        conv = by_customer(session, CUSTOMER, KNOWN_SUBJECT)
        parent = session.inbox.messages_of(conv)[-1].message_id

    reply = EmailMessage()
    reply["From"] = f"Dana via Acme Support <{SUPPORT_ADDRESS}>"
    reply["To"] = CUSTOMER
    reply["Subject"] = f"Re: {KNOWN_SUBJECT}"
    reply["Date"] = format_datetime(NOW)
    reply["Message-ID"] = reply_id = make_msgid(domain="example.com")
    reply["In-Reply-To"] = f"<{parent}>"
    reply["References"] = f"<{parent}>"
    reply.set_content("Bonjour Chloé, la facture corrigée est en pièce jointe.")

    question = EmailMessage()
    question["From"] = "Nora Quinn <nora@newcustomer.example>"
    question["To"] = SUPPORT_ADDRESS
    question["Subject"] = "Do you ship to Iceland?"
    question["Date"] = format_datetime(NOW)
    question["Message-ID"] = question_id = make_msgid(domain="newcustomer.example")
    question.set_content("Hello, do you ship to Reykjavik?")

    with smtplib.SMTP(servers.host, servers.smtp_port, timeout=30) as smtp:
        smtp.send_message(reply)
        smtp.send_message(question)
        stranger = EmailMessage()
        stranger["From"] = "someone@elsewhere.example"
        stranger["To"] = "other@elsewhere.example"
        stranger["Subject"] = "relay me"
        stranger.set_content("no")
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.send_message(stranger)

    with open_session(demo.config) as session:
        result = session.sync_service().sync_once()
        assert sorted(result.new_ids) == sorted([reply_id.strip("<>"), question_id.strip("<>")])

        sent = session.inbox.messages[reply_id.strip("<>")]
        assert [loc.folder for loc in sent.locations] == ["Sent"]
        assert sent.outgoing and not sent.unread
        assert reply_id.strip("<>") in by_customer(session, CUSTOMER, KNOWN_SUBJECT).message_ids

        new = session.inbox.messages[question_id.strip("<>")]
        assert [loc.folder for loc in new.locations] == ["INBOX"]
        assert new.unread and not new.outgoing
        assert (
            by_customer(session, "nora@newcustomer.example", "Do you ship to Iceland?").state.status
            is Status.ACTIVE
        )


def test_smtp_routing_files_team_mail_in_sent_and_support_mail_in_inbox() -> None:
    team = frozenset({SUPPORT_ADDRESS, "dana@example.com"})

    def folders(mail_from: str, *rcpts: str) -> list[str]:
        return [f for f, _ in route(mail_from, rcpts, support_address=SUPPORT_ADDRESS, team_addresses=team)]

    assert folders("<Support@Example.com>", "c@x.example") == ["Sent"]
    assert folders("c@x.example", "support@example.com") == ["INBOX"]
    assert folders("dana@example.com", "c@x.example", "SUPPORT@example.com") == ["Sent", "INBOX"]
    assert folders("c@x.example", "d@x.example") == []
    assert folders("", "d@x.example") == []


# -- the seeded data ---------------------------------------------------------------


def test_demo_mail_is_dated_relative_to_now_with_answered_mail_read() -> None:
    seeded = support_mail_demo(NOW)
    deliveries = demo_deliveries(seeded, NOW)
    assert [(d.folder, d.raw) for d in deliveries] == seeded
    assert all(NOW - timedelta(days=14) < d.when <= NOW for d in deliveries)
    assert max(d.when for d in deliveries) > NOW - timedelta(hours=12)
    assert all(d.flags == {SEEN} for d in deliveries if d.folder == "Sent")
    inbox = [d for d in deliveries if d.folder == "INBOX"]
    answered = [d for d in inbox if ANSWERED in d.flags]
    assert answered and all(SEEN in d.flags for d in answered)
    assert any(not d.flags for d in inbox)


def test_demo_state_is_an_event_log_written_through_the_command_layer(demo: DemoMailbox) -> None:
    assert demo.state is not None and demo.state.unmatched == []
    team = {m.email for m in demo_team()}
    with open_session(demo.config) as session:
        for entry in DEMO_TRIAGE:
            conv = by_customer(session, entry.customer, entry.subject)
            assert conv.state.status.value == (entry.status or "active"), entry
            expected_assignee = agent_address(entry.agent) if entry.agent else None
            assert conv.state.assignee == expected_assignee, entry
            assert set(entry.tags) <= conv.state.tags, entry
            if expected_assignee:
                assert expected_assignee in team
            if entry.snooze_for is not None:
                assert conv.state.snoozed_until == NOW + entry.snooze_for
        convs = session.inbox.conversations()
        statuses = {c.state.status for c in convs}
        assert statuses == set(Status)
        # Mail nobody has answered for over a day is left waiting, and the summary says so.
        line = summary_line(convs, now=NOW)
        assert "0 waiting" not in line
        assert len(session.inbox.events) == demo.state.changes
        assert {e.author for e in session.inbox.events} == {demo.config.team.me}
        # Stamped with the moment the mail is dated from, so no seeded mail reopens a conversation.
        assert {e.at for e in session.inbox.events} == {NOW}

    with Store.open(demo.config.store.path) as store:
        assert len(list(store.events())) == demo.state.changes


def test_demo_files_are_private_and_removed_on_close(tmp_path: Path) -> None:
    demo = open_demo(now=NOW, parent=tmp_path)
    try:
        assert demo.directory.parent == tmp_path
        assert demo.directory.stat().st_mode & 0o077 == 0
        assert demo.config_path.stat().st_mode & 0o077 == 0
        assert demo.config.imap.host == "127.0.0.1" and demo.config.smtp.host == "127.0.0.1"
        assert demo.config.smtp.server_saves_sent
        assert demo.addresses.password not in demo.config_path.read_text()
    finally:
        demo.close()
    assert list(tmp_path.iterdir()) == []
    demo.close()  # a second close is harmless


def test_demo_shows_saved_replies_promises_notes_and_a_profile(demo: DemoMailbox) -> None:
    from shared_inbox.demo.extras import CANNED_REPLIES, DEMO_PROMISES
    from shared_inbox.services.deadlines import tracker_for
    from shared_inbox.services.notes import conversation_notes, customer_record

    listed = json.loads(cli(demo.config_path, "canned", "--json").stdout)
    assert len(listed) == len(CANNED_REPLIES)
    assert all(not reply["problems"] for reply in listed)
    with open_session(demo.config) as session:
        tracker = tracker_for(session)
        for promise in DEMO_PROMISES:
            conv = by_customer(session, promise.customer, promise.subject)
            texts = [item.text for item in tracker.of(conv, NOW).promises]
            assert promise.text in texts
        damaged = by_customer(session, "siobhan@freemail.example", "Item arrived damaged")
        [note] = conversation_notes(session.inbox, damaged.id)
        assert agent_address("sam") in note.mentions
        record = customer_record(session.inbox, "j.schroeder@mueller-gmbh.example")
        assert record.value("company") == "Müller GmbH" and record.notes
    due = json.loads(cli(demo.config_path, "due", "--json", "--within", "1h").stdout)
    assert any("Item arrived damaged" in json.dumps(entry, ensure_ascii=False) for entry in due)
