"""The reader's line naming the rules that acted on the conversation, and what each did."""

from __future__ import annotations

from datetime import tzinfo

from textual.widgets import Static

from shared_inbox.display.text import inert
from shared_inbox.services.inbox import Inbox
from shared_inbox.services.rule_facts import rules_that_acted

__all__ = ["RulesLine", "rules_text"]

SHOWN_AT_MOST = 3  # the latest ones; `shared-inbox rules` and the history hold the rest


def rules_text(inbox: Inbox, conversation_id: str, zone: tzinfo | None) -> str:
    """ "Rules: triage on Mon 23 Nov 10:00 (new conversation): tag vip" per rule, latest last; "" for none."""
    acted = rules_that_acted(inbox, conversation_id)
    lines = []
    for item in acted[-SHOWN_AT_MOST:]:
        when = item.at.astimezone(zone).strftime("%a %d %b %H:%M")
        did = "; ".join(item.did) or "nothing to change"
        # What teammates' copies recorded travels through the mailbox: shown inert, like mail.
        lines.append(inert(f"Rule {item.rule}, {when} ({item.why}): {did}"))
    if len(acted) > SHOWN_AT_MOST:
        lines.insert(0, f"{len(acted) - SHOWN_AT_MOST} earlier rule actions not shown")
    return "\n".join(lines)


class RulesLine(Static):
    """Hidden while no rule acted on the conversation."""

    def __init__(self, inbox: Inbox, conversation_id: str, zone: tzinfo | None) -> None:
        super().__init__("", id="reader-rules", markup=False)
        self.inbox = inbox
        self.zone = zone
        self.show_for(conversation_id)

    def show_for(self, conversation_id: str) -> None:
        text = rules_text(self.inbox, conversation_id, self.zone)
        self.update(text)
        self.display = bool(text)
