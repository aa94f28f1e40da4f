"""Commitments without a deadline, in English, German, French and Japanese.

:func:`shared_inbox.domain.promises.detect_promises` only proposes promises that name a time
("by Friday"), in English, because it sets due times. A summary should also show what an agent
said would still happen ("the difference will be credited to your next invoice", "Ihr Paket
wird morgen zugestellt", "le remboursement est en cours", "明日お届け予定です"). These patterns
find such sentences; questions and negated sentences are not commitments.
"""

from __future__ import annotations

import re

from shared_inbox.domain.summary.sentences import sentences

__all__ = ["commitments"]

_COMMITS = re.compile(
    r"\b(?:will|'ll|shall)\s+(?:be\s+)?(?:sent|shipped|credited|refunded|issued|delivered|fixed|released"
    r"|replaced|processed|follow|arrive|ship|send|refund|credit|email|call|get\s+back|update|let\s+you\s+know)\b"
    r"|\byou(?:'ll|\s+will|\s+should)\s+(?:see|receive|get|have|hear)\b"
    r"|\b(?:ships?|goes\s+out|leaves)\s+(?:today|tomorrow|on\s+\w+day)\b"
    r"|\b(?:wird|werden)\b[^.?!]*\b(?:zugestellt|geliefert|verschickt|versendet|erstattet|überwiesen"
    r"|gutgeschrieben|bearbeitet|repariert|behoben|melden)\b"
    r"|\b(?:sera|seront|partira|arrivera|recevrez|rembourserons|enverrons)\b"
    r"|\bpart\s+aujourd'hui\b|\best\s+en\s+cours\b"
    r"|予定です|いたします。?$|させていただきます",
    re.IGNORECASE,
)
_NEGATED = re.compile(
    r"\b(?:not|never|cannot|can't|won't|unable|nicht|kein|keine|pas|jamais)\b|n't\b|できません", re.IGNORECASE
)
_GREETING_ONLY = re.compile(r"^(?:何卒)?よろしくお願いいたします。?$")


def commitments(text: str) -> list[str]:
    """The sentences of an agent's reply that commit the team to something still to come."""
    return [
        sentence
        for sentence in sentences(text.replace("\u2019", "'"))
        if _COMMITS.search(sentence)
        and not _NEGATED.search(sentence)
        and not sentence.rstrip().endswith(("?", "？"))
        and not _GREETING_ONLY.match(sentence)
    ]
