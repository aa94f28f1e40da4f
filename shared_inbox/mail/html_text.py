"""Render an HTML mail body as plain text a person can read in a terminal.

Parsing is lxml's HTML parser (libxml2: fast, forgiving, never touches the network) and the
layout is inscriptis (blocks, lists, ``<pre>``, CSS ``display: none``), so nothing here strips
tags by hand. Table rows become lines (see ``_CSS``). Before layout, the tree is adjusted for mail:

* every link shows its real target after its text, ``text [https://real.example/path]``, so
  a link that *says* one address but *goes* to another is visible;
* scripts, styles, templates and elements marked ``hidden`` are dropped with their content;
* images show their alt text as ``[image: alt]``; tracking pixels without one vanish;
* ``<blockquote>`` lines get ``> `` prefixes, the way plain-text mail marks quotes, so the
  quote folding in :mod:`shared_inbox.mail.quotes` works on HTML mail too.

The result goes through :func:`~shared_inbox.mail.sanitize.clean_text`; markup-like text such
as ``[b]`` stays literal text.
"""

from __future__ import annotations

import copy
import heapq
import logging
import re
import threading
from collections.abc import Iterable

import lxml.etree
import lxml.html
from inscriptis import Inscriptis
from inscriptis.annotation import Annotation
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.html_properties import Display
from inscriptis.model.config import ParserConfig
from inscriptis.model.html_document_state import HtmlDocumentState
from inscriptis.model.html_element import HtmlElement
from inscriptis.model.tag import CustomHtmlTagHandlerMapping

from shared_inbox.mail.sanitize import clean_line, clean_text, has_forbidden

__all__ = ["MAX_LINK_CHARS", "html_to_text"]

_log = logging.getLogger(__name__)

MAX_LINK_CHARS = 500  # a longer link target is cut, with an ellipsis, where it is shown
_QUOTE_LABEL = "quote"
_DROPPED_TAGS = ("script", "style", "template", "head", "title", "noembed", "noframes")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_BLANK_RUNS = re.compile(r"\n{3,}")


def _cell_end(state: HtmlDocumentState) -> None:
    state.tags[-1].write(" ")  # keeps the words of neighbouring cells apart


def _ignore_start(state: HtmlDocumentState, attrs: dict[str, str]) -> None:
    """Table tags get no column layout: see _CSS."""


def _ignore_end(state: HtmlDocumentState) -> None:
    """Table tags get no column layout: see _CSS."""


# Tables in mail are mostly page layout, not data, and inscriptis' column layout costs about
# 0.1 ms per cell, so a table-built newsletter took longer to render than everything else
# put together. Rows become lines and cells run on within them, like simple browsers show them.
_CSS = {
    **CSS_PROFILES["strict"],
    "table": HtmlElement(display=Display.block),
    "tr": HtmlElement(display=Display.block),
    "caption": HtmlElement(display=Display.block),
    "td": HtmlElement(display=Display.inline),
    "th": HtmlElement(display=Display.inline),
}
_FLAT_TABLES = CustomHtmlTagHandlerMapping(
    start_tag_mapping=dict.fromkeys(("table", "tr", "td", "th"), _ignore_start),
    end_tag_mapping={"table": _ignore_end, "td": _cell_end, "th": _cell_end},
)


class _PerThread(threading.local):
    """One lxml parser and one inscriptis configuration for each thread.

    lxml parsers must not be shared between threads, and inscriptis writes into its
    configuration's CSS while it lays out a document.
    """

    def __init__(self) -> None:
        # The text is already decoded, so the parser is told the encoding instead of guessing
        # it from a <meta> tag; no network access; comments and processing instructions go.
        self.parser = lxml.html.HTMLParser(
            encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True, recover=True
        )
        self.config = ParserConfig(
            css=copy.deepcopy(_CSS),
            annotation_rules={"blockquote": [_QUOTE_LABEL]},
            custom_html_tag_handler_mapping=_FLAT_TABLES,
        )


_PER_THREAD = _PerThread()


