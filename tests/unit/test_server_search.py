"""A conversation search said to the IMAP server: only what the server can answer, as SEARCH keys."""

from __future__ import annotations

import pytest

from shared_inbox.domain.query import parse_query
from shared_inbox.domain.server_search import server_criteria


@pytest.mark.parametrize(
    ("query", "criteria"),
    [
        ("refund", ["OR", "SUBJECT", "refund", "OR", "FROM", "refund", "TO", "refund"]),
        ("from:ann@x.test", ["FROM", "ann@x.test"]),
        ("to:billing", ["OR", "TO", "billing", "CC", "billing"]),
        ('subject:"late delivery"', ["SUBJECT", "late delivery"]),
        ("customer:example.org", ["OR", "FROM", "example.org", "TO", "example.org"]),
        ("before:2024-05-01", ["BEFORE", "1-May-2024"]),
        ("after:2023-12-09", ["SINCE", "9-Dec-2023"]),
        ("-from:bob", ["NOT", "FROM", "bob"]),
        (
            "refund tag:vip status:active is:unread",
            ["OR", "SUBJECT", "refund", "OR", "FROM", "refund", "TO", "refund"],
        ),
        (
            "Rückerstattung",
            ["OR", "SUBJECT", "rückerstattung", "OR", "FROM", "rückerstattung", "TO", "rückerstattung"],
        ),
        ("from:ann after:2024-01-01", ["FROM", "ann", "SINCE", "1-Jan-2024"]),
    ],
)
def test_what_the_server_is_asked(query: str, criteria: list[str]) -> None:
    assert server_criteria(parse_query(query, me="me@example.com")) == criteria


@pytest.mark.parametrize("query", ["tag:vip", "assignee:me is:unread", "status:closed has:attachment"])
def test_a_search_only_the_team_can_answer_asks_nothing(query: str) -> None:
    assert server_criteria(parse_query(query, me="me@example.com")) is None


def test_a_word_that_looks_like_a_search_key_stays_a_value() -> None:
    # "ALL" or "(" typed as words are arguments that imapclient quotes, never keys of their own.
    criteria = server_criteria(parse_query('"ALL) OR (" deleted', me="me@example.com"))
    assert criteria is not None
    assert criteria[2] == "all) or ("
    assert criteria.count("SUBJECT") == 2
