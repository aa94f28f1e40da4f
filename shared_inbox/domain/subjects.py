"""Subject normalization for the optional subject-based threading fallback.

Mail clients prefix replies and forwards in many languages and mailing lists add
``[tags]``; two subjects mean "the same thread" only after all of that is removed.
"""

from __future__ import annotations

import functools
import re

# A run of reply/forward prefixes and [tags], e.g. "RE: [Acme] AW: Fwd:" or "Re[2]:".
_PREFIXES = re.compile(
    r"""(?:\s*(?:
        \[[^\]]*\]                                   # [list-tag] or [EXTERNAL]
      | (?:re|fwd?|aw|wg|sv|antw|tr|rif)             # Re Fwd Fw AW WG SV Antw TR RIF
        (?:\s*\[\d+\]|\s*\^\d+|\s*\(\d+\))?          # optional counter: Re[2]: Re^2: Re(2):
        \s*[:：]                                     # ASCII or full-width colon
    ))+""",
    re.IGNORECASE | re.VERBOSE,
)
_TRAILERS = re.compile(r"(?:\s*\((?:fwd|fw)\))+\s*$", re.IGNORECASE)


@functools.lru_cache(maxsize=16384)
def base_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, tags and case or spacing differences.

    ``"RE: [Acme]  Fwd: Order problem"`` and ``"order problem"`` give the same result.
    An empty result means the subject carries nothing to match on.
    """
    text = " ".join(subject.split())
    while True:
        stripped = _TRAILERS.sub("", _PREFIXES.sub("", text, count=1)).strip()
        if stripped == text:
            return text.casefold()
        text = stripped


# A reply prefix (not a forward) at the start, after any [tags]: "Re:", "RE :", "AW:", "SV:", "Re[2]:".
_REPLY_START = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)*(?:re|aw|sv|antw|rif)(?:\s*\[\d+\]|\s*\^\d+|\s*\(\d+\))?\s*[:：]",
    re.IGNORECASE,
)


def is_reply_subject(subject: str) -> bool:
    """Whether a subject says the message answers another ("Re: ...", "AW: ...", "RE : ...")."""
    return _REPLY_START.match(subject) is not None and bool(base_subject(subject))
