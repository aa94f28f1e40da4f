"""OAuth2 sign-in end to end: Dovecot's `oauth2` passdb and the SMTP receiver check every
token against the rig's own OAuth2 server (token introspection), without the internet."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared_inbox.imap.connection import Endpoint, close_quietly, connect_imap
from shared_inbox.net.errors import AuthError
from shared_inbox.net.oauth import OAuthLogin, oauthbearer_response, xoauth2_response
from shared_inbox.smtp import SmtpEndpoint, SmtpSession
from shared_inbox.smtp.errors import SmtpAuthError
from tests.integration.support import cli, list_json, write_config
from tests.integration.test_send import body_file, customer_mail, folder_messages, ok, queue_reply
from tests.rig.dovecot import DovecotServer, RigMailbox
from tests.rig.oauth import OAuthServer
from tests.rig.smtp import SmtpReceiver

pytestmark = pytest.mark.integration

MECHANISMS = ("xoauth2", "oauthbearer")

# Prints the first token of the queue file and keeps the rest (the last one stays):
# a token helper whose cached token may have expired by the time it is used.
TOKEN_HELPER = """\
import pathlib, sys
queue = pathlib.Path(sys.argv[1])
tokens = queue.read_text().split()
with open(sys.argv[2], "a") as calls:
    calls.write("called\\n")
print(tokens[0])
if len(tokens) > 1:
    queue.write_text("\\n".join(tokens[1:]))
"""


class TokenHelper:
    """A token command whose tokens come from a file, never from its arguments."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.script = directory / "token_helper.py"
        self.script.write_text(TOKEN_HELPER)
        self.queue = directory / "tokens"
        self.calls = directory / "calls"

    def will_print(self, *tokens: str) -> None:
        self.queue.write_text("\n".join(tokens))

    @property
    def argv_toml(self) -> str:
        return f'["{sys.executable}", "{self.script}", "{self.queue}", "{self.calls}"]'

    @property
    def runs(self) -> int:
        return len(self.calls.read_text().splitlines()) if self.calls.exists() else 0


@pytest.fixture
def oauth_box(oauth_dovecot: DovecotServer) -> RigMailbox:
    """A fresh user of the Dovecot that signs in with tokens only."""
    return oauth_dovecot.new_mailbox("oa")


@pytest.fixture
def helper(tmp_path: Path) -> TokenHelper:
    return TokenHelper(tmp_path / "helper")


def oauth_config(
    directory: Path,
    mailbox: RigMailbox,
    token_command: str,
    *,
    mechanism: str = "auto",
    receiver: SmtpReceiver | None = None,
) -> Path:
    """The rig mailbox signed in with a token command, for IMAP and (sharing it) SMTP."""
    path = write_config(directory, mailbox)
    text = path.read_text()
    password_line = f'password_command = "printf %s {mailbox.password}"'
    assert password_line in text
    auth = f'auth = "oauth2"\noauth2_mechanism = "{mechanism}"'
    text = text.replace(password_line, f"{auth}\noauth2_token_command = {token_command}")
    if receiver is not None:
        placeholder = 'port = 2525\nsecurity = "none"'
        assert placeholder in text
        text = text.replace(placeholder, f'port = {receiver.port}\nsecurity = "none"\n{auth}')
    path.write_text(text)
    return path


def one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_sync_signs_in_with_a_token_from_the_command(
    oauth_box: RigMailbox,
    oauth_server: OAuthServer,
    helper: TokenHelper,
    tmp_path: Path,
    mechanism: str,
) -> None:
    helper.will_print(oauth_server.issue(oauth_box.user))
    config = oauth_config(tmp_path, oauth_box, helper.argv_toml, mechanism=mechanism)
    oauth_box.deliver(customer_mail(1, "Order problem"))

    ok(cli(config, "sync", "--once", "--quiet"))

    [conv] = list_json(config)
    assert conv["subject"] == "Order problem"
    assert f"user=<{oauth_box.user}>, method={mechanism.upper()}" in oauth_box.server.log_tail(200)


