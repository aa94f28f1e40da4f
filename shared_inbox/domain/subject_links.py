"""Replies that lost their threading headers, joined by subject: the guarded fallback.

Some mail clients (web forms, old phones, "legacy" desktop clients) send a reply without
References or In-Reply-To. Such a message would open a new conversation. A reply still
says it is one in its subject ("Re:", "AW:", "RE :"), comes from the same customer, and
follows soon after: a message carrying no threading headers at all, whose subject is a
reply to a base subject this customer wrote or received within the window, joins that
conversation: the one begun most recently before it within the window (an older
conversation of the same customer on the same subject stays apart). Mail arriving far out
of date order can therefore join further back than it would in order; messages joined this
way are remembered, so the reader can say so and a wrong guess is one split away.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta

from shared_inbox.domain.model import MessageMeta
from shared_inbox.domain.subjects import base_subject, is_reply_subject

DEFAULT_REPLY_WINDOW = timedelta(days=30)

# What a message is to the rule: a reply without threading headers, a message that began a
# conversation (no headers, no reply subject), or one linked by its headers.
_ORPHAN, _START, _LINKED = 0, 1, 2
_Entry = tuple[datetime, str, int]  # date, message id, kind


def customer_address(meta: MessageMeta) -> str:
    """The customer side of a message: the sender, or the first recipient of our own mail.

    Mail sent for a customer by a machine (a web form) names the customer in Reply-To.
    """
    if meta.outgoing:
        return meta.to[0].email if meta.to else ""
    if meta.reply_to and meta.reply_to[0].email:
        return meta.reply_to[0].email
    return meta.sender.email


DUPLICATE_MARK = "#dup-"  # how the sync names a different message that reused a known Message-ID


class ReplySubjectLinks:
    """Per (customer, base subject), the messages in date order; names the pairs to join."""

    def __init__(self, window: timedelta = DEFAULT_REPLY_WINDOW) -> None:
        self.window = window
        self._lines: dict[tuple[str, str], list[_Entry]] = {}
        self.joined: set[str] = set()  # replies that joined their conversation by subject
        self._customers: dict[str, str] = {}  # message id -> customer address, for reused ids
        self._reused: dict[str, list[str]] = {}  # a reused Message-ID -> the renamed messages
        self._addresses: dict[str, str] = {}  # one string per customer address, not one per message

    def note_identity(self, meta: MessageMeta) -> None:
        """Remember whose message an id names, so a reused id can be told apart (see `resolve`)."""
        mid = meta.message_id
        base, mark, _rest = mid.partition(DUPLICATE_MARK)
        customer = customer_address(meta).lower()
        self._customers[mid] = self._addresses.setdefault(customer, customer)
        if mark:
            self._reused.setdefault(base, []).append(mid)

    def resolve(self, ref: str, meta: MessageMeta) -> str:
        """The message a reference means: when a broken mailer reused the id, the one of this customer."""
        renamed = self._reused.get(ref)
        if not renamed:
            return ref
        customer = customer_address(meta).lower()
        if self._customers.get(ref) == customer:
            return ref
        return next((mid for mid in renamed if self._customers.get(mid) == customer), ref)

    def add(self, meta: MessageMeta, *, headerless: bool) -> list[str]:
        """Record one message; return the ids it must be joined with.

        `headerless`: the message names no other message (no References, In-Reply-To or
        token). Only such a message with a reply subject joins anything.
        """
        address = customer_address(meta)
        subject = base_subject(meta.subject)
        if not address or not subject:
            return []
        reply = is_reply_subject(meta.subject)
        kind = _ORPHAN if headerless and reply else _START if headerless else _LINKED
        line = self._lines.setdefault((address.lower(), subject), [])
        entry = (meta.date, meta.message_id, kind)
        at = bisect.bisect_left(line, entry)
        if any(other[1] == meta.message_id for other in line[max(0, at - 1) : at + 1]):
            return []  # a copy of a message already recorded (INBOX and Sent)
        line.insert(at, entry)
        partners: list[str] = []
        if kind == _ORPHAN:
            target = self._target(line, at, meta.date)
            if target is not None:
                partners.append(target)
                self.joined.add(meta.message_id)
        if kind == _START:  # replies after it, up to the next start, were waiting for it
            for later in line[at + 1 :]:
                if later[0] - meta.date > self.window or later[2] == _START:
                    break
                if later[2] == _ORPHAN:
                    partners.append(later[1])
                    self.joined.add(later[1])
        return partners

    def _target(self, line: list[_Entry], at: int, date: datetime) -> str | None:
        """The message a reply without headers answers: the nearest earlier start of a
        conversation within the window, else the nearest earlier message within it."""
        nearest: str | None = None
        for earlier in reversed(line[:at]):
            if date - earlier[0] > self.window:
                break
            if earlier[2] == _START:
                return earlier[1]
            nearest = nearest or earlier[1]
        return nearest
