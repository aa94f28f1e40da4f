"""SIGKILL `shared-inbox set` at random moments while it records and ships a change: every change it
acknowledged reaches teammates, and the stores always open again."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.integration.support import cli, list_json, write_config
from tests.integration.team_support import customer_mail

pytestmark = pytest.mark.integration

ROUNDS = 10


def test_a_killed_set_loses_no_acknowledged_change(mailbox, tmp_path):
    mailbox.deliver(customer_mail(1))
    config_a = write_config(tmp_path / "a", mailbox, me="alice@example.com")
    config_b = write_config(tmp_path / "b", mailbox, me="bob@example.com")
    for config in (config_a, config_b):
        assert cli(config, "sync", "--once").returncode == 0
    rng = random.Random(8)
    acknowledged: set[str] = set()
    env = {k: v for k, v in os.environ.items() if k != "SHARED_INBOX_CONFIG"}
    for round_no in range(ROUNDS):
        tag = f"r{round_no}"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared_inbox",
                "--config",
                str(config_a),
                "set",
                "q1@customer.test",
                "--tag",
                tag,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        time.sleep(rng.uniform(0.2, 1.2))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode == 0:
            acknowledged.add(tag)
    assert cli(config_a, "sync", "--once").returncode == 0  # ships whatever a killed run left queued
    done = cli(config_b, "sync", "--once")
    assert done.returncode == 0, done.stderr
    (seen_by_a,) = list_json(config_a)
    (seen_by_b,) = list_json(config_b)
    assert acknowledged <= set(seen_by_b["tags"])
    assert seen_by_a["tags"] == seen_by_b["tags"]
