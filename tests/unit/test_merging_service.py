"""Merge and split through the service and the CLI, over a real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared_inbox.cli import main
from shared_inbox.config import load_config
from shared_inbox.domain.clock import Hlc
from shared_inbox.domain.events import Event
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.domain.regrouping import merge_data
from shared_inbox.domain.threading import conversation_id_for
from shared_inbox.services import merging
from shared_inbox.services.commands import CommandError, Commands
from shared_inbox.services.customers import customer_profile
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.session import open_session
from shared_inbox.store import Store
from tests.ui.test_app import CONFIG

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
SUPPORT = Address("Acme Support", "support@example.com")
ANN = Address("Ann", "ann@home.test")


def mail(mid: str, minutes: int, refs: tuple[str, ...] = ()) -> MessageMeta:
    return MessageMeta(
        message_id=mid, subject="Refund", sender=ANN, to=(SUPPORT,), cc=(),
        date=NOW + timedelta(minutes=minutes), references=refs,
    )  # fmt: skip


MAIL = [
    mail("a1@home.test", 0),
    mail("a2@home.test", 1, ("a1@home.test",)),
    mail("b1@home.test", 5),  # her client dropped the headers: threading starts anew
    mail("n1@home.test", 7, ("a1@home.test",)),  # a new question, asked in the old thread
    mail("n2@home.test", 8, ("a1@home.test", "n1@home.test")),
]
A, B = conversation_id_for("a1@home.test"), conversation_id_for("b1@home.test")


def fill(path: Path) -> None:
    with Store.open(path) as store:
        store.upsert_messages(MAIL)


def open_inbox(store: Store) -> tuple[Inbox, Commands]:
    inbox = Inbox(store, our_addresses=frozenset({SUPPORT.email}), me="cy@example.com").load()
    return inbox, Commands(inbox, author="cy@example.com", now=lambda: NOW + timedelta(hours=1))


def test_merge_keeps_the_oldest_id_and_old_ids_still_work(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox, commands = open_inbox(store)
        commands.tag(B, "vip")
        done = merging.merge(inbox, commands, [B, A[:6]])
        assert done.conversation_id == A and done.moved == 1
        commands.set_status(B, "pending")  # the old id, as a link or a teammate's script has it
        conv = inbox.conversation(A)
        assert conv is not None and "b1@home.test" in conv.message_ids
        assert conv.state.tags == {"vip"} and conv.state.status.value == "pending"
        assert inbox.conversation(B) is conv
        assert B not in {c.id for c in inbox.conversations()}
    with Store.open(tmp_path / "store") as store:  # the merge is durable
        inbox, _ = open_inbox(store)
        assert inbox.conversation(B) is not None and inbox.conversation(B).id == A  # type: ignore[union-attr]
        store.upsert_messages([mail("b2@home.test", 30, ("b1@home.test",))])
        assert inbox.conversation("b2@home.test").id == A  # type: ignore[union-attr]


def test_undo_of_a_merge_brings_both_back(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox, commands = open_inbox(store)
        done = merging.merge(inbox, commands, [A, B])
        merging.undo(inbox, commands, done.event)
        assert {c.id for c in inbox.conversations()} == {A, B}


def test_split_moves_a_message_and_its_replies_and_undo_puts_them_back(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox, commands = open_inbox(store)
        done = merging.split(inbox, commands, "<n1@home.test>")
        assert done.moved == 2
        moved = inbox.conversation(done.conversation_id)
        assert moved is not None and moved.message_ids == ["n1@home.test", "n2@home.test"]
        assert inbox.conversation(A).message_ids == ["a1@home.test", "a2@home.test"]  # type: ignore[union-attr]
        merging.undo(inbox, commands, done.event)
        assert len(inbox.conversation(A).message_ids) == 4  # type: ignore[union-attr]


def test_the_customer_panel_lists_a_conversation_split_off_a_moment_ago(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox, commands = open_inbox(store)
        assert len(customer_profile(inbox, ANN.email).conversations) == 2  # the panel as it was
        done = merging.split(inbox, commands, "n1@home.test")
        ids = {conv.id for conv in customer_profile(inbox, ANN.email).conversations}
        assert ids == {A, B, done.conversation_id}


@pytest.mark.parametrize(
    ("act", "said"),
    [
        (lambda i, c: merging.merge(i, c, [A, A[:5]]), "at least two different"),
        (lambda i, c: merging.merge(i, c, [A, "nope-nope"]), "No conversation"),
        (lambda i, c: merging.split(i, c, "a1@home.test"), "whole conversation"),
        (lambda i, c: merging.split(i, c, "gone@home.test"), "No message"),
    ],
)
def test_impossible_regroupings_say_why(tmp_path: Path, act, said: str) -> None:  # type: ignore[no-untyped-def]
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox, commands = open_inbox(store)
        with pytest.raises(CommandError, match=said):
            act(inbox, commands)
        assert store.events() == []


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    fill(tmp_path / "store")
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(store=tmp_path / "store", extra=""), encoding="utf-8")
    return path


def test_cli_merge_prints_the_surviving_id_and_split_the_new_one(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_path), "merge", B, A]) == 0
    assert capsys.readouterr().out == f"{A}\n"
    assert main(["--config", str(config_path), "set", B, "--tag", "merged"]) == 0
    capsys.readouterr()
    assert main(["--config", str(config_path), "split", "n1@home.test"]) == 0
    new_id = capsys.readouterr().out.strip()
    with open_session(load_config(config_path, {})) as session:
        conv = session.inbox.conversation(A)
        assert conv is not None and conv.state.tags == {"merged"}
        assert conv.message_ids == ["a1@home.test", "a2@home.test", "b1@home.test"]
        assert session.inbox.conversation(new_id).message_ids == ["n1@home.test", "n2@home.test"]  # type: ignore[union-attr]


def test_cli_refusals_are_one_sentence(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_path), "merge", A]) == 1
    err = capsys.readouterr().err
    assert err.startswith("shared-inbox: Name at least two") and "Traceback" not in err
    assert main(["--config", str(config_path), "split", "a1@home.test"]) == 1
    assert "whole conversation" in capsys.readouterr().err


def test_a_teammates_merge_waits_for_the_mail_it_names(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as store:
        store.upsert_messages(MAIL[:2])
        inbox, commands = open_inbox(store)
        assert [c.id for c in inbox.conversations()] == [A]
        clock = Hlc(int(NOW.timestamp() * 1000), 0, "bob")
        data = merge_data(["b1@home.test", "a1@home.test"])
        made = Event("bob-merge", "merge", "b1@home.test", "bob@example.com", NOW, clock, data)
        inbox.add_events([made])
        assert [c.id for c in inbox.conversations()] == [A]
        store.upsert_messages([MAIL[2]])  # b1 arrives with the next sync
        [conv] = inbox.conversations()
        assert conv.id == A and conv.message_ids == ["a1@home.test", "a2@home.test", "b1@home.test"]
        assert inbox.conversation(B) is conv


def test_the_count_of_conversations_follows_merges_and_splits_without_assembling_them(tmp_path: Path) -> None:
    fill(tmp_path / "store")
    with Store.open(tmp_path / "store") as store:
        inbox, commands = open_inbox(store)
        merging.merge(inbox, commands, [A, B])
        merging.split(inbox, commands, "n1@home.test")
        expected = len(inbox.conversations())
        assert expected == 2
        # A sync's worth of new mail: the count comes from the threads, not from assembling them all.
        many = [mail(f"x{n}@elsewhere.test", 100 + n) for n in range(2500)]
        store.upsert_messages(many)
        assert inbox.count() == expected + 2500
        assert inbox._conversations is None
        assert len(inbox.conversations()) == expected + 2500
        assert inbox.count() == expected + 2500
