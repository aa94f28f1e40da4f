"""The composer's canned replies and promise prompt: insert a reply, then offer what was promised.

`CannedComposing` is mixed into the composer screen. Picking a reply renders it for this
conversation (customer, agent, company, answered blanks) and inserts it at the cursor; the
replies inserted go with the message, so the reply service applies their actions and counts
their use. After a reply is queued, the promises the service found are offered for tracking.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.widgets import TextArea

from shared_inbox.canned import (
    CannedReply,
    customer_message,
    open_library,
    rank_replies,
    render_reply,
    usage_counts,
)
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.templates import TemplateError
from shared_inbox.services.replies import Queued, Replies, open_tag_at
from shared_inbox.services.reply_variables import reply_variables
from shared_inbox.ui.dialogs.canned_picker import BlanksForm, CannedChoices, CannedPicker
from shared_inbox.ui.dialogs.promise_prompt import PromisePrompt

if TYPE_CHECKING:
    from shared_inbox.services.session import Session

__all__ = ["CannedComposing", "open_tag_at"]


class CannedComposing(Screen[None]):
    """Canned replies and detected promises for a composer with a ``#composer-body`` TextArea."""

    session: Session
    replies: Replies
    conversation: Conversation | None
    mode: str
    canned_inserted: list[CannedReply]

    # -- inserting ----------------------------------------------------------------

    def action_insert_canned(self) -> None:
        self.app.push_screen(CannedPicker(self._canned_choices), self._canned_picked)

    def _canned_choices(self) -> CannedChoices:
        """Load and rank the library (runs in the picker's thread: it reads files)."""
        library = open_library(self.session.config, self.replies.now())
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

    # -- after sending -------------------------------------------------------------

    def after_queued(self, queued: Queued) -> None:
        """The promises found in the agent's own words, each to track, re-time or drop."""
        if not queued.promises:
            return
        calendar = self.session.config.business_hours.calendar()
        prompt = PromisePrompt(
            partial(self.replies.track, queued),
            queued.promises,
            now=queued.draft.send_at or queued.entry.created_at,
            calendar=calendar,
        )
        self.app.push_screen(prompt)
