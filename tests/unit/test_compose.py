"""Building outgoing mail: headers, recipients, threading, quoting, hostile input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.config.model import AccountConfig, Member
from shared_inbox.domain.model import Address, MessageMeta
from shared_inbox.domain.threading import ThreadIndex, conversation_id_for, token_from_message_id
from shared_inbox.mail.compose import (
    MAX_REFERENCES_SENT,
    ComposeError,
    OutgoingAttachment,
    compose_new,
    compose_reply,
    envelope_recipients,
    forward_subject,
    message_bytes,
    reply_subject,
    token_for,
)
from shared_inbox.mail.headers import parse_header_block
from shared_inbox.outbox.edit import EditError, replace_body

ACCOUNT = AccountConfig(name="Acme Support", address="support@example.com")
ALICE = Member(name="Alice Agent", email="alice@example.com", signature="Alice\nAcme Support")
ANN = Address("Ann Customer", "ann@customer.test")
WHEN = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
CONV = conversation_id_for("m1@customer.test")


def original(**changes: Any) -> MessageMeta:
    meta = MessageMeta(
        message_id="m2@customer.test",
        subject="Order problem",
        sender=ANN,
        to=(Address("Acme Support", "support@example.com"),),
        cc=(Address("Bob Buyer", "bob@customer.test"), Address("Alice Agent", "alice@example.com")),
        date=datetime(2026, 10, 1, 8, 0, tzinfo=UTC),
        references=("m1@customer.test",),
        in_reply_to=("m1@customer.test",),
    )
    return replace(meta, **changes)


def reply(
    meta: MessageMeta | None = None, text: str = "Where is my order?\n", **options: Any
) -> EmailMessage:
    options.setdefault("body", "Hi Ann,\n\nit ships today.")
    options.setdefault("conversation_id", CONV)
    options.setdefault("date", WHEN)
    return compose_reply(meta or original(), text, agent=ALICE, account=ACCOUNT, **options)


def reread(message: EmailMessage) -> EmailMessage:
    parsed = message_from_bytes(message_bytes(message), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def text_of(message: EmailMessage) -> str:
    part = reread(message).get_body(("plain",))
    assert part is not None
    return str(part.get_content())


# -- headers -------------------------------------------------------------------


def test_reply_headers() -> None:
    sent = reread(reply())
    assert sent["From"] == "Alice Agent via Acme Support <support@example.com>"
    assert sent["To"] == "Ann Customer <ann@customer.test>"
    assert sent["Cc"] is None
    assert sent["Subject"] == "Re: Order problem"
    assert sent["Date"] == "Thu, 01 Oct 2026 09:30:00 +0000"
    assert sent["In-Reply-To"] == "<m2@customer.test>"
    assert sent["References"].split() == ["<m1@customer.test>", "<m2@customer.test>"]
    assert sent["X-Shared-Inbox-Conversation"] == CONV
    assert sent.get_content_type() == "text/plain" and sent.get_content_charset() == "utf-8"


def test_message_id_carries_the_conversation_token_and_round_trips() -> None:
    message = reply()
    message_id = str(message["Message-ID"]).strip("<>")
    assert message_id.startswith(f"si.{CONV}.") and message_id.endswith("@example.com")
    assert token_from_message_id(message_id) == CONV
    meta = parse_header_block(message_bytes(message), sent_folder=True)
    assert (meta.message_id, meta.token, meta.outgoing) == (message_id, CONV, True)
    assert reply()["Message-ID"] != message["Message-ID"]


def test_plain_from_and_reply_to() -> None:
    sent = reread(reply(from_style="plain", reply_to=Address("Billing", "billing@example.com")))
    assert sent["From"] == "Acme Support <support@example.com>"
    assert sent["Reply-To"] == "Billing <billing@example.com>"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Order problem", "Re: Order problem"),
        ("Re: Order problem", "Re: Order problem"),
        ("RE: Order problem", "RE: Order problem"),
        ("re:Order problem", "re:Order problem"),
        ("AW: Bestellung", "Re: AW: Bestellung"),
        ("", "Re:"),
    ],
)
def test_reply_subject_never_doubles_re(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Invoice", "Fwd: Invoice"), ("Fwd: Invoice", "Fwd: Invoice"), ("FW: Invoice", "FW: Invoice")],
)
def test_forward_subject(subject: str, expected: str) -> None:
    assert forward_subject(subject) == expected


@pytest.mark.parametrize(
    ("conversation_id", "token"),
    [("c0123456789", "c0123456789"), ("c" + "a" * 16, "c" + "a" * 16), ("C" + "1" * 31, None)],
)
def test_token_for(conversation_id: str, token: str | None) -> None:
    if token is None:
        with pytest.raises(ComposeError):
            token_for(conversation_id)
    else:
        assert token_for(conversation_id) == token


# -- recipients ----------------------------------------------------------------


def test_reply_all_copies_everyone_but_the_team() -> None:
    message = reply(mode="reply_all")
    sent = reread(message)
    assert sent["To"] == "Ann Customer <ann@customer.test>"
    assert sent["Cc"] == "Bob Buyer <bob@customer.test>"
    assert envelope_recipients(message) == ["ann@customer.test", "bob@customer.test"]


def test_reply_goes_to_reply_to_when_the_customer_set_one() -> None:
    meta = original(reply_to=(Address("Ann at Home", "ann@home.test"),))
    assert envelope_recipients(reply(meta)) == ["ann@home.test"]


def test_following_up_our_own_message_writes_to_its_recipients() -> None:
    ours = original(sender=Address("Acme Support", "support@example.com"), to=(ANN,), cc=(), outgoing=True)
    assert envelope_recipients(reply(ours)) == ["ann@customer.test"]


def test_forward_goes_to_the_given_address_with_the_original_included() -> None:
    message = reply(mode="forward", to=[Address("Carrier", "claims@carrier.test")], body="Please check.")
    sent = reread(message)
    assert sent["Subject"] == "Fwd: Order problem"
    assert sent["In-Reply-To"] is None and "<m2@customer.test>" in sent["References"]
    assert envelope_recipients(message) == ["claims@carrier.test"]
    text = text_of(message)
    assert "---------- Forwarded message ----------" in text
    assert "From: Ann Customer <ann@customer.test>" in text and "\nWhere is my order?" in text


def test_explicit_recipients_replace_the_computed_ones_but_never_write_to_the_team() -> None:
    carol = Address("Carol", "carol@partner.test")
    team = Address("Alice Agent", "alice@example.com")
    message = reply(mode="reply_all", recipients=([carol, team], [Address("Bob Buyer", "BOB@customer.test")]))
    sent = reread(message)
    assert sent["To"] == "Carol <carol@partner.test>"
    assert sent["Cc"] == "Bob Buyer <BOB@customer.test>"
    assert envelope_recipients(message) == ["carol@partner.test", "bob@customer.test"]


def test_explicit_recipients_keep_hostile_names_inside_their_header() -> None:
    name = "Eve\r\nBcc: victim@evil.test"
    message = reply(recipients=([Address(name, "eve@evil.test")], []))
    assert envelope_recipients(reread(message)) == ["eve@evil.test"]
    assert reread(message)["Bcc"] is None


def test_explicit_recipients_may_not_be_empty() -> None:
    with pytest.raises(ComposeError, match="nobody to reply to"):
        reply(recipients=([], [ANN]))


def test_nobody_to_reply_to() -> None:
    with pytest.raises(ComposeError, match="nobody to reply to"):
        reply(original(sender=Address("Acme", "support@example.com"), reply_to=()))
    with pytest.raises(ComposeError, match="nobody to forward to"):
        reply(mode="forward")


def test_an_unusable_recipient_is_refused_not_mangled() -> None:
    with pytest.raises(ComposeError, match="not an address"):
        reply(original(sender=Address("Ann", "ann@customer.test>, evil@attacker.test")))


# -- hostile input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Order\r\nBcc: evil@attacker.test",
        "Order\nX-Injected: yes",
        "Order\rBcc: evil@attacker.test",
        "Order\x00\x1b]0;title\x07 problem",
        "Order\u2028Bcc: evil@attacker.test",
    ],
)
def test_hostile_subject_cannot_inject_headers(subject: str) -> None:
    raw = message_bytes(reply(original(subject=subject)))
    sent = message_from_bytes(raw, policy=policy.default)
    assert sent["Bcc"] is None and sent["X-Injected"] is None
    assert len(sent.get_all("Subject")) == 1
    assert "\x1b" not in sent["Subject"] and "\x00" not in sent["Subject"]
    assert envelope_recipients(reply(original(subject=subject))) == ["ann@customer.test"]


def test_hostile_display_name_stays_a_name() -> None:
    meta = original(sender=Address('Ann"\r\nBcc: evil@attacker.test\r\n<x', "ann@customer.test"))
    raw = message_bytes(reply(meta))
    sent = message_from_bytes(raw, policy=policy.default)
    assert sent["Bcc"] is None
    assert [a.addr_spec for a in sent["To"].addresses] == ["ann@customer.test"]


@settings(max_examples=200, deadline=None)
@given(subject=st.text(max_size=300), name=st.text(max_size=80))
def test_any_subject_and_name_give_one_well_formed_message(subject: str, name: str) -> None:
    message = reply(original(subject=subject, sender=Address(name, "ann@customer.test")))
    raw = message_bytes(message)
    assert raw.isascii()
    sent = message_from_bytes(raw, policy=policy.default)
    assert len(sent.get_all("Subject")) == 1
    assert sent["Bcc"] is None
    assert envelope_recipients(message) == ["ann@customer.test"]


# -- threading -------------------------------------------------------------------


def test_references_are_capped_keeping_the_root_and_long_ids_intact() -> None:
    chain = tuple(f"{'x' * 90}{n}@customer.test" for n in range(40))
    sent = reread(reply(original(references=chain)))
    ids = sent["References"].split()
    assert len(ids) == MAX_REFERENCES_SENT
    assert ids[0] == f"<{chain[0]}>" and ids[-1] == "<m2@customer.test>"
    assert ids[-2] == f"<{chain[-1]}>"
    assert "=?" not in sent["References"]


def test_junk_ids_are_left_out_of_references() -> None:
    meta = original(references=("ok@customer.test", "bad id@x", "a<b@x", "y" * 400 + "@x"))
    assert reread(reply(meta))["References"].split() == ["<ok@customer.test>", "<m2@customer.test>"]


def test_our_reply_and_the_customers_answer_stay_in_one_conversation() -> None:
    first = original(message_id="m1@customer.test", references=(), in_reply_to=())
    index = ThreadIndex()
    index.add(first)
    conv_id = index.conversation_of("m1@customer.test")
    assert conv_id is not None
    ours = parse_header_block(message_bytes(reply(first, conversation_id=conv_id)), sent_folder=True)
    # The customer's client keeps only In-Reply-To, pointing at our reply.
    answer = original(message_id="m3@customer.test", references=(), in_reply_to=(ours.message_id,))
    index.add_many([ours, answer])
    assert index.conversation_of(ours.message_id) == conv_id
    assert index.conversation_of("m3@customer.test") == conv_id


def test_a_new_conversation_knows_its_id_from_the_start() -> None:
    message = compose_new(
        to=[ANN], subject="Your invoice", body="Attached.", agent=ALICE, account=ACCOUNT, date=WHEN
    )
    meta = parse_header_block(message_bytes(message), sent_folder=True)
    token = str(message["X-Shared-Inbox-Conversation"])
    assert token == conversation_id_for(meta.message_id)
    index = ThreadIndex()
    index.add(meta)
    assert index.conversation_of(meta.message_id) == token
    answer = original(message_id="a@customer.test", references=(meta.message_id,), in_reply_to=())
    index.add(answer)
    assert index.conversation_of("a@customer.test") == token


def test_a_new_conversation_needs_a_subject_and_a_customer() -> None:
    with pytest.raises(ComposeError, match="subject"):
        compose_new(to=[ANN], subject=" \r\n", body="x", agent=ALICE, account=ACCOUNT)
    with pytest.raises(ComposeError, match="recipient"):
        compose_new(to=[Address("", "bob@example.com")], subject="x", body="x", agent=ALICE, account=ACCOUNT,
                    team_addresses=["bob@example.com"])  # fmt: skip


# -- text --------------------------------------------------------------------------


def test_text_has_body_signature_and_quote_in_that_order() -> None:
    text = text_of(reply(text="Where is my order?\n> older quote\n\nThanks\n")).replace("\r\n", "\n")
    assert text == (
        "Hi Ann,\n\nit ships today.\n"
        "\n-- \nAlice\nAcme Support\n"
        "\nOn Thu, 01 Oct 2026 at 08:00 UTC, Ann Customer <ann@customer.test> wrote:\n"
        "> Where is my order?\n>> older quote\n>\n> Thanks\n"
    )


def test_no_quote_when_the_original_text_is_unknown() -> None:
    assert "wrote:" not in text_of(reply(text=""))


def test_quoted_text_is_cleaned_of_terminal_escapes() -> None:
    text = text_of(reply(text="Hello \x1b[31mred\x1b[0m and \u202egnp.exe\n"))
    assert "\x1b" not in text and "\u202e" not in text and "> Hello red and gnp.exe" in text


def test_signature_separator_is_not_doubled() -> None:
    agent = replace(ALICE, signature="-- \nAlice")
    message = compose_reply(original(), "", body="Hi", agent=agent, account=ACCOUNT, conversation_id=CONV)
    assert text_of(message).replace("\r\n", "\n") == "Hi\n\n-- \nAlice\n"


def test_utf8_everywhere() -> None:
    meta = original(subject="Bestellung für Müller", sender=Address("Jörg Schmidt", "jorg@customer.test"))
    message = compose_reply(
        meta,
        "Grüße\n",
        body="Hallo Jörg, 日本語も大丈夫です。",
        agent=ALICE,
        account=ACCOUNT,
        conversation_id=CONV,
    )
    raw = message_bytes(message)
    assert raw.isascii()
    sent = message_from_bytes(raw, policy=policy.default)
    assert (
        sent["Subject"] == "Re: Bestellung für Müller" and sent["To"] == "Jörg Schmidt <jorg@customer.test>"
    )
    assert "Hallo Jörg, 日本語も大丈夫です。" in text_of(message) and "> Grüße" in text_of(message)


def test_attachments() -> None:
    files = [
        OutgoingAttachment("../../etc/label.pdf", b"%PDF-1.4 fake", "application/pdf"),
        OutgoingAttachment("\r\n", b"\x00\x01", "not a type"),
    ]
    sent = reread(reply(attachments=files))
    parts = list(sent.iter_attachments())
    assert [p.get_filename() for p in parts] == ["label.pdf", "attachment-2"]
    assert [p.get_content_type() for p in parts] == ["application/pdf", "application/octet-stream"]
    assert parts[0].get_content() == b"%PDF-1.4 fake"
    assert "it ships today." in text_of(reply(attachments=files))


# -- editing a queued message --------------------------------------------------------


@pytest.mark.parametrize("attached", [False, True])
def test_replace_body_keeps_headers_signature_and_quote(attached: bool) -> None:
    files = [OutgoingAttachment("a.txt", b"data", "text/plain")] if attached else []
    message = reply(body="First draft ü", attachments=files)
    raw = message_bytes(message)
    edited = message_from_bytes(replace_body(raw, "First draft ü", "Better text é"), policy=policy.default)
    assert edited["Message-ID"] == message["Message-ID"] and edited["References"] == message["References"]
    text = str(edited.get_body(("plain",)).get_content()).replace("\r\n", "\n")
    assert text.startswith("Better text é\n\n-- \nAlice") and "> Where is my order?" in text
    assert "First draft" not in text
    assert [p.get_filename() for p in edited.iter_attachments()] == (["a.txt"] if attached else [])


def test_replace_body_refuses_when_the_record_disagrees() -> None:
    raw = message_bytes(reply(body="What was queued"))
    with pytest.raises(EditError):
        replace_body(raw, "Something else", "New")
