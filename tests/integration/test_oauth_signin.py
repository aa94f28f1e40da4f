"""The built-in sign-in end to end: `shared-inbox auth login` against the rig's OAuth2 provider,
then IMAP (Dovecot's oauth2 passdb) and SMTP (the receiver) with the tokens it keeps."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from shared_inbox.auth.storage import TokenStorage
from shared_inbox.auth.tokens import REFRESH_MARGIN, built_in_tokens
from shared_inbox.config import Config, load_config
from shared_inbox.imap.connection import close_quietly, connect_imap
from shared_inbox.imap.settings import imap_endpoint
from shared_inbox.outbox import smtp_endpoint
from shared_inbox.services.signin import sign_in
from shared_inbox.smtp import SmtpSession
from tests.integration.support import cli, list_json, write_config
from tests.integration.test_oauth import TokenHelper, oauth_config, one_sentence
from tests.integration.test_oauth import helper as helper  # the fixture
from tests.integration.test_send import body_file, customer_mail, ok, queue_reply
from tests.rig.dovecot import DovecotServer, RigMailbox
from tests.rig.oauth import CLIENT_ID, OAuthServer
from tests.rig.smtp import SmtpReceiver

pytestmark = pytest.mark.integration

CODE_LINE = re.compile(r"open (\S+) and enter the code (\S+)")
LOGIN_AGAIN = "run `shared-inbox auth login`"


@pytest.fixture
def box(oauth_dovecot: DovecotServer) -> RigMailbox:
    return oauth_dovecot.new_mailbox("si")


def signin_config(
    directory: Path,
    mailbox: RigMailbox,
    provider: OAuthServer,
    *,
    receiver: SmtpReceiver | None = None,
    mechanism: str = "auto",
) -> Path:
    """The rig mailbox with `auth = "oauth2"` and the built-in sign-in at the rig's provider."""
    client = f"""
[oauth2]
client_id = "{CLIENT_ID}"
token_url = "{provider.url}/token"
device_url = "{provider.url}/device"
authorize_url = "{provider.url}/authorize"
revocation_url = "{provider.url}/revoke"
scopes = ["mail", "offline_access"]
token_store = "file"
"""
    path = write_config(directory, mailbox, extra=client)
    text = path.read_text()
    auth = f'auth = "oauth2"\noauth2_mechanism = "{mechanism}"'
    text = text.replace(f'password_command = "printf %s {mailbox.password}"', auth)
    if receiver is not None:
        text = text.replace(
            'port = 2525\nsecurity = "none"', f'port = {receiver.port}\nsecurity = "none"\n{auth}'
        )
    path.write_text(text)
    return path


def device_login(config: Config, provider: OAuthServer, user: str) -> None:
    """Sign in in-process: the user approves the code while the client waits its first interval."""
    codes: list[str] = []

    def approve_then_wait(seconds: float) -> None:
        if codes:
            provider.approve(codes.pop(), user)

    sign_in(config, show_code=lambda device: codes.append(device.user_code), sleep=approve_then_wait)


