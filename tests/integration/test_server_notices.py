"""What servers say beyond mail: [ALERT]s reach the user, a login refused for now is retried."""

from __future__ import annotations

import os
import threading

import pytest
from imapclient.exceptions import IMAPClientError

from tests.integration.fault_support import RETRY, LineReader, mail, start_cli
from tests.integration.support import cli, write_config
from tests.rig.cyrus import CyrusServer
from tests.rig.dovecot import DovecotServer, RigMailbox

pytestmark = pytest.mark.integration


@pytest.fixture
def alerting_cyrus(cyrus: CyrusServer):
    cyrus.set_alert("Maintenance tonight at 22:00 \x1b[2J[red]UTC[/]")
    yield cyrus
    cyrus.set_alert(None)


def test_a_server_alert_is_shown_as_plain_text(alerting_cyrus, tmp_path):
    box = alerting_cyrus.new_mailbox("t")
    box.deliver(mail(1))
    done = cli(write_config(tmp_path, box), "sync", "--once", "--quiet")
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("[alert]")]
    assert "Maintenance tonight at 22:00" in line and "\x1b" not in line


def test_a_login_refused_for_now_is_retried_with_backoff(dovecot: DovecotServer, tmp_path):
    box = dovecot.new_mailbox("t")
    box.deliver(mail(1))
    passwd = dovecot.layout.users / box.user
    os.chmod(passwd, 0)  # Dovecot answers: NO [UNAVAILABLE] Temporary authentication failure
    later = passwd.stat().st_mtime + 2
    os.utime(passwd, (later, later))  # ... once it sees the file changed (its mtime has one-second steps)
    wait_until_refused_for_now(dovecot, box)
    proc = start_cli(write_config(tmp_path, box), "sync", "--watch")
    reader = LineReader(proc)
    try:
        first = reader.wait_for("[offline]")
        second = reader.wait_for("[offline]")
        os.chmod(passwd, 0o600)
        os.utime(passwd, (later + 2, later + 2))
        reader.wait_for("[idle] INBOX")
    finally:
        os.chmod(passwd, 0o600)
        proc.terminate()
        proc.wait(timeout=10)
    assert "UNAVAILABLE" in first and "[auth-failed]" not in "".join(reader.seen)
    assert [int(RETRY.search(line).group(1)) for line in (first, second)] == [1, 2]


def wait_until_refused_for_now(server: DovecotServer, box: RigMailbox) -> None:
    """Dovecot looks at a changed passwd-file at most once a second: wait until it refuses (bounded)."""
    for _ in range(300):
        try:
            server.imap(box.user, box.password).logout()
        except IMAPClientError as exc:
            if "UNAVAILABLE" in str(exc):
                return
        threading.Event().wait(0.02)
    raise AssertionError("the server kept accepting the login")
