"""The `reply`, `compose` and `outbox` commands: queue mail, then list, steer and send the outbox.

`reply` and `compose` only queue (held for the undo window, or until --send-at); `outbox
--flush` sends what is due. `--send` waits out the undo window in the foreground instead, so
Ctrl+C is the undo button. Queueing is the reply service's, exactly as the composer's Ctrl+S:
the conversation becomes pending and the agent's, and the promises in the text are tracked.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the command line stays quick to start: heavy modules load when used
    from shared_inbox.canned import CannedReply
    from shared_inbox.domain.events import Event
    from shared_inbox.mail.compose import OutgoingAttachment
    from shared_inbox.outbox import OutboxEntry
    from shared_inbox.services.replies import ComposeMode, Queued, Replies
    from shared_inbox.services.session import Session

COMMANDS = frozenset({"reply", "compose", "outbox"})
EXIT_OK, EXIT_FAILURE = 0, 1
_RELATIVE = re.compile(r"\+\s*(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def add_outbox_parsers(sub: Any) -> None:
    """Register the three commands on the top-level subparsers."""
    reply = sub.add_parser("reply", help="queue a reply in a conversation")
    reply.add_argument("ref", help="conversation id (or a unique start of it), or a Message-ID to answer it")
    from shared_inbox.cli.canned_cmd import add_reply_body_options

    add_reply_body_options(reply)
    how = reply.add_mutually_exclusive_group()
    how.add_argument("--all", action="store_true", help="reply to everyone the message was addressed to")
    how.add_argument("--forward-to", action="append", default=[], metavar="ADDRESS", help="forward instead")
    _add_sending_options(reply)
    reply.add_argument(
        "--no-promises", action="store_true", help="do not track the promises found in the text"
    )

    compose = sub.add_parser("compose", help="queue the first message of a new conversation")
    compose.add_argument("--to", action="append", required=True, metavar="ADDRESS")
    compose.add_argument("--cc", action="append", default=[], metavar="ADDRESS")
    compose.add_argument("--subject", required=True)
    _add_body_file(compose)
    _add_sending_options(compose)

    outbox = sub.add_parser("outbox", help="list outgoing mail; send, undo, edit or retry it")
    action = outbox.add_mutually_exclusive_group()
    action.add_argument("--flush", action="store_true", help="send everything due now, retry waits included")
    action.add_argument("--cancel", metavar="ID", help="undo: drop a message that has not left")
    action.add_argument(
        "--edit", metavar="ID", help="replace the text of a waiting message (needs --body-file)"
    )
    action.add_argument("--send-now", metavar="ID", help="send a held message now, skipping its wait")
    action.add_argument("--retry", metavar="ID", help="send a failed or unconfirmed message again")
    action.add_argument("--mark-sent", metavar="ID", help="record an unconfirmed message as delivered")
    outbox.add_argument("--body-file", metavar="FILE", help="the new text for --edit ('-' reads stdin)")
    outbox.add_argument("--json", action="store_true", help="JSON for scripts")


def _add_body_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--body-file", required=True, metavar="FILE", help="the text to send ('-' reads stdin)"
    )


def _add_sending_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--attach", action="append", default=[], metavar="FILE", help="attach a file")
    parser.add_argument(
        "--plain-from",
        action="store_true",
        help='send as "Company <address>" rather than "Agent via Company"',
    )
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--send-at", metavar="WHEN", help="send later: 2026-10-01T14:00 (local time), +30m, +2h, +1d"
    )
    when.add_argument(
        "--send", action="store_true", help="wait out the undo window here, then send (Ctrl+C undoes)"
    )
    parser.add_argument(
        "--undo", type=float, metavar="SECONDS", help="length of the undo window (default 10)"
    )
    parser.add_argument("--json", action="store_true", help="print the queued message as JSON")


def run_outbox_command(args: argparse.Namespace, session: Session) -> int:
    from shared_inbox.config import PasswordError
    from shared_inbox.mail.compose import ComposeError
    from shared_inbox.outbox import OutboxError, OutboxPolicy
    from shared_inbox.services.replies import Replies, ReplyError

    undo = getattr(args, "undo", None)
    replies = Replies(
        session,
        now=_now,
        policy=OutboxPolicy.from_config(session.config.outbox, undo_seconds=undo),
        fetch_originals=True,
        warn=lambda problem: print(f"shared-inbox: warning: {problem}", file=sys.stderr),
    )
    try:
        if args.command == "outbox":
            return _outbox(args, session, replies)
        return _queue(args, session, replies)
    except (OutboxError, ComposeError, PasswordError, ReplyError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
    finally:
        replies.close()


# -- queueing ----------------------------------------------------------------------


def _queue(args: argparse.Namespace, session: Session, replies: Replies) -> int:
    from shared_inbox.services.replies import ReplyDraft, parse_addresses

    now = _now()
    canned: tuple[CannedReply, ...] = ()
    if getattr(args, "canned", None):
        from shared_inbox.cli.canned_cmd import canned_body

        body, reply = canned_body(args, session, now)
        canned = (reply,)
    else:
        body = _read_text(args.body_file)
    common = {
        "body": body,
        "attachments": tuple(_attachments(args.attach)),
        "send_at": _parse_when(args.send_at, now) if args.send_at else None,
        "plain_from": args.plain_from,
    }
    if args.command == "reply":
        forward = tuple(parse_addresses(args.forward_to))
        mode: ComposeMode = "forward" if forward else "reply_all" if args.all else "reply"
        # The reference may be a Message-ID: then that very message is answered.
        draft = ReplyDraft(
            mode=mode,
            conversation_id=args.ref,
            to=forward or None,
            canned=canned,
            **common,
        )
    else:
        draft = ReplyDraft(
            mode="new",
            to=tuple(parse_addresses(args.to)),
            cc=tuple(parse_addresses(args.cc)),
            subject=args.subject,
            **common,
        )
    queued = replies.queue(draft)
    entry = queued.entry
    if args.command == "reply" and not args.no_promises:
        for candidate in queued.promises:
            replies.track(queued, candidate)
    _report(queued, as_json=args.json)
    if not args.send:
        print(
            f"It goes out at {_local(entry.release_at)} with `shared-inbox outbox --flush`; "
            f"undo with `shared-inbox outbox --cancel {entry.id}`.",
            file=sys.stderr,
        )
        return EXIT_OK
    return _send_after_undo_window(replies, queued)


def _report(queued: Queued, *, as_json: bool) -> None:
    entry = queued.entry
    for problem in queued.problems:
        print(f"shared-inbox: warning: not applied: {problem}", file=sys.stderr)
    if as_json:
        shown = entry_json(entry)
        shown["changes"] = list(queued.changes)
        shown["promises"] = [_promise_json(event) for event in queued.tracked]
        print(json.dumps(shown, ensure_ascii=False, indent=1), flush=True)
        return
    print(f"Queued {entry.id}: {entry.subject} -> {', '.join(entry.recipients)}", flush=True)
    if queued.changes:
        print(f"The conversation is now {', '.join(queued.changes)}.", flush=True)
    for event in queued.tracked:
        print(f"Tracking the promise due {_local(_due(event))}: {event.data['text']}", flush=True)


def _promise_json(event: Event) -> dict[str, Any]:
    return {"promise": event.data["promise"], "text": event.data["text"], "due": event.data["due"]}


def _due(event: Event) -> datetime:
    return datetime.fromisoformat(str(event.data["due"]))


def _send_after_undo_window(replies: Replies, queued: Queued) -> int:
    wait = (queued.entry.release_at - _now()).total_seconds()
    if wait > 0:
        print(f"Sending in {wait:.0f} s; press Ctrl+C to undo.", file=sys.stderr, flush=True)
        try:
            time.sleep(wait)
        except KeyboardInterrupt:
            undone = replies.undo_last()
            print(undone.message, file=sys.stderr)
            return EXIT_OK
    return _flush(replies)


# -- the outbox command ------------------------------------------------------------


def _outbox(args: argparse.Namespace, session: Session, replies: Replies) -> int:
    from shared_inbox.outbox import steps_after_delivery

    now = _now()
    outbox = replies.outbox
    if args.body_file and not args.edit:
        return _fail("--body-file goes with --edit.")
    if args.flush:
        return _flush(replies)
    if args.cancel:
        entry = outbox.cancel(args.cancel)
        print(f"Cancelled {entry.id}: {entry.subject}", file=sys.stderr)
        return EXIT_OK
    if args.edit:
        if not args.body_file:
            return _fail("--edit needs --body-file with the new text.")
        entry = outbox.edit_body(args.edit, _read_text(args.body_file))
        print(f"Edited {entry.id}; it goes out at {_local(entry.release_at)}.", file=sys.stderr)
        return EXIT_OK
    if args.send_now:
        outbox.send_now(args.send_now, now)
        return _flush(replies)
    if args.retry:
        outbox.retry(args.retry, now)
        return _flush(replies)
    if args.mark_sent:
        entry = outbox.get(args.mark_sent)
        steps = steps_after_delivery(
            entry.replied_to, save_sent_copy=not session.config.smtp.server_saves_sent
        )
        outbox.mark_sent(args.mark_sent, now, steps)
        return _flush(replies)
    return _list(outbox.entries(), as_json=args.json)


def _flush(replies: Replies) -> int:
    report = replies.flush(ignore_backoff=True)
    if report is None:
        return _fail("another send round is running.")
    outbox = replies.outbox
    for problem in report.problems:
        print(f"shared-inbox: {problem}", file=sys.stderr)
    for entry in report.failed + report.unconfirmed:
        print(f"shared-inbox: {entry.id} {entry.state.value}: {entry.last_error}", file=sys.stderr)
    counts = [
        (len(report.sent), "sent"),
        (len(report.confirmed), "confirmed"),
        (len(report.deferred), "to be retried"),
        (len(report.failed), "failed"),
        (len(report.unconfirmed), "unconfirmed"),
    ]
    summary = ", ".join(f"{n} {what}" for n, what in counts if n) or "nothing was due"
    waiting = [wake for e in outbox.entries() if (wake := e.wakes_at()) is not None]
    if waiting:
        summary += f"; {len(waiting)} waiting (next at {_local(min(waiting))})"
    print(f"Outbox: {summary}.", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILURE


def _list(entries: Sequence[OutboxEntry], *, as_json: bool) -> int:
    if as_json:
        json.dump([entry_json(e) for e in entries], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    from rich.console import Console
    from rich.text import Text

    from shared_inbox.cli.table import fitted_table

    console = Console()
    rows: list[dict[str, Text]] = []
    reasons: list[Text] = []
    for entry in entries:
        # Text objects, never markup strings: subjects and addresses come from strangers.
        rows.append(
            {
                "id": Text(entry.id),
                "state": Text(entry.state.value),
                "when": Text(_when(entry)),
                "to": Text(", ".join(entry.recipients)),
                "subject": Text(entry.subject),
            }
        )
        reason = entry.note if entry.state.value == "sent" else entry.last_error
        if reason:
            reasons.append(Text(f"{entry.id}: {reason}"))
    # Ids are typed back into --cancel, --edit and --send-now: shown whole at any width.
    columns = ("id", "state", "when", "to", "subject")
    console.print(fitted_table(rows, columns, console.width, frozenset({"id", "state", "when"}), ("to",)))
    for line in reasons:
        console.print(line)
    console.print(Text(f"{len(entries)} in the outbox"))
    return EXIT_OK


def entry_json(entry: OutboxEntry) -> dict[str, Any]:
    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": entry.id,
        "state": entry.state.value,
        "message_id": entry.message_id,
        "conversation_id": entry.conversation_id,
        "replied_to": entry.replied_to,
        "subject": entry.subject,
        "to": list(entry.recipients),
        "author": entry.author,
        "body": entry.body,
        "created_at": moment(entry.created_at),
        "release_at": moment(entry.release_at),
        "next_attempt_at": moment(entry.next_attempt_at),
        "sent_at": moment(entry.sent_at),
        "attempts": entry.attempts,
        "error": entry.last_error,
        "note": entry.note,
        "pending": sorted(step.value for step in entry.pending),
    }


# -- small helpers ----------------------------------------------------------------


def _when(entry: OutboxEntry) -> str:
    state = entry.state.value
    if state == "held":
        return "until " + _local(entry.release_at)
    if state == "queued" and entry.next_attempt_at:
        return "retry " + _local(entry.next_attempt_at)
    if state == "sent" and entry.sent_at:
        return _local(entry.sent_at)
    return ""


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_when(text: str, now: datetime) -> datetime:
    from shared_inbox.outbox import OutboxError

    relative = _RELATIVE.fullmatch(text.strip())
    if relative:
        return now + timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise OutboxError(f"{text!r} is not a time; write e.g. 2026-10-01T14:00 or +30m.") from None
    moment = moment.astimezone(UTC)  # a time without a zone is local time
    if moment <= now:
        raise OutboxError(f"{text!r} is in the past.")
    return moment


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _attachments(paths: Sequence[str]) -> list[OutgoingAttachment]:
    import mimetypes
    from pathlib import Path

    from shared_inbox.mail.compose import OutgoingAttachment

    files = []
    for name in paths:
        path = Path(name)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files.append(OutgoingAttachment(path.name, path.read_bytes(), content_type))
    return files


def _fail(message: str) -> int:
    print(f"shared-inbox: {message}", file=sys.stderr)
    return EXIT_FAILURE
