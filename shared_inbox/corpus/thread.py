"""One support conversation as a sequence of message specs, written the way real clients do.

A `ThreadWriter` knows the customer's mail client and fills in what that client puts in
its replies: the reply prefix, which threading headers it sets (full References, only
In-Reply-To, or nothing), how it quotes, Outlook's Thread-Index. The random planner and
the hand-written demo both use it, so both get the same realistic header mix.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from shared_inbox.corpus.people import BRAND, Person
from shared_inbox.corpus.texts_intl import OUTLOOK_HEADERS, REPLY_PREFIX, outlook_date

INBOX, SENT = "INBOX", "Sent"
_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_USER_AGENTS = {
    "gmail": ("X-Mailer", "Webmail 2.4"),
    "apple": ("X-Mailer", "Apple Mail (2.3774.500.171.1.1)"),
    "outlook": ("X-Mailer", "Microsoft Outlook 16.0"),
    "legacy": ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:91.0) Gecko/20100101 Thunderbird/91.13.0"),
}
_ZONES: dict[int, timezone] = {}


def zone(offset_minutes: int) -> timezone:
    if offset_minutes not in _ZONES:
        _ZONES[offset_minutes] = timezone(timedelta(minutes=offset_minutes))
    return _ZONES[offset_minutes]


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # "png" or "pdf"
    filename: str
    title: str = ""


@dataclass(slots=True)
class MailSpec:
    """Everything about one message except its MIME serialization."""

    folder: str
    when: datetime  # aware
    utc_offset_minutes: int
    sender: tuple[str, str]
    to: tuple[tuple[str, str], ...]
    subject: str
    body: str
    render_seed: int
    serial: int = 0
    charset: str = "utf-8"
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    cc: tuple[tuple[str, str], ...] = ()
    reply_to: tuple[str, str] | None = None
    html: str = "none"  # "none", "alternative" or "only"
    html_style: str = "plain"
    attachments: tuple[Attachment, ...] = ()
    extra_headers: tuple[tuple[str, str], ...] = ()
    received_from: str | None = None  # sending host, for a Received header on incoming mail
    sender_display: str = ""  # name as other clients show it when quoting
    thread: int = 0  # which generated conversation it belongs to: the truth threading is measured on

    def thread_ids(self) -> tuple[str, ...]:
        """References a reply to this message should carry."""
        base = self.references or ((self.in_reply_to,) if self.in_reply_to else ())
        return base + ((self.message_id,) if self.message_id else ())


class ThreadWriter:
    """Writes the messages of one conversation between a customer and the team."""

    def __init__(
        self, rng: random.Random, customer: Person, subject: str, *, support_address: str, domain: str
    ) -> None:
        self.rng = rng
        self.customer = customer
        self.subject = subject
        self.support_address = support_address
        self.domain = domain
        self.last: MailSpec | None = None
        self._thread_index = rng.randbytes(22) if customer.client == "outlook" else b""
        self._outlook_count = 0

    def customer_mail(
        self,
        when: datetime,
        text: str,
        *,
        attachments: tuple[Attachment, ...] = (),
        cc: tuple[tuple[str, str], ...] = (),
        drop_message_id: bool = False,
    ) -> MailSpec:
        customer, parent = self.customer, self.last
        client = customer.client
        subject = self.subject if parent is None else self._reply_subject(client)
        in_reply_to, references = self._threading_for(client, parent)
        body = text if parent is None else text + self._quote(parent, client)
        headers: list[tuple[str, str]] = []
        if client in _USER_AGENTS:
            headers.append(_USER_AGENTS[client])
        if client == "outlook":
            if self._outlook_count:
                self._thread_index += self.rng.randbytes(5)  # Outlook adds a child block per reply
            self._outlook_count += 1
            index = self._thread_index
            headers += [
                ("Thread-Topic", self.subject),
                ("Thread-Index", base64.b64encode(index).decode("ascii")),
                (
                    "Content-Language",
                    {"de": "de-DE", "fr": "fr-FR", "ja": "ja-JP"}.get(customer.language, "en-US"),
                ),
            ]
        html = {"gmail": "alternative", "outlook": "alternative", "html_only": "only"}.get(client, "none")
        if client == "apple" and self.rng.random() < 0.3:
            html = "alternative"
        spec = MailSpec(
            folder=INBOX,
            when=when,
            utc_offset_minutes=customer.utc_offset_minutes,
            sender=(customer.name, customer.email),
            to=((BRAND, self.support_address),),
            subject=subject,
            body=body,
            render_seed=self.rng.getrandbits(48),
            charset=customer.charset,
            message_id=None if drop_message_id else self._customer_message_id(),
            in_reply_to=in_reply_to,
            references=references,
            cc=cc,
            html=html,
            html_style=client,
            attachments=attachments,
            extra_headers=tuple(headers),
            received_from=customer.email.rpartition("@")[2],
            sender_display=customer.name or customer.email,
        )
        self.last = spec
        return spec

    def form_mail(self, when: datetime, text: str, form_sender: tuple[str, str]) -> MailSpec:
        """A message from the website's contact form: sent by a robot, replies go to the customer."""
        customer = self.customer
        self.subject = f"Contact form: {self.subject}"
        body = f"Name: {customer.name or '-'}\nEmail: {customer.email}\n\nMessage:\n{text}\n"
        spec = MailSpec(
            folder=INBOX,
            when=when,
            utc_offset_minutes=0,
            sender=form_sender,
            to=((BRAND, self.support_address),),
            subject=self.subject,
            body=body,
            render_seed=self.rng.getrandbits(48),
            message_id=f"form.{self.rng.getrandbits(64):016x}@{self.domain}"
            if self.rng.random() < 0.5
            else None,
            reply_to=(customer.name, customer.email),
            received_from=self.domain,
            sender_display=form_sender[0],
        )
        self.last = spec
        return spec

    def agent_mail(
        self,
        when: datetime,
        agent: Person,
        text: str,
        *,
        attachments: tuple[Attachment, ...] = (),
        html: bool = False,
    ) -> MailSpec:
        parent = self.last
        body = text if parent is None else text + self._quote(parent, "agent")
        spec = MailSpec(
            folder=SENT,
            when=when,
            utc_offset_minutes=0,
            sender=(agent.name, agent.email),
            to=((self.customer.name, self.customer.email),),
            subject=self.subject if parent is None else "Re: " + self.subject,
            body=body,
            render_seed=self.rng.getrandbits(48),
            message_id=f"{self.rng.getrandbits(64):016x}.{when:%Y%m%d%H%M%S}@{self.domain}",
            in_reply_to=parent.message_id if parent else None,
            references=parent.thread_ids() if parent else (),
            html="alternative" if html else "none",
            attachments=attachments,
            sender_display=agent.name,
        )
        self.last = spec
        return spec

    def auto_reply(self, when: datetime, text: str) -> MailSpec:
        """An out-of-office answer from the customer's side; it must not look like a real reply."""
        parent = self.last
        assert parent is not None, "an auto-reply answers something"
        prefix = "Automatische Antwort: " if self.customer.language == "de" else "Automatic reply: "
        return MailSpec(
            folder=INBOX,
            when=when,
            utc_offset_minutes=self.customer.utc_offset_minutes,
            sender=(self.customer.name, self.customer.email),
            to=((parent.sender[0], parent.sender[1]),),
            subject=prefix + parent.subject,
            body=text,
            render_seed=self.rng.getrandbits(48),
            message_id=self._customer_message_id(),
            in_reply_to=parent.message_id,
            extra_headers=(("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")),
            received_from=self.customer.email.rpartition("@")[2],
        )

    # -- what each client does -----------------------------------------------------

    def _reply_subject(self, client: str) -> str:
        if client == "outlook":
            return REPLY_PREFIX.get(self.customer.language, "RE: ") + self.subject
        return "Re: " + self.subject

    def _threading_for(self, client: str, parent: MailSpec | None) -> tuple[str | None, tuple[str, ...]]:
        """(In-Reply-To, References): full chain, In-Reply-To only, or neither."""
        if parent is None or parent.message_id is None:
            return None, ()
        if client in ("html_only", "legacy") or (client == "mobile" and self.rng.random() < 0.3):
            return None, ()  # only "Re: subject" ties it to the conversation
        if client == "outlook" or client == "mobile":
            return parent.message_id, ()
        return parent.message_id, parent.thread_ids()

    def _customer_message_id(self) -> str:
        domain = self.customer.email.rpartition("@")[2]
        token = self.rng.getrandbits(96)
        client = self.customer.client
        if client == "apple":
            text = f"{token:024X}"
            return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:]}@{domain}"
        if client == "outlook":
            return f"AM{token % 10**4:04d}PR{token:020x}@{domain}"
        return f"CA+{base64.urlsafe_b64encode(token.to_bytes(12, 'big')).decode('ascii')}@mail.{domain}"

    def _quote(self, parent: MailSpec, client: str) -> str:
        local = parent.when.astimezone(zone(self.customer.utc_offset_minutes if client != "agent" else 0))
        who = parent.sender_display or parent.sender[1]
        if client == "mobile":
            return ""  # phones top-post without quoting
        if client == "outlook":
            intro, frm, sent, to, subj = OUTLOOK_HEADERS.get(self.customer.language, OUTLOOK_HEADERS["en"])
            sent_text = outlook_date(local, self.customer.language)
            to_text = "; ".join(name or email for name, email in parent.to)
            return (
                f"\n\n{intro}\n{frm}: {who} <{parent.sender[1]}>\n{sent}: {sent_text}\n{to}: {to_text}\n"
                f"{subj}: {parent.subject}\n\n{parent.body}"
            )
        quoted = "\n".join("> " + line if line else ">" for line in parent.body.split("\n"))
        month = _SHORT_MONTHS[local.month - 1]
        stamp = f"{local.day} {month} {local.year}, at {local.hour:02d}:{local.minute:02d}"
        if client == "apple":
            return f"\n\n> On {stamp}, {who} <{parent.sender[1]}> wrote:\n> \n{quoted}"
        return f"\n\nOn {stamp}, {who} <{parent.sender[1]}> wrote:\n{quoted}"
