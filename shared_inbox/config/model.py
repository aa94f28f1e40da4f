"""The validated configuration: frozen, fully typed values.

Everything here is produced by one validation pass over the TOML file, so code
that receives a `Config` never has to re-check types, ranges or defaults.
Secrets are not stored here (except a plain `password`, which is discouraged):
`PasswordSource` only says *how* to obtain one, resolved later on demand.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType

from shared_inbox.config.levels import AutomationConfig, CannedConfig, HoursConfig
from shared_inbox.domain.sla import SlaPolicy

KEYRING_SERVICE = "shared-inbox"
DEFAULT_EVENTS_FOLDER = "SharedInbox/Events"


class Security(enum.StrEnum):
    """How a connection is protected. `none` is only accepted for loopback hosts."""

    TLS = "tls"
    STARTTLS = "starttls"
    NONE = "none"


class Auth(enum.StrEnum):
    """How a connection signs in: a password, or an OAuth2 access token (SASL XOAUTH2/OAUTHBEARER)."""

    PASSWORD = "password"
    OAUTH2 = "oauth2"


class OAuthMechanism(enum.StrEnum):
    """The SASL mechanism that carries the access token; `auto` picks from the server's capabilities."""

    AUTO = "auto"
    XOAUTH2 = "xoauth2"
    OAUTHBEARER = "oauthbearer"


class Provider(enum.StrEnum):
    """A known mail provider whose settings are filled in for the user."""

    MICROSOFT365 = "microsoft365"
    GOOGLE = "google"
    FASTMAIL = "fastmail"
    ICLOUD = "icloud"
    GENERIC = "generic"


class TokenStore(enum.StrEnum):
    """Where the built-in sign-in keeps the refresh token: the system keyring when usable, else a file."""

    AUTO = "auto"
    KEYRING = "keyring"
    FILE = "file"


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthClientConfig:
    """The OAuth2 client the admin registered, for `shared-inbox auth login` (the built-in sign-in).

    Endpoints and scopes come from the provider preset unless the [oauth2] section sets them;
    an empty `device_url` / `authorize_url` means that flow is not available.
    """

    client_id: str
    client_secret: str = field(default="", repr=False)  # Google's "installed app" secret (not confidential)
    token_url: str
    device_url: str = ""
    authorize_url: str = ""
    revocation_url: str = ""
    scopes: tuple[str, ...] = ()
    token_store: TokenStore = TokenStore.AUTO


class PasswordKind(enum.StrEnum):
    """Where a connection's password comes from."""

    COMMAND = "password_command"
    ENV = "password_env"
    KEYRING = "keyring"
    PLAIN = "password"


@dataclass(frozen=True, slots=True)
class PasswordSource:
    """How to obtain a password; resolving it is deferred so nothing runs at load time.

    `key` is the dotted config key the source came from, so error messages can
    point the user at the line to fix.
    """

    kind: PasswordKind
    key: str
    argv: tuple[str, ...] = ()
    env_var: str = ""
    keyring_user: str = ""
    plain: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionConfig:
    """The shape shared by the IMAP and SMTP connections.

    `password` is None when the connection does not authenticate (only possible
    for SMTP without a username) or signs in with OAuth2; then `token` says how
    to obtain an access token.
    """

    host: str
    port: int
    security: Security
    username: str | None
    tls_ca_file: Path | None = None
    password: PasswordSource | None = None
    password_same_as_imap: bool = False
    auth: Auth = Auth.PASSWORD
    oauth2_mechanism: OAuthMechanism = OAuthMechanism.AUTO
    token: PasswordSource | None = None

    @property
    def verifies_tls(self) -> bool:
        return self.security is not Security.NONE


@dataclass(frozen=True, slots=True, kw_only=True)
class ImapConfig(ConnectionConfig):
    """The support mailbox. IMAP always authenticates, so `username` is a string."""

    username: str
    folders: tuple[str, ...] = ("INBOX",)
    sent_folder: str = "Sent"  # used as written when `special_folders` names it, else the fallback
    # Folders the file names for a special use ("sent", "drafts", "junk", "archive", "trash");
    # the others are found by the server's RFC 6154 flags.
    special_folders: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    idle: bool = True
    idle_renew: int = 8 * 60  # seconds between re-issued IDLEs
    idle_poll: int | None = (
        None  # seconds between checks while idling; None: only where IDLE is lazy, 0: never
    )
    batch_size: int = 500
    sync_since_days: int | None = None  # keep only this many recent days locally; None: everything
    # IMAP connections held while syncing: 2 (INBOX and the team events folder each idle on their
    # own) or 1 (INBOX idles; the events folder is checked on each wake-up and every few seconds).
    connections: int = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpConfig(ConnectionConfig):
    """Outgoing mail. `server_saves_sent` skips our own APPEND to the Sent folder."""

    server_saves_sent: bool = False


