"""Finding quotes and signatures so they can be folded, without ever losing or hiding text wrongly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.mail.quotes import Segment, split_segments


def kinds_of(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs, after checking the segments join back to the input."""
    segments = split_segments(text)
    assert "".join(segment.text for segment in segments) == text
    return [(segment.kind, segment.text) for segment in segments]


def test_empty_text_has_no_segments() -> None:
    assert split_segments("") == ()


def test_plain_text_is_one_text_segment() -> None:
    assert split_segments("Hello,\n\nno quotes here.\n") == (Segment("text", "Hello,\n\nno quotes here.\n"),)


def test_bottom_quote_with_english_attribution() -> None:
    text = (
        "Thanks, that fixed it.\n\n"
        "On Mon, Mar 4, 2024 at 9:00 AM Acme Support <support@example.com> wrote:\n"
        "> Please restart the app.\n"
        ">\n"
        "> Sam\n"
    )
    assert kinds_of(text) == [
        ("text", "Thanks, that fixed it.\n\n"),
        ("quote", text[len("Thanks, that fixed it.\n\n") :]),
    ]


def test_attribution_wrapped_over_two_lines() -> None:
    text = (
        "Yes.\n\nOn Mon, Mar 4, 2024 at 9:00 AM Acme Support <\nsupport@example.com> wrote:\n\n> Shall we?\n"
    )
    assert kinds_of(text) == [("text", "Yes.\n\n"), ("quote", text[len("Yes.\n\n") :])]


def test_german_attribution_and_mobile_signature() -> None:
    text = (
        "Danke, jetzt ist es da.\n\n"
        "Von meinem iPhone gesendet\n\n"
        "Am 04.03.2024 um 09:00 schrieb Acme <support@example.com>:\n\n"
        "> Ihr Paket ist unterwegs.\n"
    )
    assert kinds_of(text) == [
        ("text", "Danke, jetzt ist es da.\n\n"),
        ("signature", "Von meinem iPhone gesendet\n"),
        ("text", "\n"),
        (
            "quote",
            "Am 04.03.2024 um 09:00 schrieb Acme <support@example.com>:\n\n> Ihr Paket ist unterwegs.\n",
        ),
    ]


def test_french_attribution() -> None:
    text = "Merci !\n\nLe lun. 4 mars 2024 à 09:00, Acme <support@example.com> a écrit :\n"
    text += "> Votre commande.\n"
    assert [kind for kind, _ in kinds_of(text)] == ["text", "quote"]
    assert kinds_of(text)[1][1].startswith("Le lun. 4 mars")


def test_attribution_without_prefixed_quote_folds_everything_after() -> None:
    text = "Top answer.\n\nOn 4 Mar 2024, at 09:00, Sam <sam@example.com> wrote:\n\n"
    text += "Original text\nwithout prefixes.\n"
    assert kinds_of(text) == [("text", "Top answer.\n\n"), ("quote", text[len("Top answer.\n\n") :])]


def test_prose_that_looks_like_an_attribution_is_not_folded() -> None:
    text = "On reflection, my colleague wrote:\nthe order is late.\nPlease advise.\n"
    assert kinds_of(text) == [("text", text)]


def test_outlook_original_message_separator_folds_the_rest() -> None:
    text = (
        "Still missing.\n\n"
        "-----Original Message-----\n"
        "From: Acme Support <support@example.com>\n"
        "Sent: Monday, March 4, 2024 9:00 AM\n\n"
        "We sent it.\n"
    )
    assert kinds_of(text) == [("text", "Still missing.\n\n"), ("quote", text[len("Still missing.\n\n") :])]


def test_localized_original_message_separators() -> None:
    for separator in ("-----Ursprüngliche Nachricht-----", "----- Message d'origine -----"):
        text = f"Oben.\n{separator}\nAlt.\n"
        assert kinds_of(text) == [("text", "Oben.\n"), ("quote", f"{separator}\nAlt.\n")]


def test_outlook_header_block_folds_the_rest() -> None:
    text = (
        "Regards\nJane\n\n"
        "From: Acme Support <support@example.com>\n"
        "Sent: Monday, March 4, 2024 9:00 AM\n"
        "To: Jane Customer <jane@customer.example>\n"
        "Subject: Invoice\n\n"
        "We sent the invoice yesterday.\n"
    )
    assert kinds_of(text) == [("text", "Regards\nJane\n\n"), ("quote", text[len("Regards\nJane\n\n") :])]


