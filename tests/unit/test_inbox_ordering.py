"""The list's order is kept up to date one conversation at a time, and always equals a fresh sort."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.services import merging
from shared_inbox.services.activity_order import by_activity
from shared_inbox.services.commands import CommandError, Commands
from shared_inbox.services.inbox import Inbox
from shared_inbox.store import Store

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
SUPPORT = Address("Acme Support", "support@example.com")


def mail(rng: random.Random, n: int, known: list[str]) -> MessageMeta:
    parent = rng.choice(known) if known and rng.random() < 0.5 else None
    customer = Address(f"Customer {n % 7}", f"c{n % 7}@globex.test")
    ours = rng.random() < 0.2
    return MessageMeta(
        message_id=f"m{n}@globex.test",
        subject=f"Re: Topic {n % 11}" if parent else f"Topic {n}",
        sender=SUPPORT if ours else customer,
        to=(customer,) if ours else (SUPPORT,),
        cc=(),
        date=NOW + timedelta(minutes=rng.randint(0, 5000)),
        in_reply_to=(parent,) if parent else (),
        references=(parent,) if parent else (),
        flags=frozenset({"\\Seen"}) if rng.random() < 0.5 else frozenset(),
    )


def test_every_change_leaves_the_order_a_fresh_sort_would_give(tmp_path: Path) -> None:
    rng = random.Random(7)
    with Store.open(tmp_path / "store") as store:
        known: list[str] = []
        first = [mail(rng, n, known) for n in range(40)]
        store.upsert_messages(first)
        known += [m.message_id for m in first]
        inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="alice@example.com").load()
        commands = Commands(inbox, author="alice@example.com", now=lambda: NOW + timedelta(days=5))
        inbox.conversations()
        resorted = 0
        for n in range(40, 400):
            choice = rng.random()
            convs = inbox.conversations()
            conv = rng.choice(convs)
            if choice < 0.4:
                meta = mail(rng, n, known)
                store.upsert_messages([meta])
                known.append(meta.message_id)
            elif choice < 0.55:
                store.update_flags({rng.choice(known): frozenset({"\\Seen"})})
            elif choice < 0.75:
                commands.set_status(conv.id, rng.choice(["closed", "active", "pending"]))
            elif choice < 0.85:
                commands.assign(conv.id, rng.choice(["alice@example.com", "bob@example.com"]))
            elif choice < 0.93 and len(convs) > 1:
                merging.merge(inbox, commands, [conv.id, rng.choice(convs).id])
            else:
                with contextlib.suppress(CommandError):  # the first message cannot be split off
                    merging.split(inbox, commands, rng.choice(conv.message_ids))
            kept_before = inbox._order.ordered is not None  # noqa: SLF001
            shown = inbox.conversations()
            resorted += not kept_before
            assert [c.id for c in shown] == [c.id for c in sorted(shown, key=by_activity)]
            assert {c.id for c in shown} == {c.id for c in inbox._all().values()}  # noqa: SLF001
            assert all(inbox.conversation(c.id) is c for c in shown)  # the current objects, not stale ones
        assert resorted < 60  # most changes moved one conversation instead of sorting all
