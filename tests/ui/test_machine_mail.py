"""Mail from machines in the TUI: bounces marked in the list, reader and Attention; auto-replies dimmed."""

from __future__ import annotations

from datetime import timedelta

from textual.pilot import Pilot

from shared_inbox.domain.model import Address, Conversation, DeliveryFailure, MessageKind, MessageMeta
from shared_inbox.services.session import Session
from shared_inbox.ui.app import InboxApp
from shared_inbox.ui.screens.reader import MessageView, ReaderScreen
from shared_inbox.ui.views import NEEDS_ATTENTION
from shared_inbox.ui.widgets.message_view import MessageHeading
from tests.ui.test_app import NOW, drive, inbox_of, session, visible_text

__all__ = ["session"]  # the fixture, shared with the app tests

SUPPORT = Address("Acme Support", "support@example.com")
DAEMON = Address("Mail Delivery System", "mailer-daemon@mx.example.com")
# Hostile words from a remote server: shown as text, never run as markup.
FAILURE = DeliveryFailure("ann@customer.example", True, "550 5.1.1 user unknown [@click=app.quit]x[/]")


def answered(session: Session) -> tuple[Conversation, MessageMeta]:
    """An open conversation whose latest message is ours, and that message."""
    for conv in session.inbox.conversations():
        metas = session.inbox.messages_of(conv)
        if conv.state.status.value == "active" and metas and metas[-1].outgoing:
            return conv, metas[-1]
    raise AssertionError("the generated mailbox has no answered open conversation")


def add_machine_mail(session: Session, conv: Conversation, ours: MessageMeta) -> tuple[str, str]:
    customer = conv.customer
    assert customer is not None
    bounce = MessageMeta(
        message_id="bounce-1@mx.example.com",
        subject="Undelivered Mail Returned to Sender",
        sender=DAEMON,
        to=(SUPPORT,),
        cc=(),
        date=NOW - timedelta(hours=1),
        kind=MessageKind.BOUNCE,
        delivery_failures=(FAILURE,),
        bounced_message_id=ours.message_id,
    )
    auto = MessageMeta(
        message_id="ooo-1@customer.example",
        subject="Automatic reply: " + conv.subject,
        sender=Address(customer.name, customer.email),
        to=(SUPPORT,),
        cc=(),
        date=NOW - timedelta(hours=2),
        in_reply_to=(ours.message_id,),
        kind=MessageKind.AUTO_REPLY,
    )
    session.store.upsert_messages([bounce, auto])
    return bounce.message_id, auto.message_id


def app_for(session: Session) -> InboxApp:
    return InboxApp(session, sync=False, now=lambda: NOW)


def test_a_bounce_is_marked_in_the_list_and_waits_in_attention(session: Session) -> None:
    conv, ours = answered(session)
    add_machine_mail(session, conv, ours)
    status_before = conv.state.status

    async def scenario(pilot: Pilot[None]) -> None:
        screen = inbox_of(pilot.app)
        screen.reload()
        assert screen.counts[NEEDS_ATTENTION] == 1
        screen.action_show_view(NEEDS_ATTENTION)
        await pilot.pause()
        rows = screen.conversation_list.rows
        assert [c.id for c in rows] == [conv.id]
        assert rows[0].state.status is status_before
        text = visible_text(screen.conversation_list)
        assert "✗ delivery failed to ann@custom" in text  # cut to fit beside the subject

    drive(app_for(session), scenario)


def test_the_reader_labels_machine_mail_and_shows_the_failure_as_text(session: Session) -> None:
    conv, ours = answered(session)
    bounce_id, auto_id = add_machine_mail(session, conv, ours)
    current = session.inbox.conversation(conv.id)
    assert current is not None

    async def scenario(pilot: Pilot[None]) -> None:
        reader = ReaderScreen(session, current)
        await pilot.app.push_screen(reader)
        await pilot.pause()
        views = {v.meta.message_id: v for v in reader.query(MessageView)}
        auto, bounce = views[auto_id], views[bounce_id]
        assert auto.has_class("machine") and auto.has_class("auto-reply")
        assert str(auto.query_one(MessageHeading).visual).startswith("Automatic reply · ")
        heading = str(bounce.query_one(MessageHeading).visual)
        assert heading.startswith("Delivery report · ")
        assert (
            "✗ delivery failed to ann@customer.example: 550 5.1.1 user unknown [@click=app.quit]x[/]"
            in heading
        )
        assert not views[ours.message_id].has_class("machine")
        assert pilot.app.is_running  # the markup in the server's words did nothing

    drive(app_for(session), scenario)


