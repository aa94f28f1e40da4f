"""`customer:` searches the customer's name, address and organisation, and what the team recorded."""

from __future__ import annotations

import pytest

from shared_inbox.domain.model import Conversation, Customer
from shared_inbox.domain.query import parse_query

RECORDED = {"ann@initech.example": "initech.example\nAnn Q. Example\nsailing, vip\nCall after noon"}


def lookup(email: str) -> str:
    return RECORDED.get(email, "")


def conv(email: str | None, name: str = "") -> Conversation:
    customer = Customer(email, name) if email else None
    return Conversation(id="c1", subject="Order", message_ids=["m1@x"], customer=customer)


@pytest.mark.parametrize(
    ("query", "customer", "expected"),
    [
        ("customer:ann", conv("ann@initech.example"), True),
        ("customer:INITECH", conv("ann@initech.example"), True),
        ("customer:sailing", conv("ann@initech.example"), True),
        ('customer:"after noon"', conv("ann@initech.example"), True),
        ("-customer:sailing", conv("ann@initech.example"), False),
        ("customer:sailing", conv("zed@else.example", "Zed"), False),
        ("customer:zed", conv("zed@else.example", "Zed"), True),
        ("customer:sailing", conv(None), False),
    ],
)
def test_customer_terms_look_in_the_recorded_profile(
    query: str, customer: Conversation, expected: bool
) -> None:
    assert parse_query(query, me="", customer_lookup=lookup).matches(customer, []) is expected


def test_without_a_lookup_only_the_name_and_address_count() -> None:
    ann = conv("ann@initech.example")
    assert parse_query("customer:initech", me="").matches(ann, [])
    assert not parse_query("customer:sailing", me="").matches(ann, [])
