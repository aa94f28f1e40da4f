"""README's rule examples are valid rule files, and each `rules test` output shown is the real command's.

The outputs come from a small mailbox built here (a Thursday afternoon in a Berlin office).
After changing an example or the output format, print the blocks again with

    python -m tests.unit.test_readme_rules

and paste them into the README.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest

from shared_inbox.canned.rule_files import parse_rules
from shared_inbox.cli import main
from shared_inbox.config import load_config
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.services.session import open_session
from shared_inbox.store import Store
from tests.ui.test_app import CONFIG

README = Path(__file__).resolve().parents[2] / "README.md"
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # Thursday, 16:00 in Berlin
SUPPORT = Address("Acme Support", "support@example.com")
EXTRA = """
[business_hours]
timezone = "Europe/Berlin"

[[sla]]
name = "standard"
first_response = "4h"
next_response = "8h"

[canned]
dir = "{team}"
personal_dir = "{mine}"
"""
ACKNOWLEDGEMENT = """+++
name = "We got your message"
+++
Hi {{ customer.first_name | default: "there" }}, thank you for writing; we answer within 4 business hours.
"""
ANN, BOB = Address("Ann Ito", "ann@initech.example"), Address("Bob Lee", "bob@globex.example")
CARLA, DAN = Address("Carla Diaz", "carla@initech.example"), Address("Dan Roe", "dan@umbrella.example")
EVE = Address("Eve Park", "eve@example.org")
# (Message-ID, from, subject, arrived (UTC), sent by us)
MAIL = [
    ("q1@initech.example", ANN, "Refund for order 1042", "2026-11-26T14:10", False),
    ("q2@globex.example", BOB, "Cannot log in", "2026-11-26T09:30", False),
    ("q3@initech.example", CARLA, "Invoice copy", "2026-11-23T10:00", False),
    ("r3@example.com", SUPPORT, "Re: Invoice copy", "2026-11-23T11:00", True),
    ("q4@umbrella.example", DAN, "Order status", "2026-11-25T08:00", False),
    ("r4@example.com", SUPPORT, "Re: Order status", "2026-11-25T10:00", True),
    ("s4@umbrella.example", DAN, "Re: Order status", "2026-11-26T13:00", False),
    ("q5@example.org", EVE, "Thanks, solved", "2026-11-26T08:00", False),
]
REPLIES = {"r3@example.com": "q3@initech.example", "r4@example.com": "q4@umbrella.example",
           "s4@umbrella.example": "r4@example.com"}  # fmt: skip


def build_mailbox(directory: Path) -> Path:
    """The mailbox, the saved reply and the rule files of README's examples; returns the config path."""
    metas = []
    for message_id, sender, subject, arrived, ours in MAIL:
        at = datetime.fromisoformat(arrived).replace(tzinfo=UTC)
        parent = REPLIES.get(message_id)
        to = (SUPPORT,) if not ours else (next(m[1] for m in MAIL if m[0] == parent),)
        metas.append(
            MessageMeta(message_id, subject, sender, to, (), at, in_reply_to=(parent,) if parent else (),
                        references=(parent,) if parent else (), received=at, outgoing=ours)
        )  # fmt: skip
    with Store.open(directory / "store") as store:
        store.upsert_messages(metas)
    team = directory / "team"
    (team / "rules").mkdir(parents=True)
    (team / "we-got-your-message.md").write_text(ACKNOWLEDGEMENT, encoding="utf-8")
    for name, text in readme_rules().items():
        (team / "rules" / f"{name}.toml").write_text(text, encoding="utf-8")
    extra = EXTRA.format(team=team, mine=directory / "mine")
    config = directory / "config.toml"
    config.write_text(CONFIG.format(store=directory / "store", extra=extra), encoding="utf-8")
    with open_session(load_config(config, {}), now=lambda: NOW) as session:
        inbox = session.inbox
        commands = session.commands
        for ref, status, at in (("q3@initech.example", "pending", "2026-11-23T11:00"),
                                ("q5@example.org", "closed", "2026-11-26T12:00")):  # fmt: skip
            commands.now = lambda at=at: datetime.fromisoformat(at).replace(tzinfo=UTC)  # type: ignore[misc]
            conv = inbox.conversation(ref)
            assert conv is not None
            commands.set_status(conv.id, status)
    return config


def rules_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Rules\n")
    return text[start : text.index("\n## ", start + 1)]


def readme_rules() -> dict[str, str]:
    """Each ```toml block of the Rules section, by the file name in its first comment line."""
    found = {}
    for block in re.findall(r"```toml\n(.*?)```", rules_section(), re.S):
        first = block.splitlines()[0]
        match = re.fullmatch(r"# rules/([a-z0-9-]+)\.toml.*", first)
        assert match, f"a rule example starts with its file name: {first!r}"
        found[match.group(1)] = block
    return found


def readme_outputs() -> list[tuple[list[str], str]]:
    """Each ```text block that shows `$ shared-inbox rules ...` and its output."""
    shown = []
    for block in re.findall(r"```text\n(.*?)```", rules_section(), re.S):
        command, _, output = block.partition("\n")
        assert command.startswith("$ shared-inbox rules"), command
        shown.append((command.removeprefix("$ shared-inbox ").split(), output))
    return shown


def run(config: Path, argv: list[str]) -> str:
    out = io.StringIO()
    with mock.patch("shared_inbox.cli.rules_cmd.utc_now", lambda: NOW), contextlib.redirect_stdout(out):
        main(["--config", str(config), *argv])
    return out.getvalue().replace(str(config.parent), "~/acme")


@pytest.fixture(scope="module")
def config() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield build_mailbox(Path(directory))


@pytest.mark.parametrize("name", sorted(readme_rules()))
def test_each_rule_example_is_a_valid_rule_file(name: str) -> None:
    found = parse_rules(readme_rules()[name], source=f"{name}.toml", default_name=name)
    assert found.problems == () and len(found.rules) >= 1


@pytest.mark.parametrize(("argv", "output"), readme_outputs(), ids=lambda value: " ".join(value)[:40])
def test_each_output_shown_is_what_the_command_prints(config: Path, argv: list[str], output: str) -> None:
    assert run(config, argv) == output


def test_every_rule_example_has_its_dry_run_shown() -> None:
    tested = {argv[2] for argv, _ in readme_outputs() if argv[:2] == ["rules", "test"]}
    names = {rule.name for text in readme_rules().values() for rule in parse_rules(text, source="x").rules}
    assert tested == names


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as directory:
        path = build_mailbox(Path(directory))
        for argv, _ in readme_outputs():
            sys.stdout.write(f"```text\n$ shared-inbox {' '.join(argv)}\n{run(path, argv)}```\n\n")
