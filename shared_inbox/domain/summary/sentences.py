"""Cutting a message's own words into sentences, without its greeting and sign-off.

Contact-form fields ("Name: Anna", "Message:"), greetings ("Hi Anna,", "Guten Tag,", "Bonjour à
l'équipe,", "お世話になっております。") and sign-offs ("Thanks,\\nAnna", "Mit freundlichen Grüßen",
"Cordialement,") carry nothing a reader of a summary needs. Sentences end at ".", "!", "?"
followed by a space, at the Japanese "。", "！" and "？", and at paragraph breaks; lines inside a
paragraph are joined.
"""

from __future__ import annotations

import re

__all__ = ["body_paragraphs", "first_line", "is_pleasantry", "sentences"]

MAX_SENTENCE_CHARS = 400
_GREETING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|greetings|hallo|servus|moin"
    r"|guten\s+(?:tag|morgen|abend)|sehr\s+geehrte[rs]?|liebe[rs]?|bonjour|bonsoir|salut|madame|monsieur"
    r"|cher|chère)\b[^\n.!?]{0,60}[,!:]?|thanks\s+for\s+(?:reaching\s+out|getting\s+back\s+to\s+us"
    r"|your\s+(?:message|patience|email))[.!]?|お世話になっております。?|こんにちは。?|\S{1,20}様)\s*$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^\s*(?:thanks|thank\s+you|many\s+thanks|thx|best|best\s+regards|kind\s+regards|regards|cheers"
    r"|sincerely|yours|warm\s+regards|all\s+the\s+best|viele\s+grüße|mit\s+freundlichen\s+grüßen"
    r"|beste\s+grüße|liebe\s+grüße|danke\s+und\s+grüße|grüße|lg|mfg|cordialement|bien\s+à\s+vous"
    r"|merci\s+d'avance|bien\s+cordialement|salutations|amicalement|よろしくお願いいたします。?"
    r"|何卒よろしくお願いいたします。?|よろしくお願いします。?)[\s,.!]*$",
    re.IGNORECASE,
)
_PLEASANTRY = re.compile(
    r"^\s*let\s+me\s+know\s+if\s+there\s+is\s+anything\s+else\s+i\s+can\s+do\.?\s*$", re.IGNORECASE
)
# The fields a contact form puts above the message: "Name: Anna", "Email: a@b.example", "Message:".
_FORM_FIELD = re.compile(
    r"^\s*(?:name|e-?mail|phone|telephone|company|subject|message|nachricht|nom|téléphone)\s*:", re.IGNORECASE
)
_SHORT_EXCLAMATION = re.compile(r"^(?:\S+\s+){0,3}\S+!$")
_COURTESY = re.compile(
    r"^(?:thanks|thank\s+you|many\s+thanks|sorry|apologies|my\s+apologies|vielen\s+dank|danke|merci"
    r"|désolée?|toutes\s+nos\s+excuses)\b(?:\s+\S+){0,4}[.!]?$"
    r"|^(?:お問い合わせ|ご連絡)ありがとうございます。$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？])")
_MAX_NAME_WORDS = 4


def body_paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text`` between its greeting and its sign-off, lines joined."""
    paragraphs = [_lines(block) for block in re.split(r"\n[ \t]*\n", text.replace("\r", ""))]
    paragraphs = [lines for lines in paragraphs if lines]
    if paragraphs:
        first = paragraphs[0]
        while first and (_GREETING.match(first[0]) or _FORM_FIELD.match(first[0])):
            first.pop(0)
    kept: list[list[str]] = [lines for lines in paragraphs if lines]
    for index, lines in enumerate(kept):
        if _SIGN_OFF.match(lines[0]) and index > 0:
            kept = kept[:index]
            break
    else:
        if len(kept) > 1 and _looks_like_name(kept[-1]):
            kept = kept[:-1]
    kept = [lines for lines in kept if not (len(lines) == 1 and _PLEASANTRY.match(lines[0]))]
    return [" ".join(lines) for lines in kept]


def sentences(text: str) -> list[str]:
    """The sentences of ``text``'s body, whitespace collapsed, in order."""
    found: list[str] = []
    for paragraph in body_paragraphs(text):
        for piece in _SENTENCE_END.split(paragraph):
            piece = " ".join(piece.split())
            if piece and not _GREETING.match(piece):
                found.append(piece[:MAX_SENTENCE_CHARS])
    return found


def first_line(text: str, limit: int = 90) -> str:
    """The first sentence of the body that says something, cut to ``limit`` characters.

    Thanks and apologies ("Sorry about that!", "Thanks Sam.") give way to the sentence after them.
    """
    found = sentences(text)
    line = next((sentence for sentence in found if not is_pleasantry(sentence)), found[0] if found else "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def is_pleasantry(sentence: str) -> bool:
    """A short exclamation, thanks or apology: "Love the product!", "Thanks Sam.", "Sorry about that!"."""
    return bool(_SHORT_EXCLAMATION.match(sentence) or _COURTESY.match(sentence))


def _lines(block: str) -> list[str]:
    return [line.strip() for line in block.split("\n") if line.strip()]


def _looks_like_name(lines: list[str]) -> bool:
    """A last paragraph that is only a name or a name and a company: "Anna", "Bob\\nAcme"."""
    return len(lines) <= 2 and all(
        len(line.split()) <= _MAX_NAME_WORDS and not re.search(r"[.!?。？！,:;]$", line) for line in lines
    )
