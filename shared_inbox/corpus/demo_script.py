"""The format of the demo mailbox script, and its parser.

Format: a "===" line starts a conversation (customer name and address, mail client,
language, UTC offset in minutes, charset), followed by "Subject:" and optional "Cc:"
lines. A "---" line starts a message: hours before "now", who writes it ("customer",
"form" for the website contact form, "auto" for an out-of-office reply, or an
agent's first name) and optional attachments as [kind: file name | PDF title].
A line ending in " \\" continues on the next line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared_inbox.corpus.people import Person
from shared_inbox.corpus.thread import Attachment

Turn = tuple[float, str, str, tuple[Attachment, ...]]

_CONVERSATION = re.compile(
    r"^=== (?P<name>.*?) ?<(?P<email>[^>]+)> \| (?P<client>\w+) \| (?P<language>\w+) "
    r"\| (?P<offset>-?\d+) \| (?P<charset>[\w-]+)$"
)
_TURN = re.compile(r"^--- (?P<hours>[\d.]+) (?P<who>\w+)(?P<files>.*)$")
_FILE = re.compile(r"\[(?P<kind>png|pdf): (?P<name>[^|\]]+?)(?: \| (?P<title>[^\]]+))?\]")
_ADDRESS = re.compile(r"^(?P<name>.*?) ?<(?P<email>[^>]+)>$")


@dataclass(frozen=True, slots=True)
class DemoConversation:
    customer: Person
    subject: str
    turns: tuple[Turn, ...]
    cc: tuple[tuple[str, str], ...] = ()


def parse_script(script: str) -> tuple[DemoConversation, ...]:
    """Read the demo script (see the module docstring) into conversations."""
    conversations: list[DemoConversation] = []
    for block in script.strip("\n").replace(" \\\n", " ").split("\n=== "):
        lines = block.removeprefix("=== ").split("\n")
        header = _CONVERSATION.match("=== " + lines[0])
        if header is None:
            raise ValueError(f"bad conversation line: {lines[0]!r}")
        customer = Person(
            header["name"], header["email"], header["language"], header["client"],
            int(header["offset"]), header["charset"],
        )  # fmt: skip
        subject = lines[1].removeprefix("Subject: ")
        cc = tuple(_address(line.removeprefix("Cc: ")) for line in lines[2:] if line.startswith("Cc: "))
        turns: list[Turn] = []
        body: list[str] = []
        for line in lines[2:] + ["--- 0 end"]:
            turn = _TURN.match(line)
            if turn is None:
                if not line.startswith("Cc: ") or turns:
                    body.append(line)
                continue
            if turns:
                hours, who, _, files = turns[-1]
                turns[-1] = (hours, who, "\n".join(body).strip("\n"), files)
            body = []
            files = tuple(
                Attachment(m["kind"], m["name"], m["title"] or "") for m in _FILE.finditer(turn["files"])
            )
            turns.append((float(turn["hours"]), turn["who"], "", files))
        conversations.append(DemoConversation(customer, subject, tuple(turns[:-1]), cc))
    return tuple(conversations)


def _address(text: str) -> tuple[str, str]:
    match = _ADDRESS.match(text)
    if match is None:
        raise ValueError(f"bad address: {text!r}")
    return match["name"], match["email"]
