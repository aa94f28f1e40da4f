"""The application shell: opens the inbox screen, keeps the mailbox in sync, shows connection state.

Sync is blocking IMAP code, so it runs in a thread worker that only posts
messages; the handlers here, on the UI thread, update the inbox and the screen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import BindingType
from textual.message import Message
from textual.reactive import reactive

from shared_inbox.config import PasswordError
from shared_inbox.imap.connection import MailServerError
from shared_inbox.services.session import Session
from shared_inbox.services.syncing import SyncRound
from shared_inbox.ui.composer import ComposerScreen, OutgoingMail
from shared_inbox.ui.conversation_list import ConversationList
from shared_inbox.ui.help import HelpScreen
from shared_inbox.ui.inbox_screen import InboxScreen
from shared_inbox.ui.keys import KeySpec, bindings_for, effective_keys
from shared_inbox.ui.palette import KeyActionsProvider
from shared_inbox.ui.reader import ReaderScreen
from shared_inbox.ui.themes import choose_theme, register_all

Now = Callable[[], datetime]
OUTBOX_CHECK_SECONDS = 3.0  # how often due replies are looked for; sending itself runs in a thread


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SyncStateChanged(Message):
    """The sync loop connected, went idle, is syncing, went offline or was refused."""

    def __init__(self, state: str, detail: str) -> None:
        super().__init__()
        self.state = state
        self.detail = detail


class SyncRoundDone(Message):
    """One sync round finished; its new messages are in the store."""

    def __init__(self, result: SyncRound) -> None:
        super().__init__()
        self.result = result


class InboxApp(App[None]):
    """The shared inbox TUI over one open Session."""

    CSS_PATH = "app.tcss"
    TITLE = "shared-inbox"
    COMMANDS = App.COMMANDS | {KeyActionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("global", {})]

    status_line: reactive[str] = reactive("")

    def __init__(self, session: Session, *, sync: bool = True, now: Now = _utc_now) -> None:
        super().__init__()
        self.session = session
        self.sync_enabled = sync
        self._now = now
        self._stop = threading.Event()
        self.connection = "sync off" if not sync else "starting"
        self.last_sync: datetime | None = None
        self.outgoing = OutgoingMail(session, now=now)
        self.set_keymap(effective_keys(session.config.keys))

    def on_mount(self) -> None:
        requested = self.session.config.theme
        register_all(self)
        self.theme = choose_theme(requested, self.available_themes)
        if requested and self.theme != requested:
            message = f"No theme named {requested!r}; using {self.theme}."
            self.notify(message, severity="warning", markup=False)
        self._update_status()
        self.push_screen(InboxScreen(self.session, now=self._now))
        if self.sync_enabled:
            self._sync()
            self.set_interval(OUTBOX_CHECK_SECONDS, self._send_due_mail)

    def on_unmount(self) -> None:
        self._stop.set()
        self.outgoing.close()

    def action_quit(self) -> None:  # type: ignore[override]
        self._stop.set()
        self.exit()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.session.config.keys, include=self._offers))

    async def action_search(self) -> None:
        """Search belongs to the conversation list; elsewhere `/` says where to find it."""
        if isinstance(self.screen, InboxScreen):
            await self.screen.run_action("search")
        else:
            self.notify("Go back to the conversation list to search.")

    def _offers(self, spec: KeySpec) -> bool:
        """Whether some part of the app implements the key's action (help lists only those)."""
        name = spec.action.rpartition(".")[2]
        owners: dict[str, tuple[object, ...]] = {
            "global": (self,),
            "list": (InboxScreen, ConversationList),
            "reader": (ReaderScreen,),
            "composer": (ComposerScreen,),
        }
        return any(hasattr(owner, f"action_{name}") for owner in owners.get(spec.scope, ()))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys whose feature is not part of the app yet, instead of showing dead keys."""
        return hasattr(self, f"action_{action}")

    # -- outbox ------------------------------------------------------------------

    def action_undo_send(self) -> None:
        self.notify(self.outgoing.undo_last(), title="Outbox", markup=False)

    def _send_due_mail(self) -> None:
        if self.outgoing.has_due():
            self._flush_outbox()

    @work(thread=True, group="outbox", exit_on_error=False)
    def _flush_outbox(self) -> None:
        """Deliver due replies; blocking SMTP and IMAP, so it runs in a thread and only posts back."""
        report = self.outgoing.flush(lambda ids: self.call_from_thread(self.session.inbox.add_messages, ids))
        if report is None:
            return
        for problem in [*report.problems, *(f"{e.subject}: {e.last_error}" for e in report.failed)]:
            self.call_from_thread(self.notify, problem, title="Outbox", severity="warning", markup=False)

    # -- sync ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _sync(self) -> None:
        """Run the sync loop until the app stops; blocking, so it lives in a thread."""
        try:
            service = self.session.sync_service()
            service.watch(self._stop, self._round_done, self._state_changed)
        except (MailServerError, PasswordError, OSError) as exc:
            self.post_message(SyncStateChanged("offline", str(exc)))

    def _round_done(self, result: SyncRound) -> None:
        """Called on the sync thread: hand over to the UI thread."""
        self.post_message(SyncRoundDone(result))

    def _state_changed(self, state: str, detail: str) -> None:
        """Called on the sync thread: hand over to the UI thread."""
        self.post_message(SyncStateChanged(state, detail))

    def on_sync_state_changed(self, event: SyncStateChanged) -> None:
        self.connection = event.state
        if event.state in ("offline", "auth-failed"):
            self.notify(event.detail, title="Sync", severity="warning", markup=False)
        self._update_status()

    def on_sync_round_done(self, event: SyncRoundDone) -> None:
        self.last_sync = self._now()
        if event.result.new_ids:
            self.session.inbox.add_messages(event.result.new_ids)
        if event.result.changed:
            for screen in self.screen_stack:
                if isinstance(screen, InboxScreen):
                    screen.reload()
        self._update_status()

    def _update_status(self) -> None:
        config = self.session.config
        last = self.last_sync.astimezone().strftime("%H:%M") if self.last_sync else "never"
        idle = "on" if config.imap.idle and self.connection == "idle" else "off"
        self.status_line = f"{self.connection} · last sync {last} · IDLE {idle} · {config.team.me}"
