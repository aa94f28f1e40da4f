"""Which canned replies fit a customer's message, and which match what the agent types.

Ranking is TF-IDF cosine similarity between the customer's last message and each reply
(its name and tags count twice, they say what the reply is for), with a light suffix
stemmer so "refunds" meets "refund". It runs offline on the standard library. Replies
that score the same are ordered by how often the team sent them, then by name.

The picker's filter is a fuzzy subsequence match: "rfnd" finds "Refund: how to".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence

from shared_inbox.canned.library import CannedReply

__all__ = ["fuzzy_score", "filter_replies", "rank_replies", "stem", "terms"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "for", "from", "has", "have", "hi",
    "hello", "i", "if", "in", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "please",
    "so", "that", "the", "their", "there", "this", "to", "us", "was", "we", "were", "what", "when", "which",
    "will", "with", "you", "your",
})  # fmt: skip
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "ly", "s")
_TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}", re.DOTALL)
SCORE_DIGITS = 9  # scores equal to this many digits count as a tie


def stem(word: str) -> str:
    """A crude English stem: common suffixes cut, keeping at least three letters.

    Only needs to map a word's forms onto one key ("refunds", "refunded" -> "refund";
    "invoice", "invoices" -> "invoic"), never to produce a real word.
    """
    for suffix in _SUFFIXES:
        shortest = 4 if suffix == "ly" else 3  # "reply" is no adverb
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest and not word.endswith("ss"):
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    if len(word) > 4 and word[-1] in "ey":
        word = word[:-1]  # "invoice" meets "invoices", "delivery" meets "delivered"
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeious":
        word = word[:-1]  # "shipped" -> "shipp" -> "ship"
    return word


def terms(text: str) -> list[str]:
    """The stemmed words of ``text``, without stop words, template tags or numbers."""
    words = _WORD.findall(_TEMPLATE_TAG.sub(" ", text).casefold())
    return [stem(word) for word in words if word not in _STOP_WORDS and not word.isdigit() and len(word) > 1]


def _reply_terms(reply: CannedReply) -> list[str]:
    labels = terms(reply.name + " " + " ".join(reply.tags))
    return labels + labels + terms(reply.body)


def _vector(counts: Counter[str], idf: Mapping[str, float]) -> dict[str, float]:
    vector = {term: (1 + math.log(count)) * idf.get(term, 0.0) for term, count in counts.items()}
    norm = math.sqrt(sum(weight * weight for weight in vector.values()))
    return {term: weight / norm for term, weight in vector.items()} if norm else {}


def rank_replies(
    message: str, replies: Sequence[CannedReply], usage: Mapping[str, int] | None = None
) -> list[tuple[CannedReply, float]]:
    """Every reply with its similarity to ``message`` (0 to 1), best first."""
    usage = usage or {}
    documents = [Counter(_reply_terms(reply)) for reply in replies]
    total = len(documents) + 1  # the message is a document too, so idf never divides by zero
    frequency: Counter[str] = Counter()
    for counts in documents:
        frequency.update(counts.keys())
    idf = {term: math.log((1 + total) / (1 + seen)) + 1 for term, seen in frequency.items()}
    query = _vector(Counter(terms(message)), idf)
    scored = []
    for reply, counts in zip(replies, documents, strict=True):
        vector = _vector(counts, idf)
        score = sum(weight * vector.get(term, 0.0) for term, weight in query.items())
        scored.append((reply, round(score, SCORE_DIGITS)))
    scored.sort(key=lambda pair: (-pair[1], -usage.get(pair[0].id, 0), pair[0].name.casefold(), pair[0].id))
    return scored


def fuzzy_score(typed: str, text: str) -> float | None:
    """How well ``typed`` matches ``text`` as a subsequence (higher is better); None when it does not.

    Consecutive letters and letters at word starts score more, so "rh" prefers
    "Refund: how to" over "Order shipped".
    """
    needle = "".join(typed.casefold().split())
    haystack = text.casefold()
    if not needle:
        return 0.0
    score, at, previous = 0.0, 0, -2
    for char in needle:
        found = haystack.find(char, at)
        if found < 0:
            return None
        score += 1.0
        if found == previous + 1:
            score += 2.0
        if found == 0 or not haystack[found - 1].isalnum():
            score += 1.5
        previous, at = found, found + 1
    return score / (1 + len(haystack) / 200)


def filter_replies(
    typed: str, ranked: Sequence[CannedReply], usage: Mapping[str, int] | None = None
) -> list[CannedReply]:
    """The replies matching ``typed`` in their name, tags or text, best match first.

    With nothing typed, ``ranked`` is returned as it is. A match in the name beats one in
    the tags, which beats one in the text.
    """
    if not typed.strip():
        return list(ranked)
    usage = usage or {}
    matches = []
    for position, reply in enumerate(ranked):
        fields = ((reply.name, 3.0), (" ".join(reply.tags), 2.0), (reply.body, 1.0))
        found = [(fuzzy_score(typed, text), weight) for text, weight in fields]
        scores = [score * weight for score, weight in found if score is not None]
        if scores:
            matches.append((max(scores), usage.get(reply.id, 0), -position, reply))
    matches.sort(key=lambda match: (match[0], match[1], match[2]), reverse=True)
    return [match[3] for match in matches]