class FromStyle(enum.StrEnum):
    """How replies are signed in From: "Ann via Acme Support <...>" or "Acme Support <...>"."""

    AGENT_VIA = "agent_via"
    PLAIN = "plain"


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """Who the team is to customers: the display name and the support address."""

    name: str
    address: str  # lower-cased
    from_style: FromStyle = FromStyle.AGENT_VIA
    reply_to: str | None = None  # lower-cased; a Reply-To for every outgoing message
    provider: Provider = Provider.GENERIC


@dataclass(frozen=True, slots=True)
class OutboxConfig:
    """How long replies wait (undo), how sending is retried, how long sent ones stay listed."""

    undo_seconds: int = 10
    retry_max_minutes: int = 30
    give_up_after_hours: int = 48
    keep_sent_days: int = 7


@dataclass(frozen=True, slots=True)
class Member:
    """One agent of the team."""

    name: str
    email: str  # lower-cased
    signature: str = ""
    away: bool = False  # rules that choose an agent (round-robin, least-loaded) pass over them

    def display(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True, slots=True)
class TeamConfig:
    """The team, which member runs this copy, and where the team key comes from.

    `members` is never empty: when the file lists none, one member is
    synthesised from `me`.
    """

    me: str  # lower-cased email of the agent running this copy
    members: tuple[Member, ...]
    events_folder: str = DEFAULT_EVENTS_FOLDER  # IMAP folder the team's state changes travel through
    key: PasswordSource | None = None  # signs team state; None: team state is unauthenticated
    previous_key: PasswordSource | None = None  # accepted for reading while the team changes keys


class AfterAction(enum.StrEnum):
    """Where the reader goes after closing, marking pending or spam, or snoozing the open conversation."""

    NEXT = "next"  # the next conversation of the list
    STAY = "stay"
    LIST = "list"  # back to the list


class ThreadOrder(enum.StrEnum):
    """Which end of a conversation the reader starts from."""

    OLDEST_FIRST = "oldest_first"  # the thread reads as it happened
    NEWEST_FIRST = "newest_first"  # the latest message on top


@dataclass(frozen=True, slots=True)
class InterfaceConfig:
    after_action: AfterAction = AfterAction.NEXT
    thread_order: ThreadOrder = ThreadOrder.OLDEST_FIRST


@dataclass(frozen=True, slots=True)
class SatisfactionConfig:
    """Opt-in ratings by email: a question with mailto links under each reply."""

    enabled: bool = False
    question: str = "How did we do?"


@dataclass(frozen=True, slots=True)
class StoreConfig:
    path: Path


@dataclass(frozen=True, slots=True)
class ThreadingConfig:
    """Subject merging is off by default: generic subjects would glue strangers together."""

    subject_merge: bool = False
    subject_merge_window_days: int = 7
    # A reply that lost its threading headers ("Re: <subject>", same customer, within the
    # window) joins the conversation begun most recently before it; named in the reader.
    reply_subjects: bool = True
    reply_window_days: int = 30
    # Mailing lists, newsletters and no-reply notifications: by default labelled and kept
    # out of SLA clocks; on, they reopen conversations and start clocks like a customer.
    bulk_starts_clocks: bool = False

    @property
    def subject_merge_window(self) -> timedelta:
        return timedelta(days=self.subject_merge_window_days)


def _empty_keys() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The whole validated configuration."""

    account: AccountConfig
    imap: ImapConfig
    smtp: SmtpConfig
    team: TeamConfig
    store: StoreConfig
    threading: ThreadingConfig = field(default_factory=ThreadingConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    canned: CannedConfig = field(default_factory=CannedConfig)
    interface: InterfaceConfig = field(default_factory=InterfaceConfig)
    oauth2: OAuthClientConfig | None = None  # the built-in sign-in; None: tokens come from a command
    business_hours: HoursConfig = field(default_factory=HoursConfig)
    sla: tuple[SlaPolicy, ...] = ()  # the first policy that covers a conversation applies
    satisfaction: SatisfactionConfig = field(default_factory=SatisfactionConfig)
    automation: AutomationConfig = field(default_factory=AutomationConfig)
    keys: Mapping[str, str] = field(default_factory=_empty_keys)  # action id -> key, checked by the UI
    theme: str | None = None  # checked by the UI
    source: Path | None = None
    origins: Mapping[str, str] = field(default_factory=_empty_keys)  # dotted key -> where its value came from
    warnings: tuple[str, ...] = ()

    @property
    def me(self) -> Member:
        """The member running this copy (validation guarantees there is one)."""
        for member in self.team.members:
            if member.email == self.team.me:
                return member
        raise LookupError(f"team.me {self.team.me!r} is not a team member")

    @property
    def our_addresses(self) -> frozenset[str]:
        """Mail from these addresses is the team's own."""
        return frozenset({self.account.address, *(m.email for m in self.team.members)})
