"""Which conversations each sidebar view shows, and in which order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared_inbox.domain.model import Conversation, ConversationState, Customer, Status
from shared_inbox.ui.views import VIEWS, partition, view_order

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def conv(
    cid: str,
    *,
    customer_hours_ago: float,
    reply_hours_ago: float | None = None,
    status: Status = Status.ACTIVE,
    assignee: str | None = None,
    snoozed_until: datetime | None = None,
) -> Conversation:
    customer_at = NOW - timedelta(hours=customer_hours_ago)
    last = (
        customer_at if reply_hours_ago is None else max(customer_at, NOW - timedelta(hours=reply_hours_ago))
    )
    return Conversation(
        id=cid,
        subject=cid,
        message_ids=[f"{cid}@x"],
        customer=Customer(f"{cid}@customer.test", cid),
        last_activity=last,
        last_customer_message=customer_at,
        state=ConversationState(status=status, assignee=assignee, snoozed_until=snoozed_until),
    )


def test_open_work_puts_the_longest_waiting_customer_first() -> None:
    answered_long_ago = conv("answered", customer_hours_ago=100, reply_hours_ago=90)
    waiting_two_days = conv("two-days", customer_hours_ago=48)
    waiting_an_hour = conv("one-hour", customer_hours_ago=1)
    ordered = view_order("open", [waiting_an_hour, answered_long_ago, waiting_two_days])
    assert [c.id for c in ordered] == ["two-days", "one-hour", "answered"]


def test_closed_is_newest_first_and_snoozed_by_wake_time() -> None:
    old = conv("old", customer_hours_ago=50, status=Status.CLOSED)
    new = conv("new", customer_hours_ago=2, status=Status.CLOSED)
    assert [c.id for c in view_order("closed", [old, new])] == ["new", "old"]
    late = conv("late", customer_hours_ago=5, snoozed_until=NOW + timedelta(days=3))
    soon = conv("soon", customer_hours_ago=50, snoozed_until=NOW + timedelta(hours=1))
    assert [c.id for c in view_order("snoozed", [late, soon])] == ["soon", "late"]


def test_partition_puts_each_conversation_in_the_views_it_belongs_to() -> None:
    me = "alice@example.com"
    convs = [
        conv("free", customer_hours_ago=3),
        conv("mine", customer_hours_ago=4, assignee=me),
        conv("theirs", customer_hours_ago=5, assignee="bob@example.com"),
        conv("waiting-reply", customer_hours_ago=6, status=Status.PENDING, assignee=me),
        conv("later", customer_hours_ago=7, snoozed_until=NOW + timedelta(hours=2)),
        conv("done", customer_hours_ago=8, status=Status.CLOSED),
        conv("junk", customer_hours_ago=9, status=Status.SPAM),
    ]
    groups = {key: [c.id for c in value] for key, value in partition(convs, me, NOW).items()}
    assert set(groups) == {view.id for view in VIEWS}
    assert groups["unassigned"] == ["free"]
    assert groups["mine"] == ["mine", "waiting-reply"]  # a waiting customer before one we answered
    assert groups["open"] == ["theirs", "mine", "free"]
    assert groups["pending"] == ["waiting-reply"]
    assert groups["snoozed"] == ["later"]
    assert groups["closed"] == ["done"] and groups["spam"] == ["junk"]
