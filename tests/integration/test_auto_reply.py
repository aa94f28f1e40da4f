"""Acknowledgements against Dovecot and a real SMTP receiver: one per sender, no loops, one per team."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

import pytest

from shared_inbox.canned.usage import usage_counts
from shared_inbox.domain.conversations import waiting_since
from shared_inbox.imap.connection import connect_imap
from shared_inbox.services.replies import ReplyDraft
from shared_inbox.services.reply_variables import due_phrase, response_due
from shared_inbox.services.session import sync_plan
from shared_inbox.wallclock import utc_now
from tests.integration.auto_reply_support import (
    Automation,
    agent_with_smtp,
    answer,
    customer_mail,
)
from tests.integration.auto_reply_support import message_id_of as _mid
from tests.rig.dovecot import free_port
from tests.rig.smtp import OnwardDelivery

pytestmark = pytest.mark.integration

ANN = "Ann Lee <ann@customer.test>"
SATURDAY = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)


@pytest.fixture
def customer_box(dovecot: Any) -> Any:
    return dovecot.new_mailbox("customer")


def received_headers(receiver: Any) -> list[Any]:
    return [message_from_bytes(mail.raw, policy=policy.default) for mail in receiver.received]


def unread_in(box: Any, seen: set[int]) -> list[bytes]:
    """Messages that arrived in `box` since the last look."""
    with box.imap() as client:
        client.select_folder("INBOX", readonly=True)
        uids = [uid for uid in client.search("ALL") if uid not in seen]
        seen.update(uids)
        return [item[b"BODY[]"] for item in client.fetch(uids, ["BODY.PEEK[]"]).values()] if uids else []


@pytest.mark.parametrize("marked", [True, False], ids=["rfc3834-responder", "unmarked-responder"])
def test_an_acknowledgement_answered_by_an_auto_responder_produces_no_further_mail(
    mailbox: Any, dovecot: Any, customer_box: Any, smtp_receiver_factory: Any, tmp_path: Any, marked: bool
) -> None:
    receiver = smtp_receiver_factory(onward=OnwardDelivery(dovecot, customer_box.user))
    mailbox.deliver(customer_mail(ANN, "Order problem", utc_now()))
    automation = Automation(agent_with_smtp(tmp_path / "alice", mailbox, receiver, "alice@example.com"))
    seen: set[int] = set()
    outcomes = []
    for _ in range(3):  # sync, run the rule on every message, send; the customer's responder answers
        automation.agent.sync_mail()
        outcomes += [outcome.line for outcome in automation.every_new_message()]
        automation.flush()
        for raw in unread_in(customer_box, seen):
            mailbox.deliver(answer(raw, marked=marked, when=utc_now()))
    [ack] = received_headers(receiver)
    assert ack["Auto-Submitted"] == "auto-replied" and ack["To"] == ANN
    assert "we got your message" in ack.get_body(("plain",)).get_content()
    assert outcomes[0] == "sent: 'Acknowledgement' to ann@customer.test"
    why = "it is an automatic reply" if marked else "ann@customer.test already had an automatic reply at"
    assert any(why in line for line in outcomes[1:]), outcomes
    assert not any(line.startswith("sent") for line in outcomes[1:]), outcomes
    [conv] = automation.agent.session.inbox.conversations()
    assert conv.state.status.value == "active" and conv.state.assignee is None  # still the team's to answer
    assert (
        response_due(automation.agent.session, conv, utc_now()) is not None
    )  # the first-response clock runs
    assert waiting_since(conv) is not None


def test_the_same_sender_writing_twice_within_the_window_is_acknowledged_once(
    mailbox: Any, smtp_receiver: Any, tmp_path: Any
) -> None:
    first = customer_mail(ANN, "Order problem", utc_now())
    second = customer_mail(ANN, "And another thing", utc_now())
    other = customer_mail("Bo Chen <bo@customer.test>", "Invoice", utc_now())
    for raw in (first, second, other):
        mailbox.deliver(raw)
    automation = Automation(agent_with_smtp(tmp_path / "alice", mailbox, smtp_receiver, "alice@example.com"))
    lines = [automation.acknowledge(_mid(raw)).line for raw in (first, second, other)]
    automation.flush()
    assert lines[0] == "sent: 'Acknowledgement' to ann@customer.test"
    assert lines[1].startswith("skipped: ann@customer.test already had an automatic reply at")
    assert lines[2] == "sent: 'Acknowledgement' to bo@customer.test"
    assert sorted(mail.rcpt_tos for mail in smtp_receiver.received) == [
        ("ann@customer.test",),
        ("bo@customer.test",),
    ]
    with mailbox.imap() as client:  # nobody answered Ann yet: teammates' mail clients must not say so
        client.select_folder("INBOX", readonly=True)
        flags = [item[b"FLAGS"] for item in client.fetch(client.search("ALL"), ["FLAGS"]).values()]
    assert len(flags) == 3 and not any(b"\\Answered" in found for found in flags), flags
    assert usage_counts(automation.agent.session.store) == {}  # the team's own use ranks saved replies
    again = automation.acknowledge(_mid(first)).line  # the rule runs again for the same occurrence
    assert again.startswith("skipped: ack/") and "already claimed by alice@example.com" in again


def test_two_copies_racing_on_one_mailbox_send_one_acknowledgement(
    mailbox: Any, smtp_receiver: Any, tmp_path: Any
) -> None:
    raw = customer_mail(ANN, "Order problem", utc_now())
    mailbox.deliver(raw)
    copies = [
        Automation(agent_with_smtp(tmp_path / name, mailbox, smtp_receiver, f"{name}@example.com"))
        for name in ("alice", "bob")
    ]
    start = threading.Barrier(len(copies))
    lines: dict[str, str] = {}

    def run(automation: Automation) -> None:
        start.wait()
        lines[automation.agent.session.config.team.me] = automation.acknowledge(_mid(raw)).line
        automation.flush()

    threads = [threading.Thread(target=run, args=(automation,)) for automation in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(smtp_receiver.received) == 1, lines
    assert sorted(line.split(":")[0] for line in lines.values()) == ["sent", "skipped"], lines


def test_the_claim_stored_first_wins_when_both_copies_see_both_claims(
    mailbox: Any, smtp_receiver: Any, tmp_path: Any
) -> None:
    """The worst interleaving: bob claims and settles between alice's claim and her reading the folder."""
    raw = customer_mail(ANN, "Order problem", utc_now())
    mailbox.deliver(raw)
    alice, bob = (
        Automation(agent_with_smtp(tmp_path / name, mailbox, smtp_receiver, f"{name}@example.com"))
        for name in ("alice", "bob")
    )
    bob_said: list[str] = []
    claims = alice.auto.claims
    real_connect = claims._connect  # type: ignore[attr-defined]

    def bob_settles() -> None:
        bob_said.append(bob.acknowledge(_mid(raw)).line)

    claims._connect = lambda: _AfterAppend(real_connect(), bob_settles)  # type: ignore[attr-defined]
    alice_said = alice.acknowledge(_mid(raw)).line
    for automation in (alice, bob):
        automation.flush()
    assert alice_said == "sent: 'Acknowledgement' to ann@customer.test"
    assert bob_said == ["skipped: alice@example.com sends it (their claim came first)"]
    assert len(smtp_receiver.received) == 1
    # Another copy of alice's, started later, finds the acknowledgement in Sent.
    late = Automation(agent_with_smtp(tmp_path / "laptop", mailbox, smtp_receiver, "alice@example.com"))
    assert late.acknowledge(_mid(raw)).line.startswith("skipped: ann@customer.test already had an automatic")


