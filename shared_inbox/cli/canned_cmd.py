"""The `canned` command, which lists the canned replies, and `reply --canned`, which sends one.

    shared-inbox canned [--json]
    shared-inbox reply ID --canned "Refund: how to" --answer "Order number=123"

A reply is rendered for the conversation exactly as in the composer; an unknown variable
or an unanswered blank stops the command before anything is queued.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared_inbox.wallclock import utc_now

if TYPE_CHECKING:
    from shared_inbox.canned import CannedReply
    from shared_inbox.services.session import Session

EXIT_OK = 0


def add_canned_parser(sub: Any) -> None:
    listing = sub.add_parser("canned", help="list the canned replies and the files that could not be read")
    listing.add_argument("--json", action="store_true", help="JSON for scripts")


def add_reply_body_options(reply: argparse.ArgumentParser) -> None:
    """The text of `reply`: a file, or a canned reply with its blanks answered."""
    body = reply.add_mutually_exclusive_group(required=True)
    body.add_argument("--body-file", metavar="FILE", help="the text to send ('-' reads stdin)")
    body.add_argument(
        "--canned", metavar="ID_OR_NAME", help="send a canned reply (see `shared-inbox canned`)"
    )
    reply.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="QUESTION=VALUE",
        help='fill a blank of the canned reply, e.g. --answer "Order number=123"',
    )


def run_canned(args: argparse.Namespace, session: Session) -> int:
    from shared_inbox.canned import open_library, usage_counts

    library = open_library(session.config, utc_now())
    usage = usage_counts(session.store)
    rows = [
        {"id": r.id, "name": r.name, "tags": list(r.tags), "personal": r.personal, "uses": usage.get(r.id, 0),
         "blanks": r.template.blanks(), "problems": []}
        for r in library.replies
    ] + [
        {"id": p.id, "name": None, "tags": [], "personal": None, "uses": usage.get(p.id, 0), "blanks": [],
         "problems": [p.problem]}
        for p in library.problems
    ]  # fmt: skip
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    _print_table(rows)
    return EXIT_OK


def canned_body(args: argparse.Namespace, session: Session, now: datetime) -> tuple[str, CannedReply]:
    """The rendered text of `--canned` for the conversation `args.ref`; OutboxError says what is wrong."""
    from shared_inbox.canned import open_library, render_reply
    from shared_inbox.domain.templates import TemplateError
    from shared_inbox.outbox import OutboxError
    from shared_inbox.services.reply_variables import reply_variables

    library = open_library(session.config, now)
    reply = library.find(args.canned)
    if reply is None:
        broken = next((p for p in library.problems if p.id == args.canned.strip()), None)
        if broken is not None:
            raise OutboxError(f"the canned reply {broken.id} cannot be used: {broken.problem}")
        raise OutboxError(f"no canned reply {args.canned!r}; `shared-inbox canned` lists them.")
    conversation = session.inbox.conversation(args.ref)
    answers = _answers(args.answer)
    unknown = sorted(set(answers) - set(reply.template.blanks()))
    if unknown:
        asked = ", ".join(repr(q) for q in reply.template.blanks()) or "nothing"
        raise OutboxError(f"{reply.name} asks {asked}, not {', '.join(repr(q) for q in unknown)}.")
    try:
        return render_reply(reply, reply_variables(session, conversation), answers), reply
    except TemplateError as exc:
        raise OutboxError(f"{reply.name} cannot be sent: " + "; ".join(exc.problems)) from None


def _answers(values: list[str]) -> dict[str, str]:
    from shared_inbox.outbox import OutboxError

    answers = {}
    for value in values:
        question, equals, answer = value.partition("=")
        if not equals or not question.strip():
            raise OutboxError(f'--answer {value!r}: write it as "Question=value".')
        answers[" ".join(question.split())] = answer.strip()
    return answers


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("id", "name", "tags", "uses"):
        table.add_column(column, overflow="fold")
    problems = []
    for row in rows:
        if row["problems"]:
            problems.append(Text(f"{row['id']}: {'; '.join(row['problems'])}"))
            continue
        mine = " (personal)" if row["personal"] else ""
        table.add_row(
            Text(row["id"]), Text(row["name"] + mine), Text(", ".join(row["tags"])), Text(str(row["uses"]))
        )
    console.print(table)
    for line in problems:
        console.print(Text("skipped ") + line)
    console.print(Text(f"{len(rows) - len(problems)} replies, {len(problems)} skipped"))
