"""The self-contained dovecot.conf of the test server.

Everything Dovecot writes (sockets, state, log, mail) stays inside one directory, all
ports are unprivileged, and the same file works whether the tests run as root or not.
"""

from __future__ import annotations

import grp
import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.rig.tls import TlsFiles

# Services whose default chroot needs root; an empty chroot lets them start unprivileged.
_CHROOTED_SERVICES = (
    "imap-login",
    "submission-login",
    "imap-urlauth-login",
    "pop3-login",
    "ipc",
    "old-stats",
    "aggregator",
    "director",
)

SPECIAL_FOLDERS = {
    "Drafts": "\\Drafts",
    "Sent": "\\Sent",
    "Trash": "\\Trash",
    "Junk": "\\Junk",
    "Archive": "\\Archive",
}


class DovecotConfigError(RuntimeError):
    """The machine lacks what the server needs (an account name, a path it can reach)."""


@dataclass(frozen=True, slots=True)
class Accounts:
    """Which system accounts the server's processes and the mail files use.

    Without root everything runs as the current user. As root, Dovecot refuses to run
    login processes or to touch mail as root, so those and the internal services
    (auth, anvil) run as the unprivileged `nobody`.
    """

    internal_user: str
    internal_group: str
    login_user: str
    mail_uid: int
    mail_gid: int

    @property
    def needs_chown(self) -> bool:
        """Files we write into mailboxes must be handed to the mail account."""
        return os.geteuid() != self.mail_uid

    @classmethod
    def for_current_process(cls) -> Accounts:
        uid, gid = os.geteuid(), os.getegid()
        if uid == 0:
            try:
                nobody = pwd.getpwnam("nobody")
            except KeyError as error:
                raise DovecotConfigError("running as root needs a 'nobody' account for mail") from error
            group = _group_name(nobody.pw_gid)
            return cls("nobody", group, "nobody", nobody.pw_uid, nobody.pw_gid)
        try:
            user = pwd.getpwuid(uid).pw_name
        except KeyError as error:
            raise DovecotConfigError(f"uid {uid} has no passwd entry; Dovecot needs a user name") from error
        return cls(user, _group_name(gid), user, uid, gid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError as error:
        raise DovecotConfigError(f"gid {gid} has no group entry; Dovecot needs a group name") from error


@dataclass(frozen=True, slots=True)
class Ports:
    imap: int
    imaps: int
    lmtp: int


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the server keeps its files."""

    root: Path
    base_dir: Path

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def users(self) -> Path:
        """One passwd-file per user: a new user's file is read on first use, never stale."""
        return self.root / "users"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def log(self) -> Path:
        return self.root / "dovecot.log"

    @property
    def homes(self) -> Path:
        return self.root / "home"

    @property
    def oauth2(self) -> Path:
        """Settings of the `oauth2` passdb (only written when tokens are checked)."""
        return self.root / "dovecot-oauth2.conf.ext"


def render_oauth2(introspection_url: str) -> str:
    """Tokens are checked by POSTing them to the rig's OAuth2 server (RFC 7662 introspection)."""
    return f"""\
introspection_mode = post
introspection_url = {introspection_url}
username_attribute = username
active_attribute = active
active_value = true
"""


def render_config(
    layout: Layout,
    ports: Ports,
    tls: TlsFiles,
    accounts: Accounts,
    *,
    oauth2: bool = False,
    special_folders: Mapping[str, str] | None = None,
) -> str:
    """The whole dovecot.conf for one rig instance; `oauth2` adds XOAUTH2 and OAUTHBEARER sign-in."""
    mechanisms = "plain login xoauth2 oauthbearer" if oauth2 else "plain login"
    oauth_passdb = (
        f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {layout.oauth2}\n}}\n"
        if oauth2
        else ""
    )
    folders = "".join(
        f'  mailbox "{name}" {{\n    special_use = {use}\n    auto = subscribe\n  }}\n'
        for name, use in (SPECIAL_FOLDERS if special_folders is None else special_folders).items()
    )
    chroots = "".join(
        f"service {name} {{\n  chroot =\n}}\n" for name in _CHROOTED_SERVICES if name != "imap-login"
    )
    return f"""\
base_dir = {layout.base_dir}
state_dir = {layout.state_dir}
log_path = {layout.log}
instance_name = shared-inbox-rig-{ports.imap}
listen = 127.0.0.1
protocols = imap lmtp
hostname = localhost
# As on many real servers: mail to user+Folder@ is filed into Folder (when it exists).
recipient_delimiter = +
lmtp_save_to_detail_mailbox = yes
ssl = yes
ssl_cert = <{tls.cert_file}
ssl_key = <{tls.key_file}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_verbose = yes
auth_failure_delay = 0
default_internal_user = {accounts.internal_user}
default_internal_group = {accounts.internal_group}
default_login_user = {accounts.login_user}
first_valid_uid = {accounts.mail_uid}
last_valid_uid = {accounts.mail_uid}
mail_location = maildir:~/Maildir:LAYOUT=fs
mail_fsync = never
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%n {layout.users}/%n
}}
{oauth_passdb}userdb {{
  driver = passwd-file
  args = username_format=%n {layout.users}/%n
  default_fields = uid={accounts.mail_uid} gid={accounts.mail_gid} home={layout.homes}/%n
}}
namespace inbox {{
  inbox = yes
  separator = /
{folders}}}
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {ports.imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ports.imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {ports.lmtp}
  }}
}}
service auth-worker {{
  user = $default_internal_user
}}
service anvil {{
  chroot =
  # Nobody may connect here, which turns off the per-IP login delay after a failed
  # login: every test client comes from 127.0.0.1 and tests fail logins on purpose.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{chroots}"""
