"""Broken password sources and unusable config values, swept over the commands: each ends in
one sentence that names the problem, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.integration.fault_support import mail
from tests.integration.support import cli, write_config

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

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


def with_smtp(config, receiver, password: str | None) -> None:
    """Point [smtp] at a rig receiver, logging in with `password` when given."""
    login = f'\nusername = "{receiver.user}"\npassword_command = "printf %s {password}"' if password else ""
    text = config.read_text().replace("port = 2525", f"port = {receiver.port}{login}")
    config.write_text(text)


UNUSABLE_STORES = {
    "a file in the way": ("/etc/hostname/store", "not a directory"),
    "a file two levels up": ("/etc/hostname/shared/store", "not a directory"),
}


@pytest.mark.parametrize("store", UNUSABLE_STORES)
@pytest.mark.parametrize("command", [("sync", "--once"), ("list",), ("outbox",)])
def test_an_unusable_store_path_is_one_sentence(store, command, mailbox, tmp_path):
    path, words = UNUSABLE_STORES[store]
    config = write_config(tmp_path, mailbox, store=path)
    done = cli(config, *command)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [said] = done.stderr.strip().splitlines()
    assert f"The store at {path} cannot be used" in said and words in said


@pytest.mark.parametrize("store", UNUSABLE_STORES)
def test_config_check_fails_an_unusable_store_path(store, mailbox, smtp_receiver, tmp_path):
    path, words = UNUSABLE_STORES[store]
    config = write_config(tmp_path, mailbox, store=path)
    with_smtp(config, smtp_receiver, None)
    done = cli(config, "config", "check")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    rows = done.stdout.splitlines()
    [row] = [line for line in rows if line.strip().startswith("store") and "failed" in line]
    assert words in row
    assert "Result: ok." not in done.stdout


def test_config_check_logs_in_to_both_servers(any_mailbox, smtp_receiver_factory, tmp_path):
    receiver = smtp_receiver_factory(auth=True)
    config = write_config(tmp_path, any_mailbox)
    with_smtp(config, receiver, receiver.password)
    done = cli(config, "config", "check")
    assert done.returncode == 0, done.stdout
    assert "Result: ok." in done.stdout
    logins = done.stdout.split("Logins:")[1]
    assert "imap      ok: logged in" in logins and "smtp      ok: logged in" in logins


@pytest.mark.parametrize("wrong", ["imap", "smtp"])
def test_config_check_reports_a_wrong_password(wrong, any_mailbox, smtp_receiver_factory, tmp_path):
    receiver = smtp_receiver_factory(auth=True)
    config = write_config(tmp_path, any_mailbox, password="wrong" if wrong == "imap" else None)
    with_smtp(config, receiver, "wrong" if wrong == "smtp" else receiver.password)
    done = cli(config, "config", "check")
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    logins = done.stdout.split("Logins:")[1]
    [failed] = [line for line in logins.splitlines() if "failed" in line]
    assert failed.strip().startswith(wrong)
    assert "login" in failed and "wrong" not in failed  # the reason, never the password
    assert "Result: ok." not in done.stdout


def test_list_json_into_a_closed_pipe_ends_quietly(mailbox, tmp_path):
    # Far more JSON than a pipe holds, so the writer is still writing when the reader leaves.
    mailbox.server.bulk_seed(mailbox.user, [mail(n) for n in range(1, 401)])
    config = write_config(tmp_path, mailbox)
    assert cli(config, "sync", "--once", "--quiet").returncode == 0
    command = [sys.executable, "-m", "shared_inbox", "--config", str(config), "list", "--json"]
    producer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert producer.stdout is not None and producer.stderr is not None
    first_line = producer.stdout.readline()  # `| head -1`: read one line, then close the pipe
    producer.stdout.close()
    stderr = producer.stderr.read().decode()
    status = producer.wait(timeout=60)
    assert first_line.strip() == b"["
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert stderr == ""
    assert status == 141
