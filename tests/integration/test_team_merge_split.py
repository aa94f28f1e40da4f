"""Merge, split and customer links made by one agent show on another, through one real Dovecot mailbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime

import pytest

from shared_inbox.services import customer_links, merging
from tests.integration.team_support import BASE, Agent, customer_mail, make_agent

pytestmark = pytest.mark.integration


def follow_up_without_headers() -> bytes:
    """Customer 1 writes again as a new message with a subject of its own: threading starts anew."""
    lines = [
        "From: Customer 1 <c1@customer.test>",
        "To: Acme Support <support@example.com>",
        "Subject: Any news on question 1?",
        f"Date: {format_datetime(BASE + timedelta(hours=2))}",
        "Message-ID: <q1-again@customer.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Any news on my question?",
        "",
    ]
    return "\r\n".join(lines).encode()


@pytest.fixture
def agents(mailbox, tmp_path) -> Iterator[list[Agent]]:
    for n in range(1, 3):
        mailbox.deliver(customer_mail(n))
    mailbox.deliver(follow_up_without_headers())
    made: list[Agent] = []
    try:
        for name in ("alice", "bob"):
            made.append(make_agent(tmp_path / name, mailbox, f"{name}@example.com"))
        yield made
    finally:
        for agent in made:
            agent.close()


def conversation_of(agent: Agent, message_id: str) -> list[str]:
    conv = agent.session.inbox.conversation(message_id)
    assert conv is not None
    return conv.message_ids


def test_a_merge_on_one_agent_shows_on_the_other_and_so_does_its_undo(agents, mailbox):
    alice, bob = agents
    first = alice.session.inbox.conversation("q1@customer.test")
    again = alice.session.inbox.conversation("q1-again@customer.test")
    assert first is not None and again is not None and first.id != again.id
    bob.commands.tag(again.id, "waiting")  # a teammate's change on the conversation about to merge away
    bob.exchange()
    done = merging.merge(alice.session.inbox, alice.commands, [again.id, first.id])
    assert done.conversation_id == first.id
    alice.exchange()
    bob.exchange()
    merged = bob.session.inbox.conversation(again.id)  # the old id, as bob's screen or script has it
    assert merged is not None and merged.id == first.id
    assert merged.message_ids == ["q1@customer.test", "q1-again@customer.test"]
    assert merged.state.tags == {"waiting"}
    assert alice.states() == bob.states()
    mailbox.deliver(customer_reply_to_the_merged_away_message())
    bob.sync_mail()
    assert conversation_of(bob, "q1-third@customer.test")[-1] == "q1-third@customer.test"
    assert bob.session.inbox.conversation("q1-third@customer.test").id == first.id  # type: ignore[union-attr]
    merging.undo(bob.session.inbox, bob.commands, done.event)
    bob.exchange()
    alice.exchange()
    assert conversation_of(alice, "q1-again@customer.test") == ["q1-again@customer.test"]
    assert alice.states() == bob.states()


def customer_reply_to_the_merged_away_message() -> bytes:
    lines = [
        "From: Customer 1 <c1@customer.test>",
        "To: Acme Support <support@example.com>",
        "Subject: Any news on question 1?",
        f"Date: {format_datetime(BASE + timedelta(hours=3))}",
        "Message-ID: <q1-third@customer.test>",
        "In-Reply-To: <q1-again@customer.test>",
        "References: <q1-again@customer.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Hello again.",
        "",
    ]
    return "\r\n".join(lines).encode()


def test_a_split_and_a_customer_link_travel_too(agents):
    alice, bob = agents
    merged = merging.merge(alice.session.inbox, alice.commands, ["q1@customer.test", "q2@customer.test"])
    split = merging.split(alice.session.inbox, alice.commands, "q2@customer.test")
    customer_links.link(alice.session.inbox, alice.commands, ["c1@customer.test", "c2@customer.test"])
    alice.exchange()
    bob.exchange()
    assert conversation_of(bob, "q1@customer.test") == ["q1@customer.test"]
    assert bob.session.inbox.conversation("q2@customer.test").id == split.conversation_id  # type: ignore[union-attr]
    assert merged.conversation_id == bob.session.inbox.conversation("q1@customer.test").id  # type: ignore[union-attr]
    people = customer_links.person_addresses(bob.session.inbox, "c2@customer.test")
    assert people == {"c1@customer.test", "c2@customer.test"}
