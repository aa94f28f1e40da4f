"""A rule's `run` action: a program fed the conversation as JSON, for chat and webhook integrations.

The program is started from an argument list (never a shell), reads one JSON object on
its standard input, and must finish within the rule's timeout. Whatever it writes is
captured; the outcome is one sentence either way.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from shared_inbox.domain.message_kinds import kind_of
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.rule_triggers import Occurrence
from shared_inbox.mail.sanitize import clean_line
from shared_inbox.services.inbox import Inbox

__all__ = ["CommandOutcome", "conversation_json", "run_rule_command"]

MAX_OUTPUT_CHARS = 200


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    ok: bool
    sentence: str
    output: str = ""  # the first line the program wrote, cleaned for a terminal


def conversation_json(
    inbox: Inbox, conv: Conversation, rule: str, occurrence: Occurrence
) -> dict[str, object]:
    """What the program reads: the conversation, its messages, and why the rule acted."""
    state = conv.state
    messages = sorted(inbox.messages_of(conv), key=lambda meta: meta.arrived)
    return {
        "rule": rule,
        "trigger": {"occurrence": occurrence.key, "at": occurrence.at.isoformat(), "why": occurrence.why},
        "conversation": {
            "id": conv.id,
            "subject": conv.subject,
            "customer": (
                {"email": conv.customer.email, "name": conv.customer.name}
                if conv.customer is not None
                else None
            ),
            "status": state.status.value,
            "assignee": state.assignee,
            "tags": sorted(state.tags),
            "snoozed_until": state.snoozed_until.isoformat() if state.snoozed_until else None,
            "messages": [
                {
                    "message_id": meta.message_id,
                    "from": meta.sender.email,
                    "subject": meta.subject,
                    "date": meta.arrived.isoformat(),
                    "kind": kind_of(meta, inbox.our_addresses).value,
                }
                for meta in messages
            ],
        },
    }


def run_rule_command(argv: Sequence[str], payload: dict[str, object], timeout: float) -> CommandOutcome:
    """Run ``argv`` with ``payload`` as JSON on stdin; never raises."""
    name = clean_line(argv[0])[:80]
    try:
        done = subprocess.run(
            list(argv),
            input=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            shell=False,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return CommandOutcome(False, f"{name} did not finish within {timeout:g} seconds and was stopped.")
    except OSError as exc:
        return CommandOutcome(False, f"{name} could not be started: {exc.strerror or exc}.")
    stdout, stderr = (_first_line(done.stdout), _first_line(done.stderr))
    if done.returncode != 0:
        said = f": {stderr or stdout}" if stderr or stdout else ""
        return CommandOutcome(False, f"{name} failed with exit status {done.returncode}{said}.", stdout)
    return CommandOutcome(True, f"ran {name}", stdout)


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace").strip()
    line = text.splitlines()[0] if text else ""
    return clean_line(line)[:MAX_OUTPUT_CHARS]
