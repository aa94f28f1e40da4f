"""The Traffic Cop: a reply is held when the conversation moved on while the agent was writing it.

When the composer opens it takes a :class:`Baseline` (the messages and notes the agent could
see). At send, :func:`whats_new` lists what arrived since: a customer's message, a teammate's
reply, a teammate's note, a report that earlier mail bounced (auto-replies and bulk mail are
not news). Anything there holds the reply: the draft and its recipients stay
in the store (the composer's draft setting) and :class:`HeldReplies` remembers the baseline,
so the "Needs attention" view lists the conversation and reopening its composer offers the
reply again with the same news, until the agent sends it anyway or discards it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from shared_inbox.domain.events import Event
from shared_inbox.domain.model import Conversation, MessageKind, MessageMeta
from shared_inbox.domain.notes import NOTE_ADD

HELD_KEY = "traffic_cop.held"  # {conversation id: baseline document}
MAX_SUMMARY = 80

NewsKind = Literal["customer", "reply", "note", "bounce"]
# An out-of-office answer or a newsletter changes nothing the agent is about to say.
_NOT_NEWS = frozenset({MessageKind.AUTO_REPLY, MessageKind.BULK})


class ConversationSource(Protocol):
    """What the check reads of the inbox."""

    @property
    def messages(self) -> Mapping[str, MessageMeta]: ...

    def conversation(self, ref: str) -> Conversation | None: ...

    def events_of(self, conv_id: str) -> list[Event]: ...


class SettingsStore(Protocol):
    def get_setting(self, key: str, default: object = None) -> object: ...

    def set_setting(self, key: str, value: object) -> None: ...


@dataclass(frozen=True)
class Baseline:
    """What the agent had in front of them when they started writing."""

    conversation_id: str
    message_ids: frozenset[str]
    note_ids: frozenset[str]
    taken_at: datetime

    def to_setting(self) -> dict[str, object]:
        return {
            "messages": sorted(self.message_ids),
            "notes": sorted(self.note_ids),
            "at": self.taken_at.isoformat(),
        }

    @classmethod
    def from_setting(cls, conversation_id: str, value: object) -> Baseline | None:
        if not isinstance(value, dict):
            return None
        messages, notes, at = value.get("messages"), value.get("notes"), value.get("at")
        if not (_strings(messages) and _strings(notes) and isinstance(at, str)):
            return None
        try:
            taken_at = datetime.fromisoformat(at)
        except ValueError:
            return None
        if taken_at.tzinfo is None:
            return None
        return cls(conversation_id, frozenset(messages), frozenset(notes), taken_at)  # type: ignore[arg-type]


@dataclass(frozen=True)
class News:
    """One thing that happened in the conversation after the baseline."""

    kind: NewsKind
    who: str
    at: datetime
    summary: str

    def describe(self) -> str:
        what = {
            "customer": "New message from",
            "reply": "Reply sent by",
            "note": "Note by",
            "bounce": "Delivery failure reported by",
        }[self.kind]
        return f"{what} {self.who} ({self.at.astimezone():%a %H:%M}): {self.summary}"


def take_baseline(inbox: ConversationSource, conv_id: str, now: datetime) -> Baseline:
    conv = inbox.conversation(conv_id)
    message_ids = frozenset(conv.message_ids) if conv is not None else frozenset()
    notes = frozenset(event.id for event in _notes(inbox, conv.id if conv is not None else conv_id))
    return Baseline(conv.id if conv is not None else conv_id, message_ids, notes, now)


def whats_new(inbox: ConversationSource, baseline: Baseline, me: str) -> list[News]:
    """Messages and teammates' notes the agent has not seen; the agent's own notes are not news."""
    conv = inbox.conversation(baseline.conversation_id)
    if conv is None:
        return []
    found: list[News] = []
    for message_id in conv.message_ids:
        meta = inbox.messages.get(message_id)
        if message_id in baseline.message_ids or meta is None or meta.kind in _NOT_NEWS:
            continue
        kind: NewsKind = "reply" if meta.outgoing else "customer"
        if meta.kind is MessageKind.BOUNCE:
            kind = "bounce"
        found.append(News(kind, meta.sender.display(), meta.arrived, _short(meta.subject)))
    for event in _notes(inbox, conv.id):
        if event.id in baseline.note_ids or event.author == me:
            continue
        text = event.data.get("text")
        found.append(News("note", event.author, event.at, _short(text if isinstance(text, str) else "")))
    return sorted(found, key=lambda news: news.at)


def _notes(inbox: ConversationSource, conv_id: str) -> Iterable[Event]:
    return (event for event in inbox.events_of(conv_id) if str(event.kind) == NOTE_ADD)


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_SUMMARY else line[: MAX_SUMMARY - 1] + "…"


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


class HeldReplies:
    """Replies the Traffic Cop held, by conversation, with the baseline they were written against."""

    def __init__(self, store: SettingsStore) -> None:
        self.store = store

    def _all(self) -> dict[str, object]:
        value = self.store.get_setting(HELD_KEY)
        return dict(value) if isinstance(value, dict) else {}

    def hold(self, baseline: Baseline) -> None:
        held = self._all()
        held[baseline.conversation_id] = baseline.to_setting()
        self.store.set_setting(HELD_KEY, held)

    def release(self, conv_id: str) -> None:
        held = self._all()
        if held.pop(conv_id, None) is not None:
            self.store.set_setting(HELD_KEY, held)

    def baseline(self, conv_id: str) -> Baseline | None:
        return Baseline.from_setting(conv_id, self._all().get(conv_id))

    def conversation_ids(self) -> frozenset[str]:
        return frozenset(self._all())
