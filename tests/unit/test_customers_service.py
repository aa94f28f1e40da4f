"""The customer profile behind the reader's panel: organisation, matching, order, freshness."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.domain.model import Address, MessageMeta, Status
from shared_inbox.services.commands import Commands
from shared_inbox.services.customers import customer_profile, organisation_of
from shared_inbox.services.inbox import Inbox
from shared_inbox.store import Store

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
SUPPORT = Address("Acme Support", "support@example.com")
ANN = Address("Ann Lee", "ann@globex.test")
RAJ = Address("Raj", "raj@globex.test")
OURS = frozenset({SUPPORT.email})


def mail(mid: str, subject: str, sender: Address, hours: int, *, refs: tuple[str, ...] = ()) -> MessageMeta:
    outgoing = sender.email in OURS
    return MessageMeta(
        message_id=mid,
        subject=subject,
        sender=sender,
        to=(ANN,) if outgoing else (SUPPORT,),
        cc=(),
        date=START + timedelta(hours=hours),
        references=refs,
        outgoing=outgoing,
    )


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Inbox]:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages(
            [
                mail("a1@globex.test", "Invoice missing", ANN, 0),
                mail("s1@example.com", "Re: Invoice missing", SUPPORT, 1, refs=("a1@globex.test",)),
                mail("a2@globex.test", "Cannot log in", ANN, 30),
                # Raj starts a thread; Ann joins it, so it is hers too.
                mail("r1@globex.test", "Shipping to Berlin", RAJ, 50),
                mail("a3@globex.test", "Re: Shipping to Berlin", ANN, 51, refs=("r1@globex.test",)),
                mail("z1@else.test", "Unrelated", Address("Zed", "zed@else.test"), 60),
            ]
        )
        yield Inbox(store, our_addresses=OURS, me="alice@example.com").load()


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ann@globex.test", "globex.test"),
        ("Someone@Sub.Example.ORG", "sub.example.org"),
        ("joe@gmail.com", None),
        ("joe@outlook.com", None),
        ("joe@yahoo.com", None),
        ("joe@hotmail.com", None),
        ("joe@icloud.com", None),
        ("joe@gmx.de", None),
        ("joe@gmx.net", None),
        ("joe@web.de", None),
        ("joe@proton.me", None),
        ("not-an-address", None),
        ("joe@localhost", None),
    ],
)
def test_organisation_is_the_domain_unless_it_is_free_mail(email: str, expected: str | None) -> None:
    assert organisation_of(email) == expected


def test_a_profile_lists_every_conversation_the_customer_wrote_in_newest_first(inbox: Inbox) -> None:
    profile = customer_profile(inbox, "ann@globex.test")
    assert [c.subject for c in profile.conversations] == [
        "Shipping to Berlin",
        "Cannot log in",
        "Invoice missing",
    ]
    assert profile.name == "Ann Lee"
    assert profile.organisation == "globex.test"
    assert profile.display() == "Ann Lee <ann@globex.test>"


def test_lookup_ignores_case_and_an_unknown_address_has_no_conversations(inbox: Inbox) -> None:
    assert len(customer_profile(inbox, " ANN@Globex.test ").conversations) == 3
    unknown = customer_profile(inbox, "nobody@gmail.com", name="No Body")
    assert unknown.conversations == () and unknown.organisation is None and unknown.name == "No Body"


def test_our_own_replies_do_not_make_us_a_customer(inbox: Inbox) -> None:
    assert customer_profile(inbox, SUPPORT.email).conversations == ()


def test_statuses_are_current_after_a_change(inbox: Inbox) -> None:
    target = customer_profile(inbox, RAJ.email).conversations[0]
    Commands(inbox, author="alice@example.com", now=lambda: START + timedelta(days=5)).set_status(
        target.id, "closed"
    )
    [shown] = customer_profile(inbox, RAJ.email).conversations
    assert shown.id == target.id and shown.state.status is Status.CLOSED


def test_new_mail_from_the_customer_shows_up_in_the_profile(inbox: Inbox) -> None:
    before = customer_profile(inbox, "ann@globex.test")
    inbox.store.upsert_messages([mail("a4@globex.test", "Refund please", ANN, 80)])
    after = customer_profile(inbox, "ann@globex.test")
    assert len(after.conversations) == len(before.conversations) + 1
    assert after.conversations[0].subject == "Refund please"
