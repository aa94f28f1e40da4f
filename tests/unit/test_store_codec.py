"""MessageMeta <-> document: lossless round trips, compact documents, loud failures on damage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_inbox.domain.model import Address, Location, MessageMeta
from shared_inbox.store.codec import CodecError, MetaDecoder, meta_from_dict, meta_to_dict
from tests.unit.test_store import inbox, make_meta

text = st.text(max_size=30)
addresses = st.builds(Address, text, text)
locations = st.builds(Location, text, st.integers(1, 2**32 - 1), st.integers(1, 2**32 - 1))
metas = st.builds(
    MessageMeta,
    message_id=st.text(min_size=1, max_size=40),
    subject=text,
    sender=addresses,
    to=st.tuples(addresses) | st.just(()),
    cc=st.lists(addresses, max_size=3).map(tuple),
    date=st.datetimes(timezones=st.just(UTC)),
    in_reply_to=st.lists(text, max_size=2).map(tuple),
    references=st.lists(text, max_size=4).map(tuple),
    token=st.none() | text,
    reply_to=st.lists(addresses, max_size=2).map(tuple),
    flags=st.frozensets(st.sampled_from(["\\Seen", "\\Answered", "\\Flagged", "$Label1"])),
    size=st.integers(0, 2**40),
    locations=st.lists(locations, max_size=3).map(tuple),
    outgoing=st.booleans(),
    has_attachments=st.booleans(),
    synthetic_id=st.booleans(),
    header_notes=st.lists(text, max_size=2).map(tuple),
    received=st.none() | st.datetimes(timezones=st.just(UTC)),
)


@given(metas)
def test_every_message_round_trips(meta):
    assert meta_from_dict(meta_to_dict(meta)) == meta


def test_default_fields_are_left_out_and_flags_sorted():
    doc = meta_to_dict(make_meta(1, inbox(3), flags=frozenset({"\\Seen", "\\Answered"})))
    assert set(doc) == {"message_id", "subject", "sender", "to", "date", "flags", "size", "locations"}
    assert doc["flags"] == ["\\Answered", "\\Seen"]
    assert doc["locations"] == [["INBOX", 7, 3]]
    assert doc["date"] == "2026-03-01T09:31:00+00:00"
    assert doc["sender"] == ["Customer 1", "c1@customer.test"]


def test_other_timezones_keep_their_instant():
    meta = make_meta(1, date=datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))))
    assert meta_from_dict(meta_to_dict(meta)).date == datetime(2026, 1, 1, 10, tzinfo=UTC)


def test_a_naive_date_is_refused():
    with pytest.raises(ValueError, match="naive"):
        meta_to_dict(make_meta(1, date=datetime(2026, 1, 1)))


def test_the_decoder_shares_equal_addresses_and_flag_sets():
    decoder = MetaDecoder()
    one = decoder.decode(meta_to_dict(make_meta(1, flags=frozenset({"\\Seen"}))))
    two = decoder.decode(meta_to_dict(make_meta(2, flags=frozenset({"\\Seen"}))))
    assert one.to[0] is two.to[0]
    assert one.flags is two.flags


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("message_id", 5, "message_id"),
        ("size", "5", "size"),
        ("size", True, "size"),
        ("sender", ["only-name"], "sender"),
        ("to", [["a", 1]], "to"),
        ("date", "yesterday", "ISO 8601"),
        ("flags", ["\\Seen", 3], "flags"),
        ("locations", [["INBOX", "7", 1]], "location"),
        ("references", "not-a-list", "references"),
        ("outgoing", 1, "outgoing"),
        ("token", 7, "token"),
    ],
)
def test_damaged_fields_are_named(field, value, reason):
    doc = meta_to_dict(make_meta(1, inbox(1)))
    doc[field] = value
    with pytest.raises(CodecError, match=reason):
        meta_from_dict(doc)


def test_a_missing_field_is_named():
    doc = meta_to_dict(make_meta(1))
    del doc["subject"]
    with pytest.raises(CodecError, match="'subject' is missing"):
        meta_from_dict(doc)
