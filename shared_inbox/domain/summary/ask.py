"""The ask: what the customer wants, read from their first message.

Extractive and short: the sentence that sets the scene (the first one) and the first sentence
that asks for something (a question, "please", "I need", "können Sie", "pourriez-vous", "お願い").
When the first sentence is itself the request, it is the whole ask.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared_inbox.domain.model import MessageKind
from shared_inbox.domain.summary.model import ThreadMessage
from shared_inbox.domain.summary.sentences import sentences

__all__ = ["find_ask", "is_request"]

MAX_ASK_CHARS = 400
_REQUEST = re.compile(
    r"[?？]\s*$|か。$"
    r"|\b(?:please|pls|can\s+you|could\s+you|would\s+you|will\s+you|can\s+i|could\s+i|how\s+(?:do|can)\s+i"
    r"|i\s+(?:need|want|would\s+like|'d\s+like|am\s+looking\s+for|request)|i'd\s+like|we\s+(?:need|want)"
    r"|is\s+there\s+a\s+way|bitte|können\s+sie|könnten\s+sie|ich\s+(?:möchte|brauche|hätte\s+gern)"
    r"|pouvez-vous|pourriez-vous|merci\s+de|je\s+(?:voudrais|souhaite|veux|souhaiterais)|j'aimerais)\b"
    r"|お願い|ください|いただけ",
    re.IGNORECASE,
)


def is_request(sentence: str) -> bool:
    return _REQUEST.search(sentence) is not None


def find_ask(messages: Sequence[ThreadMessage]) -> str:
    """The ask of the conversation's first customer message; "" when there is none."""
    first = next((m for m in messages if m.kind is MessageKind.CUSTOMER and m.text.strip()), None)
    if first is None:
        return ""
    found = sentences(first.text)
    if not found:
        return ""
    request = next((sentence for sentence in found if is_request(sentence)), None)
    chosen = [found[0]] if request is None or request == found[0] else [found[0], request]
    ask = " ".join(chosen)
    return ask if len(ask) <= MAX_ASK_CHARS else ask[: MAX_ASK_CHARS - 1].rstrip() + "\u2026"
