"""Syncing a real mailbox through the real command line (the core cases on Dovecot and Cyrus)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from imapclient import IMAPClient

from shared_inbox.store import Store
from tests.integration.support import cli, list_json, write_config

pytestmark = pytest.mark.integration

BASE = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def mail(
    n: int,
    subject: str,
    sender: str = "ann@customer.test",
    *,
    refs: tuple[str, ...] = (),
    in_reply_to: str | None = None,
    message_id: str | None = "auto",
    body: str = "Hello, my order did not arrive.",
) -> bytes:
    lines = [
        f"From: Customer {n} <{sender}>",
        "To: Acme Support <support@example.com>",
        f"Subject: {subject}",
        f"Date: {format_datetime(BASE + timedelta(minutes=n))}",
    ]
    if message_id == "auto":
        lines.append(f"Message-ID: <m{n}@customer.test>")
    elif message_id:
        lines.append(f"Message-ID: <{message_id}>")
    if refs:
        lines.append("References: " + " ".join(f"<{r}>" for r in refs))
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


def test_sync_threads_mail_into_conversations(any_mailbox, tmp_path):
    any_mailbox.deliver(mail(1, "Order problem"))
    any_mailbox.deliver(mail(2, "Re: Order problem", refs=("m1@customer.test",)))
    any_mailbox.deliver(mail(3, "Order problem", sender="bob@other.test"))  # same subject, other customer
    any_mailbox.deliver(mail(4, "Re: Order problem", in_reply_to="m1@customer.test"))  # no References
    config = write_config(tmp_path, any_mailbox)
    done = cli(config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    convs = list_json(config)
    groups = sorted(sorted(c["message_ids"]) for c in convs)
    assert groups == [
        ["m1@customer.test", "m2@customer.test", "m4@customer.test"],
        ["m3@customer.test"],
    ]
    assert {c["customer"]["email"] for c in convs} == {"ann@customer.test", "bob@other.test"}
    assert all(c["status"] == "active" and c["assignee"] is None for c in convs)


def test_resync_adds_only_new_mail_and_keeps_state(mailbox, tmp_path):
    mailbox.deliver(mail(1, "Refund"))
    config = write_config(tmp_path, mailbox)
    assert cli(config, "sync", "--once").returncode == 0
    conv = list_json(config)[0]
    changed = cli(config, "set", conv["id"], "--assign", "me", "--status", "pending", "--tag", "billing")
    assert changed.returncode == 0, changed.stderr
    assert cli(config, "sync", "--once").returncode == 0  # nothing new
    mailbox.deliver(mail(2, "Re: Refund", refs=("m1@customer.test",)))
    assert cli(config, "sync", "--once").returncode == 0
    (conv,) = list_json(config)
    assert conv["message_ids"] == ["m1@customer.test", "m2@customer.test"]
    assert conv["assignee"] == "alice@example.com"
    assert conv["tags"] == ["billing"]
    # The customer wrote again after the conversation was set pending: it is active again.
    assert conv["status"] == "active"


def test_killed_sync_resumes_without_duplicates_or_gaps(mailbox, tmp_path):
    count = 600
    mailbox.bulk_seed(mail(i, f"Question {i}") for i in range(count))
    config = write_config(tmp_path, mailbox, batch_size=25)
    env = dict(os.environ)
    for attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "shared_inbox", "--config", str(config), "sync", "--headers-only"],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert proc.stderr is not None
        for lines, _ in enumerate(proc.stderr, start=1):
            if lines == 2 + attempt:  # killed mid-batch, at a different point each time
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = cli(config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    convs = list_json(config)
    ids = [mid for c in convs for mid in c["message_ids"]]
    assert len(ids) == len(set(ids)) == count
    assert set(ids) == {f"m{i}@customer.test" for i in range(count)}
    with Store.open(tmp_path / "store") as store:
        assert len(store.uid_map("INBOX")) == count


def test_uidvalidity_change_keeps_local_state(imap_server, any_mailbox, tmp_path):
    for i in range(5):
        any_mailbox.deliver(mail(i, f"Topic {i}"))
    config = write_config(tmp_path, any_mailbox)
    assert cli(config, "sync", "--once").returncode == 0
    target = next(c for c in list_json(config) if c["message_ids"] == ["m2@customer.test"])
    assert cli(config, "set", target["id"], "--assign", "bob@example.com", "--tag", "vip").returncode == 0
    with Store.open(tmp_path / "store") as store:
        before = store.folder_state("INBOX").uidvalidity
    imap_server.reset_uidvalidity(any_mailbox.user, "INBOX")
    done = cli(config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    assert "UIDVALIDITY" in done.stderr
    convs = list_json(config)
    assert len(convs) == 5
    again = next(c for c in convs if c["message_ids"] == ["m2@customer.test"])
    assert again["assignee"] == "bob@example.com" and again["tags"] == ["vip"]
    with Store.open(tmp_path / "store") as store:
        assert store.folder_state("INBOX").uidvalidity != before
        assert len(store.uid_map("INBOX")) == 5
        assert all(len(m.locations) == 1 for m in store.messages())


def test_flags_sync_both_ways(any_mailbox, tmp_path):
    from shared_inbox.config import load_config
    from shared_inbox.services.flags import PendingFlags
    from shared_inbox.services.session import open_session

    any_mailbox.deliver(mail(1, "One"))
    any_mailbox.deliver(mail(2, "Two"))
    config = write_config(tmp_path, any_mailbox)
    assert cli(config, "sync", "--once").returncode == 0
    with IMAPClient("127.0.0.1", port=any_mailbox.port, ssl=False) as client:
        client.login(any_mailbox.user, any_mailbox.password)
        client.select_folder("INBOX")
        uids = sorted(client.search("ALL"))
        client.add_flags([uids[0]], [b"\\Flagged", b"\\Seen"])
    with open_session(load_config(config)) as session:
        session.sync_service(fetch_bodies=False).sync_once()
        assert session.store.message("m1@customer.test").flags == {"\\Flagged", "\\Seen"}
        PendingFlags(session.store).mark(["m2@customer.test"], "\\Seen", True)
        PendingFlags(session.store).mark(["m1@customer.test"], "\\Flagged", False)
        session.sync_service(fetch_bodies=False).sync_once()
        assert PendingFlags(session.store).load() == []
    with IMAPClient("127.0.0.1", port=any_mailbox.port, ssl=False) as client:
        client.login(any_mailbox.user, any_mailbox.password)
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(uids)
    assert set(flags[uids[0]]) == {b"\\Seen"}
    assert set(flags[uids[1]]) == {b"\\Seen"}


def test_malformed_mail_does_not_stop_the_sync(mailbox, tmp_path):
    mailbox.deliver(
        b"Subject: =?utf-8?B?broken\r\nFrom: \x1b]0;pwn\x07 <<<>>>\r\nDate: not a date\r\n\r\nbody\r\n"
    )
    mailbox.deliver(mail(1, "Fine", message_id=None))
    mailbox.deliver(mail(2, "\x1b[2J[@click=app.quit]x[/]"))
    config = write_config(tmp_path, mailbox)
    done = cli(config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    convs = list_json(config)
    assert len(convs) == 3
    for conv in convs:
        assert "\x1b" not in conv["subject"] and "\x07" not in conv["subject"]


def test_watch_sees_new_mail_and_survives_a_dropped_connection(imap_server, any_mailbox, tmp_path):
    any_mailbox.deliver(mail(1, "First"))
    config = write_config(tmp_path, any_mailbox)
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared_inbox", "--config", str(config), "sync", "--watch"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    reader = LineReader(proc)
    try:
        assert reader.wait_for("[idle]"), reader.seen
        any_mailbox.deliver(mail(2, "Second"))
        assert reader.wait_for("1 new"), reader.seen
        imap_server.kick(any_mailbox.user)
        assert reader.wait_for("[offline]"), reader.seen
        any_mailbox.deliver(mail(3, "Third"))
        assert reader.wait_for("1 new"), reader.seen
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    # The store was released and holds all three.
    assert sorted(m for c in list_json(config) for m in c["message_ids"]) == [
        "m1@customer.test",
        "m2@customer.test",
        "m3@customer.test",
    ]


class LineReader:
    """Reads a child's stderr in a thread so waiting for a line can time out."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert proc.stderr is not None
        stream = proc.stderr
        threading.Thread(target=lambda: [self.lines.put(line) for line in stream], daemon=True).start()

    def wait_for(self, needle: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(line)
            if needle in line:
                return True
        return False


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"password": "wrong"}, "login failed"),
        ({"port": 1}, "refused the connection"),
        ({"ca_file": False, "security": "tls"}, "not trusted"),
    ],
)
def test_connection_problems_are_one_clear_sentence(mailbox, tmp_path, change, expected):
    config = write_config(tmp_path, mailbox, **change)
    done = cli(config, "sync", "--once")
    assert done.returncode == 1
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_huge_message_does_not_hold_up_the_others(mailbox, tmp_path):
    from shared_inbox.imap.sync import BACKGROUND_BODY_LIMIT

    huge_body = "x" * 76 + "\r\n"
    huge = mail(1, "Huge scan attached", body=huge_body * (BACKGROUND_BODY_LIMIT // len(huge_body) + 10))
    mailbox.deliver(huge)
    for i in range(2, 6):
        mailbox.deliver(mail(i, f"Small {i}"))
    config = write_config(tmp_path, mailbox)
    done = cli(config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    assert len(list_json(config)) == 5  # every header arrived, the huge one's too
    with Store.open(tmp_path / "store") as store:
        assert all(store.has_raw(f"m{i}@customer.test") for i in range(2, 6))
        assert not store.has_raw("m1@customer.test")  # left for when it is opened
    # Opening it fetches it on demand.
    from shared_inbox.config import load_config
    from shared_inbox.imap.sync import FolderSync
    from shared_inbox.services.session import open_session

    with open_session(load_config(config)) as session:
        service = session.sync_service()
        client = service.connect()
        try:
            engine = FolderSync(client, session.store, our_addresses=frozenset(), sent_folder="Sent")
            raw = engine.fetch_body("m1@customer.test")
        finally:
            client.logout()
        assert raw is not None and len(raw) > BACKGROUND_BODY_LIMIT
        assert session.store.has_raw("m1@customer.test")
