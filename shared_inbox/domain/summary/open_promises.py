"""Open promises and deadlines: what agents said the team would do, and has not done yet.

Promises come from two places. Those the team tracks (set from the reader or confirmed from a
reply) carry their own state. Those only written in a reply ("you'll hear from us by Friday") are
found with :func:`shared_inbox.domain.promises.detect_promises`; such a promise is kept when a
later agent reply came by its due time (as :func:`shared_inbox.domain.sla.promise_outcome`
judges tracked ones), overdue when its time passed without one, open until then. Commitments
without a deadline (:mod:`.commitments`) stay open until a later agent reply speaks of the same
thing (shares two of its key terms).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from shared_inbox.domain.model import MessageKind
from shared_inbox.domain.promises import detect_promises
from shared_inbox.domain.summary.commitments import commitments
from shared_inbox.domain.summary.model import OpenPromise, ThreadMessage, TrackedPromise
from shared_inbox.domain.summary.sentences import sentences
from shared_inbox.domain.summary.terms import key_terms

__all__ = ["open_promises"]

_TRACKED_STATES = {"open": "open", "broken": "overdue"}
_SAME_THING_TERMS = 2


def open_promises(
    messages: Sequence[ThreadMessage], tracked: Sequence[TrackedPromise], now: datetime
) -> list[OpenPromise]:
    """Outstanding promises, tracked ones first, each text once."""
    found = [
        OpenPromise(p.text, p.due, _TRACKED_STATES[p.state], "tracked")
        for p in tracked
        if p.state in _TRACKED_STATES
    ]
    texts = {" ".join(p.text.split()) for p in tracked}
    ordered = sorted(messages, key=lambda m: m.when)
    replies = [m.when.astimezone(UTC) for m in ordered if m.kind is MessageKind.AGENT]
    for index, message in enumerate(ordered):
        if message.kind is not MessageKind.AGENT:
            continue
        made = message.when.astimezone(UTC)
        dated = detect_promises(message.text, sent_at=message.when)
        for candidate in dated:
            due = candidate.due.astimezone(UTC)
            if candidate.sentence in texts or any(made < reply <= due for reply in replies):
                continue
            texts.add(candidate.sentence)
            state = "overdue" if now.astimezone(UTC) > due else "open"
            found.append(OpenPromise(candidate.sentence, candidate.due, state, "reply"))
        later = [_terms(m) for m in ordered[index + 1 :] if m.kind is MessageKind.AGENT]
        for sentence in commitments(message.text):
            if sentence in texts or any(sentence in c.sentence or c.sentence in sentence for c in dated):
                continue
            terms = key_terms(sentence)
            if any(len(terms & reply) >= _SAME_THING_TERMS for reply in later):
                continue
            texts.add(sentence)
            found.append(OpenPromise(sentence, None, "open", "reply"))
    return found


def _terms(message: ThreadMessage) -> frozenset[str]:
    return key_terms(" ".join(sentences(message.text)))
