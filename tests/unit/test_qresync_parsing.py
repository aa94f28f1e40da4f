"""Reading the answers of a QRESYNC SELECT (RFC 7162)."""

from __future__ import annotations

import pytest

from shared_inbox.imap.qresync import _flags_by_uid, _vanished, parse_uid_set, uid_set_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"7", {7}),
        (b"1:3,7", {1, 2, 3, 7}),
        (b"9:8", {8, 9}),
        (b"4, 6:6", {4, 6}),
        (b"", set()),
    ],
)
def test_uid_sets(text, expected):
    ranges = parse_uid_set(text)
    assert {uid for uid in range(0, 30) if uid in ranges} == expected


def test_a_huge_range_stays_two_numbers():
    ranges = parse_uid_set(b"1:4000000000")
    assert 3_999_999_999 in ranges and 4_000_000_001 not in ranges
    assert ranges.ranges == ((1, 4_000_000_000),)


def test_vanished_earlier_and_live_forms():
    lines = [b"(EARLIER) 1:2,10", b"12", b"(earlier) 20:21"]
    vanished = _vanished(lines)
    assert {uid for uid in range(0, 30) if uid in vanished} == {1, 2, 10, 12, 20, 21}


@pytest.mark.parametrize(
    ("uids", "text"),
    [([], ""), ([5], "5"), ([3, 1, 2, 7], "1:3,7"), ([1, 3, 5, 6], "1,3,5:6")],
)
def test_uid_set_text(uids, text):
    assert uid_set_text(uids) == text


def test_changed_flags_keyed_by_uid_not_sequence_number():
    lines = [b"3 (UID 10 FLAGS (\\Seen \\Flagged) MODSEQ (41))", b"5 (UID 12 MODSEQ (44) FLAGS ())"]
    assert _flags_by_uid(lines) == {10: (b"\\Seen", b"\\Flagged"), 12: ()}


def test_which_known_uids_vanished():
    vanished = parse_uid_set(b"2:4,9,100:200")
    assert vanished.among([1, 2, 3, 5, 9, 10, 150, 201]) == {2, 3, 9, 150}
    assert vanished.among([]) == set()
