"""Provider presets: the settings a known mail provider needs, so a config needs little more than a username.

A preset only fills keys the file leaves out, before validation, so every filled
value is validated like a typed one and can be overridden by writing it. Where
each effective value came from is recorded for `config check`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from shared_inbox.config.model import Provider

FROM_FILE = "config file"
FROM_DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class OAuthEndpoints:
    """Where a provider's OAuth2 sign-in happens and which scopes mail needs."""

    authorize_url: str
    token_url: str
    device_url: str
    scopes: tuple[str, ...]
    revocation_url: str = ""

    def as_settings(self) -> dict[str, object]:
        """The [oauth2] keys this preset fills."""
        values: dict[str, object] = {
            "authorize_url": self.authorize_url,
            "token_url": self.token_url,
            "device_url": self.device_url,
            "scopes": list(self.scopes),
        }
        if self.revocation_url:
            values["revocation_url"] = self.revocation_url
        return values


@dataclass(frozen=True, slots=True)
class Preset:
    """The raw [imap] and [smtp] values a provider fills in, plus what the user should know."""

    imap: Mapping[str, object]
    smtp: Mapping[str, object]
    oauth: OAuthEndpoints | None = None
    limits: str = ""


_MICROSOFT = "https://login.microsoftonline.com/organizations/oauth2/v2.0"
PRESETS: Mapping[Provider, Preset] = MappingProxyType(
    {
        Provider.MICROSOFT365: Preset(
            imap={
                "host": "outlook.office365.com",
                "port": 993,
                "security": "tls",
                "auth": "oauth2",
                "oauth2_mechanism": "xoauth2",
            },
            smtp={
                "host": "smtp.office365.com",
                "port": 587,
                "security": "starttls",
                "auth": "oauth2",
                "oauth2_mechanism": "xoauth2",
                "server_saves_sent": True,
            },
            oauth=OAuthEndpoints(
                authorize_url=f"{_MICROSOFT}/authorize",
                token_url=f"{_MICROSOFT}/token",
                device_url=f"{_MICROSOFT}/devicecode",
                scopes=(
                    "https://outlook.office.com/IMAP.AccessAsUser.All",
                    "https://outlook.office.com/SMTP.Send",
                    "offline_access",
                ),
            ),
            limits="about 20 simultaneous IMAP connections per mailbox; "
            "SMTP AUTH must be enabled for the mailbox",
        ),
        Provider.GOOGLE: Preset(
            imap={
                "host": "imap.gmail.com",
                "port": 993,
                "security": "tls",
                "auth": "oauth2",
                # Gmail allows 15 simultaneous IMAP connections per account: one per agent
                # lets a team of up to 15 (less other mail clients) share the mailbox.
                "connections": 1,
            },
            smtp={
                "host": "smtp.gmail.com",
                "port": 465,
                "security": "tls",
                "auth": "oauth2",
                "server_saves_sent": True,
            },
            oauth=OAuthEndpoints(
                authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
                token_url="https://oauth2.googleapis.com/token",
                device_url="https://oauth2.googleapis.com/device/code",
                scopes=("https://mail.google.com/",),
                revocation_url="https://oauth2.googleapis.com/revoke",
            ),
            limits="15 simultaneous IMAP connections per account (one per agent by default)",
        ),
        Provider.FASTMAIL: Preset(
            imap={"host": "imap.fastmail.com", "port": 993, "security": "tls", "auth": "password"},
            smtp={"host": "smtp.fastmail.com", "port": 465, "security": "tls", "auth": "password"},
            limits="sign in with an app password (Settings > Privacy & Security > App passwords)",
        ),
        Provider.ICLOUD: Preset(
            imap={"host": "imap.mail.me.com", "port": 993, "security": "tls", "auth": "password"},
            smtp={"host": "smtp.mail.me.com", "port": 587, "security": "starttls", "auth": "password"},
            limits="sign in with an app-specific password made at account.apple.com",
        ),
        Provider.GENERIC: Preset(imap={}, smtp={}),
    }
)


def read_provider(data: Mapping[str, object]) -> Provider | None:
    """The provider named in [account], or None when absent or not one we know (validation says so)."""
    account = data.get("account")
    raw = account.get("provider") if isinstance(account, dict) else None
    if raw is None:
        return Provider.GENERIC
    try:
        return Provider(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def apply_preset(data: dict[str, object], provider: Provider) -> dict[str, str]:
    """Fill the keys the file leaves out from the provider's preset, in place.

    Returns the origin of every value the preset filled or the file set, by
    dotted key; keys in neither take their default.
    """
    preset = PRESETS[provider]
    origins: dict[str, str] = {}
    sections: list[tuple[str, Mapping[str, object]]] = [("imap", preset.imap), ("smtp", preset.smtp)]
    if isinstance(data.get("oauth2"), dict):  # the built-in sign-in: endpoints and scopes
        sections.append(("oauth2", preset.oauth.as_settings() if preset.oauth is not None else {}))
    for section, values in sections:
        table = data.get(section)
        if table is None and values:
            table = data[section] = {}
        if not isinstance(table, dict):
            continue
        for key in table:
            origins[f"{section}.{key}"] = FROM_FILE
        for key, value in values.items():
            if key == "port" and "security" in table:
                continue  # the port then follows the security the file chose
            if key == "oauth2_mechanism" and table.get("auth", "oauth2") != "oauth2":
                continue  # the file chose password sign-in
            if key not in table:
                table[key] = value
                origins[f"{section}.{key}"] = f"provider {provider.value}"
    return origins