def test_writing_again_after_a_bounce_takes_it_out_of_attention(session: Session) -> None:
    conv, ours = answered(session)
    add_machine_mail(session, conv, ours)
    assert session.inbox.delivery_failed() == {conv.id}
    again = MessageMeta(
        message_id="again-1@example.com",
        subject="Re: " + conv.subject,
        sender=SUPPORT,
        to=(Address("", "ann@other.example"),),
        cc=(),
        date=NOW - timedelta(minutes=10),
        in_reply_to=(ours.message_id,),
        outgoing=True,
    )
    session.store.upsert_messages([again])
    assert session.inbox.delivery_failed() == frozenset()


def test_an_auto_reply_is_no_news_for_a_reply_being_written_but_a_bounce_is(session: Session) -> None:
    from shared_inbox.services.traffic_cop import take_baseline, whats_new

    conv, ours = answered(session)
    baseline = take_baseline(session.inbox, conv.id, NOW)
    add_machine_mail(session, conv, ours)
    news = whats_new(session.inbox, baseline, "sam@example.com")
    assert [n.kind for n in news] == ["bounce"]
    assert news[0].describe().startswith("Delivery failure reported by Mail Delivery System")


def test_machine_mail_arrives_without_a_new_mail_notification(session: Session) -> None:
    conv, ours = answered(session)
    bounce_id, auto_id = add_machine_mail(session, conv, ours)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, InboxApp)
        app._announce([auto_id, bounce_id])
        await pilot.pause()
        said = [f"{n.title}: {n.message}" for n in app._notifications]
        assert not any(line.startswith("New mail") for line in said), said
        assert any(line.startswith("Bounce: Delivery failed to ann@customer.example") for line in said), said

    drive(app_for(session), scenario)


def test_saved_replies_read_the_customers_words_not_their_auto_reply(session: Session) -> None:
    from shared_inbox.canned.filling import customer_message

    conv, ours = answered(session)
    before = customer_message(session.inbox, session.store, conv)
    add_machine_mail(session, conv, ours)
    current = session.inbox.conversation(conv.id)
    assert current is not None and len(current.message_ids) > len(conv.message_ids)
    assert customer_message(session.inbox, session.store, current) == before
    assert not before.startswith("Automatic reply")


def test_a_reply_joined_by_its_subject_says_so_in_the_reader(session: Session) -> None:
    ann = Address("Ann Example", "ann.guess@customer.example")
    start = MessageMeta(
        message_id="guess-start@customer.example",
        subject="Broken zipper",
        sender=ann,
        to=(SUPPORT,),
        cc=(),
        date=NOW - timedelta(days=2),
    )
    reply = MessageMeta(
        message_id="guess-reply@customer.example",
        subject="Re: Broken zipper",  # the mail client sent no References or In-Reply-To
        sender=ann,
        to=(SUPPORT,),
        cc=(),
        date=NOW - timedelta(days=1),
    )
    session.store.upsert_messages([start, reply])
    conv = next(c for c in session.inbox.conversations() if reply.message_id in c.message_ids)
    assert conv.message_ids == [start.message_id, reply.message_id]

    async def scenario(pilot: Pilot[None]) -> None:
        reader = ReaderScreen(session, conv)
        await pilot.app.push_screen(reader)
        await pilot.pause()
        headings = {
            v.meta.message_id: str(v.query_one(MessageHeading).visual) for v in reader.query(MessageView)
        }
        assert "joined this conversation by its subject only" in headings[reply.message_id]
        assert "joined this conversation" not in headings[start.message_id]

    drive(app_for(session), scenario)
