"""Deterministic generation of a realistic support mailbox of any size.

The same seed always gives the same bytes. About 30% of conversations are a single
message; the rest are threads of 2-8 messages alternating customer and agent (agent
replies are in Sent). The mix includes customers whose clients drop References or all
threading headers, HTML-only and multipart/alternative mail, PNG and PDF attachments,
encoded-word subjects in UTF-8, ISO-8859-1 and ISO-2022-JP, Outlook replies, the same
generic subject from different customers, contact-form mail with Reply-To, out-of-office
auto-replies, messages without Message-ID, and a few duplicate Message-IDs.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from shared_inbox.corpus.people import BRAND, Person, agents, display_first_name, make_customer
from shared_inbox.corpus.render import render
from shared_inbox.corpus.texts_en import (
    AGENT_CLOSINGS,
    AGENT_GREETINGS,
    BUGS,
    CUSTOMER_CLOSINGS,
    CUSTOMER_GREETINGS,
    EN_TOPICS,
    FEATURES,
    MOBILE_SIGNATURES,
    PRODUCTS,
    Topic,
)
from shared_inbox.corpus.texts_intl import DE_TOPICS, FR_TOPICS, GREETINGS, JA_TOPICS, short_date
from shared_inbox.corpus.thread import Attachment, MailSpec, ThreadWriter

WINDOW = timedelta(days=90)
_TOPICS = {"en": EN_TOPICS, "de": DE_TOPICS, "fr": FR_TOPICS, "ja": JA_TOPICS}
_THREAD_LENGTHS = (2, 3, 4, 5, 6, 7, 8)
_THREAD_WEIGHTS = (30, 22, 16, 12, 9, 6, 5)
_LATEST_START = timedelta(days=74)  # leaves room for the longest thread inside the window
_PNG_NAMES = (
    "screenshot.png",
    "image001.png",
    "IMG_{n}.png",
    "Screenshot {date} at 10.{n2}.png",
    "photo.png",
)
_PDF_NAMES = ("invoice-{invoice}.pdf", "receipt.pdf", "Rechnung_{last}.pdf", "facture n°{order}.pdf",
              "statement.pdf")  # fmt: skip
_HOSTILE_NAMES = ("../../../.bashrc", "..\\..\\Windows\\System32\\evil.bat", "/etc/passwd")
_OUT_OF_OFFICE = {
    "en": "Thank you for your message. I am out of the office until {date} with limited access to email.",
    "de": "Ich bin bis zum {date} nicht im Büro. Ihre Nachricht wird nicht weitergeleitet.",
}


def generate(
    count: int,
    seed: int = 0,
    *,
    start: datetime,
    support_address: str = "support@example.com",
    domain: str = "example.com",
) -> Iterator[tuple[str, bytes]]:
    """Yield `count` (folder, raw message) pairs, oldest first, dated within 90 days of `start`."""
    for folder, raw, _thread in generate_labelled(
        count, seed, start=start, support_address=support_address, domain=domain
    ):
        yield folder, raw


def generate_labelled(
    count: int,
    seed: int = 0,
    *,
    start: datetime,
    support_address: str = "support@example.com",
    domain: str = "example.com",
) -> Iterator[tuple[str, bytes, int]]:
    """As :func:`generate`, with the number of the conversation each message truly belongs to."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if count < 0:
        raise ValueError("count must not be negative")
    planner = _Planner(random.Random(seed), start, support_address, domain)
    specs = planner.plan(count)
    specs.sort(key=lambda spec: (spec.when, spec.serial))
    host = f"mx.{domain}"
    for spec in specs:
        yield spec.folder, render(spec, host), spec.thread


