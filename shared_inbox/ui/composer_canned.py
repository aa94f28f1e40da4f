"""The composer's canned replies and promise check: insert a reply, then act on what was sent.

`CannedComposing` is mixed into the composer screen. Picking a reply renders it for this
conversation (customer, agent, company, answered blanks) and inserts it at the cursor; the
replies inserted are remembered, so sending applies their actions and counts their use.
After a reply is queued, the promises in the agent's own words are offered for tracking.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.widgets import TextArea

from shared_inbox.canned import (
    CannedReply,
    apply_actions,
    customer_message,
    open_library,
    rank_replies,
    record_use,
    render_reply,
    usage_counts,
)
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.promises import FollowUpError, detect_promises
from shared_inbox.domain.templates import TemplateError
from shared_inbox.services.commands import CommandError
from shared_inbox.services.reply_variables import reply_variables
from shared_inbox.ui.canned_picker import BlanksForm, CannedChoices, CannedPicker
from shared_inbox.ui.promise_prompt import PromisePrompt

if TYPE_CHECKING:
    from shared_inbox.services.session import Session
    from shared_inbox.ui.outgoing import OutgoingMail

__all__ = ["CannedComposing", "open_tag_at"]

TAG_MARKS = ("{{", "}}")


def open_tag_at(text: str) -> tuple[int, int] | None:
    """Line and column (1-based) of the first ``{{`` or ``}}`` left in the text, else None."""
    found = [at for mark in TAG_MARKS if (at := text.find(mark)) >= 0]
    if not found:
        return None
    at = min(found)
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


class CannedComposing(Screen[None]):
    """Canned replies and detected promises for a composer with a ``#composer-body`` TextArea."""

    session: Session
    outgoing: OutgoingMail
    conversation: Conversation | None
    mode: str
    canned_inserted: list[CannedReply]
    canned_promises: set[str]  # phrases the sent replies promised already, not offered again

    # -- inserting ----------------------------------------------------------------

    def action_insert_canned(self) -> None:
        self.app.push_screen(CannedPicker(self._canned_choices), self._canned_picked)

    def _canned_choices(self) -> CannedChoices:
        """Load and rank the library (runs in the picker's thread: it reads files)."""
        library = open_library(self.session.config, self.outgoing.now())
        usage = usage_counts(self.session.store)
        message = ""
        if self.conversation is not None:
            message = customer_message(self.session.inbox, self.session.store, self.conversation)
        ranked = tuple(reply for reply, _ in rank_replies(message, library.replies, usage))
        return CannedChoices(ranked, usage, library.problems)

    def _canned_picked(self, reply: CannedReply | None) -> None:
        if reply is None:
            return
        questions = reply.template.blanks()
        if questions:
            self.app.push_screen(BlanksForm(reply.name, questions), partial(self._canned_answered, reply))
        else:
            self._canned_answered(reply, {})

    def _canned_answered(self, reply: CannedReply, answers: dict[str, str] | None) -> None:
        if answers is None:
            return
        try:
            text = render_reply(reply, reply_variables(self.session, self.conversation), answers)
        except TemplateError as exc:
            problems = "\n".join(exc.problems)
            self.notify(f"{reply.name} was not inserted:\n{problems}", severity="error", markup=False)
            return
        body = self.query_one("#composer-body", TextArea)
        body.insert(text)
        body.focus()
        self.canned_inserted.append(reply)

    # -- sending ------------------------------------------------------------------

    def refuse_open_tags(self, text: str) -> bool:
        """Say so and return True when the text still holds a template tag a customer must not see."""
        where = open_tag_at(text)
        if where is None:
            return False
        line, column = where
        self.notify(
            f"Line {line}, column {column} still holds '{{{{' or '}}}}': fill in or remove the tag first.",
            title="Not queued",
            severity="error",
            markup=False,
        )
        return True

    def apply_canned_actions(self, conversation_id: str | None) -> None:
        """After queueing: the inserted replies' actions, undone with the send; their use is counted."""
        inserted, self.canned_inserted = self.canned_inserted, []
        if not inserted:
            return
        record_use(self.session.store, [reply.id for reply in inserted])
        if conversation_id is None:
            return
        calendar = self.session.config.business_hours.calendar()
        for reply in inserted:
            if reply.actions.empty:
                continue
            try:
                reverts = apply_actions(
                    self.session.commands,
                    conversation_id,
                    reply.actions,
                    now=self.outgoing.now(),
                    calendar=calendar,
                )
            except (CommandError, FollowUpError, ValueError) as exc:
                self.notify(
                    f"{reply.name}: {exc}", title="Action not applied", severity="warning", markup=False
                )
                continue
            self.outgoing.add_undo(reverts)
            if reply.actions.promise:
                self.canned_promises.add(reply.actions.promise.casefold())

    def offer_promises(self, text: str, sent_at: datetime) -> None:
        """After queueing a reply: the promises in the agent's own words, each to accept, edit or drop."""
        if self.mode not in ("reply", "reply_all") or self.conversation is None:
            return
        calendar = self.session.config.business_hours.calendar()
        found = [
            candidate
            for candidate in detect_promises(text, sent_at=sent_at, calendar=calendar)
            if " ".join(candidate.phrase.split()).casefold() not in self.canned_promises
        ]
        self.canned_promises = set()
        if found:
            prompt = PromisePrompt(
                self.session.commands, self.conversation.id, found, now=sent_at, calendar=calendar
            )
            self.app.push_screen(prompt)
