"""A small store with one known week of support mail, for the report command and screen tests.

Week of Monday 2 March 2026, Berlin, business hours 09:00-17:00 on weekdays:

- c1: Cat writes Monday 09:00; Alice replies through shared-inbox at 10:00 (recorded), closes at 11:00.
- c2: Dan (vip) writes Tuesday 09:00; Bob answers from webmail at 12:00, from his own address.
- c3: Eve writes Wednesday 09:00; someone answers from webmail at 11:00 as "Acme Support".
- c4: spam on Thursday.
- c5: Fay writes Friday 09:00 and is still waiting; her out-of-office arrives at 09:05.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event, EventKind, event_to_json
from shared_inbox.domain.metrics import REPLY_SENT, reply_sent_data
from shared_inbox.domain.model import Address, MessageKind, MessageMeta
from shared_inbox.store import Store
from tests.ui.test_app import CONFIG

BERLIN = ZoneInfo("Europe/Berlin")
ALICE, BOB = "alice@example.com", "bob@example.com"
HOURS = """
[business_hours]
timezone = "Europe/Berlin"
[business_hours.hours]
mon = "09:00-17:00"
tue = "09:00-17:00"
wed = "09:00-17:00"
thu = "09:00-17:00"
fri = "09:00-17:00"
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).astimezone(UTC)


def _meta(
    mid: str,
    when: str,
    sender: Address,
    *,
    reply_to: str | None = None,
    kind: MessageKind = MessageKind.CUSTOMER,
) -> MessageMeta:
    moment = at(when)
    return MessageMeta(
        message_id=mid,
        subject="Order " + mid.split("@")[0],
        sender=sender,
        to=(Address("Acme Support", "support@example.com"),),
        cc=(),
        date=moment,
        received=moment,
        in_reply_to=(reply_to,) if reply_to else (),
        references=(reply_to,) if reply_to else (),
        kind=kind,
    )


def _event(
    number: int, kind: str, anchor: str, when: str, data: dict[str, object], author: str = ALICE
) -> Event:
    moment = at(when)
    return Event(
        uuid.uuid4().hex, kind, anchor, author, moment, Hlc(int(moment.timestamp() * 1000), number, "x"), data
    )


def write_week(store_path: Path) -> None:
    messages = [
        _meta("c1@customer.example", "2026-03-02 09:00", Address("Cat", "cat@customer.example")),
        _meta(
            "r1@example.com",
            "2026-03-02 10:00",
            Address("Alice Agent via Acme Support", "support@example.com"),
            reply_to="c1@customer.example",
        ),
        _meta("c2@other.example", "2026-03-03 09:00", Address("Dan", "dan@other.example")),
        _meta("r2@example.com", "2026-03-03 12:00", Address("Bob Agent", BOB), reply_to="c2@other.example"),
        _meta("c3@customer.example", "2026-03-04 09:00", Address("Eve", "eve@customer.example")),
        _meta(
            "r3@example.com",
            "2026-03-04 11:00",
            Address("Acme Support", "support@example.com"),
            reply_to="c3@customer.example",
        ),
        _meta("c4@spam.example", "2026-03-05 09:00", Address("Spam", "win@spam.example")),
        _meta("c5@customer.example", "2026-03-06 09:00", Address("Fay", "fay@customer.example")),
        _meta(
            "ooo@customer.example",
            "2026-03-06 09:05",
            Address("Fay", "fay@customer.example"),
            reply_to="c5@customer.example",
            kind=MessageKind.AUTO_REPLY,
        ),
    ]
    events = [
        _event(1, REPLY_SENT, "c1@customer.example", "2026-03-02 10:00", reply_sent_data("r1@example.com")),
        _event(2, EventKind.ASSIGN, "c1@customer.example", "2026-03-02 10:00", {"assignee": ALICE}),
        _event(3, EventKind.STATUS, "c1@customer.example", "2026-03-02 11:00", {"status": "closed"}),
        _event(4, EventKind.TAG, "c2@other.example", "2026-03-03 09:30", {"tag": "vip"}, author=BOB),
        _event(5, EventKind.STATUS, "c4@spam.example", "2026-03-05 09:10", {"status": "spam"}),
    ]
    with Store.open(store_path) as store:
        store.upsert_messages(messages)
        for event in events:
            store.append_event(event_to_json(event))


def write_config(directory: Path, extra: str = "") -> Path:
    write_week(directory / "store")
    path = directory / "config.toml"
    path.write_text(CONFIG.format(store=directory / "store", extra=HOURS + extra), encoding="utf-8")
    return path
