"""The search language: parsing, errors, and matching conversations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared_inbox.domain.model import (
    Address,
    Conversation,
    ConversationState,
    Customer,
    MessageMeta,
    Status,
)
from shared_inbox.domain.query import QueryError, Term, parse_query

ME = "cy@acme.example"


def message(
    sender: Address,
    *,
    to: tuple[Address, ...] = (Address("Acme Support", "support@acme.example"),),
    cc: tuple[Address, ...] = (),
    subject: str = "Late delivery of order 1234",
    attachments: bool = False,
) -> MessageMeta:
    return MessageMeta(
        message_id=f"{sender.email}-{subject}",
        subject=subject,
        sender=sender,
        to=to,
        cc=cc,
        date=datetime(2024, 4, 10, 15, tzinfo=UTC),
        has_attachments=attachments,
    )


ANN = Address("Ann Lee", "ann@customer.example")
AGENT = Address("Cy via Acme", "support@acme.example")
MESSAGES = [
    message(ANN, cc=(Address("Dora Finance", "dora@customer.example"),)),
    message(AGENT, to=(ANN,), subject="Re: Late delivery of order 1234", attachments=True),
]
CONV = Conversation(
    id="c0123456789",
    subject="Late delivery of order 1234",
    message_ids=[m.message_id for m in MESSAGES],
    customer=Customer(email="ann@customer.example", name="Ann Lee"),
    state=ConversationState(status=Status.PENDING, assignee=ME, tags=frozenset({"vip", "Billing"})),
    last_activity=datetime(2024, 4, 10, 15, tzinfo=UTC),
    last_customer_message=datetime(2024, 4, 10, 15, tzinfo=UTC),
    unread=1,
)
PLAIN = Conversation(
    id="c9999999999",
    subject="Question",
    message_ids=["q"],
    customer=Customer(email="bob@other.example", name=""),
    state=ConversationState(),
    last_activity=datetime(2024, 3, 1, tzinfo=UTC),
    unread=0,
)
PLAIN_MESSAGES = [message(Address("", "bob@other.example"), subject="Question")]


def test_parse_terms() -> None:
    query = parse_query(
        'Refund  -tag:VIP from:"Ann Lee" "order 1234" -"gift card" is:unread', me=" Cy@Acme.Example "
    )
    assert query.me == ME
    assert query.terms == (
        Term(None, "refund"),
        Term("tag", "vip", negated=True),
        Term("from", "ann lee"),
        Term(None, "order 1234"),
        Term(None, "gift card", negated=True),
        Term("is", "unread"),
    )


def test_parse_quotes_with_escapes_and_field_names_in_any_case() -> None:
    query = parse_query(r'SUBJECT:"say \"hi\"" Tag:x', me=ME)
    assert query.terms == (Term("subject", 'say "hi"'), Term("tag", "x"))


def test_parse_odd_but_valid_text() -> None:
    query = parse_query("10:30 - a-b", me=ME)
    assert query.terms == (Term(None, "10:30"), Term(None, "-"), Term(None, "a-b"))


def test_dates_become_utc_midnights() -> None:
    query = parse_query("after:2024-04-01 before:2024-05-01", me=ME)
    assert [term.moment for term in query.terms] == [
        datetime(2024, 4, 1, tzinfo=UTC),
        datetime(2024, 5, 1, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("form:ann", 'Unknown search field "form:". Did you mean "from:"?'),
        ("assigne:me", 'Did you mean "assignee:"?'),
        ("xyzzy:1", 'Unknown search field "xyzzy:". Known fields: from:'),
        ("status:clsed", 'Did you mean "status:closed"?'),
        ("is:unred", 'Did you mean "is:unread"?'),
        ("has:pdf", "Use one of has:attachment"),
        ("before:2024-13-01", '"before:2024-13-01" is not a date; write it as YYYY-MM-DD'),
        ("after:01/04/2024", "is not a date"),
        ("after:20240401", "is not a date"),
        ("tag:", '"tag:" needs a value'),
        ('from:""', '"from:" needs a value'),
        ('subject:"never closed', "double quote is not closed"),
    ],
)
def test_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(text, me=ME)
    assert message in str(raised.value)


MATCH_CASES = [
    ("", True),
    ("late delivery", True),
    ("DELIVERY", True),
    ('"of order 1234"', True),
    ("refund", False),
    ("-refund", True),
    ("dora", True),  # a participant
    ("customer.example", True),
    ("from:ann", True),
    ("from:lee", True),
    ("from:dora", False),
    ("to:dora", True),
    ("to:finance", True),
    ("-to:dora", False),
    ("subject:1234", True),
    ('subject:"late delivery of"', True),
    ("subject:re:", True),
    ("customer:ann", True),
    ("customer:support", False),
    ("tag:vip", True),
    ("tag:billing", True),
    ("tag:vi", False),
    ("-tag:vip", False),
    ("status:pending", True),
    ("status:active", False),
    ("-status:closed", True),
    ("assignee:me", True),
    ("assignee:none", False),
    ("assignee:cy", True),
    ("assignee:bob", False),
    ("is:unread", True),
    ("is:read", False),
    ("has:attachment", True),
    ("has:attachments", True),
    ("-has:attachment", False),
    ("after:2024-04-10", True),
    ("after:2024-04-11", False),
    ("before:2024-04-11", True),
    ("before:2024-04-10", False),
    ("from:ann tag:vip is:unread", True),
    ("from:ann tag:nope", False),
]


@pytest.mark.parametrize(("text", "expected"), MATCH_CASES)
def test_matches(text: str, expected: bool) -> None:
    assert parse_query(text, me=ME).matches(CONV, MESSAGES) is expected


PLAIN_CASES = [
    ("assignee:none", True),
    ("assignee:me", False),
    ("is:read", True),
    ("is:unread", False),
    ("status:active", True),
    ("has:attachment", False),
    ("question", True),
    ("customer:bob", True),
    ("tag:vip", False),
    ("-tag:vip", True),
    ("before:2024-04-01", True),
    ("before:2024-03-01", False),  # last activity is exactly midnight: before is exclusive
    ("after:2024-03-01", True),  # and after is inclusive
]


@pytest.mark.parametrize(("text", "expected"), PLAIN_CASES)
def test_matches_a_plain_conversation(text: str, expected: bool) -> None:
    assert parse_query(text, me=ME).matches(PLAIN, PLAIN_MESSAGES) is expected


def test_assignee_me_needs_someone_to_be_me() -> None:
    nobody = Conversation(id="c", subject="s", message_ids=[], customer=None)
    assert parse_query("assignee:me", me="").matches(nobody, []) is False
    assert parse_query("assignee:none", me="").matches(nobody, []) is True


def test_conversation_without_activity_matches_no_date_term() -> None:
    empty = Conversation(id="c", subject="s", message_ids=[], customer=None)
    assert not parse_query("after:2000-01-01", me=ME).matches(empty, [])
    assert not parse_query("before:2100-01-01", me=ME).matches(empty, [])
    assert parse_query("-before:2100-01-01", me=ME).matches(empty, [])
