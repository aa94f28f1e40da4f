"""What each CLI command does, on top of the service layer."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared_inbox.cli.config_file import load_or_explain
from shared_inbox.config import PasswordError, check_report, locate_config
from shared_inbox.domain.model import Conversation
from shared_inbox.domain.query import QueryError
from shared_inbox.net.errors import ConnectionLost, MailServerError
from shared_inbox.services.commands import CommandError
from shared_inbox.services.inbox import AmbiguousConversation
from shared_inbox.services.session import Session, open_session
from shared_inbox.services.syncing import SyncRound
from shared_inbox.store import StoreError

if TYPE_CHECKING:
    from shared_inbox.services.replies import Replies

EXIT_OK, EXIT_FAILURE = 0, 1
OUTBOX_CHECK_SECONDS = 3.0  # while watching, how often due outbox mail is looked for
OUTBOX_CLOSE_SECONDS = 20.0  # at the end, how long a send round may finish


def fail(message: str) -> int:
    print(f"shared-inbox: {message}", file=sys.stderr)
    return EXIT_FAILURE


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if args.command == "demo":  # brings its own servers and config
        from shared_inbox.cli.demo_cmd import run_demo

        return run_demo(args, env)
    if args.command == "team" and args.team_command == "key":  # needs no config
        from shared_inbox.cli.team_cmd import run_team_key

        return run_team_key()
    path = locate_config(args.config, env)
    if args.command == "config":
        from shared_inbox.services.login_check import try_logins
        from shared_inbox.services.rule_book import rule_problems

        ok, report = check_report(
            path, env, try_logins=lambda config: try_logins(config, env), rule_problems=rule_problems
        )
        print(report)
        return EXIT_OK if ok else EXIT_FAILURE
    config = load_or_explain(path, env)
    if config is None:
        return EXIT_FAILURE
    if args.command == "auth":  # signs in before any store or mailbox is opened
        from shared_inbox.cli.auth_cmd import run_auth

        return run_auth(args, config)
    try:
        with open_session(config) as session:
            return dispatch(args, session)
    except StoreError as exc:
        return fail(str(exc))
    except MailServerError as exc:
        return fail(str(exc))
    except (CommandError, QueryError, AmbiguousConversation) as exc:
        return fail(str(exc))
    except PasswordError as exc:
        return fail(password_problem(exc))


def password_problem(exc: PasswordError) -> str:
    """The same words for a failing password source (or team key) in every command."""
    what = "the team key" if exc.key.startswith("team.") else "a password"
    return f"{what} could not be obtained ({exc}); `shared-inbox config check` tries each source."


# The argument naming a conversation, per command that takes one.
CONVERSATION_ARGUMENTS = {"set": "id", "reply": "ref"}


def dispatch(args: argparse.Namespace, session: Session) -> int:
    name = CONVERSATION_ARGUMENTS.get(args.command)
    if name is not None:
        setattr(args, name, conversation_ref(session, getattr(args, name)))
    if args.command == "sync":
        return sync(args, session)
    if args.command == "list":
        return list_conversations(args, session)
    if args.command == "set":
        return set_state(args, session)
    if args.command in ("merge", "split"):
        from shared_inbox.cli.conversation_cmd import run_regroup

        return run_regroup(args, session)
    if args.command == "customer":
        from shared_inbox.cli.customer_cmd import run_customer

        return run_customer(args, session)
    if args.command == "team":
        from shared_inbox.cli.team_cmd import run_team_command

        return run_team_command(args, session)
    if args.command == "canned":
        from shared_inbox.cli.canned_cmd import run_canned

        return run_canned(args, session)
    if args.command == "rules":
        from shared_inbox.cli.rules_cmd import run_rules_command

        return run_rules_command(args, session)
    if args.command == "due":
        from shared_inbox.cli.deadlines_cmd import run_due

        return run_due(args, session)
    if args.command == "report":
        from shared_inbox.cli.report_cmd import run_report

        return run_report(args, session)
    if args.command == "summary":
        from shared_inbox.cli.summary_cmd import run_summary

        return run_summary(args, session)
    if args.command == "history":
        from shared_inbox.cli.history_cmd import run_history

        return run_history(args, session)
    if args.command in ("reply", "compose", "outbox"):
        from shared_inbox.cli.outbox_cmd import run_outbox_command

        return run_outbox_command(args, session)
    return fail(f"unknown command {args.command}")


def conversation_ref(session: Session, ref: str) -> str:
    """`ref` as typed, or the whole id when it is the start of exactly one conversation id.

    A Message-ID or a whole id is kept as it is, so `reply` still answers the very message named.
    """
    if session.inbox.conversation(ref) is not None:
        return ref
    found = session.inbox.find(ref)
    return found.id if found is not None else ref


def sync(args: argparse.Namespace, session: Session) -> int:
    from shared_inbox.cli.progress import SyncProgress
    from shared_inbox.cli.rules_cmd import say_outcomes
    from shared_inbox.cli.team_cmd import team_sync_service
    from shared_inbox.services.ratings import take_ratings
    from shared_inbox.services.replies import Replies
    from shared_inbox.services.rule_book import automatic_replies
    from shared_inbox.services.rule_claims import CommandClaims
    from shared_inbox.services.rule_schedule import RuleSchedule
    from shared_inbox.services.team import TeamSync, apply_remote
    from shared_inbox.services.team_states import TEAM_OFF, TEAM_ON

    with SyncProgress(quiet=args.quiet) as progress:
        plain = session.sync_service(progress, fetch_bodies=not args.headers_only)
        service = team_sync_service(session, plain)
        # One reply service for the outbox and the rules' automatic replies (claimed through this exchange).
        replies = Replies(session, now=lambda: datetime.now(UTC))
        team = service.team if isinstance(service.team, TeamSync) else None
        auto = automatic_replies(session, replies, team)
        claims = CommandClaims(session, team)  # one copy of the team runs a rule's command
        if not args.watch:
            try:
                result = service.sync_once()
            except ConnectionLost as exc:
                replies.close()
                return fail(f"{exc} What was synced before is kept; run the sync again to go on.")
            apply_remote(session.inbox, session.commands, result.team_events)
            take_ratings(session, result.new_ids)
            for alert in result.alerts:
                print(f"[alert] {alert}", file=sys.stderr)
            if not args.quiet:
                print(summary(result, session), file=sys.stderr)
            try:  # an automatic reply is queued; it leaves with the next sync --watch or the app
                say_outcomes(
                    RuleSchedule(session, sender=auto, claims=claims).tick(datetime.now(UTC)),
                    quiet=args.quiet,
                )
            finally:
                replies.close()
            return EXIT_OK
        stop = threading.Event()
        failure: list[str] = []
        inbox_lock = threading.Lock()  # rounds and the outbox both record events, from their threads
        one_line_at_a_time = threading.Lock()  # the team watcher reports from its own thread

        def say(line: str) -> None:
            with one_line_at_a_time:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()

        rules = RuleSchedule(session, lock=inbox_lock, sender=auto, claims=claims)

        def on_round(result: SyncRound) -> None:
            with inbox_lock:
                apply_remote(session.inbox, session.commands, result.team_events)
                take_ratings(session, result.new_ids)
            for alert in result.alerts:
                say(f"[alert] {alert}")  # the server wants the user to read it, quiet or not
            if not args.quiet and result.changed:
                say(summary(result, session))
            say_outcomes(rules.after_round(datetime.now(UTC)), quiet=args.quiet, say=say)

        def on_state(state: str, detail: str) -> None:
            if state == "auth-failed":
                failure.append(detail)
            if state in {"offline", "auth-failed", TEAM_OFF, TEAM_ON} or (state == "idle" and not args.quiet):
                say(f"[{state}] {detail}")

        from shared_inbox.cli.signals import stop_on_signals

        sender = threading.Thread(
            target=send_due_mail, args=(replies, stop, inbox_lock, args.quiet), name="outbox", daemon=True
        )
        sender.start()
        timer = threading.Thread(
            target=rules.watch,
            args=(
                stop,
                lambda: datetime.now(UTC),
                lambda found: say_outcomes(found, quiet=args.quiet, say=say),
            ),
            name="rules",
            daemon=True,
        )
        timer.start()
        try:
            with stop_on_signals(stop, "Stopping the sync"):
                service.watch(stop, on_round, on_state)
        finally:
            stop.set()
            sender.join(timeout=OUTBOX_CLOSE_SECONDS)
            timer.join(timeout=OUTBOX_CLOSE_SECONDS)  # a rule run in progress finishes its writes
            replies.close()
        return fail(failure[0]) if failure else EXIT_OK


def send_due_mail(replies: Replies, stop: threading.Event, inbox_lock: threading.Lock, quiet: bool) -> None:
    """While watching, mail that falls due in the outbox is sent, as the app would send it."""

    def delivered(message_ids: list[str]) -> None:
        with inbox_lock:
            replies.delivered(message_ids)

    while not stop.wait(OUTBOX_CHECK_SECONDS):
        if not replies.has_due():
            continue
        report = replies.flush(delivered)
        if report is None:
            continue
        for problem in [*report.problems, *(f"{e.subject}: {e.last_error}" for e in report.failed)]:
            print(f"[outbox] {problem}", file=sys.stderr, flush=True)
        if report.sent and not quiet:
            print(f"[outbox] sent {len(report.sent)}", file=sys.stderr, flush=True)


def summary(result: SyncRound, session: Session) -> str:
    new = sum(r.new for r in result.reports)
    flags = sum(r.flag_updates for r in result.reports)
    gone = sum(r.expunged for r in result.reports)
    resets = [r.folder for r in result.reports if r.uidvalidity_reset]
    parts = [f"{new} new", f"{flags} flag changes", f"{gone} removed", f"{result.bodies} bodies cached"]
    if result.team_events:
        parts.append(f"{len(result.team_events)} teammate changes")
    line = "Synced: " + ", ".join(parts) + f"; {session.inbox.count()} conversations."
    if resets:
        line += f" Re-read after a UIDVALIDITY change: {', '.join(resets)}."
    return line


def conversation_json(conv: Conversation) -> dict[str, Any]:
    state = conv.state
    customer = None
    if conv.customer is not None:
        customer = {
            "name": conv.customer.name,
            "email": conv.customer.email,
            "organisation": conv.customer.organisation,
        }
    return {
        "id": conv.id,
        "subject": conv.subject,
        "status": state.status.value,
        "assignee": state.assignee,
        "customer": customer,
        "tags": sorted(state.tags),
        "snoozed_until": state.snoozed_until.isoformat() if state.snoozed_until else None,
        "last_activity": conv.last_activity.isoformat() if conv.last_activity else None,
        "last_customer_message": (
            conv.last_customer_message.isoformat() if conv.last_customer_message else None
        ),
        "unread": conv.unread,
        "message_count": len(conv.message_ids),
        "message_ids": list(conv.message_ids),
    }


def kind_fields(session: Session, conv: Conversation) -> dict[str, Any]:
    """Who wrote the conversation's messages (people or machines), and where delivery failed."""
    summary = session.inbox.kinds_of(conv)
    return {
        "message_kinds": dict(summary.counts),
        "delivery_failures": [
            {"recipient": f.recipient, "permanent": f.permanent, "diagnostic": f.diagnostic}
            for f in summary.delivery_failures
        ],
    }


