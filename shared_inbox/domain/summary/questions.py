"""Open questions: what the customer asked that no later agent reply speaks to.

A question is a customer sentence ending in "?" (or the Japanese "？", or "か。"). It counts as
answered when a later agent reply shares its key terms (:mod:`.terms`): one of them for a
short question, two for a longer one. A vague question ("Any idea?", "Is that possible this
month?") is also answered by a reply sharing a term with the sentence before it in the same
message; when it has no terms at all ("Any update?" opening a message), any later agent reply
answers it. A reply that merely came
later, about something else, answers nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared_inbox.domain.model import MessageKind
from shared_inbox.domain.summary.model import ThreadMessage
from shared_inbox.domain.summary.sentences import sentences
from shared_inbox.domain.summary.terms import key_terms

__all__ = ["is_question", "open_questions"]

_QUESTION = re.compile(r"(?:[?？]|か。)[\s\"')\]]*$")
_SHORT_QUESTION_TERMS = 3  # up to this many key terms, one shared term answers it
_VAGUE_TERMS = 2  # up to this many, the sentence before says what the question is about


def is_question(sentence: str) -> bool:
    return _QUESTION.search(sentence) is not None


def open_questions(messages: Sequence[ThreadMessage]) -> list[str]:
    """The customer's unanswered questions, verbatim, oldest first, without repeats."""
    ordered = sorted(messages, key=lambda m: m.when)
    found: list[str] = []
    for index, message in enumerate(ordered):
        if message.kind is not MessageKind.CUSTOMER:
            continue
        replies = [
            key_terms(" ".join(sentences(m.text)))
            for m in ordered[index + 1 :]
            if m.kind is MessageKind.AGENT
        ]
        said = sentences(message.text)
        for position, sentence in enumerate(said):
            if not is_question(sentence) or sentence in found:
                continue
            own = key_terms(sentence)
            context = key_terms(said[position - 1]) if position > 0 and len(own) <= _VAGUE_TERMS else own
            if not any(_answers(reply, own, context | own) for reply in replies):
                found.append(sentence)
    return found


def _answers(reply: frozenset[str], own: frozenset[str], context: frozenset[str]) -> bool:
    if not context:
        return True
    needed = 1 if len(own) <= _SHORT_QUESTION_TERMS else 2
    return len(reply & own) >= needed or (context != own and bool(reply & context))
