"""Conversation assembly from the thread index, messages and events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.conversations import assemble, assemble_one, group_events, waiting_since
from shared_inbox.domain.events import Event, EventKind
from shared_inbox.domain.model import (
    SEEN,
    Address,
    Conversation,
    ConversationState,
    Customer,
    MessageMeta,
    Status,
)
from shared_inbox.domain.threading import ThreadIndex

T0 = datetime(2024, 4, 2, 8, 0, tzinfo=UTC)
OURS = frozenset({"support@acme.example"})


def msg(
    mid: str,
    hour: float,
    sender: Address,
    *,
    to: Sequence[Address] = (Address("Acme Support", "support@acme.example"),),
    refs: Sequence[str] = (),
    subject: str = "Order problem",
    seen: bool = False,
    outgoing: bool = False,
) -> MessageMeta:
    return MessageMeta(
        message_id=mid,
        subject=subject,
        sender=sender,
        to=tuple(to),
        cc=(),
        date=T0 + timedelta(hours=hour),
        references=tuple(refs),
        flags=frozenset({SEEN}) if seen else frozenset(),
        outgoing=outgoing,
    )


ANN = Address("Ann Lee", "ann@customer.example")
ANN_NO_NAME = Address("", "ann@customer.example")
BOB = Address("Bob", "bob@other.example")
AGENT = Address("Cy via Acme Support", "support@acme.example")


def event(kind: EventKind, data: dict[str, object], anchor: str, minute: float) -> Event:
    at = T0 + timedelta(minutes=minute)
    return Event(
        id=f"e{kind}{int(minute * 60)}",
        kind=kind,
        anchor=anchor,
        author="cy@acme.example",
        at=at,
        clock=Hlc(int(at.timestamp() * 1000), 0, "cy@acme.example"),
        data=data,
    )


def thread() -> list[MessageMeta]:
    return [
        msg("q1", 0, ANN, subject="Order problem", seen=True),
        msg("a1", 1, AGENT, refs=["q1"], subject="Re: Order problem", to=[ANN]),
        msg("q2", 2, ANN_NO_NAME, refs=["q1", "a1"], subject="Re: Order problem"),
        msg("q3", 3, ANN, refs=["q1", "a1", "q2"], subject="Re: Order problem"),
    ]


def build(metas: list[MessageMeta], events: Sequence[Event] = ()) -> list[Conversation]:
    index = ThreadIndex()
    index.add_many(metas)
    return assemble(index, {m.message_id: m for m in metas}, group_events(index, events), OURS)


def test_assemble_a_thread() -> None:
    [conv] = build(thread())
    assert conv.subject == "Order problem"
    assert conv.message_ids == ["q1", "a1", "q2", "q3"]
    assert conv.customer == Customer(email="ann@customer.example", name="Ann Lee")
    assert conv.last_activity == T0 + timedelta(hours=3)
    assert conv.last_customer_message == T0 + timedelta(hours=3)
    assert conv.unread == 2
    assert conv.state == ConversationState()


def test_outgoing_is_known_by_flag_or_by_our_address() -> None:
    metas = [
        msg("q1", 0, ANN),
        msg("a1", 1, AGENT, refs=["q1"]),  # our address, flag not set
        msg("a2", 2, Address("Cy", "cy@acme.example"), refs=["q1"], outgoing=True),  # found in Sent
    ]
    [conv] = build(metas)
    assert conv.last_customer_message == T0
    assert conv.last_activity == T0 + timedelta(hours=2)
    assert conv.unread == 1


def test_customer_is_the_first_customer_sender_even_when_we_wrote_first() -> None:
    metas = [
        msg("a1", 0, AGENT, to=[BOB], outgoing=True),
        msg("b1", 1, BOB, refs=["a1"]),
        msg("x1", 2, ANN, refs=["a1"]),
    ]
    [conv] = build(metas)
    assert conv.customer == Customer(email="bob@other.example", name="Bob")


def test_contact_form_mail_names_the_reply_to_address() -> None:
    form = msg("f1", 0, Address("Website", "forms@acme.example"))
    form.reply_to = (Address("Jen Chen", "JChen@mail.example"),)
    [conv] = build([form, msg("f2", 1, Address("Jen Chen", "jchen@mail.example"), refs=["f1"])])
    assert conv.customer == Customer(email="jchen@mail.example", name="Jen Chen")


def test_reply_to_pointing_at_us_is_not_the_customer() -> None:
    mail = msg("q1", 0, ANN)
    mail.reply_to = (Address("", "support@acme.example"),)
    [conv] = build([mail])
    assert conv.customer == Customer(email="ann@customer.example", name="Ann Lee")


def test_conversation_we_started_names_its_recipient() -> None:
    [conv] = build([msg("a1", 0, AGENT, to=[Address("Acme", "support@acme.example"), ANN])])
    assert conv.customer == Customer(email="ann@customer.example", name="Ann Lee")


def test_customer_name_is_found_in_any_message() -> None:
    metas = [msg("q1", 0, ANN_NO_NAME), msg("a1", 1, AGENT, refs=["q1"], to=[ANN])]
    [conv] = build(metas)
    assert conv.customer == Customer(email="ann@customer.example", name="Ann Lee")


def test_subject_falls_back_when_the_first_is_empty() -> None:
    [conv] = build([msg("q1", 0, ANN, subject=""), msg("q2", 1, ANN, refs=["q1"], subject="Re: Help")])
    assert conv.subject == "Re: Help"


def test_events_are_routed_by_their_anchor() -> None:
    other = msg("z1", 0, BOB, subject="Invoice")
    events = [
        event(EventKind.ASSIGN, {"assignee": "cy@acme.example"}, "q2", 10),  # any message of the thread
        event(EventKind.TAG, {"tag": "vip"}, "q1", 11),
        event(EventKind.TAG, {"tag": "billing"}, "z1", 12),
        event(EventKind.TAG, {"tag": "lost"}, "not-synced-yet", 13),
    ]
    convs = {c.message_ids[0]: c for c in build([*thread(), other], events)}
    assert convs["q1"].state.assignee == "cy@acme.example"
    assert convs["q1"].state.tags == frozenset({"vip"})
    assert convs["z1"].state.tags == frozenset({"billing"})


def test_group_events_drops_events_for_unknown_messages() -> None:
    index = ThreadIndex()
    index.add_many(thread())
    kept = event(EventKind.UNASSIGN, {}, "a1", 1)
    grouped = group_events(index, [kept, event(EventKind.UNASSIGN, {}, "elsewhere", 2)])
    assert grouped == {index.conversation_of("q1"): [kept]}


def test_customer_reply_reopens_a_closed_conversation() -> None:
    metas = thread()
    closed_before_q3 = event(EventKind.STATUS, {"status": "closed"}, "q1", 150)  # 10:30, q3 came at 11:00
    [conv] = build(metas, [closed_before_q3])
    assert conv.state.status is Status.ACTIVE
    [conv] = build(metas[:3], [closed_before_q3])
    assert conv.state.status is Status.CLOSED


def test_reopening_goes_by_arrival_not_by_the_senders_clock() -> None:
    closed = event(EventKind.STATUS, {"status": "closed"}, "q1", 300)  # T0 + 5 h
    late_reply = msg("q9", 1, ANN, refs=["q1"])  # its Date claims T0 + 1 h: a wrong clock
    late_reply.received = T0 + timedelta(hours=6)  # the server got it after the close
    [conv] = build([*thread(), late_reply], [closed])
    assert conv.state.status is Status.ACTIVE
    assert conv.last_customer_message == late_reply.received
    late_reply.received = T0 + timedelta(hours=4)  # arrived before the close
    [conv] = build([*thread(), late_reply], [closed])
    assert conv.state.status is Status.CLOSED


def test_a_reply_in_the_same_second_as_the_close_reopens() -> None:
    closed = event(EventKind.STATUS, {"status": "closed"}, "q1", 300.5)  # T0 + 5 h + 30 s
    reply = msg("q9", 5, ANN, refs=["q1"])
    reply.received = T0 + timedelta(hours=5, seconds=30)  # IMAP arrival times are whole seconds
    [conv] = build([*thread(), reply], [closed])
    assert conv.state.status is Status.ACTIVE
    reply.received = T0 + timedelta(hours=5, seconds=29)
    [conv] = build([*thread(), reply], [closed])
    assert conv.state.status is Status.CLOSED


def test_our_own_reply_does_not_reopen() -> None:
    metas = [*thread(), msg("a2", 4, AGENT, refs=["q1"])]
    [conv] = build(metas, [event(EventKind.STATUS, {"status": "pending"}, "q1", 200)])
    assert conv.state.status is Status.PENDING


def test_messages_missing_from_the_mapping_are_skipped() -> None:
    index = ThreadIndex()
    index.add_many(thread())
    index.add(msg("gone", 0, BOB, subject="Gone"))
    convs = assemble(index, {m.message_id: m for m in thread()[1:]}, {}, OURS)
    assert [c.message_ids for c in convs] == [["a1", "q2", "q3"]]


def test_assemble_one_sorts_its_messages() -> None:
    conv = assemble_one("c1", list(reversed(thread())), [], OURS)
    assert conv.id == "c1" and conv.message_ids == ["q1", "a1", "q2", "q3"]


def conv_with(status: Status, last_activity: float | None, last_customer: float | None) -> Conversation:
    def at(hour: float | None) -> datetime | None:
        return None if hour is None else T0 + timedelta(hours=hour)

    return Conversation(
        id="c1",
        subject="s",
        message_ids=["q1"],
        customer=None,
        state=ConversationState(status=status),
        last_activity=at(last_activity),
        last_customer_message=at(last_customer),
    )


@pytest.mark.parametrize(
    ("status", "last_activity", "last_customer", "expected"),
    [
        pytest.param(Status.ACTIVE, 3, 3, 3, id="customer-wrote-last"),
        pytest.param(Status.ACTIVE, 4, 3, None, id="we-replied-after"),
        pytest.param(Status.ACTIVE, 4, None, None, id="no-customer-message"),
        pytest.param(Status.PENDING, 3, 3, None, id="pending"),
        pytest.param(Status.CLOSED, 3, 3, None, id="closed"),
        pytest.param(Status.SPAM, 3, 3, None, id="spam"),
    ],
)
def test_waiting_since(
    status: Status, last_activity: float, last_customer: float | None, expected: float | None
) -> None:
    result = waiting_since(conv_with(status, last_activity, last_customer))
    assert result == (None if expected is None else T0 + timedelta(hours=expected))


def test_waiting_since_an_assembled_conversation() -> None:
    [waiting] = build(thread())
    assert waiting_since(waiting) == T0 + timedelta(hours=3)
    [answered] = build([*thread(), msg("a2", 5, AGENT, refs=["q1"])])
    assert waiting_since(answered) is None
