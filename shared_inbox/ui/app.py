"""The application shell: opens the inbox screen, keeps the mailbox in sync, shows connection state.

Sync is blocking IMAP code, so it runs in a thread worker that only posts
messages; the handlers here, on the UI thread, update the inbox and the screen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import BindingType
from textual.message import Message
from textual.reactive import reactive

from shared_inbox.display.text import inert
from shared_inbox.domain.model import MessageKind
from shared_inbox.ui.inbox_changes import InboxChange, InboxChanged, InboxFeed
from shared_inbox.ui.keys import KeySpec, bindings_for, effective_keys, spec_for, split_keys
from shared_inbox.ui.palette import KeyActionsProvider, ThemesProvider
from shared_inbox.ui.screens.first_screen import load_first_screen
from shared_inbox.ui.screens.start import StartScreen, replay_keys
from shared_inbox.ui.team_news import teammate_news
from shared_inbox.ui.themes import choose_theme, register_all
from shared_inbox.ui.widgets.conversation_list import ConversationList
from shared_inbox.ui.widgets.presence_badges import ActivityReported, PresenceArrived, PresenceDisplay
from shared_inbox.wallclock import Now, utc_now

# The screens, the mail and store code are imported when first needed: a cold start paints the
# list it remembers first and loads them meanwhile (see `StartScreen`).
if TYPE_CHECKING:
    from shared_inbox.config import Config
    from shared_inbox.domain.events import Event
    from shared_inbox.services.replies import OutboxEntry, Replies, ReplyDraft
    from shared_inbox.services.session import Session
    from shared_inbox.services.syncing import SyncRound
    from shared_inbox.services.team import TeamSync
    from shared_inbox.ui.dialogs.prompts import Picked

OUTBOX_CHECK_SECONDS = 3.0  # how often due replies are looked for; sending itself runs in a thread
NOTIFY_AT_MOST = 3  # new-mail notifications shown one by one before they are summed up


class SyncStateChanged(Message):
    """The sync loop connected, went idle, is syncing, went offline or was refused."""

    def __init__(self, state: str, detail: str) -> None:
        super().__init__()
        self.state = state
        self.detail = detail


class SessionOpened(Message):
    """The store and inbox finished opening in the background."""

    def __init__(self, session: Session, team: TeamSync, overdue: set[tuple[str, str]]) -> None:
        super().__init__()
        self.session = session
        self.team = team
        self.overdue = overdue  # what is overdue already, not to be announced


class SyncRoundDone(Message):
    """One sync round finished; its new messages are in the store."""

    def __init__(self, result: SyncRound) -> None:
        super().__init__()
        self.result = result


class InboxApp(App[None]):
    """The shared inbox TUI over one Session: given open, or opened in the background at start."""

    CSS_PATH = "app.tcss"
    TITLE = "shared-inbox"
    COMMANDS = {KeyActionsProvider, ThemesProvider}  # the app's own entries only, not Textual's
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("global", {})]

    status_line: reactive[str] = reactive("")

    def __init__(
        self,
        session: Session | None = None,
        *,
        config: Config | None = None,
        opener: Callable[[], Session] | None = None,
        sync: bool = True,
        now: Now = utc_now,
        own_signals: bool = False,
    ) -> None:
        """Either `session` (open already), or `config` and `opener` (called in a thread at start).

        `own_signals`: SIGTERM, SIGHUP and SIGINT end the app cleanly (the real program; an app
        under test leaves the test runner's signals alone).
        """
        super().__init__()
        if session is None and (config is None or opener is None):
            raise ValueError("InboxApp needs a session, or a config and an opener")
        self.config: Config = session.config if session is not None else config  # type: ignore[assignment]
        self._opener = opener
        self._pending_session = session
        self.sync_enabled = sync
        self._now = now
        self._stop = threading.Event()
        self._forget_signals: Callable[[], None] = lambda: None
        self._own_signals = own_signals
        self.ended_by_signal: int | None = None  # the signal that ended the app, for the exit status
        self.connection = "sync off" if not sync else "starting"
        self.team_sharing = ""  # "team sharing off: why" while the events folder cannot be used
        self.last_sync: datetime | None = None
        self.failure: str | None = None  # why the app could not start, if it could not
        self.own_themes: list[str] = []  # shipped and the user's, as the palette offers them
        keys = effective_keys(self.config.keys)
        # Only what differs from the bindings' own keys: Textual applies the keymap to every
        # binding of the focus chain whenever it looks the chain up (each key press, each focus
        # change); a keymap naming every id made that a few milliseconds each time.
        self.set_keymap({key_id: key for key_id, key in keys.items() if key != spec_for(key_id).key})
        # The footer docks the palette key found under this key: the one the user bound.
        self.COMMAND_PALETTE_BINDING = split_keys(keys["palette"])[0]  # type: ignore[misc]

    @property
    def ready(self) -> bool:
        """Whether the store is open and the live screens are in place."""
        return "session" in self.__dict__

    def on_mount(self) -> None:
        if self._own_signals:
            from shared_inbox.ui.signals import exit_on_signals

            self._forget_signals = exit_on_signals(self._signalled)
        requested = self.config.theme
        self.own_themes = register_all(self)
        remembered = load_first_screen(self.config.store.path)
        self.theme = choose_theme(requested, self.available_themes)
        if requested and self.theme != requested:
            message = f"No theme named {requested!r}; using {self.theme}."
            self.notify(message, severity="warning", markup=False)
        if remembered is not None and remembered.theme in self.available_themes:
            self.theme = remembered.theme  # chosen in the palette last time
        if self._pending_session is not None:
            self._start(self._pending_session)
            return
        self.status_line = "opening the mailbox…"
        quit_keys = split_keys(effective_keys(self.config.keys)["quit"])
        self.push_screen(StartScreen(remembered, now=self._now, let_through=quit_keys))
        self.call_after_refresh(self._open_session)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def _open_session(self) -> None:
        """Open the store and build the inbox (a second or more on a big mailbox) off the UI thread."""
        from shared_inbox.config import PasswordError
        from shared_inbox.services.session import SessionUnavailable
        from shared_inbox.services.team import team_sync_for

        assert self._opener is not None
        try:
            session = self._opener()
            team = team_sync_for(session)  # may run the team key command: not on the UI thread
        except (SessionUnavailable, PasswordError) as exc:
            self.failure = str(exc)  # printed by the caller once the terminal is restored
            self.call_from_thread(self.exit, None, 1)
            return
        from shared_inbox.ui.deadline_watch import overdue_now

        # The views' counts and the overdue check need every conversation's deadlines at once.
        self.post_message(SessionOpened(session, team, overdue_now(session, self._now())))

    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def _prepare(self) -> None:
        """Once the live list is up: what the first search and the first reader would otherwise build."""
        from shared_inbox.services.customers import customer_profile

        inbox = self.session.inbox
        inbox.prepare_search()
        customer_profile(inbox, "")  # the customer index

    def on_session_opened(self, event: SessionOpened) -> None:
        self._start(event.session, event.team, event.overdue)

    def _start(
        self, session: Session, team: TeamSync | None = None, overdue: set[tuple[str, str]] | None = None
    ) -> None:
        from shared_inbox.services.replies import Replies
        from shared_inbox.services.rule_book import automatic_replies
        from shared_inbox.services.rule_claims import CommandClaims
        from shared_inbox.services.team import team_sync_for
        from shared_inbox.ui.deadline_watch import DeadlineWatch
        from shared_inbox.ui.rule_watch import RuleWatch
        from shared_inbox.ui.screens.inbox import InboxScreen

        self.session = session
        self.inbox_feed = InboxFeed(self, session.inbox)
        self.inbox_feed.start()
        self.replies: Replies = Replies(session, now=self._now)
        self.team = team if team is not None else team_sync_for(session)
        session.commands.listeners.append(lambda _event: self.team.nudge())
        self.presence = PresenceDisplay(self, session, self.team, self._now)  # screens follow it on mount
        remembered = load_first_screen(self.config.store.path)
        view_id = remembered.view_id if remembered is not None else "open"
        screen = InboxScreen(session, now=self._now, view_id=view_id)
        if isinstance(self.screen, StartScreen):
            typed = self.screen.typed
            self.switch_screen(screen)
            replay_keys(self, typed, screen)
        else:
            self.push_screen(screen)
        self._update_status()
        self.deadline_watch = DeadlineWatch(self, session, self._now, self._refresh_screens, overdue)
        self.deadline_watch.start()
        sender = automatic_replies(session, self.replies, self.team)
        self.rule_watch = RuleWatch(self, session, self._now, sender, CommandClaims(session, self.team))
        self.rule_watch.start()
        self.presence.start()
        self.call_after_refresh(self._prepare)
        if self.sync_enabled:
            self._sync()
            self.set_interval(OUTBOX_CHECK_SECONDS, self._send_due_mail)

    def current_time(self) -> datetime:
        """The app's clock: the real time, or the one a test injected."""
        return self._now()

    def on_unmount(self) -> None:
        self._forget_signals()
        self._stop.set()
        if self.ready:
            self.inbox_feed.stop()
            self.replies.close()

    def action_quit(self) -> None:  # type: ignore[override]
        """Quit; mail still held for undo is named first, to send now or keep for later."""
        from shared_inbox.ui.dialogs.prompts import ChoicePrompt

        held = self.replies.held_for_undo() if self.ready else []
        if not held:
            self._leave()
            return
        subjects = ", ".join(inert(entry.subject) for entry in held[:3])
        more = f" and {len(held) - 3} more" if len(held) > 3 else ""
        what = "message is" if len(held) == 1 else "messages are"
        title = f"{len(held)} {what} still held for undo: {subjects}{more}."
        choices = [
            ("send", "Send now, then quit"),
            ("keep", "Keep held and quit: it goes at the next start, or with `shared-inbox outbox --flush`"),
            ("stay", "Stay"),
        ]
        self.push_screen(ChoicePrompt(title, choices), lambda picked: self._quit_chosen(held, picked))

    def _quit_chosen(self, held: list[OutboxEntry], picked: Picked | None) -> None:
        choice = picked.choice if picked is not None else None
        if choice == "keep":
            self._leave()
        elif choice == "send":
            self.replies.release_held(held)
            self.notify(f"Sending {len(held)} before quitting…", title="Outbox", markup=False)
            self._send_then_quit()

    @work(thread=True, group="outbox", exit_on_error=False)
    def _send_then_quit(self) -> None:
        """Deliver what was released, then quit; a problem is said and the app stays open."""

        def delivered(ids: list[str]) -> None:  # into the inbox; the screens are about to close
            self.call_from_thread(self.replies.delivered, ids)

        report = self.replies.flush(delivered)
        while report is None:  # a round was running already: this one sends what it missed
            self._stop.wait(0.2)
            report = self.replies.flush(delivered)
        problems = [*report.problems, *(f"{e.subject}: {e.last_error}" for e in report.failed)]
        if report.deferred or problems:
            for problem in problems or ["The server did not take the mail yet; it stays in the outbox."]:
                self.call_from_thread(self.notify, problem, title="Outbox", severity="warning", markup=False)
            return
        self.call_from_thread(self._leave)

    def _leave(self) -> None:
        self._stop.set()
        self.exit()

    def _signalled(self, signum: int) -> None:
        """A signal asked the app to end: the same clean exit as quitting, with the shell's status."""
        from shared_inbox.ui.signals import end_anyway_after

        self.ended_by_signal = signum
        self._stop.set()
        end_anyway_after(signum)  # a hung-up terminal can stall the exit's writes
        self.exit(return_code=128 + signum)

    def action_help(self) -> None:
        from shared_inbox.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.config.keys, include=self._offers))

    async def action_search(self) -> None:
        """Search belongs to the conversation list; elsewhere `/` says where to find it."""
        from shared_inbox.ui.screens.inbox import InboxScreen

        if isinstance(self.screen, InboxScreen):
            await self.screen.run_action("search")
        else:
            self.notify("Go back to the conversation list to search.")

    def _offers(self, spec: KeySpec) -> bool:
        """Whether some part of the app implements the key's action (help lists only those)."""
        from shared_inbox.ui.screens.composer import ComposerScreen
        from shared_inbox.ui.screens.inbox import InboxScreen
        from shared_inbox.ui.screens.reader import ReaderScreen
        from shared_inbox.ui.screens.reports import ReportsScreen

        name = spec.action.rpartition(".")[2].partition("(")[0]
        owners: dict[str, tuple[object, ...]] = {
            "global": (self,),
            "triage": (InboxScreen,),
            "list": (InboxScreen, ConversationList),
            "reader": (ReaderScreen,),
            "composer": (ComposerScreen,),
            "reports": (ReportsScreen,),
        }
        return any(hasattr(owner, f"action_{name}") for owner in owners.get(spec.scope, ()))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys whose feature is not part of the app yet, instead of showing dead keys."""
        return hasattr(self, f"action_{action}")

    # -- outbox ------------------------------------------------------------------

    def action_undo_send(self) -> None:
        if not self.ready:
            return
        undone = self.replies.undo_last()
        self.notify(undone.message, title="Outbox", markup=False)
        self._refresh_screens()
        if undone.draft is not None:
            self._reopen(undone.draft)

    def _reopen(self, draft: ReplyDraft) -> None:
        """An undone message comes back in the composer as it was sent: text, recipients, attachments."""
        from shared_inbox.ui.screens.composer import ComposerScreen

        conversation = None
        if draft.mode != "new" and draft.conversation_id is not None:
            conversation = self.session.inbox.conversation(draft.conversation_id)
            if conversation is None:
                return
        self.push_screen(
            ComposerScreen(self.session, self.replies, conversation, mode=draft.mode, restored=draft)
        )

    def _send_due_mail(self) -> None:
        if self.replies.has_due():
            self._flush_outbox()
        self._update_status()

    @work(thread=True, group="outbox", exit_on_error=False)
    def _flush_outbox(self) -> None:
        """Deliver due replies; blocking SMTP and IMAP, so it runs in a thread and only posts back."""
        report = self.replies.flush(lambda ids: self.call_from_thread(self._messages_added, ids))
        if report is None:
            return
        for problem in [*report.problems, *(f"{e.subject}: {e.last_error}" for e in report.failed)]:
            self.call_from_thread(self.notify, problem, title="Outbox", severity="warning", markup=False)

    # -- sync ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _sync(self) -> None:
        """Run the sync loop until the app stops; blocking, so it lives in a thread."""
        from shared_inbox.config import PasswordError
        from shared_inbox.net.errors import MailServerError

        try:
            service = self.session.sync_service()
            service.team = self.team
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
        from shared_inbox.services.team_states import TEAM_OFF, TEAM_ON

        if event.state in (TEAM_OFF, TEAM_ON):
            # The team's own state: mail may sync and IDLE fine while sharing is off. When the
            # whole server is out of reach, the Sync notice has said so already.
            mailbox_down = self.connection in ("offline", "auth-failed")
            if event.state == TEAM_OFF and not self.team_sharing and not mailbox_down:
                self.notify(event.detail, title="Team", severity="warning", markup=False)
            self.team_sharing = event.detail.split(" Retrying in ")[0] if event.state == TEAM_OFF else ""
            self._update_status()
            return
        self.connection = event.state
        if event.state in ("offline", "auth-failed"):
            self.notify(event.detail, title="Sync", severity="warning", markup=False)
        self._update_status()

    def on_sync_round_done(self, event: SyncRoundDone) -> None:
        first_round = self.last_sync is None
        self.last_sync = self._now()
        # The round's messages reached the inbox through the store; screens hear of them by `InboxChanged`.
        if event.result.team_events:
            self._teammates_changed(event.result.team_events)
        if event.result.new_ids:
            from shared_inbox.services.ratings import take_ratings

            take_ratings(self.session, event.result.new_ids)
        self.rule_watch.after_round()
        for alert in event.result.alerts:  # the server's words: plain text, never markup
            self.notify(alert, title="Message from the mail server", severity="warning", markup=False)
        if not first_round:
            # The first round brings in the backlog; announcing all of it would be noise.
            self._announce(event.result.new_ids)
        self._update_status()

    def on_presence_arrived(self, event: PresenceArrived) -> None:
        """Teammates viewing or replying: badges in the list, names in the reader."""
        self.presence.arrived(event.notes)

    def on_activity_reported(self, event: ActivityReported) -> None:
        """A screen says what this agent is doing: the team hears it without waiting for a tick."""
        if "presence" in self.__dict__:
            self.presence.report(event.source, event.doing)

    def _teammates_changed(self, events: list[Event]) -> None:
        """Teammates' changes into the inbox; being assigned or mentioned is announced."""
        from shared_inbox.services.team import apply_remote

        changes = apply_remote(self.session.inbox, self.session.commands, events)
        for line in teammate_news(self.session, changes.events):
            self.notify(line, title="Team", markup=False)

    def _messages_added(self, message_ids: list[str]) -> None:
        """Delivered replies (the inbox has them from the store): one the agent started becomes theirs."""
        self.replies.delivered(message_ids)

    def on_inbox_changed(self, event: InboxChanged) -> None:
        """One burst of inbox changes, folded into one message: pass it to the screens that follow it."""
        self.inbox_feed.publish(event.change)

    def _refresh_screens(self) -> None:
        """Have every screen showing conversations redraw (the clock moved, the outbox changed)."""
        self.post_message(InboxChanged(InboxChange(everything=True)))

    def _announce(self, message_ids: list[str]) -> None:
        """A notification for customer mail that just arrived, and for bounces; many at once are summed up.

        Out-of-office answers and bulk mail arrive silently: they ask nothing of the agent.
        """
        ours = self.session.config.our_addresses
        arrived = [meta for mid in message_ids if (meta := self.session.inbox.messages.get(mid)) is not None]
        for meta in arrived:
            if meta.kind is MessageKind.BOUNCE:
                failed = ", ".join(f.recipient for f in meta.delivery_failures) or "a recipient"
                line = f"Delivery failed to {inert(failed)}"
                self.notify(line, title="Bounce", severity="warning", markup=False)
        fresh = [
            meta
            for meta in arrived
            if meta.kind is MessageKind.CUSTOMER and not meta.outgoing and meta.sender.email not in ours
        ]
        for meta in fresh[:NOTIFY_AT_MOST]:
            line = f"{inert(meta.sender.display())}: {inert(meta.subject or '(no subject)')}"
            self.notify(line, title="New mail", markup=False)
        if len(fresh) > NOTIFY_AT_MOST:
            more = f"and {len(fresh) - NOTIFY_AT_MOST} more new messages"
            self.notify(more, title="New mail", markup=False)

    def _update_status(self) -> None:
        config = self.config
        last = self.last_sync.astimezone().strftime("%H:%M") if self.last_sync else "never"
        idle = "on" if config.imap.idle and self.connection == "idle" else "off"
        mailbox_down = self.connection in ("offline", "auth-failed")
        parts = [
            self.connection,
            f"last sync {last}",
            f"IDLE {idle}",
            self._outbox_summary(),
            config.team.me,
            "" if mailbox_down else self.team_sharing,  # last: a long reason must not hide the rest
        ]
        self.status_line = " · ".join(part for part in parts if part)

    def _outbox_summary(self) -> str:
        """How many replies wait to leave, and how many need a look; empty before the outbox is used."""
        if not self.ready or (not self.sync_enabled and not self.replies.opened):
            return ""
        waiting, trouble = self.replies.counts()
        summary = f"outbox {waiting}"
        return f"{summary} ({trouble} need attention)" if trouble else summary