def list_conversations(args: argparse.Namespace, session: Session) -> int:
    convs = session.inbox.conversations(args.query)
    if args.limit > 0:
        convs = convs[: args.limit]
    if args.json:
        from shared_inbox.cli.deadlines_cmd import deadline_fields

        now = datetime.now(UTC)
        rows = [
            {**conversation_json(c), **kind_fields(session, c), **deadline_fields(session, c, now)}
            for c in convs
        ]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    from shared_inbox.cli.table import print_table

    print_table(convs)
    return EXIT_OK


def set_state(args: argparse.Namespace, session: Session) -> int:
    commands = session.commands
    ref = args.id
    if not (args.assign or args.unassign or args.status or args.tag or args.untag):
        return fail("nothing to change: give --assign, --unassign, --status, --tag or --untag.")
    if args.assign:
        who = session.config.team.me if args.assign == "me" else args.assign
        commands.assign(ref, who)
    if args.unassign:
        commands.unassign(ref)
    if args.status:
        commands.set_status(ref, args.status)
    for tag in args.tag:
        commands.tag(ref, tag)
    for tag in args.untag:
        commands.untag(ref, tag)
    from shared_inbox.cli.team_cmd import ship_now

    warning = ship_now(session)
    if warning:
        print(f"shared-inbox: warning: {warning}", file=sys.stderr)
    conv = session.inbox.find(ref)
    if args.json and conv is not None:
        print(json.dumps(conversation_json(conv), ensure_ascii=False, indent=1))
    return EXIT_OK
