"""Presence on screen: badges in the list, names in the reader, and what this agent is doing.

The screens say what this agent is doing as it changes (:class:`ActivityReported`, through
`report_activity`): an open composer is "replying", the reader on top is "viewing". The app's
:class:`PresenceDisplay` keeps what they reported and tells the team exchange at once; once a
second (`PRESENCE_TICK`) it also drops expired teammates' notes and lets the exchange refresh
(see shared_inbox.services.presence). Teammates' notes arrive as :class:`PresenceArrived`.
What is shown goes out on the display's signal as :class:`ShownPresence`; the list and the
reader subscribe to it (`follow_presence`) and each draws its own part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message
from textual.signal import Signal

from shared_inbox.display.text import inert
from shared_inbox.domain.presence import Presence, PresenceNote
from shared_inbox.services.presence import PresenceBoard, Seen

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

    from shared_inbox.services.session import Session
    from shared_inbox.services.team import TeamSync

PRESENCE_TICK = 1.0  # seconds between looks at expiries and refreshes
MARKS = {"replying": "✎", "viewing": "◉"}


class PresenceArrived(Message):
    """Teammates' presence notes, read by the team exchange on its thread."""

    def __init__(self, notes: list[PresenceNote]) -> None:
        super().__init__()
        self.notes = notes


class ActivityReported(Message):
    """A screen says what the agent is doing on it now; None: nothing (any more)."""

    def __init__(self, source: int, doing: Presence | None) -> None:
        super().__init__()
        self.source = source  # which screen reports: a newer report from it replaces the older
        self.doing = doing


def report_activity(node: DOMNode, doing: Presence | None) -> None:
    """Tell the app what the agent is doing on `node`'s screen (messages up; no app, no effect)."""
    node.app.post_message(ActivityReported(id(node), doing))


@dataclass(frozen=True)
class ShownPresence:
    """Who is on which conversation now: list badges by conversation id, and the reader's line."""

    badges: Mapping[str, str]
    present: Mapping[str, Sequence[Seen]]
    names: Mapping[str, str]

    def line_for(self, conv_id: str) -> Content | None:
        return reader_line(self.present.get(conv_id, []), self.names)


def follow_presence(node: DOMNode, callback: Callable[[ShownPresence], object]) -> None:
    """Have `callback` run whenever presence is shown anew, while `node` is mounted (none without it)."""
    display = getattr(node.app, "presence", None)
    if isinstance(display, PresenceDisplay):
        # Immediate: a tick updates every screen before it returns, as one drawing pass.
        display.signal.subscribe(node, callback, immediate=True)


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else name


def list_badge(seen: Sequence[Seen], names: Mapping[str, str]) -> str:
    """The list's short badge: "✎Bob" (replying) or "◉Bob" (viewing), "+1" for more people."""
    if not seen:
        return ""
    first = seen[0]
    badge = f"{MARKS[first.activity]}{inert(first_name(names.get(first.agent, first.agent)))}"
    return badge if len(seen) == 1 else f"{badge}+{len(seen) - 1}"


def reader_line(seen: Sequence[Seen], names: Mapping[str, str]) -> Content | None:
    """The reader's line: "✎ Bob Agent is replying · ◉ Carol is viewing"; None when nobody is."""
    if not seen:
        return None
    parts = [f"{MARKS[s.activity]} {inert(names.get(s.agent, s.agent))} is {s.activity}" for s in seen]
    return Content(" · ".join(parts))


class PresenceDisplay:
    """The app's side of presence; lives on the UI thread."""

    def __init__(self, app: App[None], session: Session, team: TeamSync, now: Callable[[], datetime]) -> None:
        self.app = app
        self.session = session
        self.team = team
        self.now = now
        self.board = PresenceBoard(session.config.team.me)
        self.names = {m.email: m.name or m.email for m in session.config.team.members}
        self.signal: Signal[ShownPresence] = Signal(app, "presence-shown")
        self.shown = ShownPresence({}, {}, self.names)  # the latest, for screens opened meanwhile
        self.reported: dict[int, Presence] = {}  # by reporting screen, the latest report last

    def start(self) -> None:
        self.team.on_presence = self._post
        self.app.set_interval(PRESENCE_TICK, self.tick)

    def _post(self, notes: list[PresenceNote]) -> None:
        """Called on the exchange's thread: hand over to the UI thread."""
        self.app.post_message(PresenceArrived(notes))

    def arrived(self, notes: list[PresenceNote]) -> None:
        if self.board.take_in(notes, self.now()):
            self.show()

    def tick(self) -> None:
        """Expire teammates' presence, and keep this agent's own presence fresh."""
        now = self.now()
        if self.board.drop_expired(now) or self.board.active:
            self.show()  # also puts names on a reader opened since the last tick
        self._announce(now)

    def report(self, source: int, doing: Presence | None) -> None:
        """A screen's activity changed: keep it, and tell the team now rather than at the tick."""
        self.reported.pop(source, None)
        if doing is not None:
            self.reported[source] = doing  # last: the most recently shown screen
        self._announce(self.now())

    def _announce(self, now: datetime) -> None:
        if self.team.presence.want(self.mine(), now):
            self.team.nudge()

    def mine(self) -> set[Presence]:
        """Replying wherever a composer is open; otherwise viewing what the latest reader shows."""
        doing = list(self.reported.values())
        replying = {p for p in doing if p.activity == "replying"}
        if replying or not doing:
            return replying
        return {doing[-1]}

    def show(self) -> None:
        """Tell the screens that show conversations who is on which now."""
        inbox = self.session.inbox

        def resolve(anchor: str) -> str | None:
            conv = inbox.conversation(anchor)
            return conv.id if conv is not None else None

        present = self.board.by_conversation(resolve, self.now())
        badges = {conv_id: list_badge(seen, self.names) for conv_id, seen in present.items()}
        self.shown = ShownPresence(badges, present, self.names)
        self.signal.publish(self.shown)
