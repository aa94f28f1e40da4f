"""Message kinds and delivery failures on disk: stored compactly; older stores still open."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared_inbox.domain.model import Address, DeliveryFailure, MessageKind, MessageMeta
from shared_inbox.store.codec import CodecError, meta_from_dict, meta_to_dict

# A message as the version before message kinds wrote it.
OLD_DOC = {
    "message_id": "q1@customer.test",
    "subject": "Hello",
    "sender": ["Ann", "ann@customer.test"],
    "to": [["Support", "support@example.com"]],
    "date": "2026-03-01T09:30:00+00:00",
    "flags": [],
    "size": 120,
    "locations": [["INBOX", 7, 1]],
}
BOUNCE = MessageMeta(
    message_id="b1@mx.example.com",
    subject="Undelivered Mail Returned to Sender",
    sender=Address("Mail Delivery System", "mailer-daemon@mx.example.com"),
    to=(Address("", "support@example.com"),),
    cc=(),
    date=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
    kind=MessageKind.BOUNCE,
    delivery_failures=(DeliveryFailure("ann@customer.test", True, "550 5.1.1 user unknown"),),
    bounced_message_id="r1@example.com",
)


def test_a_message_stored_before_kinds_existed_reads_as_a_customers() -> None:
    meta = meta_from_dict(dict(OLD_DOC))
    assert meta.kind is MessageKind.CUSTOMER
    assert meta.delivery_failures == () and meta.bounced_message_id is None


def test_customer_mail_is_stored_without_the_new_fields() -> None:
    assert meta_to_dict(meta_from_dict(dict(OLD_DOC))) == OLD_DOC


def test_a_bounce_round_trips() -> None:
    doc = meta_to_dict(BOUNCE)
    assert doc["kind"] == "bounce"
    assert doc["delivery_failures"] == [["ann@customer.test", True, "550 5.1.1 user unknown"]]
    assert meta_from_dict(doc) == BOUNCE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "robot"),
        ("kind", 3),
        ("delivery_failures", [["ann@customer.test", "yes", "550"]]),
        ("delivery_failures", [["ann@customer.test", True]]),
        ("delivery_failures", "550"),
        ("bounced_message_id", 5),
    ],
)
def test_damaged_kind_fields_fail_loudly(field: str, value: object) -> None:
    with pytest.raises(CodecError):
        meta_from_dict({**OLD_DOC, field: value})
