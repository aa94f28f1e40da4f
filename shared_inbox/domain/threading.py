"""Grouping messages into conversations.

Two views of a thread live here. :class:`ThreadIndex` answers "which conversation
does this message belong to?" for the whole mailbox, incrementally and in near
linear time (union-find). :func:`build_tree` (from :mod:`.thread_tree`) lays out
one conversation as a reply tree for display.

Links between messages, strongest first:

* References (every id listed), else the first In-Reply-To id, and for a bounce the
  id of the message it returns. Ids of messages we have not seen become placeholders,
  so two replies to a missing message still end up together.
* Our conversation token: a message carrying token ``T`` (its ``token`` field, or
  an id of the form ``si.<T>.<anything>@<domain>`` in its own id, References or
  In-Reply-To) joins every other message carrying ``T``, and the conversation
  whose id is ``T``. This survives clients that drop References.
* A reply that carries no threading headers at all ("Re: <subject>", the same
  customer, within a window; see :mod:`.subject_links`), unless turned off.
* Optionally (off by default) the same customer writing with the same base
  subject within a time window.

Conversation ids are stable. Each message claims a root: its first References
id, else its first In-Reply-To id, else itself; a claim that is itself a known
message is followed to that message's claim (the top of the chain).

1. If a message carries a token that names one of the conversation's claimed
   roots (``token == "c" + sha1(root)[:10]``), the id stays that token: the id
   once written into our own mail keeps naming the conversation. When several
   tokens qualify, the one on the earliest message wins (date, then message id,
   then token).
2. Otherwise the root claimed by the earliest message (date, then message id,
   then root id) gives ``"c" + sha1(root)[:10]``.

So the id depends only on the set of messages, never on the order they were
added, and adding replies keeps it. When conversations merge, or an earlier
ancestor shows up, the old id becomes an alias of the new one (:meth:`resolve`).
Should two conversations ever hash to the same short id, the one whose root
sorts later gets the 16-digit form ``"c" + sha1(root)[:16]``.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from shared_inbox.domain.model import MessageMeta
from shared_inbox.domain.stand_ins import header_only_form, stand_in_parts
from shared_inbox.domain.subject_links import DEFAULT_REPLY_WINDOW, ReplySubjectLinks, customer_address
from shared_inbox.domain.subjects import base_subject
from shared_inbox.domain.thread_tree import ThreadNode, build_tree

__all__ = ["ThreadIndex", "ThreadNode", "build_tree", "conversation_id_for", "token_from_message_id"]

_OWN_ID = re.compile(r"si\.([a-z0-9]{1,32})\.[^@\s<>]+@[^@\s<>]+")
_SHORT = 10
_LONG = 16


def token_from_message_id(mid: str) -> str | None:
    """The conversation token inside one of our own Message-IDs (``si.<token>.<rand>@<domain>``)."""
    match = _OWN_ID.fullmatch(mid.strip().removeprefix("<").removesuffix(">"))
    return match.group(1) if match else None


def _digest(root: str) -> str:
    return hashlib.sha1(root.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:_LONG]


def conversation_id_for(root: str) -> str:
    """The conversation id a thread rooted at Message-ID ``root`` gets (barring tokens and collisions)."""
    return "c" + _digest(root)[:_SHORT]


def _tokens_of(meta: MessageMeta) -> tuple[str, ...]:
    """Tokens a message carries: its own, and those inside our own ids it names or replies to."""
    mid = meta.message_id
    refs, replies = meta.references, meta.in_reply_to
    if meta.bounced_message_id:
        replies = (*replies, meta.bounced_message_id)
    if "si." not in mid and "si." not in "\n".join(refs) and "si." not in "\n".join(replies):
        return (meta.token,) if meta.token else ()  # the common, fast case
    found = {token for own in (mid, *refs, *replies) if (token := token_from_message_id(own))}
    if meta.token:
        found.add(meta.token)
    return tuple(sorted(found))


class ThreadIndex:
    """Incremental grouping of messages into conversations (connected components)."""

    def __init__(
        self,
        *,
        subject_merge: bool = False,
        window: timedelta = timedelta(days=7),
        reply_subjects: bool = True,
        reply_window: timedelta = DEFAULT_REPLY_WINDOW,
    ) -> None:
        self.subject_merge = subject_merge
        self.window = window
        self._reply_links = ReplySubjectLinks(reply_window) if reply_subjects else None
        self._parent: dict[str, str] = {}  # union-find over message and placeholder ids
        self._members: dict[str, list[str]] = {}  # set root -> real message ids
        # Per real message, in flat maps (100k tuples would only feed the garbage collector):
        self._dates: dict[str, datetime] = {}
        self._claims: dict[str, str] = {}  # the root each message claims
        self._tokens: dict[str, tuple[str, ...]] = {}  # only messages that carry tokens
        self._carriers: dict[str, str] = {}  # token -> one message carrying it
        self._new_claims: list[str] = []
        self._new_tokens: list[str] = []
        self._claim_digest: dict[str, str] = {}  # claimed root -> sha1 prefix
        self._named: dict[str, str] = {}  # conversation id -> the claimed root it names
        self._by_subject: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
        self._dirty: set[str] = set()
        self._root_id: dict[str, str] = {}  # live set root -> conversation id
        self._chosen: dict[str, str] = {}  # live set root -> the root message id behind its id
        self._by_id: dict[str, str] = {}  # conversation id -> set root
        self._retired: dict[str, list[str]] = {}  # set root -> ids of sets merged into it
        self._aliases: dict[str, str] = {}
        self._stand_ins: tuple[int, dict[str, list[str]]] | None = None  # (message count, headers -> ids)

    # -- building --------------------------------------------------------------

    def add(self, meta: MessageMeta) -> None:
        """Add one message; adding the same Message-ID again merges what both copies say."""
        self.add_many((meta,))

    def add_many(self, metas: Iterable[MessageMeta]) -> None:
        """Add messages in any order (one loop with local names: this runs 100k times at startup)."""
        parent, dates, claims, members_of = self._parent, self._dates, self._claims, self._members
        dirty = self._dirty
        find, union_roots, new_claims = self._find, self._union_roots, self._new_claims
        for meta in metas:
            mid = meta.message_id
            if mid in parent:
                root = find(mid)
            else:
                parent[mid] = root = mid
            refs = meta.references
            if mid in refs:
                refs = tuple(ref for ref in refs if ref != mid)
            if not refs:
                refs = meta.in_reply_to[:1]
                if mid in refs:
                    refs = tuple(ref for ref in meta.in_reply_to if ref != mid)[:1]
            bounced = meta.bounced_message_id
            if bounced and bounced != mid and (not refs or refs[-1] != bounced):
                refs = (
                    *(ref for ref in refs if ref != bounced),
                    bounced,
                )  # a bounce replies to what it returns
            links = self._reply_links
            if links is not None:
                links.note_identity(meta)
                refs = tuple(links.resolve(ref, meta) for ref in refs)
            for ref in refs:
                up = parent.get(ref)
                if up is None:
                    parent[ref] = root  # a placeholder, until the message itself shows up
                elif up != root:
                    other = find(up)
                    if other != root:
                        root = union_roots(root, other)
            claim = refs[0] if refs else mid
            new_claims.append(claim)
            date = meta.date
            tokens = _tokens_of(meta)
            known = dates.get(mid)
            if known is None:
                members = members_of.get(root)
                if members is None:
                    members_of[root] = [mid]
                else:
                    members.append(mid)
            else:
                # Copies of one message (INBOX and Sent): keep the earliest date/claim, every token.
                date, claim = min((date, claim), (known, claims[mid]))
                if tokens or mid in self._tokens:
                    tokens = tuple(sorted({*tokens, *self._tokens.get(mid, ())}))
            dates[mid] = date
            claims[mid] = claim
            if tokens:
                self._tokens[mid] = tokens
            dirty.add(root)
            if tokens:
                self._join_carriers(mid, tokens)
            if links is not None:
                for partner in links.add(meta, headerless=not refs and not tokens):
                    self._union(mid, partner)
            if self.subject_merge:
                self._merge_by_subject(meta)

    def _join_carriers(self, mid: str, tokens: tuple[str, ...]) -> None:
        for token in tokens:
            carrier = self._carriers.get(token)
            if carrier is None:
                self._carriers[token] = mid
                self._new_tokens.append(token)
            else:
                self._union(mid, carrier)

    def _merge_by_subject(self, meta: MessageMeta) -> None:
        """Join the nearest same-customer, same-subject messages on either side within the window.

        Joining only neighbours in date order is enough: messages whose consecutive gaps are
        all within the window form one chain, whatever the order they arrive in.
        """
        address = customer_address(meta)
        subject = base_subject(meta.subject)
        if not address or not subject:
            return
        line = self._by_subject.setdefault((address.lower(), subject), [])
        entry = (meta.date, meta.message_id)
        at = bisect.bisect_left(line, entry)
        if at < len(line) and line[at] == entry:
            return
        line.insert(at, entry)
        for neighbour in (at - 1, at + 1):
            if 0 <= neighbour < len(line) and abs(line[neighbour][0] - meta.date) <= self.window:
                self._union(meta.message_id, line[neighbour][1])

    # -- union-find ------------------------------------------------------------

    def _find(self, node: str) -> str:
        parent = self._parent
        root = node
        while (up := parent[root]) != root:
            root = up
        while node != root:
            parent[node], node = root, parent[node]
        return root

    def _union(self, a: str, b: str) -> str:
        """Join the sets of ``a`` and ``b``; returns the surviving set root."""
        ra, rb = self._find(a), self._find(b)
        return ra if ra == rb else self._union_roots(ra, rb)

    def _union_roots(self, ra: str, rb: str) -> str:
        members = self._members
        if len(members.get(ra, ())) < len(members.get(rb, ())):
            ra, rb = rb, ra
        self._parent[rb] = ra
        absorbed = members.pop(rb, None)
        if absorbed:
            members.setdefault(ra, []).extend(absorbed)
        retired = self._retired.pop(rb, [])
        old = self._root_id.pop(rb, None)
        if old is not None:
            retired.append(old)
        self._chosen.pop(rb, None)
        if retired:
            self._retired.setdefault(ra, []).extend(retired)
        self._dirty.discard(rb)
        self._dirty.add(ra)
        return ra

    # -- ids -------------------------------------------------------------------

    def _ensure(self) -> None:
        if self._new_claims or self._new_tokens:
            self._link_tokens()
        while self._dirty:
            dirty, self._dirty = self._dirty, set()
            for root in dirty:
                if self._parent.get(root) == root and self._members.get(root):
                    self._assign_id(root)

    def _link_tokens(self) -> None:
        """Join token carriers to the conversation their token names (see the module docstring).

        New tokens are checked against roots hashed before; new roots against every token.
        """
        claims, self._new_claims = self._new_claims, []
        tokens, self._new_tokens = self._new_tokens, []
        carriers, named, digests = self._carriers, self._named, self._claim_digest
        for token in tokens:
            claim = named.get(token)
            if claim is not None:
                self._union(carriers[token], claim)
        for claim in claims:
            if claim in digests:
                continue
            digest = digests[claim] = _digest(claim)
            name = "c" + digest[:_SHORT]
            earlier = named.get(name)
            if earlier is None or claim < earlier:
                named[name] = claim
            carrier = carriers.get(name)
            if carrier is not None:
                self._union(carrier, claim)

    def _assign_id(self, root: str) -> None:
        members = self._members[root]
        if len(members) > 1:
            members.sort()  # by id, then (stable) by date: no key tuples to allocate
            members.sort(key=self._dates.__getitem__)
        chosen = self._choose_root(root, members)
        conv_id = "c" + self._claim_digest[chosen][:_SHORT]
        owner = self._by_id.get(conv_id)
        if owner is not None and owner != root and self._root_id.get(owner) == conv_id:
            if chosen > self._chosen[owner]:
                conv_id = "c" + self._claim_digest[chosen]
            else:
                self._root_id.pop(owner)
                self._dirty.add(owner)  # recomputed next round, it then takes the long form
        previous = self._root_id.get(root)
        retired = self._retired.pop(root, None)
        if retired or (previous is not None and previous != conv_id):
            self._retire((previous, *(retired or ())), root, conv_id)
        self._aliases.pop(conv_id, None)
        self._root_id[root] = conv_id
        self._chosen[root] = chosen
        self._by_id[conv_id] = root

    def _retire(self, old_ids: Iterable[str | None], root: str, conv_id: str) -> None:
        """Make ids the set ``root`` no longer goes by aliases of ``conv_id``."""
        for old in old_ids:
            if old is None or old == conv_id:
                continue
            holder = self._by_id.get(old)
            if holder is not None and holder != root and self._root_id.get(holder) == old:
                continue  # another conversation holds that id now
            self._by_id.pop(old, None)
            self._aliases[old] = conv_id

    def _choose_root(self, root: str, members: list[str]) -> str:
        """The claimed root that names this conversation; ``members`` is in date order."""
        tokens_of, named = self._tokens, self._named
        for mid in members:
            tokens = tokens_of.get(mid)
            if tokens:
                naming = [t for t in tokens if t in named and self._find(named[t]) == root]
                if naming:
                    return named[naming[0]]
        dates = self._dates
        earliest = dates[members[0]]
        best = self._top(members[0])
        for mid in members[1:]:
            if dates[mid] != earliest:
                break
            best = min(best, self._top(mid))
        return best

    def _top(self, mid: str) -> str:
        """Follow claims through known messages to the top of the chain (stops on cycles)."""
        claims = self._claims
        seen = {mid}
        claim = claims[mid]
        while claim in claims and claim not in seen:
            seen.add(claim)
            nxt = claims[claim]
            if nxt == claim:
                break
            claim = nxt
        return claim

    # -- queries ---------------------------------------------------------------

    def __len__(self) -> int:
        self._ensure()
        return len(self._root_id)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._dates

    def joined_by_subject(self, message_id: str) -> bool:
        """Whether this message joined its conversation only by its reply subject (a guess)."""
        return self._reply_links is not None and message_id in self._reply_links.joined

    def conversation_of(self, message_id: str) -> str | None:
        """The conversation id of a known message, else ``None`` (placeholders do not count).

        A stand-in id (mail without a Message-ID) also finds its message in its other form.
        """
        if message_id not in self._dates:
            found = self._stand_in(message_id)
            if found is None:
                return None
            message_id = found
        self._ensure()
        return self._root_id[self._find(message_id)]

    def _stand_in(self, message_id: str) -> str | None:
        """The known message a stand-in id names in its other form: older stores and teammates'
        events hold the header-only form, which names the earliest message with those headers."""
        parts = stand_in_parts(message_id)
        if parts is None:
            return None
        if parts[1]:
            older = header_only_form(message_id)
            return older if older in self._dates else None
        if self._stand_ins is None or self._stand_ins[0] != len(self._dates):
            by_headers: dict[str, list[str]] = {}
            for mid in self._dates:
                known = stand_in_parts(mid) if mid.startswith("synthetic.") else None
                if known is not None and known[1]:
                    by_headers.setdefault(known[0], []).append(mid)
            self._stand_ins = (len(self._dates), by_headers)
        named = self._stand_ins[1].get(parts[0])
        return min(named, key=lambda mid: (self._dates[mid], mid)) if named else None

    def conversations(self) -> Mapping[str, list[str]]:
        """Conversation id -> its message ids in date order."""
        self._ensure()
        return {conv_id: list(self._members[root]) for root, conv_id in self._root_id.items()}

    def members(self, conv_id: str) -> list[str]:
        """Message ids of a conversation in date order (an alias works too); empty when unknown."""
        current = self.resolve(conv_id)
        if current is None:
            return []
        return list(self._members[self._by_id[current]])

    def resolve(self, conv_id: str) -> str | None:
        """The current id for ``conv_id``, following merges; ``None`` when never seen."""
        self._ensure()
        seen: set[str] = set()
        while conv_id not in self._by_id:
            if conv_id in seen or conv_id not in self._aliases:
                return None
            seen.add(conv_id)
            conv_id = self._aliases[conv_id]
        return conv_id

    @property
    def aliases(self) -> Mapping[str, str]:
        """Every retired conversation id -> the id that now holds its messages."""
        self._ensure()
        resolved = {old: self.resolve(old) for old in self._aliases}
        return {old: new for old, new in resolved.items() if new is not None and new != old}
