"""Folder names from the config to the server's own: one rule for every configured folder.

A folder in the config (`folders`, `sent_folder`, `events_folder`) is written with `/`
between levels and is a personal folder: the server's personal namespace (RFC 2342
NAMESPACE) decides where it lives. Dovecot's usual layout has no prefix and `/` between
levels, so "SharedInbox/Events" stays as written; Debian's stock Cyrus and Courier keep a
user's folders under `INBOX.` with `.` between levels, so "Sent" is "INBOX.Sent" there. A
name already spelled the server's way ("INBOX.Sent", "INBOX/Sent") is taken as it is, and
INBOX is always INBOX. Non-ASCII names need nothing here: imapclient sends them in
modified UTF-7 and decodes them back.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

CONFIG_SEPARATOR = "/"


@dataclass(frozen=True, slots=True)
class Namespace:
    """Where a user's own folders live on one server: a prefix and the hierarchy delimiter."""

    prefix: str = ""
    delimiter: str = CONFIG_SEPARATOR

    def server_name(self, configured: str) -> str:
        """The server's name of a configured folder (see the module docstring)."""
        name = configured.strip(CONFIG_SEPARATOR) or configured
        if self.delimiter and self.delimiter != CONFIG_SEPARATOR:
            name = name.replace(CONFIG_SEPARATOR, self.delimiter)
        if name.upper() == "INBOX":
            return "INBOX"
        if not self.prefix or name.upper().startswith(self.prefix.upper()):
            return name
        return self.prefix + name


_known: weakref.WeakKeyDictionary[IMAPClient, Namespace] = weakref.WeakKeyDictionary()


def personal_namespace(client: IMAPClient) -> Namespace:
    """The personal namespace of the logged-in user, asked once per connection.

    Servers without NAMESPACE get no prefix and the delimiter LIST reports for INBOX.
    """
    known = _known.get(client)
    if known is not None:
        return known
    found = _ask_namespace(client) or _ask_delimiter(client)
    _known[client] = found
    return found


def server_name(client: IMAPClient, configured: str) -> str:
    """`configured` spelled as this connection's server names it."""
    return personal_namespace(client).server_name(configured)


def _ask_namespace(client: IMAPClient) -> Namespace | None:
    try:
        if not client.has_capability("NAMESPACE"):
            return None
        personal = client.namespace().personal
    except IMAPClientError:
        return None
    if not personal:
        return None
    prefix, delimiter = personal[0][0], personal[0][1]
    return Namespace(_text(prefix), _text(delimiter) or CONFIG_SEPARATOR)


def _ask_delimiter(client: IMAPClient) -> Namespace:
    try:
        listed = client.list_folders("", "INBOX")
    except IMAPClientError:
        return Namespace()
    delimiter = _text(listed[0][1]) if listed else ""
    return Namespace("", delimiter or CONFIG_SEPARATOR)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)
