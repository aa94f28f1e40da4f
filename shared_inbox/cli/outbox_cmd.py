"""The `reply`, `compose` and `outbox` commands: queue mail, then list, steer and send the outbox.

`reply` and `compose` only queue (held for the undo window, or until --send-at); `outbox
--flush` sends what is due. `--send` waits out the undo window in the foreground instead, so
Ctrl+C is the undo button.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the command line stays quick to start: heavy modules load when used
    from shared_inbox.domain.model import Address
    from shared_inbox.mail.compose import OutgoingAttachment, ReplyMode
    from shared_inbox.outbox import Outbox, OutboxEntry, OutboxPolicy
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
    from shared_inbox.outbox import Outbox, OutboxError

    outbox = Outbox.open(session.store)
    try:
        if args.command == "outbox":
            return _outbox(args, session, outbox)
        return _queue(args, session, outbox)
    except (OutboxError, ComposeError, PasswordError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
    finally:
        outbox.close()


# -- queueing ----------------------------------------------------------------------


def _queue(args: argparse.Namespace, session: Session, outbox: Outbox) -> int:
    from shared_inbox.domain.model import Address
    from shared_inbox.outbox import Composer, OutboxPolicy

    now = _now()
    policy = OutboxPolicy.from_config(session.config.outbox, undo_seconds=args.undo)
    composer = Composer(session.config, session.inbox, outbox, policy=policy, fetch_raw=_fetcher(session))
    options: dict[str, Any] = {
        "now": now,
        "attachments": _attachments(args.attach),
        "from_style": "plain" if args.plain_from else session.config.account.from_style.value,
        "reply_to": Address("", session.config.account.reply_to) if session.config.account.reply_to else None,
        "send_at": _parse_when(args.send_at, now) if args.send_at else None,
    }
    canned = None
    if getattr(args, "canned", None):
        from shared_inbox.cli.canned_cmd import after_canned_reply, canned_body

        body, canned = canned_body(args, session, now)
    else:
        body = _read_text(args.body_file)
    if args.command == "reply":
        forward = _addresses(args.forward_to)
        mode: ReplyMode = "forward" if forward else "reply_all" if args.all else "reply"
        entry = composer.reply(args.ref, body, mode=mode, to=forward, **options)
        if canned is not None:
            after_canned_reply(session, canned, entry.conversation_id, now)
    else:
        to, cc = _addresses(args.to), _addresses(args.cc)
        entry = composer.new_conversation(to, args.subject, body, cc=cc, **options)
    if args.json:
        print(json.dumps(entry_json(entry), ensure_ascii=False, indent=1), flush=True)
    else:
        print(f"Queued {entry.id}: {entry.subject} -> {', '.join(entry.recipients)}", flush=True)
    if not args.send:
        print(
            f"It goes out at {_local(entry.release_at)} with `shared-inbox outbox --flush`; "
            f"undo with `shared-inbox outbox --cancel {entry.id}`.",
            file=sys.stderr,
        )
        return EXIT_OK
    return _send_after_undo_window(session, outbox, entry, policy)


def _send_after_undo_window(
    session: Session, outbox: Outbox, entry: OutboxEntry, policy: OutboxPolicy
) -> int:
    wait = (entry.release_at - _now()).total_seconds()
    if wait > 0:
        print(f"Sending in {wait:.0f} s; press Ctrl+C to undo.", file=sys.stderr, flush=True)
        try:
            time.sleep(wait)
        except KeyboardInterrupt:
            outbox.cancel(entry.id)
            print("Undone: the message was not sent.", file=sys.stderr)
            return EXIT_OK
    return _flush(session, outbox, policy=policy)


# -- the outbox command ------------------------------------------------------------


def _outbox(args: argparse.Namespace, session: Session, outbox: Outbox) -> int:
    from shared_inbox.outbox import steps_after_delivery

    now = _now()
    if args.body_file and not args.edit:
        return _fail("--body-file goes with --edit.")
    if args.flush:
        return _flush(session, outbox)
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
        return _flush(session, outbox)
    if args.retry:
        outbox.retry(args.retry, now)
        return _flush(session, outbox)
    if args.mark_sent:
        entry = outbox.get(args.mark_sent)
        steps = steps_after_delivery(
            entry.replied_to, save_sent_copy=not session.config.smtp.server_saves_sent
        )
        outbox.mark_sent(args.mark_sent, now, steps)
        return _flush(session, outbox)
    return _list(outbox.entries(), as_json=args.json)


def _flush(session: Session, outbox: Outbox, *, policy: OutboxPolicy | None = None) -> int:
    from shared_inbox.outbox import OutboxPolicy, open_sender

    policy = policy or OutboxPolicy.from_config(session.config.outbox)
    sender = open_sender(
        session.config, session.store, outbox, policy=policy, on_messages=session.inbox.add_messages
    )
    report = sender.flush(_now(), ignore_backoff=True)
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


def _addresses(values: Sequence[str]) -> list[Address]:
    from email.utils import getaddresses

    from shared_inbox.domain.model import Address
    from shared_inbox.outbox import OutboxError

    found = []
    for name, mail in getaddresses(list(values)):
        if "@" not in mail:
            raise OutboxError(f"{mail or name!r} is not an email address.")
        found.append(Address(name.strip(), mail.strip().lower()))
    return found


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


def _fetcher(session: Session) -> Callable[[str], bytes | None]:
    """Fetch a message's body from the server when it is not cached, to quote it."""

    def fetch(message_id: str) -> bytes | None:
        from shared_inbox.config import PasswordError
        from shared_inbox.imap.sync import FolderSync
        from shared_inbox.net.errors import MailServerError

        try:
            service = session.sync_service(fetch_bodies=False)
            client = service.connect()
        except (MailServerError, PasswordError) as exc:
            print(f"shared-inbox: warning: the original is not quoted ({exc})", file=sys.stderr)
            return None
        try:
            engine = FolderSync(
                client,
                session.store,
                our_addresses=session.config.our_addresses,
                sent_folder=service.plan.sent_folder,
            )
            return engine.fetch_body(message_id)
        except Exception as exc:  # noqa: BLE001 - quoting is optional; the reply still goes out
            print(f"shared-inbox: warning: the original is not quoted ({exc})", file=sys.stderr)
            return None
        finally:
            with contextlib.suppress(Exception):  # the connection may already be gone
                client.logout()

    return fetch


def _fail(message: str) -> int:
    print(f"shared-inbox: {message}", file=sys.stderr)
    return EXIT_FAILURE
