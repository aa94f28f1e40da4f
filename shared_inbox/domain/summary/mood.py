"""The customer's mood, from a small lexicon whose hits are shown, so a reader can judge it.

The latest customer message with any signal decides: it says how the customer feels now. Each
phrase found counts one; the side with more hits wins and a tie is neutral. "!!" and words in
capitals ("STILL") count as frustration. Greetings and sign-offs are cut first, so "Thanks,"
above a name is not happiness. Languages without an entry (Japanese has a few) read as neutral.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared_inbox.domain.model import MessageKind
from shared_inbox.domain.summary.model import Mood, MoodLabel, ThreadMessage
from shared_inbox.domain.summary.sentences import body_paragraphs

__all__ = ["find_mood", "mood_of"]

_FRUSTRATED = (
    r"still\s+(?:not|no|nothing|hasn't|haven't|waiting|broken|the\s+same)|again|urgent(?:ly)?|asap"
    r"|unacceptable|ridiculous|frustrat\w*|disappoint\w*|annoy\w*|angry|furious|terrible|awful|worst"
    r"|useless|nothing\s+yet|no\s+(?:reply|answer|response)|how\s+long|waste\s+of|fed\s+up|sick\s+of"
    r"|cancel\s+my|chargeback|complain\w*|poor\s+service|getting\s+urgent"
    r"|leider|immer\s+noch|noch\s+(?:kein|nicht)|ärgerlich|enttäuscht|dringend|inakzeptabel|unverschämt"
    r"|toujours\s+pas|toujours\s+rien|inacceptable|déçue?|urgent|énervée?|scandaleux|rien\s+reçu"
)
_FRUSTRATED_JA = "まだ届いていません|まだ確認できません|困って|至急|残念"
_HAPPY = (
    r"thanks\s+(?:so|very)\s+much|thank\s+you\s+(?:so|very)\s+much|thanks\s+for\s+(?:your|the)\s+help"
    r"|great|perfect|awesome|excellent|wonderful|brilliant|amazing|love\s+it|much\s+appreciated"
    r"|works\s+(?:now|again|fine|perfectly)|problem\s+solved|finally\s+arrived|all\s+good|happy"
    r"|thanks!|thank\s+you!|that\s+worked|it\s+worked|i'm\s+in|sorted"
    r"|vielen\s+dank|danke\s+schön|perfekt|super|wunderbar|toll|passt"
    r"|merci\s+beaucoup|parfait|génial|formidable|c'est\s+réglé|bien\s+reçu"
)
_HAPPY_JA = "ありがとうございました|ありがとうございます|助かりました|無事に届きました"
# Japanese has no spaces between words, so its phrases match anywhere.
_FRUSTRATED_RE = re.compile(
    rf"(?<!\w)(?:{_FRUSTRATED})(?!\w)|{_FRUSTRATED_JA}|!!+|(?-i:\b[A-Z]{{4,}}\b)", re.IGNORECASE
)
_HAPPY_RE = re.compile(rf"(?<!\w)(?:{_HAPPY})(?!\w)|{_HAPPY_JA}", re.IGNORECASE)
_SHOUTING = re.compile(r"\b[A-Z]{4,}\b")
_NOT_SHOUTING = frozenset({"HTML", "JSON", "HTTP", "HTTPS", "IMAP", "SMTP", "UUID"})


def mood_of(text: str) -> Mood:
    """The mood of one message's body, with the phrases that decided it."""
    body = "\n\n".join(body_paragraphs(text))
    frustrated = [m.group() for m in _FRUSTRATED_RE.finditer(body) if _counts(m.group())]
    happy = [m.group() for m in _HAPPY_RE.finditer(body)]
    if len(frustrated) > len(happy):
        return Mood(MoodLabel.FRUSTRATED, tuple(dict.fromkeys(frustrated)))
    if len(happy) > len(frustrated):
        return Mood(MoodLabel.HAPPY, tuple(dict.fromkeys(happy)))
    return Mood(MoodLabel.NEUTRAL, tuple(dict.fromkeys(frustrated + happy)))


def find_mood(messages: Sequence[ThreadMessage]) -> Mood:
    """The mood of the latest customer message that shows one; neutral when none does."""
    customer = [m for m in sorted(messages, key=lambda m: m.when) if m.kind is MessageKind.CUSTOMER]
    for message in reversed(customer):
        mood = mood_of(message.text)
        if mood.words:
            return mood
    return Mood(MoodLabel.NEUTRAL)


def _counts(hit: str) -> bool:
    """Capitals count only as shouting, not as an acronym or a case-blind match of a lexicon word."""
    return not _SHOUTING.fullmatch(hit) or hit not in _NOT_SHOUTING
