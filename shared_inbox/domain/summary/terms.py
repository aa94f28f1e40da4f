"""Key terms of a sentence: what a reply must talk about to answer a question.

Words are lower-cased, lose an English ending ("-s", "-ed", "-ing") and are cut to a short stem
("refunded" and "refund" meet, "ships" and "shipped"), common words of
English, German and French are dropped, and numbers are kept whole (an order number answered is
a question answered). Japanese has no spaces: runs of kanji or katakana give their two-character
pieces ("配送状況" gives "配送", "送状", "状況"), which is enough to see a reply speak of the same thing.
"""

from __future__ import annotations

import re

__all__ = ["key_terms"]

_STEM_CHARS = 5
_WORD = re.compile(r"(?:(?![\u3040-\u30ff\u4e00-\u9fff])[^\W\d_]){3,}|\d[\d-]{2,}", re.UNICODE)
_ENDING = re.compile(r"(?:ing|ed|(?<!s)s)$")
_DOUBLED = re.compile(r"([b-df-hj-np-tv-z])\1$")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff\u30a0-\u30ff]{2,}")
_STOP_WORDS = """
    the and for are but not you your yours with this that these those have has had was were will would
    could should can may might must shall what when where which who whom why how any some all there their
    they them then than too very just also into onto from about after before again still yet only our ours
    out off over under here been being does did doing done get got getting let know tell thanks thank
    please pls hello dear team support help update updates news anything something nothing everything
    one two three four five more most much many lot lots way ways thing things make made sure like want
    every each need needed wanted able its yes now today tomorrow yesterday week weeks day days time
    hasn haven isn aren wasn weren don doesn didn won wouldn couldn shouldn
    der die das den dem des ein eine einen einem einer und oder aber nicht noch schon bitte danke mit
    von für auf aus bei nach über unter ich sie wir ihr ihre ihren ihnen mein meine meinen mir mich
    ist sind war waren wird werden kann können könnten habe haben hat gibt neuigkeiten wie was
    wann warum wer seit dass sehr auch nur mal hier heute morgen
    les des une est sont pas plus pour par avec dans sur que qui quoi quand comment pourquoi vous nous
    mon mes votre vos notre nos être avoir été fait faire merci bonjour encore toujours déjà aussi
    très bien avez pouvez pourriez nouvelles aujourd demain
    """
_STOP = frozenset(_STOP_WORDS.split())


def key_terms(text: str) -> frozenset[str]:
    """The stems and numbers ``text`` is about."""
    lowered = text.lower().replace("\u2019", "'")
    terms = {
        word if word[0].isdigit() else _stem(word) for word in _WORD.findall(lowered) if word not in _STOP
    }
    for run in _CJK_RUN.findall(text):
        terms.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(terms)


def _stem(word: str) -> str:
    bare = _ENDING.sub("", word) if len(word) > 4 else word
    bare = _DOUBLED.sub(r"\1", bare)
    return bare[:_STEM_CHARS]
