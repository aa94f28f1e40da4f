"""The team's rules as configured: read from the rule files, saved-reply names checked."""

from __future__ import annotations

from datetime import datetime

from shared_inbox.canned.filling import open_library
from shared_inbox.canned.rule_files import RuleSet, load_rules, rules_directory
from shared_inbox.config import Config
from shared_inbox.services.auto_reply import AutoReplies
from shared_inbox.services.replies import Replies
from shared_inbox.services.rules import AutoReplySender, CommandClaimer, RuleRunner
from shared_inbox.services.send_claims import FolderClaims
from shared_inbox.services.session import Session
from shared_inbox.services.team import TeamSync
from shared_inbox.wallclock import utc_now

__all__ = ["automatic_replies", "load_rule_book", "rule_problems", "rule_runner_for"]


def load_rule_book(config: Config, now: datetime | None = None) -> RuleSet:
    """Every usable rule and every problem of the rule files beside the saved replies."""
    library = open_library(config, now or utc_now())
    names = [reply.id for reply in library.replies] + [reply.name for reply in library.replies]
    agents = [member.email for member in config.team.members]
    directory = rules_directory(config.canned.team_dir, config.canned.personal_dir)
    return load_rules(directory, replies=names, agents=agents)


def rule_problems(config: Config) -> tuple[int, list[str]]:
    """For `config check`: how many rules can be used, and each problem as one located line."""
    book = load_rule_book(config)
    return len(book.rules), [problem.format().replace("\n", "\n  ") for problem in book.problems]


def rule_runner_for(
    session: Session,
    book: RuleSet | None = None,
    *,
    sender: AutoReplySender | None = None,
    claims: CommandClaimer | None = None,
) -> RuleRunner:
    """The runner of a session's rules: its commands, business hours, SLA policies and team."""
    config = session.config
    book = book if book is not None else load_rule_book(config)
    members = config.team.members
    return RuleRunner(
        session.commands,
        book.rules,
        calendar=config.business_hours.calendar(),
        policies=config.sla,
        members=[member.email for member in members],
        away=frozenset(member.email for member in members if member.away),
        sender=sender,
        claims=claims,
    )


def automatic_replies(session: Session, replies: Replies, team: TeamSync | None = None) -> AutoReplySender:
    """What a rule's `reply` action sends through: the automatic-reply service over ``replies``.

    Its RFC 3834 guards, the one-per-sender window and the team claim in the events folder
    (through ``team``, the copy's own exchange when it has one) decide whether it goes out.
    """
    return AutoReplies(session, replies, claims=FolderClaims(session, team=team))
