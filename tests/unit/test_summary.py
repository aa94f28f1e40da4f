"""The conversation summary, part by part, on small tables of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared_inbox.domain.model import MessageKind, Status
from shared_inbox.domain.summary import (
    Actor,
    Fact,
    FactKind,
    MoodLabel,
    StatusChange,
    Thread,
    ThreadMessage,
    ThreadNote,
    TrackedPromise,
    summarize,
)
from shared_inbox.domain.summary.ask import find_ask
from shared_inbox.domain.summary.commitments import commitments
from shared_inbox.domain.summary.facts import facts_in
from shared_inbox.domain.summary.mood import mood_of
from shared_inbox.domain.summary.questions import open_questions
from shared_inbox.domain.summary.sentences import first_line, sentences
from shared_inbox.domain.summary.terms import key_terms

MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def customer(text: str, hours: float = 0, attachments: tuple[str, ...] = ()) -> ThreadMessage:
    when = MONDAY + timedelta(hours=hours)
    return ThreadMessage(f"c{hours}", when, MessageKind.CUSTOMER, "Anna", text, attachments)


def agent(text: str, hours: float) -> ThreadMessage:
    return ThreadMessage(f"a{hours}", MONDAY + timedelta(hours=hours), MessageKind.AGENT, "Bob", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hi,\n\nMy parcel is late. Can you check?\n\nThanks,\nAnna",
            ["My parcel is late.", "Can you check?"],
        ),
        ("Hi Anna,\n\nthanks for reaching out.\n\nIt ships today.\n\nBest,\nBob", ["It ships today."]),
        ("Guten Tag,\n\nich warte noch.\n\nMit freundlichen Grüßen\nHans", ["ich warte noch."]),
        ("Bonjour à l'équipe,\n\nle colis est abîmé.\n\nCordialement,\nMarie", ["le colis est abîmé."]),
        (
            "お世話になっております。\n\n商品が届きません。確認できますか。\n\n山田",
            ["商品が届きません。", "確認できますか。"],
        ),
        ("Any update?\n\nAnna", ["Any update?"]),
        ("Order 123\nwas lost.", ["Order 123 was lost."]),
        ("山田様\n\n交換品を発送いたしました。", ["交換品を発送いたしました。"]),
        ("Name: Anna\nEmail: anna@example.net\nMessage:\nMy parcel is late.", ["My parcel is late."]),
    ],
)
def test_sentences_drop_greetings_and_sign_offs(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hi,\n\nI placed order #12345 last week and it has not arrived. The tracking is stuck. "
            "Can you check what is going on?\n\nThanks,\nAnna",
            "I placed order #12345 last week and it has not arrived. Can you check what is going on?",
        ),
        ("Hello,\n\nPlease cancel my subscription.\n\nAnna", "Please cancel my subscription."),
        ("My invoice shows the wrong address.", "My invoice shows the wrong address."),
        (
            "Hallo,\n\nauf der Rechnung steht der falsche Betrag. Bitte prüfen Sie das.\n\nViele Grüße\nHans",
            "auf der Rechnung steht der falsche Betrag. Bitte prüfen Sie das.",
        ),
        (
            "お世話になっております。\n\n商品が破損していました。交換をお願いできますでしょうか。",
            "商品が破損していました。 交換をお願いできますでしょうか。",
        ),
    ],
)
def test_the_ask_is_the_scene_and_the_request(text: str, expected: str) -> None:
    assert find_ask([agent("An earlier note from us.", -5), customer(text)]) == expected


def test_the_ask_ignores_quoted_text_passed_in_stripped_and_is_empty_without_customer_mail() -> None:
    assert find_ask([agent("We will call you.", 1)]) == ""


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        # A reply about something else answers nothing.
        (
            [customer("Can you refund the shipping fee?"), agent("Your parcel left the depot today.", 2)],
            ["Can you refund the shipping fee?"],
        ),
        # A reply that speaks of it answers it.
        ([customer("Can you refund the shipping fee?"), agent("I have refunded the fee.", 2)], []),
        # Only the part a reply speaks to is answered.
        (
            [
                customer("Where is order 55123? And can I change the delivery address?"),
                agent("Order 55123 is with the courier.", 2),
            ],
            ["And can I change the delivery address?"],
        ),
        # A question after the last reply is open; a question with no terms borrows its context.
        (
            [customer("Is the invoice ready?"), agent("The invoice is attached.", 2),
             customer("Any news?", 3)],
            ["Any news?"],
        ),
        (
            [customer("The export to CSV fails. Any idea?"), agent("The CSV export bug is fixed now.", 1)],
            [],
        ),
        # "every" says nothing of what is asked: the reply about users answers it.
        (
            [customer("Can we enforce it for every user on our account?"),
             agent('An admin can turn on "Require 2FA". Users set it up at their next login.', 2)],
            [],
        ),
        # Not questions: statements, and the agent's own questions.
        ([customer("It broke."), agent("Could you send a photo?", 1)], []),
        # German, French and Japanese.
        ([customer("Können Sie mir bitte eine Rechnung schicken?"), agent("Anbei die Rechnung.", 1)], []),
        ([customer("Pouvez-vous vérifier la livraison ?"), agent("Le colis arrive demain.", 1)],
         ["Pouvez-vous vérifier la livraison ?"]),
        ([customer("配送状況を確認していただけますか。"),
          agent("配送業者に確認したところ、明日お届け予定です。", 1)], []),
    ],
)  # fmt: skip
def test_open_questions_are_those_no_later_reply_speaks_to(
    messages: list[ThreadMessage], expected: list[str]
) -> None:
    assert open_questions(messages) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Order #123456 cost $49.99 on May 3.", [(FactKind.ORDER, "123456"), (FactKind.AMOUNT, "$49.99"),
                                                 (FactKind.DATE, "May 3")]),
        ("See invoice INV-2026-00042.", [(FactKind.INVOICE, "INV-2026-00042")]),
        ("Bestellung 45678 vom 03.05.2026 über 149,50 €", [(FactKind.ORDER, "45678"),
                                                          (FactKind.DATE, "03.05.2026"),
                                                          (FactKind.AMOUNT, "149,50 €")]),
        ("la commande n°998877", [(FactKind.ORDER, "998877")]),
        ("注文番号12345、5月3日", [(FactKind.ORDER, "12345"), (FactKind.DATE, "5月3日")]),
        ("Parcel 1Z3F4A5B6C7D8E.", [(FactKind.TRACKING, "1Z3F4A5B6C7D8E")]),
        ("I have 3 questions.", []),
    ],
)  # fmt: skip
def test_facts(text: str, expected: list[tuple[FactKind, str]]) -> None:
    assert facts_in(text) == [Fact(kind, value) for kind, value in expected]


@pytest.mark.parametrize(
    ("text", "label", "words"),
    [
        ("This is unacceptable, I am still waiting!!", MoodLabel.FRUSTRATED,
         ("unacceptable", "still waiting", "!!")),
        ("It finally arrived, thanks so much!", MoodLabel.HAPPY, ("finally arrived", "thanks so much")),
        ("Please send the invoice.\n\nThanks,\nAnna", MoodLabel.NEUTRAL, ()),
        ("Leider ist noch kein Geld eingegangen.", MoodLabel.FRUSTRATED, ("Leider", "noch kein")),
        ("Merci beaucoup, c'est parfait.", MoodLabel.HAPPY, ("Merci beaucoup", "parfait")),
        ("Je n'ai toujours rien reçu.", MoodLabel.FRUSTRATED, ("toujours rien",)),
        ("本日無事に届きました。ありがとうございました。", MoodLabel.HAPPY,
         ("無事に届きました", "ありがとうございました")),
        ("WHERE IS MY ORDER", MoodLabel.FRUSTRATED, ("WHERE", "ORDER")),
        ("The JSON export and HTML view.", MoodLabel.NEUTRAL, ()),
        # The latest word counts: a thanks after the trouble is the mood now.
        ("Got it, I'm in. Thanks!\n\nBob", MoodLabel.HAPPY, ("I'm in", "Thanks!")),
    ],
)  # fmt: skip
def test_mood_shows_the_words_that_decided_it(text: str, label: MoodLabel, words: tuple[str, ...]) -> None:
    mood = mood_of(text)
    assert (mood.label, mood.words) == (label, words)


def test_the_whole_summary() -> None:
    thread = Thread(
        subject="Order problem",
        messages=(
            customer("Hi,\n\nOrder #88123 has not arrived. Can you check where it is?\n\nThanks,\nAnna",
                     0, ("photo.png",)),
            ThreadMessage("ooo", MONDAY + timedelta(minutes=5), MessageKind.AUTO_REPLY, "Anna",
                          "I am out of the office until Friday. Can you call me?"),
            agent("Hi Anna,\n\nThe order is held at the depot. I'll get back to you by Wednesday.\n\nBob", 1),
            customer("It is getting urgent. Will you also refund the shipping?", 3),
        ),
        notes=(ThreadNote(MONDAY + timedelta(hours=2), "Bob", "Asked the carrier about it."),),
        status_changes=(StatusChange(MONDAY + timedelta(hours=1, minutes=1), Status.PENDING, "Bob"),),
        tracked_promises=(
            TrackedPromise("Call the carrier", MONDAY + timedelta(days=1), "open"),
            TrackedPromise("Old one", MONDAY, "kept"),
        ),
    )  # fmt: skip
    summary = summarize(thread, now=MONDAY + timedelta(hours=4))
    assert summary.ask == "Order #88123 has not arrived. Can you check where it is?"
    assert [(e.actor, e.line) for e in summary.timeline] == [
        (Actor.CUSTOMER, "Order #88123 has not arrived."),
        (Actor.MACHINE, "automatic reply"),
        (Actor.AGENT, "The order is held at the depot."),
        (Actor.STATUS, "marked pending"),
        (Actor.NOTE, "Asked the carrier about it."),
        (Actor.CUSTOMER, "It is getting urgent."),
    ]
    # The auto-reply's question never leaks in; the answered one is gone.
    assert summary.open_questions == ("Will you also refund the shipping?",)
    assert [(p.text, p.state, p.source) for p in summary.promises] == [
        ("Call the carrier", "open", "tracked"),
        ("I'll get back to you by Wednesday.", "open", "reply"),
    ]
    assert [f.value for f in summary.facts] == ["88123", "photo.png"]
    assert summary.mood.label is MoodLabel.FRUSTRATED
    assert summary.mood.words == ("getting urgent",)


def test_a_reply_promise_is_kept_by_a_later_reply_and_overdue_without_one() -> None:
    promise = agent("We will ship it by Tuesday.", 0)
    thread = Thread("x", (customer("Ship it?", -1), promise))
    late = summarize(thread, now=MONDAY + timedelta(days=3))
    assert [(p.state, p.source) for p in late.promises] == [("overdue", "reply")]
    kept = summarize(Thread("x", (*thread.messages, agent("Shipped.", 5))), now=MONDAY + timedelta(days=3))
    assert kept.promises == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The refund will be credited to your card.", ["The refund will be credited to your card."]),
        ("I won't be able to send it.", []),
        ("Will you send it?", []),
        ("Ihr Paket wird morgen zugestellt.", ["Ihr Paket wird morgen zugestellt."]),
        ("Das Paket wird nicht zugestellt.", []),
        ("Le colis sera livré demain.", ["Le colis sera livré demain."]),
        ("Le remboursement est en cours.", ["Le remboursement est en cours."]),
        ("明日お届け予定です。\n\n何卒よろしくお願いいたします。", ["明日お届け予定です。"]),
        ("We fixed it yesterday.", []),
    ],
)  # fmt: skip
def test_commitments_without_a_deadline(text: str, expected: list[str]) -> None:
    assert commitments(text) == expected


def test_an_undated_commitment_stays_open_until_a_reply_speaks_of_it() -> None:
    said = agent("The corrected invoice will be sent to your accounting team.", 1)
    unrelated = agent("Thanks for the photo.", 2)
    done = agent("Here is the corrected invoice for your accounting team.", 3)
    open_now = summarize(Thread("x", (customer("Invoice?"), said, unrelated)), MONDAY + timedelta(days=1))
    assert [(p.text, p.due, p.state) for p in open_now.promises] == [
        ("The corrected invoice will be sent to your accounting team.", None, "open")
    ]
    assert (
        summarize(Thread("x", (customer("Invoice?"), said, done)), MONDAY + timedelta(days=1)).promises == ()
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sorry about that! The part ships today.", "The part ships today."),
        ("Thanks Sam. The refund arrived.", "The refund arrived."),
        ("お問い合わせありがとうございます。明日発送いたします。", "明日発送いたします。"),
        ("Thanks!", "Thanks!"),
        ("A very long sentence " * 10, "A very long sentence " * 4 + "A ver\u2026"),
    ],
)
def test_a_timeline_line_is_the_first_sentence_that_says_something(text: str, expected: str) -> None:
    assert first_line(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Avez-vous des nouvelles ?", frozenset()),  # words joined by a hyphen are words of their own
        ("Gibt's schon Neuigkeiten?", frozenset()),
        ("I shipped the ships", frozenset({"ship"})),
        ("配送状況", frozenset({"配送", "送状", "状況"})),
        ("order 48213", frozenset({"order", "48213"})),
    ],
)
def test_key_terms(text: str, expected: frozenset[str]) -> None:
    assert key_terms(text) == expected
