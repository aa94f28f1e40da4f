"""One customer, many addresses: link events, what sees the person, suggestions, the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.cli import main
from shared_inbox.config import load_config
from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.customer_links import (
    CUSTOMER_LINK,
    CUSTOMER_UNLINK,
    link_data,
    reduce_links,
    suggest_links,
    unlink_data,
)
from shared_inbox.domain.events import Event, EventError
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.services import customer_links
from shared_inbox.services.commands import CommandError, Commands
from shared_inbox.services.customers import customer_profile, link_suggestions
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.session import open_session
from shared_inbox.store import Store
from tests.ui.test_app import CONFIG

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
SUPPORT = Address("Acme Support", "support@example.com")
HOME = Address("Ann Lee", "ann.lee@gmail.com")
WORK = Address("Ann Lee", "ann@globex.test")
WORK_TWIN = Address("Ann Lee", "a.lee@globex.test")  # same name, same organisation
BOB = Address("Bob", "bob@initech.test")


def ev(n: int, kind: str, data: dict[str, object], minute: int, node: str = "cy") -> Event:
    at = NOW + timedelta(minutes=minute)
    clock = Hlc(int(at.timestamp() * 1000), 0, node)
    return Event(f"e{n}", kind, "x@y", f"{node}@example.com", at, clock, data)


def test_links_join_people_and_unlink_takes_one_address_out() -> None:
    events = [
        ev(1, CUSTOMER_LINK, link_data(["ann@globex.test", "ann.lee@gmail.com"]), 1),
        ev(2, CUSTOMER_LINK, link_data(["a.lee@globex.test", "ann@globex.test"]), 2),
        ev(3, CUSTOMER_UNLINK, unlink_data("ann.lee@gmail.com"), 3),
    ]
    people = reduce_links(events)
    assert people.addresses_of("ann@globex.test") == {"ann@globex.test", "a.lee@globex.test"}
    assert people.addresses_of("ann.lee@gmail.com") == {"ann.lee@gmail.com"}
    assert people.others_of("A.Lee@globex.test") == ("ann@globex.test",)


def test_invalid_link_data_is_refused_and_forged_events_ignored() -> None:
    with pytest.raises(EventError):
        link_data(["ann@globex.test"])
    with pytest.raises(EventError):
        unlink_data("not an address")
    forged = ev(1, CUSTOMER_LINK, {"emails": ["ANN@globex.test", "b@c.d"]}, 1)
    assert reduce_links([forged]).groups == {}


_ADDRESSES = ["a@x.test", "b@x.test", "c@y.test", "d@z.test"]
_acts = st.one_of(
    st.tuples(
        st.just(CUSTOMER_LINK), st.lists(st.sampled_from(_ADDRESSES), min_size=2, max_size=3, unique=True)
    ),
    st.tuples(st.just(CUSTOMER_UNLINK), st.sampled_from(_ADDRESSES)),
)


@settings(max_examples=100, deadline=None)
@given(acts=st.lists(_acts, max_size=8), data=st.data())
def test_any_order_of_the_same_link_events_gives_the_same_people(
    acts: list[tuple[str, object]], data: st.DataObject
) -> None:
    events = []
    for n, (kind, arg) in enumerate(acts):
        payload = link_data(arg) if kind == CUSTOMER_LINK else unlink_data(str(arg))  # type: ignore[arg-type]
        minute = data.draw(st.integers(0, 3))
        events.append(ev(n, kind, payload, minute, node=data.draw(st.sampled_from(["cy", "di"]))))
    shuffled = data.draw(st.permutations(events))
    assert reduce_links(shuffled + shuffled[:2]).groups == reduce_links(events).groups


def test_suggestions_name_their_reason_and_skip_free_mail_namesakes() -> None:
    known = {
        "a.lee@globex.test": "Ann Lee",
        "ann.lee@gmail.com": "Ann Lee",
        "bob@initech.test": "Bob",
        "other@gmail.com": "Ann Lee",
    }
    texts = ["Please also copy my private address ann.lee@gmail.com.", "Write to support@example.com"]
    found = suggest_links(
        "ann@globex.test", "Ann Lee", "globex.test", known, texts, our_addresses=["support@example.com"]
    )
    assert [(s.email, s.reason) for s in found] == [
        ("a.lee@globex.test", "same name and organisation (globex.test)"),
        ("ann.lee@gmail.com", "written in the customer's mail"),
    ]
    assert suggest_links("ann.lee@gmail.com", "Ann Lee", None, known, []) == []


# -- over a real store --------------------------------------------------------------


def mail(mid: str, minutes: int, sender: Address, subject: str) -> MessageMeta:
    return MessageMeta(
        message_id=mid, subject=subject, sender=sender, to=(SUPPORT,), cc=(),
        date=NOW + timedelta(minutes=minutes),
    )  # fmt: skip


def raw(meta: MessageMeta, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = meta.sender.display()
    message["To"] = SUPPORT.display()
    message["Subject"] = meta.subject
    message["Message-ID"] = f"<{meta.message_id}>"
    message.set_content(body)
    return message.as_bytes()


def fill(path: Path) -> None:
    metas = [
        mail("w1@globex.test", 0, WORK, "Invoice 4711"),
        mail("h1@gmail.com", 10, HOME, "Weekend order"),
        mail("t1@globex.test", 20, WORK_TWIN, "Delivery"),
        mail("b1@initech.test", 30, BOB, "Hello"),
    ]
    bodies = {"w1@globex.test": "Reach me at home too: ann.lee@gmail.com\n"}
    with Store.open(path) as store:
        for meta in metas:
            store.save_raw(meta.message_id, raw(meta, bodies.get(meta.message_id, "Hi\n")))
        store.upsert_messages(metas)


def open_inbox(store: Store) -> tuple[Inbox, Commands]:
    inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="cy@example.com").load()
    return inbox, Commands(inbox, author="cy@example.com", now=lambda: NOW + timedelta(hours=1))


def test_linked_addresses_are_one_customer_in_panel_search_and_profile(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox, commands = open_inbox(store)
        home_conv = inbox.conversation("h1@gmail.com")
        assert home_conv is not None
        commands.set_customer_field(home_conv.id, HOME.email, "company", "Globex")
        assert {c.subject for c in inbox.conversations("customer:ann@globex.test")} == {"Invoice 4711"}
        customer_links.link(inbox, commands, [WORK.email, HOME.email])
        profile = customer_profile(inbox, WORK.email)
        assert profile.linked == (HOME.email,)
        assert {c.subject for c in profile.conversations} == {"Invoice 4711", "Weekend order"}
        assert profile.record.value("company") == "Globex"  # what canned replies fill in, too
        found = {c.subject for c in inbox.conversations("customer:ann@globex.test")}
        assert found == {"Invoice 4711", "Weekend order"}
        customer_links.unlink(inbox, commands, HOME.email)
        assert customer_profile(inbox, WORK.email).linked == ()
        assert {c.subject for c in inbox.conversations("customer:ann@globex.test")} == {"Invoice 4711"}


def test_suggestions_come_from_names_and_bodies_and_link_nothing(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox, _ = open_inbox(store)
        suggested = link_suggestions(inbox, customer_profile(inbox, WORK.email))
        assert [s.email for s in suggested] == [WORK_TWIN.email, HOME.email]
        assert store.events() == []


def test_link_and_unlink_refuse_what_cannot_be_done(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox, commands = open_inbox(store)
        with pytest.raises(CommandError, match="not linked"):
            customer_links.unlink(inbox, commands, HOME.email)
        with pytest.raises(CommandError, match="No conversation"):
            customer_links.link(inbox, commands, ["x@nowhere.test", "y@nowhere.test"])
        customer_links.link(inbox, commands, [WORK.email, HOME.email])
        with pytest.raises(CommandError, match="one customer already"):
            customer_links.link(inbox, commands, [HOME.email, WORK.email])


def test_cli_link_prints_the_addresses_and_unlink_takes_one_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(tmp_path / "store")
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(store=tmp_path / "store", extra=""), encoding="utf-8")
    assert main(["--config", str(path), "customer", "link", WORK.email, "Ann.Lee@gmail.com"]) == 0
    assert capsys.readouterr().out.split() == [HOME.email, WORK.email]
    with open_session(load_config(path, {})) as session:
        assert customer_links.person_addresses(session.inbox, HOME.email) == {HOME.email, WORK.email}
    assert main(["--config", str(path), "customer", "unlink", HOME.email]) == 0
    capsys.readouterr()
    assert main(["--config", str(path), "customer", "unlink", HOME.email]) == 1
    assert capsys.readouterr().err == f"shared-inbox: {HOME.email} is not linked to another address.\n"