class _Planner:
    """Decides who writes what and when; rendering to bytes happens later, in date order."""

    def __init__(self, rng: random.Random, start: datetime, support_address: str, domain: str) -> None:
        self.rng = rng
        self.start = start
        self.support_address = support_address
        self.domain = domain
        self.team = agents(support_address)
        self.customers: list[Person] = []
        self.used_ids: list[str] = []
        self.serial = 0
        self.threads = 0

    def plan(self, count: int) -> list[MailSpec]:
        specs: list[MailSpec] = []
        while len(specs) < count:
            specs.extend(self._conversation()[: count - len(specs)])
        return specs

    def _conversation(self) -> list[MailSpec]:
        rng = self.rng
        customer = self._customer()
        topic = rng.choice(_TOPICS[customer.language])
        values = self._values(customer)
        writer = ThreadWriter(
            rng, customer, rng.choice(topic.subjects).format(**values),
            support_address=self.support_address, domain=self.domain,
        )  # fmt: skip
        length = 1 if rng.random() < 0.3 else rng.choices(_THREAD_LENGTHS, _THREAD_WEIGHTS)[0]
        agent = self._agent_for(customer)
        when = self.start + timedelta(seconds=rng.uniform(0, _LATEST_START.total_seconds()))
        specs: list[MailSpec] = []
        for position in range(length):
            if position % 2 == 0:
                specs.extend(self._customer_turn(writer, topic, values, when, first=position == 0))
            else:
                if rng.random() < 0.1:
                    agent = rng.choice(self.team)  # someone else on the team picks it up
                specs.append(self._agent_turn(writer, topic, values, agent, when))
                if rng.random() < 0.015:
                    auto = writer.auto_reply(
                        when + timedelta(minutes=1),
                        _OUT_OF_OFFICE.get(customer.language, _OUT_OF_OFFICE["en"]).format(**values),
                    )
                    specs.append(auto)
            gap_hours = rng.uniform(0.08, 30) if position % 2 == 0 else rng.uniform(0.15, 72)
            when += timedelta(hours=gap_hours)
        self.threads += 1
        for spec in specs:
            spec.serial = self.serial
            spec.thread = self.threads
            self.serial += 1
            if spec.message_id and spec.folder == "INBOX":
                self.used_ids.append(spec.message_id)
        return specs

    def _customer(self) -> Person:
        if self.customers and self.rng.random() < 0.2:
            return self.rng.choice(self.customers)  # a returning customer
        customer = make_customer(self.rng)
        self.customers.append(customer)
        return customer

    def _agent_for(self, customer: Person) -> Person:
        if customer.language == "ja":
            return next(a for a in self.team if a.name.startswith("Aiko"))
        return self.rng.choice(self.team)

    def _values(self, customer: Person) -> dict[str, str]:
        rng = self.rng
        day = self.start + timedelta(days=rng.randint(0, 89))
        euro = customer.language in ("de", "fr")
        amount = rng.choice((19, 29, 49, 99, 149, 249)) + rng.choice((0, 0.5, 0.99))
        last = customer.name.split(" ")[-1] if customer.name and customer.language != "ja" else "Müller"
        return {
            "order": str(rng.randint(10000, 999999)),
            "invoice": f"INV-{day.year}-{rng.randint(1, 99999):05d}",
            "product": rng.choice(PRODUCTS),
            "amount": f"{amount:.2f} €".replace(".", ",") if euro else f"${amount:.2f}",
            "tracking": f"1Z{rng.getrandbits(40):010X}",
            "feature": rng.choice(FEATURES),
            "bug": rng.choice(BUGS),
            "date": short_date(day, customer.language),
            "last": last,
            "n": f"{rng.randint(1000, 9999)}",
            "n2": f"{rng.randint(10, 59)}",
        }

    def _customer_turn(
        self, writer: ThreadWriter, topic: Topic, values: dict[str, str], when: datetime, *, first: bool
    ) -> list[MailSpec]:
        rng, customer = self.rng, writer.customer
        core = rng.choice(topic.openings if first else topic.followups).format(**values)
        text = self._customer_text(customer, core, first=first)
        files: tuple[Attachment, ...] = ()
        if topic.attachment and rng.random() < (0.3 if first else 0.12):
            files = (self._attachment(topic.attachment, values),)
        elif rng.random() < 0.02:
            files = (self._attachment("png", values),)
        if first and rng.random() < 0.04:
            return [writer.form_mail(when, core, ("Acme Website", f"forms@{self.domain}"))]
        cc: tuple[tuple[str, str], ...] = ()
        if first and rng.random() < 0.05:
            cc = (("", f"office@{customer.email.rpartition('@')[2]}"),)
        drop_id = rng.random() < (0.1 if customer.client == "legacy" else 0.005)
        spec = writer.customer_mail(when, text, attachments=files, cc=cc, drop_message_id=drop_id)
        if first and self.used_ids and rng.random() < 0.002:
            spec.message_id = rng.choice(self.used_ids)  # a broken mailer reusing an old id
        if rng.random() < 0.003:
            # The very same message delivered twice (sent to two aliases of the support address).
            return [spec, replace(spec)]
        return [spec]

    def _customer_text(self, customer: Person, core: str, *, first: bool) -> str:
        rng = self.rng
        own_name = customer.name.split(" ")[0] if customer.name else customer.email.split("@")[0]
        names = {"first": own_name, "name": customer.name or own_name}
        greetings: tuple[str, ...]
        closings: tuple[str, ...]
        if customer.language == "en":
            greetings, closings = CUSTOMER_GREETINGS, CUSTOMER_CLOSINGS
        else:
            greetings, closings, _, _ = GREETINGS[customer.language]
        parts = []
        greeting = rng.choice(greetings) if first or rng.random() < 0.4 else ""
        if greeting:
            parts.append(greeting)
        # Non-English openings continue the greeting in lower case ("Hallo,\n\nich habe...").
        parts.append(core if greeting else core[:1].upper() + core[1:])
        parts.append(rng.choice(closings).format(**names))
        if customer.client == "mobile":
            parts.append(rng.choice(MOBILE_SIGNATURES))
        return "\n\n".join(parts)

    def _agent_turn(
        self, writer: ThreadWriter, topic: Topic, values: dict[str, str], agent: Person, when: datetime
    ) -> MailSpec:
        rng, customer = self.rng, writer.customer
        names = {
            "first": display_first_name(customer),
            "name": customer.name or customer.email,
            "agent": agent.name.split(" via ")[0],
            "brand": BRAND,
        }
        if customer.language == "en":
            greeting, closing = rng.choice(AGENT_GREETINGS), rng.choice(AGENT_CLOSINGS)
        else:
            _, _, greetings, closings = GREETINGS[customer.language]
            greeting, closing = rng.choice(greetings), rng.choice(closings)
        answer = rng.choice(topic.answers).format(**values)
        text = f"{greeting.format(**names)}\n\n{answer}\n\n{closing.format(**names)}"
        files: tuple[Attachment, ...] = ()
        if topic.attachment == "pdf" and rng.random() < 0.25:
            files = (self._attachment("pdf", values),)
        return writer.agent_mail(when, agent, text, attachments=files, html=rng.random() < 0.2)

    def _attachment(self, kind: str, values: dict[str, str]) -> Attachment:
        rng = self.rng
        if rng.random() < 0.002:
            name = rng.choice(_HOSTILE_NAMES)  # mail content is hostile; file names too
        else:
            template = rng.choice(_PNG_NAMES if kind == "png" else _PDF_NAMES)
            name = template.format(**(values | {"date": f"{self.start:%Y-%m}-{rng.randint(10, 28)}"}))
        return Attachment(kind, name, title=f"Invoice {values['invoice']}" if kind == "pdf" else "")
