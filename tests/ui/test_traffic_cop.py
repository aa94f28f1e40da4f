"""The Traffic Cop in the app: a reply the conversation outgrew is held, shown, and never lost."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from shared_inbox.services.commands import Commands
from shared_inbox.services.session import Session
from shared_inbox.services.traffic_cop import HeldReplies
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.composer import ComposerScreen
from shared_inbox.ui.screens.composer_state import draft_key
from shared_inbox.ui.screens.reader import ReaderScreen
from shared_inbox.ui.screens.traffic_cop import TrafficCopScreen
from shared_inbox.ui.views import NEEDS_ATTENTION
from tests.ui.test_app import NOW, drive, inbox_of, session
from tests.ui.test_composer import answerable, app_for, open_composer, open_reader, type_text

__all__ = ["session"]  # the fixture, shared with the app tests

BOB = "bob@example.com"
REPLY = "Your refund is on its way"


def teammate(session: Session) -> Commands:
    """Bob's commands on the same inbox: his note lands as a teammate's change would."""
    return Commands(session.inbox, author=BOB, now=lambda: NOW)


def news_text(screen: TrafficCopScreen) -> str:
    return "\n".join(str(static.visual) for static in screen.query(".traffic-item").results(Static))


def test_a_teammates_note_holds_the_reply_until_the_agent_sends_anyway(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        await open_reader(pilot, conv)
        composer = await open_composer(pilot)
        await type_text(pilot, REPLY)
        teammate(session).add_note(conv.id, "Refund already issued by phone")
        await pilot.press("ctrl+s")
        await pilot.pause()
        cop = app.screen
        assert isinstance(cop, TrafficCopScreen)
        assert "Note by bob@example.com" in news_text(cop)
        assert "Refund already issued by phone" in news_text(cop)
        assert app.replies.outbox.entries() == []
        assert conv.id in HeldReplies(session.store).conversation_ids()
        assert REPLY in str(session.store.get_setting(draft_key(conv.id)))
        await pilot.press("s")  # send anyway
        await pilot.pause()
        assert not isinstance(app.screen, ComposerScreen | TrafficCopScreen)
        [entry] = app.replies.outbox.entries()
        assert entry.body == REPLY and entry.conversation_id == conv.id
        assert HeldReplies(session.store).conversation_ids() == frozenset()
        assert composer.guard.news() == []

    drive(app_for(session), scenario)


def test_a_reply_without_news_is_queued_at_once(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        await open_reader(pilot, conv)
        await open_composer(pilot)
        await type_text(pilot, REPLY)
        teammate(session).add_note(inbox_of_other(app, conv.id), "Unrelated conversation")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert [entry.body for entry in app.replies.outbox.entries()] == [REPLY]

    drive(app_for(session), scenario)


def inbox_of_other(app: InboxApp, conv_id: str) -> str:
    return next(c.id for c in app.session.inbox.conversations() if c.id != conv_id)


def test_a_held_reply_waits_in_needs_attention_and_reopening_offers_it(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        conv = answerable(app)
        await open_reader(pilot, conv)
        await open_composer(pilot)
        await type_text(pilot, REPLY)
        teammate(session).add_note(conv.id, "I am on it already")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, TrafficCopScreen)
        await pilot.click("#traffic-edit")  # back to the reply, by mouse
        await pilot.pause()
        assert isinstance(app.screen, ComposerScreen)
        await pilot.press("escape")  # close the composer: the draft stays
        await pilot.pause()
        await pilot.press("q")  # back to the list
        await pilot.pause()
        screen = inbox_of(app)
        assert screen.counts[NEEDS_ATTENTION] == 1
        screen.action_show_view(NEEDS_ATTENTION)
        await pilot.pause()
        assert [c.id for c in screen.conversation_list.rows] == [conv.id]
        # A second teammate note after the agent looked: reopening shows it.
        teammate(session).add_note(conv.id, "Customer called again")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        cop = app.screen  # the held reply comes back with what is new since
        assert isinstance(cop, TrafficCopScreen)
        [composer] = [s for s in app.screen_stack if isinstance(s, ComposerScreen)]
        assert composer.query_one("#composer-body", TextArea).text == REPLY
        assert "Customer called again" in news_text(cop)
        assert "I am on it already" not in news_text(cop)  # already seen
        await pilot.press("d")  # discard
        await pilot.pause()
        assert app.replies.outbox.entries() == []
        assert session.store.get_setting(draft_key(conv.id)) is None
        assert HeldReplies(session.store).conversation_ids() == frozenset()

    drive(app_for(session), scenario)


def test_the_needs_attention_view_is_empty_without_held_replies(session: Session) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        assert screen.counts[NEEDS_ATTENTION] == 0

    drive(InboxApp(session, sync=False, now=lambda: NOW), scenario)
