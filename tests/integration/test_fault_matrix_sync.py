"""Every IMAP stage cut for each way of syncing: `sync --once`, `sync --watch` and the team exchange.

A FaultProxy sits between the real command and the real Dovecot. For each stage: no
traceback, one clear sentence, the right exit status, a backoff that grows while the
command keeps running, and after the fault clears the store holds every message once.
"""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests.integration.fault_support import (
    LineReader,
    mail,
    main_loop_wait,
    main_loop_waits,
    proxied_config,
    start_cli,
)
from tests.integration.support import cli, list_json, write_config
from tests.rig.faultproxy import Fault

pytestmark = pytest.mark.integration

SYNC_STAGES = ["greeting", "capability", "starttls", "login", "select", "fetch-literal"]
WATCH_STAGES = [*SYNC_STAGES, "idle"]


def message_ids(config) -> list[str]:
    return sorted(m for conv in list_json(config) for m in conv["message_ids"])


@pytest.mark.parametrize("stage", SYNC_STAGES)
def test_sync_once_cut_is_one_sentence_and_the_next_sync_completes(stage, mailbox, imap_proxy, tmp_path):
    for n in (1, 2, 3):
        mailbox.deliver(mail(n))
    config = proxied_config(tmp_path, mailbox, imap_proxy, stage)
    imap_proxy.inject(Fault("cut", stage=stage))
    done = cli(config, "sync", "--once", "--quiet")
    assert imap_proxy.hits == 1
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "connection to the IMAP server" in line and "was lost" in line, line
    assert "socket error" not in line and "=>" not in line
    again = cli(config, "sync", "--once", "--quiet")
    assert again.returncode == 0, again.stderr
    assert message_ids(config) == ["m1@customer.test", "m2@customer.test", "m3@customer.test"]


@pytest.mark.parametrize("stage", WATCH_STAGES)
def test_sync_watch_backs_off_longer_each_time_then_recovers(stage, mailbox, imap_proxy, tmp_path):
    mailbox.deliver(mail(1))
    config = proxied_config(tmp_path, mailbox, imap_proxy, stage)
    imap_proxy.inject(Fault("cut", stage=stage, times=None))
    proc = start_cli(config, "sync", "--watch")
    reader = LineReader(proc)
    try:
        reader.wait_for(main_loop_wait(2))
        imap_proxy.clear()
        reader.wait_for("[idle]")
        mailbox.deliver(mail(2))
        reader.wait_for("1 new", timeout=90)  # Dovecot polls every 30 s when inotify is exhausted
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            status = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    text = reader.rest()
    assert status == 0, text
    assert "Traceback" not in text
    assert main_loop_waits(reader.seen)[:2] == [1, 2], text
    offline = next(line for line in reader.seen if "[offline]" in line and "team events" not in line)
    assert "connection to the IMAP server" in offline and "was lost" in offline, offline
    assert message_ids(config) == ["m1@customer.test", "m2@customer.test"]


TEAM_STAGES = ["greeting", "capability", "starttls", "login", "append"]


@pytest.mark.parametrize("stage", TEAM_STAGES)
def test_team_exchange_cut_keeps_the_change_and_ships_it_once(stage, mailbox, imap_proxy, tmp_path):
    mailbox.deliver(mail(1))
    alice = proxied_config(tmp_path / "a", mailbox, imap_proxy, stage, me="alice@example.com")
    bob = write_config(tmp_path / "b", mailbox, me="bob@example.com")
    for config in (alice, bob):
        assert cli(config, "sync", "--once", "--quiet").returncode == 0
    imap_proxy.inject(Fault("cut", stage=stage))
    done = cli(alice, "set", "m1@customer.test", "--assign", "bob@example.com")
    assert imap_proxy.hits == 1
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    [warning] = done.stderr.strip().splitlines()
    assert "change saved; it reaches teammates at the next sync" in warning and "was lost" in warning
    assert list_json(alice)[0]["assignee"] == "bob@example.com"
    assert cli(alice, "sync", "--once", "--quiet").returncode == 0  # the fault is gone: it ships now
    assert "at most 0 event(s)" in cli(alice, "team", "status").stdout
    received = cli(bob, "sync", "--once")
    assert "1 teammate changes" in received.stderr
    assert list_json(bob)[0]["assignee"] == "bob@example.com"


@pytest.mark.parametrize(
    ("direction", "after"), [("down", 20), ("down", 60), ("down", 120), ("down", 200), ("up", 10)]
)
def test_sync_once_cut_after_some_bytes_is_one_sentence(direction, after, mailbox, imap_proxy, tmp_path):
    mailbox.deliver(mail(1))
    config = proxied_config(tmp_path, mailbox, imap_proxy, "starttls")
    imap_proxy.inject(Fault("cut", after_bytes=after, direction=direction))
    done = cli(config, "sync", "--once", "--quiet")
    assert imap_proxy.hits == 1
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "was lost" in line, line
    assert cli(config, "sync", "--once", "--quiet").returncode == 0
    assert message_ids(config) == ["m1@customer.test"]


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("refuse", "refused the connection"),
        ("close", "was lost before it greeted"),
        pytest.param("stall", "stopped answering", marks=pytest.mark.slow),  # waits out the 30 s timeout
    ],
)
def test_sync_once_against_a_refusing_closing_or_silent_server(kind, words, mailbox, imap_proxy, tmp_path):
    mailbox.deliver(mail(1))
    config = proxied_config(tmp_path, mailbox, imap_proxy, "starttls")
    imap_proxy.inject(Fault(kind, times=None))
    done = cli(config, "sync", "--once", "--quiet")
    imap_proxy.clear()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert words in line, line
    assert cli(config, "sync", "--once", "--quiet").returncode == 0
    assert message_ids(config) == ["m1@customer.test"]