def test_html_rendered_bold_header_block_and_german_headers() -> None:
    text = "Hallo\n\n*Von:* Acme <support@example.com>\n*Gesendet:* Montag, 4. März 2024 09:00\n"
    text += "*An:* Jane\n\nAlt\n"
    assert [kind for kind, _ in kinds_of(text)] == ["text", "quote"]


def test_a_lone_from_line_is_not_a_header_block() -> None:
    text = "From: the warehouse, the parcel left today.\nIt should arrive soon.\n"
    assert kinds_of(text) == [("text", text)]


def test_signature_runs_to_the_next_quote() -> None:
    text = (
        "Yes, go ahead.\n\n"
        "-- \n"
        "Jane Customer\n"
        "+1 555 0100\n\n"
        "On Mon, Mar 4, 2024 at 9:00 AM Acme <support@example.com> wrote:\n"
        "> Cancel?\n"
    )
    assert kinds_of(text) == [
        ("text", "Yes, go ahead.\n\n"),
        ("signature", "-- \nJane Customer\n+1 555 0100\n\n"),
        ("quote", "On Mon, Mar 4, 2024 at 9:00 AM Acme <support@example.com> wrote:\n> Cancel?\n"),
    ]


def test_signature_separator_without_trailing_space() -> None:
    assert kinds_of("Body\n--\nSig") == [("text", "Body\n"), ("signature", "--\nSig")]


def test_dashes_inside_a_line_are_not_a_separator() -> None:
    text = "Price -- about $5\n---\nNot a signature either.\n"
    assert kinds_of(text) == [("text", text)]


def test_mobile_signatures() -> None:
    for line in (
        "Sent from my iPhone",
        "Get Outlook for Android",
        "Envoyé de mon iPad",
        "Sent from Mail for Windows",
    ):
        assert kinds_of(f"Ok.\n\n{line}\n") == [("text", "Ok.\n\n"), ("signature", f"{line}\n")]


def test_a_sentence_starting_like_a_mobile_signature_is_text() -> None:
    text = "Sent from my iPhone, the photos are attached, but the order number is below.\n"
    assert kinds_of(text) == [("text", text)]


def test_interleaved_reply_keeps_the_answers_as_text() -> None:
    text = (
        "On Mon, 4 Mar 2024 09:00, Sam <sam@example.com> wrote:\n"
        "> Which order?\n"
        "1234.\n"
        "> And the address?\n"
        ">\n"
        "> (the new one)\n"
        "Main Street 1.\n"
    )
    assert kinds_of(text) == [
        ("quote", "On Mon, 4 Mar 2024 09:00, Sam <sam@example.com> wrote:\n> Which order?\n"),
        ("text", "1234.\n"),
        ("quote", "> And the address?\n>\n> (the new one)\n"),
        ("text", "Main Street 1.\n"),
    ]


def test_blank_lines_between_quote_lines_stay_in_the_quote() -> None:
    text = "Answer\n> one\n\n> two\n\nEnd\n"
    assert kinds_of(text) == [("text", "Answer\n"), ("quote", "> one\n\n> two\n"), ("text", "\nEnd\n")]


def test_text_without_final_newline_and_crlf_lines() -> None:
    text = "Hi\r\n> quoted\r\nbye"
    assert kinds_of(text) == [("text", "Hi\r\n"), ("quote", "> quoted\r\n"), ("text", "bye")]


lines = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "",
                "> q",
                ">> qq",
                "-- ",
                "--",
                "Sent from my iPhone",
                "-----Original Message-----",
                "From: A <a@x>",
                "Sent: Mon 1",
                "To: B",
                "On 1 Jan 2024, A <a@x> wrote:",
                "Am 1.1.2024 schrieb A:",
                "Le 1 janv. 2024, A a écrit :",
                "On",
                "wrote:",
                "plain words",
            ]
        ),  # fmt: skip
        st.text(max_size=20),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(lines, st.sampled_from(["\n", "\r\n"]))
def test_segments_always_rebuild_the_text(parts: list[str], newline: str) -> None:
    text = newline.join(parts)
    segments = split_segments(text)
    assert "".join(segment.text for segment in segments) == text
    assert all(segment.text for segment in segments)
    assert all(a.kind != b.kind for a, b in zip(segments, segments[1:], strict=False))
    for segment in segments:
        if segment.kind != "quote":  # a ">" line is always part of a quote
            assert not any(line.lstrip(" \t").startswith(">") for line in segment.text.split("\n"))


def test_hostile_long_lines_are_handled() -> None:
    text = "On " + "1 " * 50_000 + "wrote:\n" + ">" * 100_000 + "\n" + "Sent from " + "x" * 100_000
    segments = split_segments(text)
    assert "".join(segment.text for segment in segments) == text
