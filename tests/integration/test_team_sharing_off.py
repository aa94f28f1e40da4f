"""A server that refuses the team events folder: mail still syncs and idles, team sharing is
off on its own (said so, with why), and the watcher backs off instead of logging in again and again."""

from __future__ import annotations

import signal

import pytest

from tests.integration.fault_support import RETRY, LineReader, mail, start_cli
from tests.integration.support import cli, list_json, write_config
from tests.rig.cyrus import CyrusServer

pytestmark = pytest.mark.integration

STOP_BOUND = 10.0  # a bound on a hang, not a timing assertion
EVENTS = "INBOX.SharedInbox.Events"


def refused_events_folder(cyrus: CyrusServer):
    """A mailbox whose events folder exists but may not be read or written (its rights taken away)."""
    box = cyrus.new_mailbox("t")
    box.deliver(mail(1))
    with box.imap() as client:
        client.create_folder(EVENTS)
    cyrus.set_rights(box.user, EVENTS, "l")
    return box


def test_watch_keeps_mail_going_and_backs_off_team_sharing(cyrus, tmp_path):
    box = refused_events_folder(cyrus)
    config = write_config(tmp_path, box)
    proc = start_cli(config, "sync", "--watch")
    reader = LineReader(proc)
    try:
        reader.wait_for("[idle] INBOX")
        while sum("[team-off]" in line for line in reader.seen) < 2:
            reader.wait_for("[team-off]")
        proc.send_signal(signal.SIGINT)
        status = proc.wait(timeout=STOP_BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = reader.rest()
    team_lines = [line for line in text.splitlines() if "[team-off]" in line]
    assert status == 0, text
    assert "[offline]" not in text
    assert all("team sharing off: " in line and "Permission denied" in line for line in team_lines)
    assert [int(RETRY.search(line).group(1)) for line in team_lines][:2] == [1, 2]
    assert [c["message_ids"] for c in list_json(config)] == [["m1@customer.test"]]


def test_team_status_says_why_sharing_is_off_and_when_it_is_back(cyrus, tmp_path):
    box = refused_events_folder(cyrus)
    config = write_config(tmp_path, box)
    done = cli(config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    status = cli(config, "team", "status").stdout
    assert "Team sharing off: the IMAP server refused the events folder SharedInbox/Events" in status
    assert "Permission denied" in status
    cyrus.set_rights(box.user, EVENTS, "lrswipkxtecdan")
    assert cli(config, "sync", "--once").returncode == 0
    assert "Team sharing: on" in cli(config, "team", "status").stdout
