"""Threading with the team's merges and splits applied: the grouping every reader sees.

:class:`MergedIndex` answers the questions of :class:`~.threading.ThreadIndex` (which
conversation holds a message, what a conversation holds, where an old id went), with
the standing merge and split events (:mod:`.regrouping`) folded over threading's own
answers. The fold is redone lazily after messages or such events arrive; it touches
only the conversations the events name, and without such events every question goes
straight to threading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shared_inbox.domain.events import Event
from shared_inbox.domain.model import MessageMeta
from shared_inbox.domain.regrouping import REGROUP_KINDS, Regrouping, regroup
from shared_inbox.domain.stand_ins import header_only_form
from shared_inbox.domain.threading import ThreadIndex

__all__ = ["MergedIndex"]


class MergedIndex:
    def __init__(self, threads: ThreadIndex, messages: Mapping[str, MessageMeta]) -> None:
        self.threads = threads
        self._messages = messages
        self._events: dict[str, Event] = {}
        self._fold: Regrouping | None = Regrouping()
        self.regroupings = 0  # merge, split and undo events taken: what changes groups besides mail

    def __getstate__(self) -> dict[str, object]:
        """Kept without the message table (the store's) and the fold (redone when first asked)."""
        return {**self.__dict__, "_messages": {}, "_fold": None}

    def attach(self, messages: Mapping[str, MessageMeta]) -> None:
        """Read through `messages` again after being kept and read back."""
        self._messages = messages

    # -- feeding -----------------------------------------------------------------

    def add(self, meta: MessageMeta) -> None:
        self.add_many((meta,))

    def add_many(self, metas: Iterable[MessageMeta]) -> None:
        self.threads.add_many(metas)
        if self._events:
            self._fold = None

    def take_events(self, events: Iterable[Event]) -> frozenset[str]:
        """Note merge, split and undo events among ``events``; returns the conversation ids
        whose messages changed hands (before and after), empty when none did."""
        fresh = [e for e in events if str(e.kind) in REGROUP_KINDS and e.id not in self._events]
        if not fresh:
            return frozenset()
        before = self._regrouping().touched()
        for event in fresh:
            self._events[event.id] = event
        self._fold = None
        self.regroupings += len(fresh)
        return before | self._regrouping().touched()

    def _regrouping(self) -> Regrouping:
        if self._fold is None:
            threads = self.threads
            self._fold = regroup(
                self._events.values(),
                threads.conversation_of,
                threads.members,
                self._messages,
                is_taken=lambda conv_id: threads.resolve(conv_id) is not None,
            )
        return self._fold

    # -- questions -------------------------------------------------------------------

    def __len__(self) -> int:
        fold = self._regrouping()
        return len(self.threads) - len(fold.threaded) + len(fold.groups)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self.threads

    def joined_by_subject(self, message_id: str) -> bool:
        """Whether threading joined this message by its reply subject alone (a guess)."""
        return self.threads.joined_by_subject(message_id)

    def conversation_of(self, message_id: str) -> str | None:
        """The conversation id of a known message, else ``None``."""
        if not self._events:
            return self.threads.conversation_of(message_id)
        fold = self._regrouping()
        if not fold.owner:
            return self.threads.conversation_of(message_id)
        found = fold.owner.get(message_id)
        if found is not None:
            return found
        conv_id = self.threads.conversation_of(message_id)
        if conv_id is None or conv_id not in fold.threaded:
            return conv_id
        # A stand-in id in its other form (see .stand_ins): the member threading keeps names it.
        for member in self.threads.members(conv_id):
            if message_id in (header_only_form(member), header_only_form(message_id)):
                return fold.owner.get(member, conv_id)
        return conv_id

    def conversations(self) -> Mapping[str, list[str]]:
        """Conversation id -> its message ids in date order."""
        grouped = dict(self.threads.conversations())
        if not self._events:
            return grouped
        fold = self._regrouping()
        for conv_id in fold.replaced:
            grouped.pop(conv_id, None)
        for conv_id, members in fold.groups.items():
            grouped[conv_id] = list(members)
        return grouped

    def members(self, conv_id: str) -> list[str]:
        """Message ids of a conversation in date order (an alias works too); empty when unknown."""
        current = self.resolve(conv_id)
        if current is None:
            return []
        fold = self._regrouping()
        if current in fold.groups:
            return list(fold.groups[current])
        return self.threads.members(current)

    def resolve(self, conv_id: str) -> str | None:
        """The current id for ``conv_id``, following merges of either kind; ``None`` when never seen."""
        fold = self._regrouping()
        seen: set[str] = set()
        while conv_id not in seen:
            seen.add(conv_id)
            if conv_id in fold.groups:
                return conv_id
            if conv_id in fold.aliases:
                conv_id = fold.aliases[conv_id]
                continue
            current = self.threads.resolve(conv_id)
            if current is None:
                return None
            if current not in fold.replaced:
                return current
            if current == conv_id:
                return None  # its messages moved, and no merge says where to
            conv_id = current
        return None

    @property
    def aliases(self) -> Mapping[str, str]:
        """Every retired conversation id -> the id that now holds its messages."""
        fold = self._regrouping()
        olds = set(self.threads.aliases) | set(fold.aliases)
        resolved = {old: self.resolve(old) for old in olds}
        return {old: new for old, new in resolved.items() if new is not None and new != old}
