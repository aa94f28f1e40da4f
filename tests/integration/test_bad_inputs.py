"""Broken password sources and unusable config values, swept over the commands: each ends in
one sentence that names the problem, never a traceback."""

from __future__ import annotations

import pytest

from tests.integration.fault_support import mail
from tests.integration.support import cli, write_config

pytestmark = pytest.mark.integration

BROKEN_SOURCES = {
    "missing program": ('password_command = "no-such-program-here"', "was not found"),
    "exit status 1": ('password_command = "false"', "exit status 1"),
    "not executable": ('password_command = "{dir}/plain-file"', "not executable"),
    "unset variable": ('password_env = "SHARED_INBOX_TEST_UNSET"', "SHARED_INBOX_TEST_UNSET is not set"),
}
COMMANDS = {
    "sync --once": ("sync", "--once"),
    "sync --watch": ("sync", "--watch"),
    "team compact": ("team", "compact"),
}


def with_password_line(config, line: str) -> None:
    plain = config.parent / "plain-file"
    plain.write_text("#!/bin/sh\necho secret\n")
    plain.chmod(0o644)
    line = line.replace("{dir}", str(config.parent))
    text = config.read_text()
    start = text.index("password_command = ")
    end = text.index("\n", start)
    config.write_text(text[:start] + line + text[end:])


@pytest.mark.parametrize("source", BROKEN_SOURCES)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_failing_password_source_is_one_sentence(source, command, mailbox, tmp_path):
    config = write_config(tmp_path, mailbox)
    line, words = BROKEN_SOURCES[source]
    with_password_line(config, line)
    done = cli(config, *COMMANDS[command], timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [said] = done.stderr.strip().splitlines()
    assert said.startswith("shared-inbox: a password could not be obtained (imap.password")
    assert words in said and "config check" in said


@pytest.mark.parametrize("source", BROKEN_SOURCES)
def test_set_keeps_the_change_when_the_password_fails(source, mailbox, tmp_path):
    mailbox.deliver(mail(1))
    config = write_config(tmp_path, mailbox)
    assert cli(config, "sync", "--once", "--quiet").returncode == 0
    with_password_line(config, BROKEN_SOURCES[source][0])
    done = cli(config, "set", "m1@customer.test", "--status", "closed")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "change saved; it reaches teammates at the next sync" in done.stderr