def cli_login(config: Path, provider: OAuthServer, user: str) -> subprocess.CompletedProcess[str]:
    """`shared-inbox auth login` as a user runs it: read the code it shows, approve it at the provider."""
    process = subprocess.Popen(
        [sys.executable, "-m", "shared_inbox", "--config", str(config), "auth", "login"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = CODE_LINE.search(line)
    if found is None:
        process.kill()
        pytest.fail(f"no code shown: {line!r} {process.communicate()[1]}")
    assert found.group(1) == f"{provider.url}/device-login"
    provider.approve(found.group(2), user)
    output, errors = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, line + output, errors)


def test_device_code_login_then_sync_and_send(
    box: RigMailbox,
    oauth_server: OAuthServer,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    tmp_path: Path,
) -> None:
    receiver = smtp_receiver_factory(oauth=oauth_server)
    config = signin_config(tmp_path, box, oauth_server, receiver=receiver)

    login = ok(cli_login(config, oauth_server, box.user))
    saved = TokenStorage.for_config(load_config(config)).path
    assert f"Signed in as {box.user}; the refresh token is kept in the file {saved}." in login.stdout
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600

    box.deliver(customer_mail(1, "Order problem"))
    ok(cli(config, "sync", "--once", "--quiet"))
    [conv] = list_json(config)
    queue_reply(config, conv["id"], body_file(tmp_path), "--undo", "0")
    ok(cli(config, "outbox", "--flush"))

    [mail] = receiver.wait_for(1)
    assert mail.authenticated_as == box.user
    assert f"user=<{box.user}>, method=OAUTHBEARER" in box.server.log_tail(200)
    status = ok(cli(config, "auth", "status")).stdout
    assert status.startswith(f"Signed in as {box.user} (refresh token in the file {saved}); ")
    assert "the access token is valid until" in status


def test_logout_revokes_and_forgets_the_sign_in(
    box: RigMailbox, oauth_server: OAuthServer, tmp_path: Path
) -> None:
    config = signin_config(tmp_path, box, oauth_server)
    device_login(load_config(config), oauth_server, box.user)
    [refresh] = oauth_server.refresh_tokens_of(box.user)

    done = ok(cli(config, "auth", "logout"))

    assert done.stdout.strip() == f"Signed out {box.user}; the provider revoked the refresh token."
    assert oauth_server.refresh_tokens_of(box.user) == [] and refresh
    assert not TokenStorage.for_config(load_config(config)).path.exists()
    failed = cli(config, "sync", "--once", "--quiet")
    assert failed.returncode != 0
    assert one_sentence(failed.stderr) == (
        f"shared-inbox: Nobody is signed in to the mail provider yet; {LOGIN_AGAIN}."
    )


def test_a_revoked_refresh_token_ends_in_the_sentence_that_says_what_to_do(
    box: RigMailbox, oauth_server: OAuthServer, tmp_path: Path
) -> None:
    config = signin_config(tmp_path, box, oauth_server)
    device_login(load_config(config), oauth_server, box.user)
    oauth_server.revoke_user(box.user)  # e.g. the admin signed the user out everywhere

    for args in (("sync", "--once", "--quiet"), ("auth", "status")):
        done = cli(config, *args)
        assert done.returncode != 0
        assert one_sentence(done.stderr) == (
            f"shared-inbox: The refresh token was revoked or has expired; {LOGIN_AGAIN}."
        )


def test_the_access_token_is_refreshed_shortly_before_it_expires(
    box: RigMailbox, oauth_server: OAuthServer, tmp_path: Path
) -> None:
    config = load_config(signin_config(tmp_path, box, oauth_server))
    now = [datetime(2026, 12, 6, 9, 0, tzinfo=UTC)]
    source = built_in_tokens(config)
    source.now = lambda: now[0]
    device_login(config, oauth_server, box.user)
    first = source()
    assert source() == first and source.refreshes == 0  # held in memory, not fetched per connection

    now[0] += timedelta(seconds=oauth_server.access_lifetime) - REFRESH_MARGIN
    second = source()

    assert second != first and source.refreshes == 1
    close_quietly(connect_imap(imap_endpoint(config)))  # the refreshed token signs in
    assert source.refreshes == 1


def test_a_token_the_server_rejects_is_refreshed_once_for_imap_and_smtp(
    box: RigMailbox,
    oauth_server: OAuthServer,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    tmp_path: Path,
) -> None:
    receiver = smtp_receiver_factory(oauth=oauth_server)
    config = load_config(signin_config(tmp_path, box, oauth_server, receiver=receiver))
    device_login(config, oauth_server, box.user)
    source = built_in_tokens(config)

    oauth_server.expire(source())  # still valid by the clock, refused by the server
    close_quietly(connect_imap(imap_endpoint(config)))
    assert source.refreshes == 1

    oauth_server.expire(source())
    with SmtpSession.open(smtp_endpoint(config)) as session:
        session.send("support@example.com", ["ann@customer.test"], customer_mail(2, "Hello"))
    assert source.refreshes == 2
    assert len(receiver.token_attempts) == 2 and len(receiver.received) == 1


def test_the_browser_sign_in_uses_pkce_and_a_loopback_redirect(
    box: RigMailbox, oauth_server: OAuthServer, tmp_path: Path
) -> None:
    config = load_config(signin_config(tmp_path, box, oauth_server))
    oauth_server.consent_as(box.user)
    opened: list[str] = []

    def browser(url: str) -> None:  # a browser: follows the provider's redirect to 127.0.0.1
        opened.append(url)
        requests.get(url, timeout=10)

    status = sign_in(config, browser=True, open_url=browser)

    [url] = opened
    assert "code_challenge_method=S256" in url and "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url
    assert status.identity == box.user
    close_quietly(connect_imap(imap_endpoint(config)))


def test_no_token_in_process_arguments_or_environment(
    box: RigMailbox, oauth_server: OAuthServer, tmp_path: Path
) -> None:
    config = signin_config(tmp_path, box, oauth_server)
    device_login(load_config(config), oauth_server, box.user)
    process = subprocess.Popen(
        [sys.executable, "-m", "shared_inbox", "--config", str(config), "-v", "sync", "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        signed_in = f"Login: user=<{box.user}>, method=OAUTHBEARER"
        while signed_in not in box.server.log_tail(400):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.2)
        secrets = oauth_server.refresh_tokens_of(box.user) + oauth_server.access_tokens_of(box.user)
        shown = b"\0".join(
            readable(pid / name) for pid in Path("/proc").glob("[0-9]*") for name in PROC_FILES
        )
        assert str(process.pid).encode() and readable(Path(f"/proc/{process.pid}/environ"))  # ours: readable
        assert secrets and not [secret for secret in secrets if secret.encode() in shown]
    finally:
        process.terminate()
        output, errors = process.communicate(timeout=30)
    for secret in secrets:
        assert secret not in output + errors


PROC_FILES = ("cmdline", "environ")


def readable(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # another user's process, or one that just ended
        return b""


def test_config_check_signs_in_with_a_token_command_on_both_servers(
    box: RigMailbox,
    oauth_server: OAuthServer,
    helper: TokenHelper,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    tmp_path: Path,
) -> None:
    receiver = smtp_receiver_factory(oauth=oauth_server)
    helper.will_print(oauth_server.issue(box.user))
    config = oauth_config(tmp_path, box, helper.argv_toml, receiver=receiver)

    report = ok(cli(config, "config", "check")).stdout

    assert f"  imap      ok: logged in to 127.0.0.1 as {box.user}" in report
    assert f"  smtp      ok: logged in to 127.0.0.1 as {box.user}" in report
    assert receiver.token_attempts == ["OAUTHBEARER"]
    assert report.rstrip().endswith("Result: ok.")


def test_config_check_tries_the_built_in_sign_in_and_still_shows_the_settings(
    box: RigMailbox,
    oauth_server: OAuthServer,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    tmp_path: Path,
) -> None:
    receiver = smtp_receiver_factory(oauth=oauth_server)
    config = signin_config(tmp_path, box, oauth_server, receiver=receiver)

    before = cli(config, "config", "check")
    assert before.returncode == 1
    assert f"oauth2.token_url = {oauth_server.url}/token  (config file)" in before.stdout
    assert f"imap      failed: Nobody is signed in to the mail provider yet; {LOGIN_AGAIN}." in before.stdout
    assert "Traceback" not in before.stdout + before.stderr

    device_login(load_config(config), oauth_server, box.user)
    after = ok(cli(config, "config", "check")).stdout
    assert f"  smtp      ok: logged in to 127.0.0.1 as {box.user}" in after
    assert len(receiver.token_attempts) == 1


def test_a_sign_in_as_someone_else_is_refused_with_the_way_out(
    box: RigMailbox, oauth_server: OAuthServer, tmp_path: Path
) -> None:
    config = signin_config(tmp_path, box, oauth_server)
    device_login(load_config(config), oauth_server, "someone-else")

    done = cli(config, "sync", "--once", "--quiet")

    assert done.returncode != 0
    sentence = one_sentence(done.stderr)
    assert f"The IMAP server refused the OAuth2 access token for user {box.user}" in sentence
    assert sentence.endswith(f"sign in as {box.user} with `shared-inbox auth login`.")


def test_a_reply_waits_in_the_outbox_while_the_sign_in_is_revoked(
    box: RigMailbox,
    oauth_server: OAuthServer,
    smtp_receiver_factory: Callable[..., SmtpReceiver],
    tmp_path: Path,
) -> None:
    receiver = smtp_receiver_factory(oauth=oauth_server)
    config = signin_config(tmp_path, box, oauth_server, receiver=receiver)
    device_login(load_config(config), oauth_server, box.user)
    box.deliver(customer_mail(1, "Order problem"))
    ok(cli(config, "sync", "--once", "--quiet"))
    [conv] = list_json(config)
    queue_reply(config, conv["id"], body_file(tmp_path), "--undo", "0")
    oauth_server.revoke_user(box.user)

    cli(config, "outbox", "--flush")

    assert receiver.received == [] and receiver.token_attempts == []
    [entry] = json.loads(ok(cli(config, "outbox", "--json")).stdout)
    assert entry["state"] == "queued", entry  # kept, to be retried: nothing lost, nothing sent
    assert entry["error"] == f"The refresh token was revoked or has expired; {LOGIN_AGAIN}."

    device_login(load_config(config), oauth_server, box.user)  # the user signs in again
    ok(cli(config, "outbox", "--flush"))
    assert len(receiver.wait_for(1)) == 1


def test_auth_login_in_the_browser_from_the_command_line(
    box: RigMailbox, oauth_server: OAuthServer, tmp_path: Path
) -> None:
    config = signin_config(tmp_path, box, oauth_server)
    oauth_server.consent_as(box.user)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared_inbox",
            "--config",
            str(config),
            "auth",
            "login",
            "--browser",
            "--no-open",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith(f"Sign in at: {oauth_server.url}/authorize?"), line
    requests.get(line.removeprefix("Sign in at: ").strip(), timeout=10)  # the user's browser
    output, errors = process.communicate(timeout=60)

    assert process.returncode == 0, errors
    assert output.startswith(f"Signed in as {box.user}; the refresh token is kept in the file ")
    ok(cli(config, "sync", "--once", "--quiet"))


def test_a_rotated_refresh_token_is_kept_for_the_next_run(
    box: RigMailbox, oauth_server: OAuthServer, tmp_path: Path
) -> None:
    config = signin_config(tmp_path, box, oauth_server)
    device_login(load_config(config), oauth_server, box.user)
    [first] = oauth_server.refresh_tokens_of(box.user)
    oauth_server.rotate = True  # each refresh retires the refresh token it was given
    try:
        for _ in range(2):  # two runs, each refreshing once: the second needs what the first kept
            ok(cli(config, "sync", "--once", "--quiet"))
    finally:
        oauth_server.rotate = False
    [kept] = oauth_server.refresh_tokens_of(box.user)
    assert kept != first
    saved = TokenStorage.for_config(load_config(config)).load()
    assert saved is not None and saved.refresh_token == kept
    assert stat.S_IMODE(TokenStorage.for_config(load_config(config)).path.stat().st_mode) == 0o600
