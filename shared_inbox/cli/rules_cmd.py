"""The `rules` command: the team's rules and their problems, and a dry run of one rule.

    shared-inbox rules [--json]
    shared-inbox rules test RULE [--since 30d] [--json]

The dry run goes through the very steps the rule would take and changes nothing: no
event is recorded, no command is run and no mail is sent.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from shared_inbox.mail.sanitize import clean_line
from shared_inbox.wallclock import utc_now

if TYPE_CHECKING:
    from shared_inbox.canned.rule_files import RuleSet
    from shared_inbox.domain.rules import Rule
    from shared_inbox.services.rules import RuleOutcome
    from shared_inbox.services.session import Session

EXIT_OK, EXIT_FAILURE = 0, 1
_SINCE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")


def add_rules_parser(sub: Any) -> None:
    rules = sub.add_parser("rules", help="list the team's rules and their problems; dry-run one")
    rules.add_argument("--json", action="store_true", help="JSON for scripts")
    actions = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    test = actions.add_parser(
        "test", help="what a rule would have done, to which conversations (changes nothing)"
    )
    test.add_argument("rule", help="the rule's name")
    test.add_argument(
        "--since", default="30d", help="how far back to look for events: 30d, 12h, 90m (default 30d)"
    )
    test.add_argument("--json", action="store_true", help="JSON for scripts")


def run_rules_command(args: argparse.Namespace, session: Session) -> int:
    from shared_inbox.services.rule_book import load_rule_book

    book = load_rule_book(session.config)
    if args.rules_command == "test":
        return _test(args, session, book)
    if args.json:
        rows = {
            "directory": str(_directory(session)),
            "rules": [_rule_json(rule) for rule in book.rules],
            "problems": [
                {"file": p.source, "line": p.problem.line, "key": p.problem.path,
                 "message": p.problem.message, "hint": p.problem.hint}
                for p in book.problems
            ],
        }  # fmt: skip
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    for line in rule_list_lines(book):
        print(line)
    return EXIT_OK if not book.problems else EXIT_FAILURE


def rule_list_lines(book: RuleSet) -> list[str]:
    lines: list[str] = []
    for rule in book.rules:
        lines.append(f"{rule.name}: {rule.describe_trigger()}")
        lines.append(f"  {'; '.join(rule.actions.describe())}")
    count = len(book.rules)
    problems = len(book.problems)
    summary = f"{count} rule{'s' if count != 1 else ''}"
    if problems:
        summary += f"; {problems} problem{'s' if problems != 1 else ''} (those rules are left out):"
    lines.append(summary)
    lines.extend("  " + p.format().replace("\n", "\n  ") for p in book.problems)
    return lines


def _test(args: argparse.Namespace, session: Session, book: RuleSet) -> int:
    from shared_inbox.services.rule_book import rule_runner_for

    rule = book.find(args.rule)
    if rule is None:
        known = ", ".join(r.name for r in book.rules) or "none; `shared-inbox rules` shows why"
        print(f"shared-inbox: there is no rule {args.rule!r} (rules: {known}).", file=sys.stderr)
        return EXIT_FAILURE
    since = _since(args.since)
    if since is None:
        print(f"shared-inbox: --since {args.since!r} is not a span like 30d, 12h or 90m.", file=sys.stderr)
        return EXIT_FAILURE
    outcomes = rule_runner_for(session, book).dry_run(rule, utc_now(), since)
    if args.json:
        print(json.dumps([outcome.to_json() for outcome in outcomes], ensure_ascii=False, indent=1))
        return EXIT_OK
    zone = session.config.business_hours.calendar().zone
    for line in dry_run_lines(rule, outcomes, args.since.strip(), zone):
        print(line)
    return EXIT_OK


def dry_run_lines(rule: Rule, outcomes: Sequence[RuleOutcome], since: str, zone: tzinfo) -> list[str]:
    """The dry run for people: each conversation, then when and why the rule fires and what it does.

    Times are in the business-hours zone, the one rules count in."""
    from shared_inbox.domain.rules import TIME_TRIGGERS

    looked = "as of now" if rule.trigger in TIME_TRIGGERS else f"over the last {since}"
    lines = [f"Rule {rule.name} ({rule.describe_trigger()}), {looked}:"]
    for outcome in outcomes:
        subject = clean_line(outcome.subject)[:70] or "(no subject)"
        lines.append(f"  {outcome.conversation_id}  {subject}")
        when = outcome.occurrence.at.astimezone(zone).strftime("%a %d %b %H:%M")
        already = " (done already)" if outcome.already else ""
        lines.append(f"    {when} {outcome.occurrence.why}{already}: {'; '.join(outcome.done)}")
    count = len({outcome.conversation_id for outcome in outcomes})
    lines.append(
        f"{count} conversation{'s' if count != 1 else ''}; nothing was changed and no mail was sent."
    )
    return lines


def say_outcomes(
    outcomes: Sequence[RuleOutcome], *, quiet: bool, say: Callable[[str], None] | None = None
) -> None:
    """What the rules did while syncing (unless quiet) and what went wrong (always), on stderr."""
    from shared_inbox.services.rule_schedule import outcome_lines

    done, problems = outcome_lines(outcomes)
    write = say or (lambda line: print(line, file=sys.stderr, flush=True))
    for line in [] if quiet else done:
        write(f"[rules] {line}")
    for line in problems:
        write(f"[rules] {line}")


def _since(text: str) -> timedelta | None:
    match = _SINCE.match(text.lower())
    if match is None or int(match.group(1)) == 0:
        return None
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def _directory(session: Session) -> object:
    from shared_inbox.canned.rule_files import rules_directory

    canned = session.config.canned
    return rules_directory(canned.team_dir, canned.personal_dir)


def _rule_json(rule: Rule) -> dict[str, object]:
    return {
        "name": rule.name,
        "trigger": rule.trigger.value,
        "when": rule.describe_trigger(),
        "if": rule.condition_text or None,
        "actions": rule.actions.describe(),
        "file": rule.source,
        "line": rule.line,
    }