def test_outside_business_hours_the_other_saved_reply_goes_with_the_sla_due_time(
    mailbox: Any, smtp_receiver: Any, tmp_path: Any
) -> None:
    weekend = customer_mail(ANN, "Order problem", utc_now())
    weekday = customer_mail("Bo Chen <bo@customer.test>", "Invoice", utc_now())
    for raw in (weekend, weekday):
        mailbox.deliver(raw)
    agent = agent_with_smtp(tmp_path / "alice", mailbox, smtp_receiver, "alice@example.com")
    lines = []
    for raw, when in ((weekend, SATURDAY), (weekday, MONDAY)):  # as a rule's reply action calls it
        conv = agent.session.inbox.conversation(_mid(raw))
        assert conv is not None
        auto = Automation(agent, now=lambda when=when: when).auto
        lines.append(auto.send(conv.id, "Acknowledgement, or closed", f"ack/{conv.id}/new"))
    Automation(agent).flush()
    assert lines == [
        "sent: 'Closed' to ann@customer.test",
        "sent: 'Acknowledgement, or closed' to bo@customer.test",
    ]
    texts = {str(m["To"]): m.get_body(("plain",)).get_content() for m in received_headers(smtp_receiver)}
    conv = agent.session.inbox.conversation(_mid(weekend))
    assert conv is not None
    due = response_due(agent.session, conv, SATURDAY)
    assert due is not None
    assert f"we are closed right now; you will hear from us by {due_phrase(due, UTC)}." in texts[ANN]
    assert "we got your message and will answer by " in texts["Bo Chen <bo@customer.test>"], texts


