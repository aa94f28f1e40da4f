"""The reply tree of one conversation, for display.

This is the REFERENCES algorithm of RFC 5256 (Jamie Zawinski's threading) minus
its subject-grouping step: conversations are already grouped. Headers of mail
from the outside world can claim anything, including cycles and a message being
its own parent, so every link is checked first and a link that would close a
loop is skipped. Deep chains are walked iteratively, never recursively.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from shared_inbox.domain.model import MessageMeta

__all__ = ["ThreadNode", "build_tree", "walk"]


@dataclass(slots=True)
class ThreadNode:
    """One message (or a placeholder for a missing one, ``meta is None``) and its replies."""

    message_id: str
    meta: MessageMeta | None
    children: list[ThreadNode] = field(default_factory=list)
    depth: int = 0


class _Container:
    __slots__ = ("message_id", "meta", "parent", "children", "date")

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        self.meta: MessageMeta | None = None
        self.parent: _Container | None = None
        self.children: list[_Container] = []
        self.date: datetime | None = None

    def is_ancestor_of(self, other: _Container) -> bool:
        node: _Container | None = other
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False

    def adopt(self, child: _Container) -> None:
        """Make ``child`` a child of ``self`` unless that would close a loop."""
        if child is self or child.is_ancestor_of(self) or child.parent is self:
            return
        if child.parent is not None:
            child.parent.children.remove(child)
        child.parent = self
        self.children.append(child)


def build_tree(metas: Iterable[MessageMeta]) -> list[ThreadNode]:
    """The messages as reply trees, roots and siblings sorted by date.

    Copies of one Message-ID count once (the earliest-dated copy). Parents come from
    References, or from the first In-Reply-To id when References is empty. Missing
    parents become placeholders, which are dropped again when they hold nothing or
    just one reply, so siblings of a missing message still sit together.
    """
    table: dict[str, _Container] = {}

    def container(mid: str) -> _Container:
        found = table.get(mid)
        if found is None:
            found = table[mid] = _Container(mid)
        return found

    for meta in metas:
        box = container(meta.message_id)
        if box.meta is None or meta.date < box.meta.date:
            box.meta = meta
    messages = sorted((box.meta for box in table.values() if box.meta), key=lambda m: (m.date, m.message_id))
    for meta in messages:
        _link(table[meta.message_id], meta, container)
    roots = [box for box in table.values() if box.parent is None]
    top = _Container("")
    top.children = roots
    for box in roots:
        box.parent = top
    _prune(top)
    _date_and_sort(top)
    return _to_nodes(top)


def _link(box: _Container, meta: MessageMeta, container: Callable[[str], _Container]) -> None:
    """Chain the References ids, then hang the message under the last one.

    A message's own References are more authoritative than what other messages guessed
    about it, so its parent is replaced (or removed when it names none).
    """
    refs = [ref for ref in meta.references if ref != meta.message_id]
    if not refs:
        refs = [ref for ref in meta.in_reply_to if ref != meta.message_id][:1]
    previous: _Container | None = None
    for ref in refs:
        current = container(ref)
        if previous is not None and current.parent is None:
            previous.adopt(current)
        previous = current
    if previous is None:
        if box.parent is not None:
            box.parent.children.remove(box)
            box.parent = None
    elif not box.is_ancestor_of(previous):
        previous.adopt(box)


def _post_order(top: _Container) -> list[_Container]:
    order: list[_Container] = []
    stack = [top]
    while stack:
        box = stack.pop()
        order.append(box)
        stack.extend(box.children)
    order.reverse()
    return order


def _prune(top: _Container) -> None:
    """Drop empty placeholders; lift the replies of a placeholder to its level.

    At the top level a placeholder with several replies stays: it is what keeps the
    siblings of a missing message together.
    """
    for box in _post_order(top):
        kept: list[_Container] = []
        for child in box.children:
            if child.meta is not None:
                kept.append(child)
            elif child.children and (box is not top or len(child.children) == 1):
                for grandchild in child.children:
                    grandchild.parent = box
                kept.extend(child.children)
            elif child.children:
                kept.append(child)
        box.children = kept


def _date_and_sort(top: _Container) -> None:
    """Sort siblings by date; a placeholder dates from its earliest reply."""
    for box in _post_order(top):
        box.children.sort(key=_sort_key)
        if box.meta is not None:
            box.date = box.meta.date
        elif box.children:
            box.date = min(child.date for child in box.children if child.date is not None)


def _sort_key(box: _Container) -> tuple[datetime, str]:
    assert box.date is not None  # every kept container holds a message or dated replies
    return (box.date, box.message_id)


def _to_nodes(top: _Container) -> list[ThreadNode]:
    roots = [ThreadNode(box.message_id, box.meta, [], 0) for box in top.children]
    stack = list(zip(top.children, roots, strict=True))
    while stack:
        box, node = stack.pop()
        for child in box.children:
            child_node = ThreadNode(child.message_id, child.meta, [], node.depth + 1)
            node.children.append(child_node)
            stack.append((child, child_node))
    return roots


def walk(nodes: Iterable[ThreadNode]) -> Iterator[ThreadNode]:
    """Every node in display order (depth first, parents before their replies)."""
    stack = list(reversed(list(nodes)))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))
