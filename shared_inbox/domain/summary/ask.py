"""The ask: what the customer wants, read from their first message.

Extractive and short, two sentences at most: the sentence that sets the scene (the first one that
is more than a pleasantry like "Love the product!") and the first sentence that asks for something
(a question, "please", "I need", "können Sie", "pourriez-vous", "お願い"). When the scene is itself
a request, the next request joins it ("Do you ship to Canada? And how long does it take?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared_inbox.domain.model import MessageKind
from shared_inbox.domain.summary.model import ThreadMessage
from shared_inbox.domain.summary.sentences import is_pleasantry, sentences

__all__ = ["ask_sentences", "find_ask", "is_request"]

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


def ask_sentences(messages: Sequence[ThreadMessage]) -> list[str]:
    """The sentences of the ask, from the conversation's first customer message."""
    first = next((m for m in messages if m.kind is MessageKind.CUSTOMER and m.text.strip()), None)
    found = sentences(first.text) if first is not None else []
    if not found:
        return []
    scene = next((index for index, sentence in enumerate(found) if not is_pleasantry(sentence)), 0)
    requests = [sentence for sentence in found[scene + 1 :] if is_request(sentence)]
    return [found[scene], *requests[:1]]


def find_ask(messages: Sequence[ThreadMessage]) -> str:
    """The ask as one line; "" when the customer has not written (yet)."""
    ask = " ".join(ask_sentences(messages))
    return ask if len(ask) <= MAX_ASK_CHARS else ask[: MAX_ASK_CHARS - 1].rstrip() + "\u2026"