def test_a_copy_that_cannot_reach_the_events_folder_does_not_send_and_can_try_again(
    mailbox: Any, smtp_receiver: Any, tmp_path: Any
) -> None:
    raw = customer_mail(ANN, "Order problem", utc_now())
    mailbox.deliver(raw)
    automation = Automation(agent_with_smtp(tmp_path / "alice", mailbox, smtp_receiver, "alice@example.com"))
    claims = automation.auto.claims
    endpoint = sync_plan(automation.agent.session.config).endpoint
    nowhere = replace(endpoint, port=free_port(), timeout=5.0)
    claims._connect = lambda: connect_imap(nowhere)  # type: ignore[attr-defined]
    line = automation.acknowledge(_mid(raw)).line
    automation.flush()
    assert line.startswith("skipped: the team events folder could not be used (") and "\n" not in line
    assert smtp_receiver.received == []
    claims._connect = lambda: connect_imap(endpoint)  # type: ignore[attr-defined]
    assert automation.acknowledge(_mid(raw)).line == "sent: 'Acknowledgement' to ann@customer.test"
    automation.flush()
    assert len(smtp_receiver.received) == 1


def test_an_acknowledgement_is_not_what_the_agent_undoes(
    mailbox: Any, smtp_receiver: Any, tmp_path: Any
) -> None:
    ann, bo = (
        customer_mail(ANN, "Order problem", utc_now()),
        customer_mail("Bo <bo@customer.test>", "Hi", utc_now()),
    )
    for raw in (ann, bo):
        mailbox.deliver(raw)
    automation = Automation(agent_with_smtp(tmp_path / "alice", mailbox, smtp_receiver, "alice@example.com"))
    mine = ReplyDraft(mode="reply", body="Hello Bo", conversation_id=automation.conversation(_mid(bo)).id)
    automation.replies.queue(mine)  # held for the undo window
    assert automation.acknowledge(_mid(ann)).sent
    undone = automation.replies.undo_last()
    assert undone.message == "Undone: the reply 'Re: Hi' was not sent." and undone.draft == mine
    automation.flush()
    assert [mail.rcpt_tos for mail in smtp_receiver.received] == [("ann@customer.test",)]


class _AfterAppend:
    """An IMAP connection that runs `then` right after each APPEND went through."""

    def __init__(self, client: Any, then: Any) -> None:
        self._client, self._then = client, then

    def append(self, *args: Any, **kwargs: Any) -> Any:
        answer = self._client.append(*args, **kwargs)
        self._then()
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
