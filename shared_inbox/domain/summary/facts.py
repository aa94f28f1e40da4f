"""Facts a conversation carries: order numbers, invoice ids, tracking numbers, amounts, dates, files.

Plain patterns over the own words of every message (never quoted text), in English, German,
French and Japanese forms; each fact once, in the order it first appears.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared_inbox.domain.summary.model import Fact, FactKind, ThreadMessage

__all__ = ["find_facts", "facts_in"]

MAX_FACTS = 40
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|mai|juni|juli|oktober|dezember"
    r"|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre)"
)
_PATTERNS: tuple[tuple[FactKind, re.Pattern[str]], ...] = (
    (FactKind.INVOICE, re.compile(r"\b(INV-\d{4}-\d{3,8})\b|\b(?:invoice|rechnung|facture)\s*(?:no\.?|nr\.?"
                                  r"|n°|number|#)?\s*:?\s*#?([A-Z]{0,4}-?\d[\d-]{3,15})\b", re.IGNORECASE)),
    (FactKind.ORDER, re.compile(r"(?:\border|\bbestellung|\bcommande|注文番号)\s*(?:number|nummer|nr\.?|no\.?"
                                r"|n°|is|:|#|\(|\s)*#?(\d{4,12})\b|(?<![\w#])#(\d{4,12})\b", re.IGNORECASE)),
    (FactKind.TRACKING, re.compile(r"\b(1Z[0-9A-Z]{10,16})\b")),
    (FactKind.AMOUNT, re.compile(r"((?:[$€£¥]|USD|EUR|GBP|CHF)\s?\d{1,7}(?:[.,]\d{3})*(?:[.,]\d{1,2})?"
                                 r"|\d{1,7}(?:[.,]\d{3})*(?:[.,]\d{1,2})?\s?(?:€|EUR|USD|GBP|CHF|円|\$))")),
    (FactKind.DATE, re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4}|\d{1,2}\.?\s" + _MONTHS
                               + r"(?:\s\d{4})?|" + _MONTHS + r"\s\d{1,2}(?:st|nd|rd|th)?(?:,?\s\d{4})?)\b"
                               + r"|(\d{1,2}月\d{1,2}日)", re.IGNORECASE)),
)  # fmt: skip


def facts_in(text: str) -> list[Fact]:
    """The facts in one text, in the order they appear (a number read as an invoice is not an order)."""
    found: list[tuple[int, Fact]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            group = next(g for g in range(1, (match.lastindex or 0) + 1) if match.group(g))
            start, end = match.span(group)
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append((start, Fact(kind, " ".join(match.group(group).split()))))
    return [fact for _, fact in sorted(found, key=lambda item: item[0])]


def find_facts(messages: Sequence[ThreadMessage]) -> list[Fact]:
    """Every fact of the conversation's messages and their attachments, each once."""
    seen: set[Fact] = set()
    facts: list[Fact] = []
    for message in sorted(messages, key=lambda m: m.when):
        for fact in [*facts_in(message.text), *(Fact(FactKind.ATTACHMENT, n) for n in message.attachments)]:
            if fact not in seen and len(facts) < MAX_FACTS:
                seen.add(fact)
                facts.append(fact)
    return facts
