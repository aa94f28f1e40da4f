"""Mail without a Message-ID synced from a real Dovecot: each distinct message stays, copies stay one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from shared_inbox.config import load_config
from shared_inbox.domain.model import MessageMeta
from shared_inbox.domain.stand_ins import header_only_form
from shared_inbox.imap.header_batches import fetched_row, parse_rows
from shared_inbox.imap.sync import HEADER_ITEMS
from shared_inbox.services.session import open_session
from shared_inbox.store import Store
from tests.integration.support import cli, list_json, write_config
from tests.rig.dovecot import DovecotServer, RigMailbox

pytestmark = pytest.mark.integration

CPYTHON_SAMPLES = sorted((Path(__file__).parent.parent / "data" / "eml" / "without_message_id").glob("*.eml"))
HEAD = (
    "From: Shop <noreply@shop.test>\r\nTo: support@example.com\r\nSubject: Order update\r\n"
    "Date: Mon, 4 Mar 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
)


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def alike(text: str) -> bytes:
    """Mail an order system sends without a Message-ID: every header the same, only the text differs."""
    return (HEAD + text + "\r\n").encode()


# Three of one size, one longer, one in INBOX and Sent alike.
ALIKE = [alike(f"Order {n} was shipped today.") for n in (1001, 1002, 1003)] + [alike("Order 1004 was lost.")]
BOTH_FOLDERS = alike("Your order 2001 is on its way.")


def synced_ids(config: Path) -> list[str]:
    return sorted(mid for conv in list_json(config) for mid in conv["message_ids"])


@pytest.mark.parametrize("headers_only", [False, True])
def test_distinct_messages_without_a_message_id_are_all_listed(
    mailbox: RigMailbox, tmp_path: Path, headers_only: bool
) -> None:
    for path in CPYTHON_SAMPLES:
        mailbox.append("INBOX", crlf(path.read_bytes()))
    for raw in ALIKE:
        mailbox.deliver(raw)
    mailbox.append("INBOX", BOTH_FOLDERS)
    mailbox.append("Sent", BOTH_FOLDERS)
    config = write_config(tmp_path, mailbox)
    done = cli(config, "sync", "--once", *(["--headers-only"] if headers_only else []))
    assert done.returncode == 0, done.stderr

    ids = synced_ids(config)
    assert len(CPYTHON_SAMPLES) == 5
    assert len(ids) == len(set(ids)) == len(CPYTHON_SAMPLES) + len(ALIKE) + 1
    with Store.open(tmp_path / "store") as store:
        by_folders = {tuple(sorted(loc.folder for loc in meta.locations)) for meta in store.messages()}
    assert ("INBOX", "Sent") in by_folders

    assert cli(config, "sync", "--once").returncode == 0  # a second pass finds nothing new
    assert synced_ids(config) == ids


def test_ids_stored_by_earlier_versions_keep_matching(
    dovecot: DovecotServer, mailbox: RigMailbox, tmp_path: Path
) -> None:
    """A store holding a message under a header-only stand-in id keeps it, and its state, through re-reads."""
    mailbox.append("INBOX", BOTH_FOLDERS)
    config = write_config(tmp_path, mailbox)
    with mailbox.imap() as client:
        selected = client.select_folder("INBOX")
        [uid] = client.search("ALL")
        item = client.fetch([uid], HEADER_ITEMS)[uid]
    [meta] = parse_rows([fetched_row(uid, item, "INBOX", int(selected[b"UIDVALIDITY"]))], frozenset(), False)
    earlier = header_only_form(meta.message_id)
    assert earlier is not None
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages([replace(meta, message_id=earlier)])
    with open_session(load_config(config, {})) as session:
        session.commands.assign(earlier, "bob@example.com")

    mailbox.append("Sent", BOTH_FOLDERS)
    assert cli(config, "sync", "--once").returncode == 0
    dovecot.reset_uidvalidity(mailbox.user, "INBOX")
    assert cli(config, "sync", "--once").returncode == 0

    [conv] = list_json(config)
    assert conv["message_ids"] == [earlier] and conv["assignee"] == "bob@example.com"
    with Store.open(tmp_path / "store") as store:
        kept: MessageMeta | None = store.message(earlier)
        assert kept is not None and sorted(loc.folder for loc in kept.locations) == ["INBOX", "Sent"]