def html_to_text(html: str) -> str:
    """Readable, sanitized text for an HTML document or fragment. Never raises."""
    # Controls and bidi characters go before parsing too: lxml refuses to store text that
    # contains them, and the tree is edited below. Character references come back later.
    html = _XML_DECLARATION.sub("", clean_text(html), count=1)
    if not html.strip():
        return ""
    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=_PER_THREAD.parser)
    except (lxml.etree.ParserError, ValueError):
        return ""
    try:
        _prepare(tree)
        engine = Inscriptis(tree, _PER_THREAD.config)
        text = _mark_quotes(engine.get_text(), engine.get_annotations())
    except (RecursionError, ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        # A layout failure must not hide the mail: fall back to the document's text in order.
        _log.warning("HTML layout failed (%s); showing the text without layout", type(exc).__name__)
        text = "\n".join(part.strip() for part in tree.itertext())
    return _tidy(clean_text(text.replace("\xa0", " ")))


def _prepare(tree: lxml.html.HtmlElement) -> None:
    """Adjust the parsed tree for mail reading (see the module docstring)."""
    hidden = []
    for element in tree.iter():
        # Character references such as &#27; put controls into the tree, and lxml refuses
        # to store such text again when the tree is edited below.
        if element.text and has_forbidden(element.text):
            element.text = clean_text(element.text)
        if element.tail and has_forbidden(element.tail):
            element.tail = clean_text(element.tail)
        if element.tag in _DROPPED_TAGS or element.get("hidden") is not None:
            hidden.append(element)
    for element in hidden:
        _drop_with_content(element)
    for image in list(tree.iter("img")):
        alt = clean_line(image.get("alt") or "")
        _replace_with_text(image, f"[image: {alt}]" if alt else "")
    for anchor in tree.iter("a"):
        target = _shown_target(anchor.get("href"), anchor.text_content())
        if target:
            _append_text(anchor, f" [{target}]")


def _shown_target(href: str | None, label: str) -> str | None:
    """The link target to show, or ``None`` when it adds nothing (same as the text, in-page)."""
    target = clean_line(href or "")
    if not target or target.startswith("#"):
        return None
    if _comparable(target) == _comparable(label):
        return None
    if len(target) > MAX_LINK_CHARS:
        target = target[: MAX_LINK_CHARS - 1] + "…"
    return target


def _comparable(value: str) -> str:
    value = clean_line(value).lower()
    value = value.removeprefix("mailto:")
    return value.rstrip("/")


def _drop_with_content(element: lxml.html.HtmlElement) -> None:
    if element.getparent() is not None:
        element.drop_tree()  # keeps the element's tail text


def _replace_with_text(element: lxml.html.HtmlElement, text: str) -> None:
    if element.getparent() is not None:
        element.tail = text + (element.tail or "")
        element.drop_tree()


def _append_text(element: lxml.html.HtmlElement, text: str) -> None:
    """Add text at the end of an element's content, after any child elements."""
    children = list(element)
    if children:
        children[-1].tail = (children[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def _mark_quotes(text: str, annotations: Iterable[Annotation]) -> str:
    """Prefix each line inside a ``<blockquote>`` with one ``>`` per quoting level.

    One sweep over lines and spans, so thousands of sibling quotes cost no more than one.
    """
    spans = sorted((a.start, a.end) for a in annotations if a.metadata == _QUOTE_LABEL and a.end > a.start)
    if not spans:
        return text
    lines = []
    open_ends: list[int] = []  # a heap of the ends of the quotes that started before this line
    next_span = 0
    offset = 0
    for line in text.split("\n"):
        line_end = offset + len(line)
        reach = max(line_end, offset + 1)  # an empty line is inside a quote that covers its position
        while next_span < len(spans) and spans[next_span][0] < reach:
            heapq.heappush(open_ends, spans[next_span][1])
            next_span += 1
        while open_ends and open_ends[0] <= offset:
            heapq.heappop(open_ends)
        if open_ends:
            stripped = line.strip()
            line = ">" * len(open_ends) + (" " + stripped if stripped else "")
        lines.append(line)
        offset = line_end + 1
    return "\n".join(lines)


def _tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, no blank lines at either end."""
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")
