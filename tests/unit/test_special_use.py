"""Special-use folders from LIST / XLIST answers, and how the sync plan takes the flagged Sent folder."""

from __future__ import annotations

from typing import Any

from imapclient.exceptions import IMAPClientError

from shared_inbox.imap.special_use import SpecialFolders, discover, from_listing, parse_list_lines
from shared_inbox.services.syncing import SyncPlan

# Gmail's XLIST answer (without "* XLIST "), localized, with its own flag names (\Spam, \AllMail).
GMAIL_XLIST = [
    b'(\\HasNoChildren \\Inbox) "/" "Posteingang"',
    b'(\\Noselect \\HasChildren) "/" "[Gmail]"',
    b'(\\HasNoChildren \\AllMail) "/" "[Gmail]/Alle Nachrichten"',
    b'(\\HasNoChildren \\Drafts) "/" "[Gmail]/Entw&APw-rfe"',
    b'(\\HasNoChildren \\Sent) "/" "[Gmail]/Gesendet"',
    b'(\\HasNoChildren \\Spam) "/" "[Gmail]/Spam"',
    b'(\\HasNoChildren \\Trash) "/" "[Gmail]/Papierkorb"',
]


def test_gmail_xlist_flags_name_the_folders() -> None:
    found = from_listing(parse_list_lines(GMAIL_XLIST))
    assert found == SpecialFolders(
        sent="[Gmail]/Gesendet",
        drafts="[Gmail]/Entwürfe",  # modified UTF-7 decoded
        junk="[Gmail]/Spam",
        trash="[Gmail]/Papierkorb",
    )


def test_the_first_flagged_folder_wins_and_the_config_overrides() -> None:
    listing = [((b"\\Sent",), b".", "INBOX.Sent Items"), ((b"\\sent",), b".", "INBOX.Old Sent")]
    found = from_listing(listing)
    assert found.sent == "INBOX.Sent Items"
    assert found.overridden({"sent": "INBOX.Outgoing", "junk": "INBOX.Spam"}).named() == [
        ("sent", "INBOX.Outgoing"),
        ("junk", "INBOX.Spam"),
    ]


class XlistOnly:
    """A server of Gmail's older kind: XLIST, no SPECIAL-USE."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.refuse = refuse

    def has_capability(self, name: str) -> bool:
        return name == "XLIST"

    def xlist_folders(self) -> Any:
        if self.refuse:
            raise IMAPClientError("XLIST failed: BAD")
        return parse_list_lines(GMAIL_XLIST)


def test_xlist_is_the_fallback_and_a_refusal_means_none() -> None:
    assert discover(XlistOnly()).sent == "[Gmail]/Gesendet"  # type: ignore[arg-type]
    assert discover(XlistOnly(refuse=True)) == SpecialFolders()  # type: ignore[arg-type]


def test_the_plan_swaps_the_fallback_name_for_the_flagged_folder() -> None:
    plan = SyncPlan(
        endpoint=None,  # type: ignore[arg-type]
        inbox="INBOX",
        folders=("INBOX", "Support", "Sent"),
        sent_folder="Sent",
        our_addresses=frozenset(),
        find_sent=True,
    )
    found = plan.with_sent_folder("[Gmail]/Gesendet")
    assert found.folders == ("INBOX", "Support", "[Gmail]/Gesendet")
    assert found.sent_folder == "[Gmail]/Gesendet" and not found.find_sent
    kept = plan.with_sent_folder(None)
    assert kept.folders == plan.folders and not kept.find_sent
