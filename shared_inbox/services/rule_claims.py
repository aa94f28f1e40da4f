"""One copy of the team runs a rule's command for one occurrence: a claim in the team events folder.

Every open copy may run the same rule at the same moment. The events it records merge by
their derived ids, but a program it starts (a chat message, a webhook) cannot be merged, so
before starting it the copy claims the occurrence the way automatic replies are claimed
(:mod:`shared_inbox.services.send_claims`): the claim the server stored first wins. When the
folder cannot be reached, the command is not run: in doubt nobody runs it rather than two.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from shared_inbox.domain.send_claims import make_claim
from shared_inbox.services.auto_reply import COPY_KEY, Claims
from shared_inbox.services.rules import ClaimVerdict
from shared_inbox.services.send_claims import FolderClaims, known_claims
from shared_inbox.services.session import Session
from shared_inbox.services.team import TeamSync
from shared_inbox.wallclock import Now, utc_now

__all__ = ["CommandClaims"]

ONLY_THE_SAME_OCCURRENCE = timedelta(0)  # claims for other occurrences never stand in the way


class CommandClaims:
    def __init__(
        self,
        session: Session,
        team: TeamSync | None = None,
        *,
        claims: Claims | None = None,
        now: Now = utc_now,
    ) -> None:
        self.session = session
        self.claims: Claims = claims or FolderClaims(session, team=team)
        self.now = now

    def claim(self, conversation_id: str, occurrence: str) -> ClaimVerdict:
        """Whether this copy runs the command for ``occurrence``; if not, why."""
        key = f"run/{occurrence}"
        taken = next((c for c in known_claims(self.session) if c.occurrence == key), None)
        if taken is not None:
            return ClaimVerdict(False, f"not run here: {taken.author}'s copy runs it")
        conv = self.session.inbox.conversation(conversation_id)
        if conv is None:
            return ClaimVerdict(False, "The command was not run: the conversation is gone.", problem=True)
        mine = make_claim(self.session.config.team.me, self._copy(), key, key, self.now())
        outcome = self.claims.claim(mine, conv.message_ids[0], ONLY_THE_SAME_OCCURRENCE)
        if outcome.won:
            return ClaimVerdict(True)
        if outcome.winner is not None:
            return ClaimVerdict(False, f"not run here: {outcome.winner.author}'s copy runs it")
        why = outcome.problem or "the claim was not settled"
        return ClaimVerdict(
            False, f"The command was not run, so that no two copies run it: {why}.", problem=True
        )

    def _copy(self) -> str:
        """This store's name among the team's copies, the one its automatic-reply claims carry."""
        store = self.session.store
        name = store.get_setting(COPY_KEY)
        if not isinstance(name, str) or not name:
            name = secrets.token_hex(8)
            store.set_setting(COPY_KEY, name)
        return name
