"""What headers alone cannot tell, read from the server for the few messages that need it.

A header batch is parsed without bodies; two kinds of message need a second look before
they are stored: mail without a Message-ID (told apart by the start of its text) and
bounces (which of our messages they return is in the delivery report). Both are rare, so
each batch asks the server once for just those, and only for a bounded prefix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace

from imapclient import IMAPClient

from shared_inbox.domain.model import MessageKind, MessageMeta
from shared_inbox.domain.stand_ins import header_only_form
from shared_inbox.mail.dsn import REPORT_PREFIX_BYTES, with_delivery_report
from shared_inbox.mail.msgid import message_text, with_text
from shared_inbox.store import Store

# Messages without a Message-ID are told apart by (the start of) their text.
TEXT_PREFIX_BYTES = 1024 * 1024
TEXT_ITEM = f"BODY.PEEK[TEXT]<0.{TEXT_PREFIX_BYTES}>".encode()
# A bounce's report and the headers it returns, read as soon as its headers say it is one.
REPORT_ITEM = f"BODY.PEEK[]<0.{REPORT_PREFIX_BYTES}>".encode()


def text_of(item: dict[bytes, object], name: bytes = b"BODY[TEXT]") -> bytes | None:
    """The bytes a FETCH returned for `name`, whatever form the server echoed the item's name in."""
    for key, value in item.items():
        if key.startswith(name) and isinstance(value, bytes):
            return value
    return None


def _second_look(
    client: IMAPClient,
    metas: list[MessageMeta],
    needs: Callable[[MessageMeta], bool],
    item: bytes,
    name: bytes,
    read: Callable[[MessageMeta, bytes], MessageMeta],
) -> list[MessageMeta]:
    """`metas` with those that `needs` a second look completed by `read` from one FETCH of `item`.

    A message gone from the server meanwhile stays as its headers made it.
    """
    wanted = {meta.locations[0].uid: n for n, meta in enumerate(metas) if needs(meta) and meta.locations}
    if not wanted:
        return metas
    response = client.fetch(sorted(wanted), [item])
    completed = list(metas)
    for uid, n in wanted.items():
        data = text_of(response.get(uid, {}), name)
        if data is not None:
            completed[n] = read(metas[n], data)
    return completed


def identify_by_text(client: IMAPClient, metas: list[MessageMeta]) -> list[MessageMeta]:
    """Stand-in ids made from the text of the messages that lack a Message-ID.

    Distinct messages may share every header, so the text (the start of a long one) decides.
    """

    def with_own_text(meta: MessageMeta, text: bytes) -> MessageMeta:
        complete = len(text) < TEXT_PREFIX_BYTES
        return replace(meta, message_id=with_text(meta.message_id, text, size=meta.size, complete=complete))

    return _second_look(client, metas, lambda m: m.synthetic_id, TEXT_ITEM, b"BODY[TEXT]", with_own_text)


def read_bounces(client: IMAPClient, metas: list[MessageMeta]) -> list[MessageMeta]:
    """Details of the bounces in a batch, read from their delivery reports now.

    Which of our messages a bounce returns (and so its conversation) and who did not get it
    are in the report; reading it now, not when the body is opened, shows the failure at once.
    """
    return _second_look(
        client, metas, lambda m: m.kind is MessageKind.BOUNCE, REPORT_ITEM, b"BODY[]", with_delivery_report
    )


def stored_identity(store: Store, meta: MessageMeta) -> MessageMeta:
    """The id a store written by an earlier version holds this message under, if it holds it."""
    legacy = header_only_form(meta.message_id)
    stored = store.message(legacy) if legacy is not None else None
    if legacy is None or stored is None:
        return meta
    same = stored.size == meta.size > 0
    raw = None if same else store.load_raw(legacy)
    if raw is not None:
        text = message_text(raw)[:TEXT_PREFIX_BYTES]
        complete = len(text) < TEXT_PREFIX_BYTES
        same = with_text(meta.message_id, text, size=meta.size, complete=complete) == meta.message_id
    return replace(meta, message_id=legacy) if same else meta


def distinct_identity(existing: MessageMeta | None, meta: MessageMeta) -> MessageMeta:
    """Give a different message that reuses a known Message-ID an id of its own.

    The same message seen twice (INBOX and Sent, or a copy) keeps its id; a
    broken mailer that reuses an id for unrelated mail must not merge them.
    """
    if existing is None:
        return meta
    same = (
        existing.sender.email == meta.sender.email
        and existing.subject == meta.subject
        and abs((existing.date - meta.date).total_seconds()) < 120
    )
    if same:
        return meta
    digest = hashlib.sha256(
        f"{meta.sender.email}|{meta.subject}|{meta.date.isoformat()}".encode("utf-8", "replace")
    ).hexdigest()[:10]
    return replace(meta, message_id=f"{meta.message_id}#dup-{digest}")