def test_the_password_is_not_accepted_where_tokens_are_required(
    oauth_box: RigMailbox, tmp_path: Path
) -> None:
    """The rig really checks tokens: a token command printing the password fails."""
    config = oauth_config(tmp_path, oauth_box, f'"printf %s {oauth_box.password}"')
    done = cli(config, "sync", "--once", "--quiet")
    assert done.returncode != 0
    assert "refused the OAuth2 access token" in one_sentence(done.stderr)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_reply_is_sent_and_filed_with_a_token_from_the_command(
    oauth_box: RigMailbox,
    oauth_server: OAuthServer,
    helper: TokenHelper,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    tmp_path: Path,
    mechanism: str,
) -> None:
    receiver = smtp_receiver_factory(oauth=oauth_server)
    helper.will_print(oauth_server.issue(oauth_box.user))
    config = oauth_config(tmp_path, oauth_box, helper.argv_toml, mechanism=mechanism, receiver=receiver)
    oauth_box.deliver(customer_mail(1, "Order problem"))
    ok(cli(config, "sync", "--once", "--quiet"))
    [conv] = list_json(config)

    queue_reply(config, conv["id"], body_file(tmp_path), "--undo", "0")
    ok(cli(config, "outbox", "--flush"))

    [mail] = receiver.wait_for(1)
    assert mail.authenticated_as == oauth_box.user
    assert receiver.token_attempts == [mechanism.upper()]
    [(copy, _)] = folder_messages(oauth_box, "Sent")  # the Sent copy went over IMAP with a token too
    assert copy == mail.raw


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_an_expired_token_is_replaced_once_by_a_fresh_one(
    oauth_box: RigMailbox,
    oauth_server: OAuthServer,
    helper: TokenHelper,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    tmp_path: Path,
    mechanism: str,
) -> None:
    receiver = smtp_receiver_factory(oauth=oauth_server)
    expired = oauth_server.issue(oauth_box.user, expired=True)
    fresh = oauth_server.issue(oauth_box.user)
    helper.will_print(expired, fresh)
    config = oauth_config(tmp_path, oauth_box, helper.argv_toml, mechanism=mechanism, receiver=receiver)

    ok(cli(config, "sync", "--once", "--quiet"))
    assert helper.runs == 2  # refused, then asked once more

    tokens = iter([expired, fresh])
    endpoint = SmtpEndpoint(
        receiver.host,
        receiver.port,
        "none",
        username=oauth_box.user,
        oauth=OAuthLogin(lambda: next(tokens), mechanism),
    )
    with SmtpSession.open(endpoint) as session:
        session.send("support@example.com", ["ann@customer.test"], customer_mail(2, "Hello"))
    assert receiver.token_attempts == [mechanism.upper()] * 2
    assert len(receiver.received) == 1


def test_a_token_refused_twice_ends_in_one_sentence(
    oauth_box: RigMailbox,
    oauth_server: OAuthServer,
    helper: TokenHelper,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    tmp_path: Path,
) -> None:
    receiver = smtp_receiver_factory(oauth=oauth_server)
    helper.will_print(oauth_server.issue(oauth_box.user, expired=True))
    config = oauth_config(tmp_path, oauth_box, helper.argv_toml, receiver=receiver)

    done = cli(config, "sync", "--once", "--quiet")
    assert done.returncode != 0
    sentence = one_sentence(done.stderr)
    assert f"refused the OAuth2 access token for user {oauth_box.user}" in sentence
    assert helper.runs == 2  # one fresh try, not a loop

    endpoint = SmtpEndpoint(
        receiver.host,
        receiver.port,
        "none",
        username=oauth_box.user,
        oauth=OAuthLogin(helper_tokens(oauth_server, oauth_box.user, expired=True)),
    )
    with pytest.raises(SmtpAuthError) as raised:
        SmtpSession.open(endpoint)
    assert "SMTP server refused the OAuth2 access token" in str(raised.value)
    assert len(receiver.token_attempts) == 2


def helper_tokens(server: OAuthServer, user: str, *, expired: bool) -> Callable[[], str]:
    return lambda: server.issue(user, expired=expired)


def test_a_failing_token_command_ends_in_one_sentence(oauth_box: RigMailbox, tmp_path: Path) -> None:
    config = oauth_config(tmp_path, oauth_box, '"false"')
    done = cli(config, "sync", "--once", "--quiet")
    assert done.returncode != 0
    assert one_sentence(done.stderr).endswith(
        "imap.oauth2_token_command: the command failed with exit status 1; run it yourself to see why; "
        "your token helper may need you to sign in again."
    )


