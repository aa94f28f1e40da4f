"""Every SMTP stage cut while `outbox --flush` sends, through a FaultProxy in front of the real
SMTP receiver (which passes accepted mail on to the Dovecot mailbox).

Before the final dot nothing can have been delivered: the reply is retried and goes out
once. After the final dot the server may have it: the entry is unconfirmed, never sent again
by itself, and marked sent once it is found in the mailbox. Mid-body looks the same to the
client as after the dot, so it is unconfirmed too, and an explicit --retry sends it.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fault_support import LineReader, start_cli
from tests.integration.support import cli, write_config
from tests.rig.faultproxy import Fault, FaultProxy
from tests.rig.smtp import OnwardDelivery

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

BEFORE_DATA = {  # stage -> the words `outbox --flush` uses for it
    "greeting": "lost while connecting",
    "ehlo": "lost while connecting",
    "starttls": "lost while connecting",
    "auth": "lost while logging in",
    "mail": "lost at MAIL FROM, before the message was sent",
    "rcpt": "lost at RCPT TO, before the message was sent",
    "data": "lost at DATA, before the message was sent",
}
IN_DOUBT = ("body", "after-dot")
BEFORE_TLS = frozenset({"greeting", "ehlo", "starttls"})


def proxied_send_config(directory: Path, mailbox: Any, proxy: FaultProxy, receiver: Any, tls: bool) -> Path:
    path = write_config(directory, mailbox)
    lines = [
        f"port = {proxy.port}",
        f'security = "{"starttls" if tls else "none"}"',
        f'username = "{receiver.user}"',
        f'password_command = "printf %s {receiver.password}"',
    ]
    if tls:
        lines.append(f'tls_ca_file = "{mailbox.ca_file}"')
    text = path.read_text()
    placeholder = 'port = 2525\nsecurity = "none"'
    assert placeholder in text
    path.write_text(text.replace(placeholder, "\n".join(lines)))
    return path


def entries(config: Path) -> list[dict[str, Any]]:
    done = cli(config, "outbox", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def queue_mail(config: Path, tmp_path: Path) -> str:
    body = tmp_path / "body.txt"
    body.write_text("We are on it.\n")
    done = cli(
        config, "compose", "--to", "ann@customer.test", "--subject", "Your order",
        "--body-file", str(body), "--undo", "0", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["id"]


@pytest.fixture
def sending(dovecot, mailbox, smtp_receiver_factory, fault_proxy_factory, tmp_path, request):
    stage = request.param
    tls = stage in BEFORE_TLS
    receiver = smtp_receiver_factory(tls=tls, auth=True, onward=OnwardDelivery(dovecot, mailbox.user))
    proxy = fault_proxy_factory(receiver.port, "smtp")
    config = proxied_send_config(tmp_path, mailbox, proxy, receiver, tls)
    return stage, receiver, proxy, config


def assert_one_clear_failure(done, words: str) -> None:
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert words in done.stderr, done.stderr
    assert "=>" not in done.stderr and "socket error" not in done.stderr


@pytest.mark.parametrize("sending", list(BEFORE_DATA), indirect=True)
def test_a_cut_before_the_final_dot_is_retried_and_sent_once(sending, tmp_path):
    stage, receiver, proxy, config = sending
    entry_id = queue_mail(config, tmp_path)
    proxy.inject(Fault("cut", stage=stage))
    first = cli(config, "outbox", "--flush")
    assert proxy.hits == 1
    assert_one_clear_failure(first, BEFORE_DATA[stage])
    assert "to be retried" in first.stderr
    [entry] = entries(config)
    assert entry["id"] == entry_id and entry["state"] == "queued"
    assert receiver.received == []
    second = cli(config, "outbox", "--flush")
    assert second.returncode == 0, second.stderr
    [entry] = entries(config)
    assert entry["state"] == "sent" and entry["error"] is None
    assert len(receiver.received) == 1


@pytest.mark.parametrize("sending", ["after-dot"], indirect=True)
def test_a_cut_after_the_final_dot_is_confirmed_from_the_mailbox_not_resent(sending, tmp_path):
    stage, receiver, proxy, config = sending
    queue_mail(config, tmp_path)
    proxy.inject(Fault("cut", stage=stage))
    first = cli(config, "outbox", "--flush")
    # The server took it and passed it on: the same round finds it in the mailbox.
    assert first.returncode == 0, first.stderr
    assert "1 confirmed" in first.stderr and "Traceback" not in first.stderr
    [entry] = entries(config)
    assert entry["state"] == "sent" and entry["error"] is None
    assert "Delivery confirmed" in entry["note"]
    again = cli(config, "outbox", "--flush")
    assert again.returncode == 0, again.stderr
    assert len(receiver.received) == 1  # not sent twice


@pytest.mark.parametrize("sending", ["body"], indirect=True)
def test_a_cut_mid_body_stays_unconfirmed_until_the_agent_retries(sending, tmp_path):
    stage, receiver, proxy, config = sending
    entry_id = queue_mail(config, tmp_path)
    proxy.inject(Fault("cut", stage=stage))
    assert_one_clear_failure(cli(config, "outbox", "--flush"), "after the message was handed over")
    assert receiver.received == []
    again = cli(config, "outbox", "--flush")  # a later round: still in doubt, so still a failure
    assert_one_clear_failure(again, "unconfirmed")
    assert receiver.received == []  # never sent again by itself
    retried = cli(config, "outbox", "--retry", entry_id)
    assert retried.returncode == 0, retried.stderr
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    "signum",
    [signal.SIGKILL, pytest.param(signal.SIGTERM, marks=pytest.mark.slow), signal.SIGINT],
)
@pytest.mark.parametrize("sending", ["data", "after-dot"], indirect=True)
def test_a_flush_killed_mid_send_is_finished_by_the_next_once(sending, signum, tmp_path):
    stage, receiver, proxy, config = sending
    queue_mail(config, tmp_path)
    proxy.inject(Fault("stall", stage=stage))  # the send hangs at DATA, or after the final dot
    proc = start_cli(config, "outbox", "--flush")
    try:
        proxy.wait_for_hits(1)
        proc.send_signal(signum)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proxy.clear()
    said = LineReader(proc).rest()
    assert "Traceback" not in said and len(said.strip().splitlines()) <= 1, said
    done = cli(config, "outbox", "--flush")
    assert done.returncode == 0, done.stderr
    [entry] = entries(config)
    assert entry["state"] == "sent" and entry["error"] is None
    assert len(receiver.received) == 1  # delivered, and once


def test_a_cut_while_filing_the_sent_copy_is_finished_by_the_next_round_once(
    dovecot, mailbox, smtp_receiver_factory, imap_proxy, tmp_path
):
    receiver = smtp_receiver_factory(auth=True)
    config = write_config(tmp_path, mailbox, port=imap_proxy.port, security="none")
    text = config.read_text().replace(
        'port = 2525\nsecurity = "none"',
        f'port = {receiver.port}\nsecurity = "none"\nusername = "{receiver.user}"\n'
        f'password_command = "printf %s {receiver.password}"',
    )
    config.write_text(text)
    queue_mail(config, tmp_path)
    imap_proxy.inject(Fault("cut", stage="append"))
    first = cli(config, "outbox", "--flush")
    assert imap_proxy.hits == 1
    assert_one_clear_failure(first, "was lost; the next round finishes the rest")
    assert len(receiver.received) == 1
    [entry] = entries(config)
    assert entry["state"] == "sent" and entry["pending"] == ["sent_copy"]
    second = cli(config, "outbox", "--flush")
    assert second.returncode == 0, second.stderr
    [entry] = entries(config)
    assert entry["pending"] == []
    with dovecot.imap(mailbox.user, mailbox.password) as client:
        client.select_folder("Sent", readonly=True)
        assert len(client.search(["HEADER", "Message-ID", entry["message_id"]])) == 1
    assert len(receiver.received) == 1
