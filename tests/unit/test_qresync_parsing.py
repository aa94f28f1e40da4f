"""Reading the answers of a QRESYNC SELECT (RFC 7162)."""

from __future__ import annotations

import pytest

from shared_inbox.imap.qresync import _flags_by_uid, _vanished, parse_uid_set


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
    assert parse_uid_set(text) == expected


def test_vanished_earlier_and_live_forms():
    lines = [b"(EARLIER) 1:2,10", b"12", b"(earlier) 20:21"]
    assert _vanished(lines) == frozenset({1, 2, 10, 12, 20, 21})


def test_changed_flags_keyed_by_uid_not_sequence_number():
    lines = [b"3 (UID 10 FLAGS (\\Seen \\Flagged) MODSEQ (41))", b"5 (UID 12 MODSEQ (44) FLAGS ())"]
    assert _flags_by_uid(lines) == {10: (b"\\Seen", b"\\Flagged"), 12: ()}
