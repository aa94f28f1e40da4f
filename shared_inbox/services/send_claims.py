"""Claiming an automatic send through the team events folder, so one copy of the team sends it.

The rule that settles claims is in :mod:`shared_inbox.domain.send_claims`; this module puts
a claim up (a message of its own in the events folder), reads what the folder holds, and
says whether the claim won. Any failure on the way ends in "do not send": a reply that
never goes out is noticed and written by hand, one that goes out twice cannot be taken back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from imapclient import IMAPClient

from shared_inbox.config import PasswordError
from shared_inbox.domain.events import Event, EventError, event_from_json
from shared_inbox.domain.send_claims import CLAIM_KIND, SendClaim, Sighting, beaten_by, claim_event, claim_of
from shared_inbox.imap.connection import close_quietly, connect_imap
from shared_inbox.net.errors import MailServerError
from shared_inbox.services.session import Session, sync_plan
from shared_inbox.services.team import TeamSync, apply_remote, team_sync_for

log = logging.getLogger(__name__)

__all__ = ["ClaimOutcome", "FolderClaims", "known_claims"]


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """Whether this copy may send; otherwise the claim that won, or what went wrong."""

    won: bool
    winner: SendClaim | None = None
    problem: str | None = None


def known_claims(session: Session) -> list[SendClaim]:
    """Every claim the store holds, this copy's and teammates'."""
    return [claim for event in known_claim_events(session) if (claim := claim_of(event)) is not None]


class FolderClaims:
    """Claims through the session's events folder, over a connection of their own (blocking: call
    it from a worker). Give it the running app's or sync's `TeamSync`, so claims and the team
    exchange take turns on one store instead of racing for its cursors."""

    def __init__(
        self,
        session: Session,
        *,
        team: TeamSync | None = None,
        connect: Callable[[], IMAPClient] | None = None,
    ) -> None:
        self.session = session
        self._team = team
        self._connect = connect or (lambda: connect_imap(sync_plan(session.config).endpoint))

    @property
    def team(self) -> TeamSync:
        if self._team is None:
            self._team = team_sync_for(self.session)
        return self._team

    def claim(self, mine: SendClaim, anchor: str, window: timedelta) -> ClaimOutcome:
        """Put the claim up and settle it against every conflicting claim stored before it."""
        commands = self.session.commands
        event = claim_event(mine, anchor, commands.clock.tick(mine.at))
        try:
            client = self._connect()
        except Exception as exc:  # noqa: BLE001 - any failure means: do not send
            return ClaimOutcome(False, problem=_unreachable(exc))
        try:
            staked = self.team.stake(client, event, lambda: known_claim_events(self.session))
        except Exception as exc:  # noqa: BLE001
            log.warning("claim %s could not be settled: %s", mine.id, type(exc).__name__)
            return ClaimOutcome(False, problem=_unreachable(exc))
        finally:
            close_quietly(client)
        apply_remote(self.session.inbox, commands, staked.fetched)
        if staked.uid is None:
            return ClaimOutcome(False, problem="the server did not say where the claim was stored")
        sightings = [Sighting(claim, None) for e in staked.known if (claim := claim_of(e)) is not None]
        sightings += [Sighting(claim, uid) for uid, e in staked.seen if (claim := claim_of(e)) is not None]
        winner = beaten_by(mine, staked.uid, sightings, window)
        return ClaimOutcome(winner is None, winner=winner)


def known_claim_events(session: Session) -> list[Event]:
    """The claim events of the store, as events (what `TeamSync.stake` calls "known")."""
    found: list[Event] = []
    for doc in session.store.events():
        if doc.get("kind") == CLAIM_KIND:
            try:
                found.append(event_from_json(doc))
            except EventError:
                continue
    return found


def _unreachable(exc: BaseException) -> str:
    """Why the claim could not be made: the connection's own sentence, or the kind of failure."""
    plain = isinstance(exc, MailServerError | PasswordError)  # their messages are one sentence, no secrets
    words = str(exc).strip().rstrip(".") if plain else type(exc).__name__
    return f"the team events folder could not be used ({words})"
