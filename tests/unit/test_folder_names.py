"""One rule for configured folder names: '/' between levels, under the personal namespace."""

from __future__ import annotations

import pytest

from shared_inbox.net.folder_names import Namespace

DOVECOT = Namespace("", "/")
DOTTED_NO_PREFIX = Namespace("", ".")
CYRUS_STOCK = Namespace("INBOX.", ".")


@pytest.mark.parametrize(
    ("namespace", "configured", "expected"),
    [
        (DOVECOT, "Sent", "Sent"),
        (DOVECOT, "SharedInbox/Events", "SharedInbox/Events"),
        (DOVECOT, "[Gmail]/Sent Mail", "[Gmail]/Sent Mail"),
        (DOTTED_NO_PREFIX, "SharedInbox/Events", "SharedInbox.Events"),
        (CYRUS_STOCK, "Sent", "INBOX.Sent"),
        (CYRUS_STOCK, "SharedInbox/Events", "INBOX.SharedInbox.Events"),
        (CYRUS_STOCK, "INBOX/Sent", "INBOX.Sent"),
        (CYRUS_STOCK, "INBOX.Sent", "INBOX.Sent"),
        (CYRUS_STOCK, "inbox", "INBOX"),
        (CYRUS_STOCK, "INBOX", "INBOX"),
        (CYRUS_STOCK, "Kunden/Bestätigt", "INBOX.Kunden.Bestätigt"),
        (CYRUS_STOCK, "/Archive/", "INBOX.Archive"),
    ],
)
def test_configured_names_become_the_servers(namespace: Namespace, configured: str, expected: str) -> None:
    assert namespace.server_name(configured) == expected


@pytest.mark.parametrize("namespace", [DOVECOT, DOTTED_NO_PREFIX, CYRUS_STOCK])
@pytest.mark.parametrize("configured", ["Sent", "A/B/C", "INBOX", "Kunden/Bestätigt"])
def test_a_server_name_stays_as_it_is(namespace: Namespace, configured: str) -> None:
    once = namespace.server_name(configured)
    assert namespace.server_name(once) == once
