"""Promise detection in replies, due-time conventions, and typed follow-up times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from shared_inbox.domain.business_hours import BusinessCalendar
from shared_inbox.domain.promises import (
    FollowUpError,
    detect_promises,
    own_words,
    parse_follow_up,
    waits_for_close,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = BusinessCalendar.weekdays("Europe/Berlin", "09:00", "17:00")
# Wednesday, 8 May 2024, 11:00 in Berlin.
SENT = datetime(2024, 5, 8, 11, 0, tzinfo=BERLIN)


def found(
    text: str, *, sent_at: datetime = SENT, calendar: BusinessCalendar | None = OFFICE
) -> list[tuple[str, str]]:
    """(phrase, due as local "YYYY-MM-DD HH:MM") for each promise."""
    zone = calendar.zone if calendar is not None else sent_at.tzinfo
    return [
        (c.phrase, c.due.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
        for c in detect_promises(text, sent_at=sent_at, calendar=calendar)
    ]


PROMISES = [
    ("I'll get back to you by Friday.", [("by Friday", "2024-05-10 17:00")]),
    ("You'll hear from us within 24 hours.", [("within 24 hours", "2024-05-09 11:00")]),
    ("I'll update you tomorrow morning.", [("tomorrow morning", "2024-05-09 10:00")]),
    ("I will send you the invoice by end of day.", [("by end of day", "2024-05-08 17:00")]),
    ("We'll have a fix next week.", [("next week", "2024-05-17 17:00")]),
    ("I'll call you on 3 December.", [("on 3 December", "2024-12-03 17:00")]),
    ("We will refund you in two business days.", [("in two business days", "2024-05-10 17:00")]),
    ("We will ship it by Monday.", [("by Monday", "2024-05-13 17:00")]),
    ("I'll follow up on the 5th.", [("on the 5th", "2024-06-05 17:00")]),
    ("Expect an update within 2 business days.", [("within 2 business days", "2024-05-10 17:00")]),
    (
        "Your refund will be processed within 5 business days.",
        [("within 5 business days", "2024-05-15 17:00")],
    ),
    (
        "Let me check and get back to you in a couple of hours.",
        [("in a couple of hours", "2024-05-08 13:00")],
    ),
    ("I'm off tomorrow, but I'll reply on Monday.", [("on Monday", "2024-05-13 17:00")]),
    ("By Friday, I'll have an answer for you.", [("By Friday", "2024-05-10 17:00")]),
    (
        "I'll get back to you no later than Thursday 3pm.",
        [("no later than Thursday 3pm", "2024-05-09 15:00")],
    ),
    ("We sent it two days ago and I'll check again tomorrow.", [("tomorrow", "2024-05-09 17:00")]),
    (
        "I'm going to escalate this and get back to you first thing Monday.",
        [("first thing Monday", "2024-05-13 09:00")],
    ),
    ("I won't forget \u2013 I'll reply by Friday.", [("by Friday", "2024-05-10 17:00")]),
    ("I hope to have news for you by the end of the week.", [("by the end of the week", "2024-05-10 17:00")]),
    ("We're going to release the fix early next week.", [("early next week", "2024-05-14 17:00")]),
    ("We'll be in touch within the hour.", [("within the hour", "2024-05-08 12:00")]),
    ("I\u2019ll send the replacement by 3 p.m. tomorrow.", [("by 3 p.m. tomorrow", "2024-05-09 15:00")]),
    ("The package should arrive by Thursday.", [("by Thursday", "2024-05-09 17:00")]),
    ("I should be able to confirm by tomorrow afternoon.", [("by tomorrow afternoon", "2024-05-09 15:00")]),
    ("I'll reply this afternoon.", [("this afternoon", "2024-05-08 15:00")]),
    ("We will send the new key tonight.", [("tonight", "2024-05-08 21:00")]),
    ("I'll have the report ready by EOD tomorrow.", [("by EOD tomorrow", "2024-05-09 17:00")]),
    (
        "We'll get this fixed by close of business on Monday.",
        [("by close of business on Monday", "2024-05-13 17:00")],
    ),
    ("I'll call you next Tuesday at 10am.", [("next Tuesday at 10am", "2024-05-14 10:00")]),
    ("I'll call you this Friday at 2:30pm.", [("this Friday at 2:30pm", "2024-05-10 14:30")]),
    ("I'll follow up on December 3rd.", [("on December 3rd", "2024-12-03 17:00")]),
    ("We will deliver on 2024-06-01.", [("on 2024-06-01", "2024-06-01 17:00")]),  # a Saturday
    ("Our team will respond in 3 business hours.", [("in 3 business hours", "2024-05-08 14:00")]),
    ("We'll reply within 8 business hours.", [("within 8 business hours", "2024-05-09 11:00")]),
    ("I will get back to you in 3 days.", [("in 3 days", "2024-05-11 11:00")]),
    ("We'll refund the charge within 2 weeks.", [("within 2 weeks", "2024-05-22 11:00")]),
    ("I'll check in with you later this week.", [("later this week", "2024-05-10 17:00")]),
    ("I'll send an update by the weekend.", [("by the weekend", "2024-05-10 17:00")]),
    (
        "You will receive the replacement by the end of the month.",
        [("by the end of the month", "2024-05-31 17:00")],
    ),
    ("I'll get back to you in the morning.", [("in the morning", "2024-05-09 10:00")]),
    ("We'll have an answer for you by noon.", [("by noon", "2024-05-08 12:00")]),
    ("I'll escalate and you'll hear back by 4pm.", [("by 4pm", "2024-05-08 16:00")]),
    ("I promise to reply by Friday.", [("by Friday", "2024-05-10 17:00")]),
    ("We can get this to you by Monday.", [("by Monday", "2024-05-13 17:00")]),
    ("I'll send it over, at the latest by Thursday.", [("at the latest by Thursday", "2024-05-09 17:00")]),
    ("We will call you on Monday morning.", [("on Monday morning", "2024-05-13 10:00")]),
    ("I'll send the form first thing tomorrow.", [("first thing tomorrow", "2024-05-09 09:00")]),
    ("I'll get back to you on Fri.", [("on Fri.", "2024-05-10 17:00")]),
    ("I'll confirm by the 15th.", [("by the 15th", "2024-05-15 17:00")]),
    ("I'll reply before Monday.", [("before Monday", "2024-05-13 00:00")]),
    (
        "We'll ship your order within 48 hours and I'll confirm by Friday.",
        [("within 48 hours", "2024-05-10 11:00"), ("by Friday", "2024-05-10 17:00")],
    ),
    (
        "I\u2019ll get back to you within the next 24 hours.",
        [("within the next 24 hours", "2024-05-09 11:00")],
    ),
    ("We will get back to you within a few days.", [("within a few days", "2024-05-11 11:00")]),
    ("I'll send you the details on the 10th of June.", [("on the 10th of June", "2024-06-10 17:00")]),
    ("I'll follow up in a week.", [("in a week", "2024-05-15 11:00")]),
    ("We plan to deploy the fix on Thursday.", [("on Thursday", "2024-05-09 17:00")]),
    ("I will be in touch on 20 May 2024.", [("on 20 May 2024", "2024-05-20 17:00")]),
    ("I'LL GET BACK TO YOU BY FRIDAY!", [("BY FRIDAY", "2024-05-10 17:00")]),
    ("I'll reply on Wednesday.", [("on Wednesday", "2024-05-15 17:00")]),  # today is Wednesday: next week's
    ("I'll reply this Wednesday.", [("this Wednesday", "2024-05-08 17:00")]),
    ("I'll be back to you by Friday.", [("by Friday", "2024-05-10 17:00")]),
    ("The fix will be out by Friday.", [("by Friday", "2024-05-10 17:00")]),
]

NOT_PROMISES = [
    "I can't promise anything by Friday.",
    "We won't be able to reply before Monday.",
    "I'll get back to you by Friday, no promises though.",
    "No promises, but I'll try to have it by Friday.",
    "I replied last Friday.",
    "We shipped it on Monday.",
    "Can I call you on Monday?",
    "Will you be available tomorrow?",
    "Please send us the logs by Friday.",
    "I'm out of the office until Monday.",
    "I'll check what happened on Monday.",
    "I don't think we'll have it by Friday.",
    "Our office will be closed on Monday.",
    "I'll look into it every Friday.",
    "We received your payment two days ago.",
    "I'll check the order you placed 3 days ago.",
    "I'm not sure we will manage it by Friday.",
    "We are unable to ship before Monday.",
    "If you send us the logs by Friday, we can take a look.",
    "It arrived on Tuesday, so I'll close this now.",
    "Thanks for getting back to me so quickly on Monday.",
    "I'll be on holiday next week.",
    "I'll be out of the office on Friday.",
    "I'll be back on Monday.",
    "Good morning Ann, we will look into it.",
    "> I'll send it by Friday",
    "Are we still on for Friday?",
    "Friday works for me.",
    "I will let you know.",
    "We'll be in touch shortly.",
    "The invoice was due on the 5th.",
    "I'll look at what you sent yesterday.",
    "Last week I said I'd reply by Friday.",
    "I'll reply once you have sent it by Friday.",
    "Until Friday, I'll be working remotely.",
    "I'll reply this morning.",  # already past at 11:00
    "I'll be away for 2 days.",
    "We will contact you after Monday.",
    "I'll keep this open since Tuesday.",
]


@pytest.mark.parametrize(("text", "expected"), PROMISES)
def test_promises_are_found_with_their_due_times(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize("text", NOT_PROMISES)
def test_what_is_not_a_promise_is_left_alone(text: str) -> None:
    assert found(text) == []


def test_the_table_is_large_enough() -> None:
    assert len(PROMISES) + len(NOT_PROMISES) >= 60


def test_spans_point_at_the_phrase_in_the_original_text() -> None:
    text = "Hi Ann,\n\nthanks for the logs.\nI\u2019ll get back to you\nby Friday. Best, Cy"
    [candidate] = detect_promises(text, sent_at=SENT, calendar=OFFICE)
    start, end = candidate.span
    assert text[start:end] == candidate.phrase == "by Friday"
    assert candidate.sentence == "I\u2019ll get back to you by Friday."


def test_the_sentence_is_the_one_making_the_promise() -> None:
    text = "Thanks for waiting. We found the bug! I'll send you a fixed build by Monday. Cheers"
    [candidate] = detect_promises(text, sent_at=SENT, calendar=OFFICE)
    assert candidate.sentence == "I'll send you a fixed build by Monday."


QUOTED = [
    "Sure.\n\nOn Tue, 7 May 2024 at 10:00, Ann Lee <ann@example.com> wrote:\n> Will you reply by Friday?\n"
    "> I'll wait until Monday, and I'll call you tomorrow.",
    "Sure.\n\nOn Tue, 7 May 2024 at 10:00, Ann Lee <ann@example.com>\nwrote:\nI'll call you tomorrow.",
    "Sure.\n\n-----Original Message-----\nFrom: Ann\nI'll call you tomorrow.",
    "Sure.\n\nFrom: Ann Lee <ann@example.com>\nSent: Tuesday, May 7, 2024 10:00\nI'll call you tomorrow.",
    "Sure.\n________________________________\nI'll call you tomorrow.",
    "Thanks!\n-- \nCy, who will answer within 24 hours",
    "  > I'll send it by Friday\n  >> We'll ship it tomorrow",
]


@pytest.mark.parametrize("text", QUOTED)
def test_quoted_text_does_not_count(text: str) -> None:
    assert found(text) == []


def test_own_words_keep_their_offsets() -> None:
    text = "I'll reply by Friday.\n> I'll call you tomorrow.\nOn Mon, Ann wrote:\nby Monday"
    blanked = own_words(text)
    assert len(blanked) == len(text)
    assert blanked.startswith("I'll reply by Friday.\n")
    assert "tomorrow" not in blanked and "Monday" not in blanked
    assert blanked.count("\n") == text.count("\n")


def test_a_reply_above_a_quote_still_counts() -> None:
    text = "I'll get back to you by Friday.\n\nOn Tue, 7 May 2024, Ann wrote:\n> When will I hear back?"
    assert found(text) == [("by Friday", "2024-05-10 17:00")]


# -- calendars, zones and clock changes -------------------------------------------------

ASCENSION = BusinessCalendar.weekdays("Europe/Berlin", "08:00", "16:30", holidays=[date(2024, 5, 9)])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll reply tomorrow.", [("tomorrow", "2024-05-10 16:30")]),  # Thursday is a holiday
        ("I'll reply by Thursday.", [("by Thursday", "2024-05-09 17:00")]),  # closed that day: 17:00
        ("We will refund you in two business days.", [("in two business days", "2024-05-13 16:30")]),
        ("I'll reply within 8 business hours.", [("within 8 business hours", "2024-05-10 10:30")]),
        ("I'll call you first thing tomorrow.", [("first thing tomorrow", "2024-05-10 08:00")]),
        ("I'll send it by end of day.", [("by end of day", "2024-05-08 16:30")]),
    ],
)
def test_the_team_calendar_decides_business_days_and_hours(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(text, calendar=ASCENSION) == expected


def test_after_closing_time_end_of_day_means_midnight() -> None:
    evening = datetime(2024, 5, 8, 18, 30, tzinfo=BERLIN)
    assert found("I'll send it by end of day.", sent_at=evening) == [("by end of day", "2024-05-09 00:00")]


def test_around_the_clock_support_counts_the_whole_day() -> None:
    always = BusinessCalendar.always_open("Europe/Berlin")
    assert found("I'll reply by Friday.", calendar=always) == [("by Friday", "2024-05-11 00:00")]
    assert found("I'll reply tomorrow.", calendar=always) == [("tomorrow", "2024-05-10 00:00")]


def test_without_a_calendar_office_hours_are_assumed_in_the_zone_of_the_reply() -> None:
    sent = datetime(2024, 5, 8, 11, 0, tzinfo=NEW_YORK)
    [candidate] = detect_promises("I'll get back to you by Friday.", sent_at=sent)
    assert candidate.due == datetime(2024, 5, 10, 17, 0, tzinfo=NEW_YORK)


def test_a_reply_stamped_with_a_fixed_offset_uses_that_offset() -> None:
    plus_two = timezone(timedelta(hours=2))
    sent = datetime(2024, 5, 8, 11, 0, tzinfo=plus_two)
    [candidate] = detect_promises("I'll get back to you by Friday.", sent_at=sent)
    assert candidate.due == datetime(2024, 5, 10, 17, 0, tzinfo=plus_two)


def test_due_times_are_in_the_calendar_zone_whatever_the_zone_of_the_reply() -> None:
    sent_utc = SENT.astimezone(UTC)
    [candidate] = detect_promises("I'll get back to you by Friday.", sent_at=sent_utc, calendar=OFFICE)
    assert candidate.due == datetime(2024, 5, 10, 17, 0, tzinfo=BERLIN)
    assert candidate.due.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Sent Friday 29 March 2024, 16:00 CET; Berlin moves to CEST on Sunday 31 March.
        ("I'll reply within 24 hours.", datetime(2024, 3, 30, 16, 0, tzinfo=BERLIN)),
        ("I'll reply within 48 hours.", datetime(2024, 3, 31, 17, 0, tzinfo=BERLIN)),  # 48 real hours
        ("I'll reply by Monday.", datetime(2024, 4, 1, 17, 0, tzinfo=BERLIN)),
        ("I'll reply within 2 business hours.", datetime(2024, 4, 1, 10, 0, tzinfo=BERLIN)),
    ],
)
def test_due_times_across_the_spring_clock_change(text: str, expected: datetime) -> None:
    sent = datetime(2024, 3, 29, 16, 0, tzinfo=BERLIN)
    [candidate] = detect_promises(text, sent_at=sent, calendar=OFFICE)
    assert candidate.due == expected
    assert candidate.due.utcoffset() == expected.utcoffset()


def test_new_york_fall_back() -> None:
    office = BusinessCalendar.weekdays("America/New_York")
    sent = datetime(2024, 11, 2, 12, 0, tzinfo=NEW_YORK)  # Saturday, EDT; clocks fall back overnight
    [candidate] = detect_promises("You'll hear from us within 24 hours.", sent_at=sent, calendar=office)
    assert candidate.due == datetime(2024, 11, 3, 11, 0, tzinfo=NEW_YORK)  # 24 real hours, now EST
    [candidate] = detect_promises("You'll hear from us tomorrow.", sent_at=sent, calendar=office)
    assert candidate.due == datetime(2024, 11, 4, 17, 0, tzinfo=NEW_YORK)


def test_a_date_without_a_year_that_has_passed_means_next_year() -> None:
    assert found("I'll reply on 3 March.") == [("on 3 March", "2025-03-03 17:00")]


def test_a_date_that_does_not_exist_is_no_promise() -> None:
    assert found("I'll reply on 31 February 2025.") == []


@pytest.mark.parametrize("locale", ["en", "en-GB", "en_US", "EN"])
def test_english_locales_are_read(locale: str) -> None:
    assert detect_promises("I'll reply by Friday.", sent_at=SENT, calendar=OFFICE, locale=locale)


def test_other_locales_are_refused_rather_than_misread() -> None:
    with pytest.raises(ValueError, match="en"):
        detect_promises("Ich melde mich bis Freitag.", sent_at=SENT, calendar=OFFICE, locale="de")


def test_hostile_text_is_handled() -> None:
    text = "by " * 5000 + "\x00\u202e{{ agent.email }} I'll reply by Friday." + "?" * 1000
    assert found(text) == []  # the whole thing is one question
    assert found("\x00\u202e I'll reply by Friday.") == [("by Friday", "2024-05-10 17:00")]


# -- follow-up and snooze times -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 2 days", "2024-05-10 11:00"),
        ("2d", "2024-05-10 11:00"),
        ("2 days", "2024-05-10 11:00"),
        ("3h", "2024-05-08 14:00"),
        ("30m", "2024-05-08 11:30"),
        ("1w", "2024-05-15 11:00"),
        ("for 2 hours", "2024-05-08 13:00"),
        ("after close in 1 week", "2024-05-15 11:00"),
        ("in 2 business days", "2024-05-10 09:00"),
        ("tomorrow", "2024-05-09 09:00"),
        ("Tomorrow 9:00", "2024-05-09 09:00"),
        ("tomorrow at 3", "2024-05-09 15:00"),
        ("tomorrow at 14:30", "2024-05-09 14:30"),
        ("next monday", "2024-05-13 09:00"),
        ("monday 14:00", "2024-05-13 14:00"),
        ("friday", "2024-05-10 09:00"),
        ("until friday", "2024-05-10 09:00"),
        ("next week", "2024-05-13 09:00"),
        ("3 December", "2024-12-03 09:00"),
        ("2024-12-03 14:00", "2024-12-03 14:00"),
        ("14:00", "2024-05-08 14:00"),
        ("10:00", "2024-05-09 10:00"),  # passed today: the next business day
        ("tonight", "2024-05-08 21:00"),
        ("this afternoon", "2024-05-08 15:00"),
        ("end of day", "2024-05-08 17:00"),
        ("next month", "2024-06-03 09:00"),
        ("the 5th", "2024-06-05 09:00"),
    ],
)
def test_follow_up_times(text: str, expected: str) -> None:
    moment = parse_follow_up(text, SENT, OFFICE)
    assert moment.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("someday", "cannot read"),
        ("", "cannot read"),
        ("yesterday", "cannot read"),
        ("last friday", "cannot read"),
        ("in 2 fortnights", "cannot read"),
        ("friday and then some", "cannot read"),
        ("2024-01-01", "already passed"),
        ("this morning", "already passed"),
        ("31 February 2025", "cannot read"),
        ("x" * 500, "at most"),
    ],
)
def test_follow_up_times_that_cannot_be_used(text: str, message: str) -> None:
    with pytest.raises(FollowUpError, match=message):
        parse_follow_up(text, SENT, OFFICE)


def test_follow_ups_need_an_aware_now() -> None:
    with pytest.raises(FollowUpError, match="aware"):
        parse_follow_up("tomorrow", datetime(2024, 5, 8, 11), OFFICE)


def test_follow_ups_without_a_calendar_use_office_hours_in_the_zone_of_now() -> None:
    now = datetime(2024, 5, 10, 15, 0, tzinfo=NEW_YORK)  # Friday
    assert parse_follow_up("tomorrow", now) == datetime(2024, 5, 13, 9, 0, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("after close in 1 week", True), ("  After close in 2 days", True), ("in 1 week", False)],
)
def test_waits_for_close(text: str, expected: bool) -> None:
    assert waits_for_close(text) is expected
