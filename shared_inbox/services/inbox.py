"""The inbox as the UI and the CLI see it: conversations built from the store.

Message metadata has one owner, the store; the inbox reads through its table
and hears of every write, so no writer has to tell it. Heard changes are taken
into the thread index on the next read, on the reading thread, and listeners
are told at once (from the writing thread) which messages or conversations
changed. Events (commands, teammates) come in through `add_event(s)`.
Callers get plain domain objects.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Concatenate, ParamSpec, TypeVar

from shared_inbox.domain.conversations import assemble, assemble_one, group_events
from shared_inbox.domain.events import Event, EventError, event_from_json
from shared_inbox.domain.merged_index import MergedIndex
from shared_inbox.domain.message_kinds import KindSummary, summarise
from shared_inbox.domain.model import Conversation, MessageKind, MessageMeta, Status
from shared_inbox.domain.query import parse_query, search_text
from shared_inbox.domain.threading import ThreadIndex
from shared_inbox.services import inbox_state
from shared_inbox.services.activity_order import ActivityOrder
from shared_inbox.store import Store

log = logging.getLogger(__name__)

# Above this many new messages at once, rebuilding everything is cheaper.
INCREMENTAL_LIMIT = 2000
REMEMBERED_SEARCHES = 16
SEARCH_TEXT_BATCH = 500  # conversations whose search text is built under one hold of the lock
MIN_PREFIX = 4  # the shortest start of a conversation id taken as naming it, as git takes hashes
_CANDIDATES_SHOWN = 5


class AmbiguousConversation(LookupError):
    """A typed id that starts more than one conversation id; the message lists them."""


@dataclass(frozen=True)
class InboxChange:
    """What changed: messages written to the store, conversations that took events, or everything."""

    message_ids: frozenset[str] = frozenset()
    conversation_ids: frozenset[str] = frozenset()
    everything: bool = False

    def merged(self, other: InboxChange) -> InboxChange:
        """Both changes as one, so a burst of them can be handled once."""
        if self.everything or other.everything:
            return InboxChange(everything=True)
        return InboxChange(
            self.message_ids | other.message_ids, self.conversation_ids | other.conversation_ids
        )


InboxListener = Callable[[InboxChange], None]
R = TypeVar("R")
P = ParamSpec("P")


def _settled(method: Callable[Concatenate[Inbox, P], R]) -> Callable[Concatenate[Inbox, P], R]:
    """Answer from an index that holds every write heard so far, one thread at a time."""

    @functools.wraps(method)
    def read(self: Inbox, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._settle_lock:
            self._settle()
            return method(self, *args, **kwargs)

    return read


class Inbox:
    def __init__(
        self,
        store: Store,
        *,
        our_addresses: frozenset[str],
        me: str,
        subject_merge: bool = False,
        subject_merge_window: timedelta = timedelta(days=7),
        bulk_starts_clocks: bool = False,
        reply_subjects: bool = True,
        reply_window: timedelta = timedelta(days=30),
    ) -> None:
        self.store = store
        self.our_addresses = our_addresses
        self.bulk_starts_clocks = bulk_starts_clocks
        self.me = me
        threads = ThreadIndex(
            subject_merge=subject_merge,
            window=subject_merge_window,
            reply_subjects=reply_subjects,
            reply_window=reply_window,
        )
        self.index = MergedIndex(threads, store.message_table())  # threading plus the team's merges
        # What the derived state depends on besides the store (see inbox_state.py).
        self._settings = (
            sorted(our_addresses),
            subject_merge,
            subject_merge_window,
            reply_subjects,
            reply_window,
            bulk_starts_clocks,
        )
        self._kept_key: bytes | None = None  # the key of the state kept beside the store, when it is this
        self.from_kept_state = False  # whether `load` took the kept state back rather than building it
        self._malformed = 0  # stored events that could not be read
        self.events: list[Event] = []
        self._event_ids: set[str] = set()
        self._conversations: dict[str, Conversation] | None = None
        self._events_by_conv: dict[str, list[Event]] = {}
        # The list asks for the same ordering and the same search several times per
        # keystroke or change; both are kept until the conversations change.
        self._order = ActivityOrder()
        self._results: dict[str, list[Conversation]] = {}
        # conversation id -> its free-text search text, dropped when the conversation is rebuilt
        self._search_texts: dict[str, str] = {}
        self._kinds: dict[str, KindSummary] = {}  # conversation id -> its message kinds, until a change
        self._bounces: set[str] = set()  # ids of bounces: few, and what the Attention view looks for
        # Told of every change, on the thread that made it; see `InboxChange`.
        self.listeners: list[InboxListener] = []
        # Message writes heard from the store, not yet in the index. The writer only touches
        # these (under `_heard_lock`); readers take them in under `_settle_lock`.
        self._heard_new: set[str] = set()
        self._heard_changed: set[str] = set()
        self._heard_lock = threading.Lock()
        self._settle_lock = threading.RLock()
        store.watch_messages(self._heard)

    @property
    def messages(self) -> Mapping[str, MessageMeta]:
        """Every message by Message-ID: the store's own table, not a copy."""
        return self.store.message_table()

    def load(self) -> Inbox:
        """Build everything from the store, or take back the state kept when it was last closed."""
        with self._settle_lock:
            with self._heard_lock:  # what is stored now is read below
                self._heard_new.clear()
                self._heard_changed.clear()
            key = inbox_state.state_key(self.store, self._settings)
            if key is None or not self._take_back(key):
                self._build()
            self._all()
        self._tell(InboxChange(everything=True))
        return self

    def _build(self) -> None:
        metas = list(self.messages.values())
        self._bounces = {m.message_id for m in metas if m.kind is MessageKind.BOUNCE}
        self.index.add_many(metas)
        for raw in self.store.events():
            self._take_event(raw)
        self.index.take_events(self.events)
        self._conversations = None
        self._changed()

    def _take_back(self, key: bytes) -> bool:
        """Take the kept state when it was kept under `key`; False to build it instead."""
        state = self.store.load_derived(inbox_state.NAME, key, inbox_state.load_state)
        if state is None or len(state) != 6:
            return False
        index, events, malformed, conversations, events_by_conv, bounces = state
        shapes = (
            (index, MergedIndex),
            (events, list),
            (malformed, int),
            (conversations, dict),
            (events_by_conv, dict),
            (bounces, set),
        )
        if not all(isinstance(part, kind) for part, kind in shapes):
            return False
        index.attach(self.store.message_table())
        self.index, self.events, self._malformed = index, events, malformed
        self._event_ids = {event.id for event in events}
        self._conversations, self._events_by_conv, self._bounces = conversations, events_by_conv, bounces
        self._changed()
        self._kept_key = key
        self.from_kept_state = True
        return True

    def keep_state(self) -> bool:
        """Keep the derived state beside the store for the next open; False when there is no need
        (kept already) or it cannot be trusted to match the store (then the next open rebuilds)."""
        with self._settle_lock:
            self._settle()
            key = inbox_state.state_key(self.store, self._settings)
            with self._heard_lock:  # a write heard after settling is in the key but not the state
                heard = bool(self._heard_new or self._heard_changed)
            if key is None or key == self._kept_key or heard or self._conversations is None:
                # Nor is anything derived only to be kept: a `sync --once` that never needed the
                # conversations would add their assembly and pickling (~50 MB at 50k) to its peak.
                return False
            table = self.messages
            if len(self._event_ids) + self._malformed != self.store.event_count() or not all(
                mid in self.index for mid in table
            ):
                return False  # an event or a message the inbox has not taken (or the other way round)
            state = (
                self.index,
                self.events,
                self._malformed,
                self._all(),
                self._events_by_conv,
                self._bounces,
            )
            payload = inbox_state.dump_state(state)
            if payload is None or inbox_state.state_key(self.store, self._settings) != key:
                return False  # the store changed meanwhile
            self.store.save_derived(inbox_state.NAME, key, payload)
            self._kept_key = key
            return True

    @_settled
    def search_prepared(self) -> bool:
        """Whether every conversation's search text is built (see `prepare_search`)."""
        return self._all().keys() <= self._search_texts.keys()

    def prepare_search(self, batch: int = SEARCH_TEXT_BATCH) -> int:
        """Build the search text of every conversation, `batch` at a time; returns how many were built.

        Run once the list is usable (the app does it in the background), so the first search does
        not build them all on a keystroke. A search before then builds the texts it needs itself; a
        reader waits for one batch at most.
        """
        with self._settle_lock:
            self._settle()
            conv_ids = list(self._all())
        built = 0
        for start in range(0, len(conv_ids), batch):
            with self._settle_lock:
                self._settle()
                table, texts = self._all(), self._search_texts
                for conv_id in conv_ids[start : start + batch]:
                    conv = table.get(conv_id)  # gone when it merged meanwhile
                    if conv is not None and conv_id not in texts:
                        self._text_of(conv)
                        built += 1
        return built

    def _take_event(self, raw: dict[str, object]) -> Event | None:
        try:
            event = event_from_json(raw)
        except EventError as exc:
            log.warning("ignoring a malformed event in the store: %s", exc)
            self._malformed += 1
            return None
        if event.id in self._event_ids:
            return None
        self._event_ids.add(event.id)
        self.events.append(event)
        return event

    # -- updates -------------------------------------------------------------

    def _heard(self, new: frozenset[str], changed: frozenset[str]) -> None:
        """The store wrote messages (on the writer's thread, under its lock): note them, tell listeners."""
        with self._heard_lock:
            self._heard_new |= new
            self._heard_changed |= changed
        self._tell(InboxChange(message_ids=new | changed))

    def _tell(self, change: InboxChange) -> None:
        for listener in list(self.listeners):
            listener(change)

    def _settle(self) -> None:
        """Take the writes heard since the last read into the index and the conversations."""
        if not self._heard_new and not self._heard_changed:
            return  # the common case, asked on every read: no locks to take (a write heard
            # meanwhile is taken in by the next read, as if it had come a moment later)
        with self._settle_lock:
            with self._heard_lock:
                if not self._heard_new and not self._heard_changed:
                    return
                new, changed = self._heard_new, self._heard_changed - self._heard_new
                self._heard_new, self._heard_changed = set(), set()
            indexed = {mid for mid in new if self.index.conversation_of(mid) is not None}
            self._take_new(new - indexed)
            self._take_changed(changed | indexed)

    def _take_new(self, message_ids: Iterable[str]) -> None:
        table = self.messages
        fresh = [meta for mid in message_ids if (meta := table.get(mid)) is not None]
        self._bounces.update(meta.message_id for meta in fresh if meta.kind is MessageKind.BOUNCE)
        if not fresh:
            return
        self._queries_changed()
        self.index.add_many(fresh)
        if self._conversations is None or len(fresh) > INCREMENTAL_LIMIT:
            self._conversations = None
            self._changed()
            return
        # Threads may have merged: regroup events, drop ids that no longer exist,
        # and rebuild only the conversations the new messages touched.
        self._events_by_conv = group_events(self.index, self.events)
        live = self.index.conversations()
        for stale in [cid for cid in self._conversations if cid not in live]:
            self._order.move(self._conversations.pop(stale), None)
            self._search_texts.pop(stale, None)
        touched = {self.index.conversation_of(meta.message_id) for meta in fresh}
        for conv_id in touched:
            if conv_id is not None:
                self._rebuild(conv_id)

    def _take_changed(self, message_ids: set[str]) -> None:
        """Known messages whose flags or locations changed: rebuild their conversations once each."""
        if not message_ids:
            return
        self._queries_changed()
        if self._conversations is None or len(message_ids) > INCREMENTAL_LIMIT:
            self._conversations = None
            self._changed()
            return
        touched = {self.index.conversation_of(mid) for mid in message_ids}
        for conv_id in touched:
            if conv_id is not None:
                self._rebuild(conv_id)

    @_settled
    def touches(self, change: InboxChange, conv_id: str) -> bool:
        """Whether `change` may alter the conversation `conv_id` (or the one it merged into)."""
        if change.everything or conv_id in change.conversation_ids:
            return True
        if not change.message_ids:
            return False
        current = self.conversation(conv_id)
        target = current.id if current is not None else conv_id
        if target in change.conversation_ids:
            return True
        return any(self.index.conversation_of(mid) == target for mid in change.message_ids)

    def add_event(self, event: Event) -> None:
        self.add_events([event])

    def add_events(self, events: Iterable[Event]) -> None:
        """Take in many events (a teammate's batch) and rebuild each conversation they touch once."""
        touched: set[str] = set()
        took: list[Event] = []
        with self._settle_lock:
            self._settle()
            for event in events:
                if event.id in self._event_ids:
                    continue
                self._event_ids.add(event.id)
                self.events.append(event)
                took.append(event)
                conv_id = self.index.conversation_of(event.anchor)
                if conv_id is not None:
                    touched.add(conv_id)
                if self._conversations is not None and conv_id is not None:
                    self._events_by_conv.setdefault(conv_id, []).append(event)
            regrouped = self.index.take_events(took)  # merges and splits: messages changed hands
            if regrouped and self._conversations is not None:
                self._events_by_conv = group_events(self.index, self.events)
            touched |= regrouped
            if self._conversations is not None:
                for conv_id in touched:
                    self._rebuild(conv_id)
        if took:
            self._tell(InboxChange(conversation_ids=frozenset(touched)))

    def _changed(self) -> None:
        """Everything may have changed: the ordering is sorted afresh when next asked for."""
        self._order.forget()
        self._queries_changed()

    def _queries_changed(self) -> None:
        self._results.clear()
        self._kinds.clear()

    def _rebuild(self, conv_id: str) -> None:
        assert self._conversations is not None
        self._queries_changed()
        self._search_texts.pop(conv_id, None)
        old = self._conversations.get(conv_id)
        metas = [self.messages[m] for m in self.index.members(conv_id) if m in self.messages]
        if not metas or self.index.resolve(conv_id) != conv_id:  # gone, or merged into another
            self._conversations.pop(conv_id, None)
            self._order.move(old, None)
            return
        events = self._events_by_conv.get(conv_id, ())
        new = assemble_one(conv_id, metas, events, self.our_addresses, bulk_counts=self.bulk_starts_clocks)
        self._conversations[conv_id] = new
        self._order.move(old, new)

    # -- reads ---------------------------------------------------------------

    def _all(self) -> dict[str, Conversation]:
        self._settle()
        if self._conversations is None:
            self._events_by_conv = group_events(self.index, self.events)
            convs = assemble(
                self.index,
                self.messages,
                self._events_by_conv,
                self.our_addresses,
                bulk_counts=self.bulk_starts_clocks,
            )
            self._conversations = {c.id: c for c in convs}
            self._search_texts.clear()
        return self._conversations

    @_settled
    def conversations(self, query: str = "") -> list[Conversation]:
        """Conversations matching `query`, the one waiting longest first."""
        ordered = self._order.fill(self._all().values())
        if not query.strip():
            return list(ordered)
        found = self._results.get(query)
        if found is None:
            from shared_inbox.services.customers import customer_lookup  # it builds on this module

            q = parse_query(query, me=self.me, customer_lookup=customer_lookup(self))
            found = q.select(ordered, self.messages_of, self._text_of)
            if len(self._results) >= REMEMBERED_SEARCHES:
                self._results.clear()
            self._results[query] = found
        return list(found)

    def _text_of(self, conv: Conversation) -> str:
        text = self._search_texts.get(conv.id)
        if text is None:
            text = self._search_texts[conv.id] = search_text(conv, self.messages_of(conv))
        return text

    @_settled
    def count(self) -> int:
        """How many conversations there are, without assembling them when they are not yet.

        A sync's closing line needs only the number; assembling 16k conversations for it
        added about 40 MB to the peak memory of `sync --once` at 50k messages.
        """
        if self._conversations is not None:
            return len(self._conversations)
        table = self.messages
        return sum(1 for ids in self.index.conversations().values() if any(m in table for m in ids))

    @_settled
    def conversation(self, ref: str) -> Conversation | None:
        """Find a conversation by its id, an old id it merged from, or a Message-ID in it."""
        table = self._all()
        ref = ref.strip()
        if ref in table:
            return table[ref]
        resolved = self.index.resolve(ref)
        if resolved and resolved in table:
            return table[resolved]
        conv_id = self.index.conversation_of(ref.strip("<>"))
        return table.get(conv_id) if conv_id else None

    @_settled
    def find(self, ref: str) -> Conversation | None:
        """The conversation a person named: as :meth:`conversation`, or by a unique start of its id.

        Raises :class:`AmbiguousConversation` when the start fits several conversations.
        """
        found = self.conversation(ref)
        ref = ref.strip()
        if found is not None or len(ref) < MIN_PREFIX:
            return found
        table = self._all()
        matches = sorted(conv_id for conv_id in table if conv_id.startswith(ref))
        if len(matches) > 1:
            shown = ", ".join(matches[:_CANDIDATES_SHOWN])
            more = len(matches) - _CANDIDATES_SHOWN
            listed = shown + (f" and {more} more" if more > 0 else "")
            raise AmbiguousConversation(
                f"{ref!r} starts {len(matches)} conversation ids ({listed}); type more of it."
            )
        return table[matches[0]] if matches else None

    def messages_of(self, conv: Conversation) -> list[MessageMeta]:
        return [self.messages[m] for m in conv.message_ids if m in self.messages]

    @_settled
    def joined_by_subject(self, message_id: str) -> bool:
        """Whether the message joined its conversation by its reply subject alone (a guess)."""
        return self.index.joined_by_subject(message_id)

    @_settled
    def kinds_of(self, conv: Conversation) -> KindSummary:
        """How many of its messages people and machines wrote, and where delivery failed."""
        summary = self._kinds.get(conv.id)
        if summary is None:
            summary = self._kinds[conv.id] = summarise(self.messages_of(conv), self.our_addresses)
        return summary

    @_settled
    def delivery_failed(self) -> frozenset[str]:
        """Open conversations where our mail bounced and the team has not written since."""
        table = self._all()
        found = set()
        for mid in self._bounces:
            conv = table.get(self.index.conversation_of(mid) or "")
            if conv is None or conv.state.status in (Status.CLOSED, Status.SPAM):
                continue
            if self.kinds_of(conv).unanswered_failure:
                found.add(conv.id)
        return frozenset(found)

    @_settled
    def event_count_of(self, conv_id: str) -> int:
        """How many events the conversation has, without copying them."""
        self._all()
        return len(self._events_by_conv.get(conv_id, ()))

    @_settled
    def events_by_conversation(self) -> dict[str, tuple[Event, ...]]:
        """The events of every conversation that has any, at once: for reading them all (reports)."""
        self._all()
        return {conv_id: tuple(events) for conv_id, events in self._events_by_conv.items() if events}

    @_settled
    def events_of(self, conv_id: str) -> list[Event]:
        """The events of one conversation (state changes, promises, notes), in arrival order."""
        self._all()
        return list(self._events_by_conv.get(conv_id, ()))