def secret_forms(user: str, token: str) -> list[str]:
    """The token as it could leak: plain, or inside either mechanism's encoded sign-in."""
    return [
        token,
        base64.b64encode(xoauth2_response(user, token)).decode(),
        base64.b64encode(oauthbearer_response(user, token)).decode(),
    ]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_no_token_in_the_logs(
    oauth_box: RigMailbox,
    oauth_server: OAuthServer,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    caplog: pytest.LogCaptureFixture,
    mechanism: str,
) -> None:
    receiver = smtp_receiver_factory(oauth=oauth_server)
    expired = oauth_server.issue(oauth_box.user, expired=True)
    fresh = oauth_server.issue(oauth_box.user)
    caplog.set_level(logging.DEBUG)
    tokens = iter([expired, fresh, expired, fresh])
    login = OAuthLogin(lambda: next(tokens), mechanism)
    endpoint = Endpoint(
        oauth_box.host, oauth_box.port, "starttls", oauth_box.user, None, oauth_box.ca_file, oauth=login
    )
    close_quietly(connect_imap(endpoint))
    smtp = SmtpEndpoint(receiver.host, receiver.port, "none", username=oauth_box.user, oauth=login)
    SmtpSession.open(smtp).close()
    refused = dataclasses.replace(endpoint, oauth=OAuthLogin(lambda: expired, mechanism))
    with pytest.raises(AuthError) as raised:
        connect_imap(refused)
    shown = caplog.text + str(raised.value)
    assert "AUTHENTICATE" in caplog.text  # the exchange was logged, with its secret left out
    for token in (expired, fresh):
        for form in secret_forms(oauth_box.user, token):
            assert form not in shown


@pytest.fixture
def watching(
    oauth_box: RigMailbox, oauth_server: OAuthServer, helper: TokenHelper, tmp_path: Path
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`sync --watch`, verbose, signed in with a token command (the token it prints is returned)."""
    token = oauth_server.issue(oauth_box.user)
    helper.will_print(token)
    config = oauth_config(tmp_path, oauth_box, helper.argv_toml)
    oauth_box.deliver(customer_mail(1, "Order problem"))
    process = subprocess.Popen(
        [sys.executable, "-m", "shared_inbox", "--config", str(config), "-v", "sync", "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield token, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_no_token_in_process_arguments_or_output(
    oauth_box: RigMailbox, watching: tuple[str, subprocess.Popen[str]]
) -> None:
    token, process = watching
    signed_in = f"Login: user=<{oauth_box.user}>, method=OAUTHBEARER"
    while signed_in not in oauth_box.server.log_tail(400):  # the token has been used
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.2)
    arguments = [
        path.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        for path in Path("/proc").glob("[0-9]*/cmdline")
        if path.exists()
    ]
    assert not [args for args in arguments if token in args]
    process.terminate()
    output, errors = process.communicate(timeout=30)
    for form in secret_forms(oauth_box.user, token):
        assert form not in output + errors


def test_smtp_signs_in_with_a_token_over_verified_starttls(
    oauth_server: OAuthServer,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    rig_ca_file: Path,
) -> None:
    receiver = smtp_receiver_factory(tls=True, oauth=oauth_server)
    token = oauth_server.issue("agent")
    endpoint = SmtpEndpoint(
        receiver.host,
        receiver.port,
        "starttls",
        username="agent",
        ca_file=rig_ca_file,
        oauth=OAuthLogin(lambda: token),
    )
    with SmtpSession.open(endpoint) as session:
        session.send("support@example.com", ["ann@customer.test"], customer_mail(1, "Hello"))
    [mail] = receiver.received
    assert mail.over_tls and mail.authenticated_as == "agent"
    assert receiver.token_attempts == ["OAUTHBEARER"]  # "auto": the standard mechanism when offered


def test_a_failing_token_command_leaves_the_reply_queued_with_the_sentence(
    oauth_box: RigMailbox,
    oauth_server: OAuthServer,
    helper: TokenHelper,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    tmp_path: Path,
) -> None:
    receiver = smtp_receiver_factory(oauth=oauth_server)
    helper.will_print(oauth_server.issue(oauth_box.user))
    config = oauth_config(tmp_path, oauth_box, helper.argv_toml, receiver=receiver)
    oauth_box.deliver(customer_mail(1, "Order problem"))
    ok(cli(config, "sync", "--once", "--quiet"))
    [conv] = list_json(config)
    queue_reply(config, conv["id"], body_file(tmp_path), "--undo", "0")

    helper.script.write_text("raise SystemExit(2)\n")  # the helper cannot give a token any more
    cli(config, "outbox", "--flush")

    assert receiver.received == [] and receiver.token_attempts == []
    [entry] = json.loads(ok(cli(config, "outbox", "--json")).stdout)
    assert entry["state"] == "queued" and entry["attempts"] == 1, entry  # kept, to be retried
    assert entry["error"] == (
        "No OAuth2 access token: imap.oauth2_token_command: the command failed with exit status 2; "
        "run it yourself to see why; your token helper may need you to sign in again."
    )
