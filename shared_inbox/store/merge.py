"""How a message seen again (another folder, a resync) combines with what is stored.

The same Message-ID in INBOX and Sent is one message with two locations. Header
fields are kept from the first sighting, flags come from the newest report, and
a location from an older UIDVALIDITY of the same folder is replaced, because
its UID no longer means anything on the server.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import replace

from shared_inbox.domain.model import Location, MessageMeta


def merge_meta(existing: MessageMeta, incoming: MessageMeta) -> MessageMeta:
    """`existing` with `incoming`'s flags and the union of both messages' locations."""
    fresh_validities: dict[str, set[int]] = {}
    for loc in incoming.locations:
        fresh_validities.setdefault(loc.folder, set()).add(loc.uidvalidity)
    locations = [
        loc
        for loc in existing.locations
        if loc.folder not in fresh_validities or loc.uidvalidity in fresh_validities[loc.folder]
    ]
    for loc in incoming.locations:
        if loc not in locations:
            locations.append(loc)
    return replace(existing, flags=frozenset(incoming.flags), locations=tuple(locations))


def without_locations(meta: MessageMeta, gone: Container[Location]) -> MessageMeta:
    return replace(meta, locations=tuple(loc for loc in meta.locations if loc not in gone))


def without_folder(meta: MessageMeta, folder: str) -> MessageMeta:
    return replace(meta, locations=tuple(loc for loc in meta.locations if loc.folder != folder))
