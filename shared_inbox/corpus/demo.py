"""A small, hand-written demo mailbox that reads like a real support team's week."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from shared_inbox.corpus.demo_english import ENGLISH_SCRIPT
from shared_inbox.corpus.demo_international import INTERNATIONAL_SCRIPT
from shared_inbox.corpus.demo_script import parse_script
from shared_inbox.corpus.people import agents
from shared_inbox.corpus.render import render
from shared_inbox.corpus.thread import MailSpec, ThreadWriter

_FORM_SENDER = ("Acme Website", "forms@{domain}")


def support_mail_demo(
    now: datetime, *, support_address: str = "support@example.com", domain: str = "example.com"
) -> list[tuple[str, bytes]]:
    """About 30 conversations dated in the days before `now`, as (folder, raw) oldest first.

    Several customers, two with the same "Order problem" subject, German, French and
    Japanese mail, HTML mail, attachments, a contact-form message, an out-of-office
    reply and a spam message. The same `now` always gives the same bytes.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    rng = random.Random(20260601)
    team = {agent.name.split(" ")[0]: agent for agent in agents(support_address)}
    specs: list[MailSpec] = []
    for conversation in parse_script(ENGLISH_SCRIPT) + parse_script(INTERNATIONAL_SCRIPT):
        writer = ThreadWriter(
            rng, conversation.customer, conversation.subject, support_address=support_address, domain=domain
        )
        for hours_ago, who, text, files in conversation.turns:
            when = now - timedelta(hours=hours_ago)
            if who == "customer":
                cc = conversation.cc if writer.last is None else ()
                specs.append(writer.customer_mail(when, text, attachments=files, cc=cc))
            elif who == "form":
                sender = (_FORM_SENDER[0], _FORM_SENDER[1].format(domain=domain))
                specs.append(writer.form_mail(when, text, sender))
            elif who == "auto":
                specs.append(writer.auto_reply(when, text))
            else:
                specs.append(writer.agent_mail(when, team[who], text, attachments=files))
    for serial, spec in enumerate(specs):
        spec.serial = serial
    specs.sort(key=lambda spec: (spec.when, spec.serial))
    return [(spec.folder, render(spec, f"mx.{domain}")) for spec in specs]
