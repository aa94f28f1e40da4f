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
from tests.integration.support import cli, list_json
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
        reader.wait_for("1 new")
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
