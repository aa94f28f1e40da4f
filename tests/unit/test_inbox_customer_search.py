"""`customer:` searches reach the team's customer profiles, not only names and addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.services.commands import Commands
from shared_inbox.services.inbox import Inbox
from shared_inbox.store import Store

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
SUPPORT = Address("Acme Support", "support@example.com")


def mail(mid: str, sender: Address, subject: str, minutes: int) -> MessageMeta:
    return MessageMeta(
        message_id=mid,
        subject=subject,
        sender=sender,
        to=(SUPPORT,),
        cc=(),
        date=NOW + timedelta(minutes=minutes),
    )


def test_a_profile_field_makes_the_customer_findable(tmp_path: Path) -> None:
    ann, raj = Address("Ann Lee", "ann@globex.test"), Address("Raj", "raj@initech.test")
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages(
            [mail("a1@globex.test", ann, "Invoice", 0), mail("r1@initech.test", raj, "Login", 1)]
        )
        inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="alice@example.com").load()
        commands = Commands(inbox, author="alice@example.com", now=lambda: NOW)
        assert inbox.conversations("customer:sailing") == []
        anns = next(c for c in inbox.conversations() if c.customer and c.customer.email == ann.email)
        commands.set_customer_field(anns.id, ann.email, "interests", "sailing, chess")
        assert [c.id for c in inbox.conversations("customer:sailing")] == [anns.id]
        assert [c.customer.email for c in inbox.conversations("customer:initech") if c.customer] == [
            raj.email
        ]
