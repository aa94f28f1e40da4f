"""Team events on the command line: `set` ships its change at once, `sync` exchanges events,
`shared-inbox team status|compact` shows or tidies the events folder, and `team key --new`
makes a team key."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from typing import Any

from imapclient.exceptions import IMAPClientError

from shared_inbox.config import PasswordError
from shared_inbox.imap.connection import connect_imap, imap_failure
from shared_inbox.net.errors import MailServerError
from shared_inbox.services.one_connection import TEAM_EVERY
from shared_inbox.services.session import Session, sync_plan
from shared_inbox.services.syncing import SyncService
from shared_inbox.services.team import TeamStatus, apply_remote, new_team_key, team_sync_for

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE = 0, 1
SHIP_TIMEOUT = 10.0  # seconds; `set` must not hang when the server is away


def add_team_parser(sub: Any) -> None:
    team = sub.add_parser("team", help="team events shared through the mailbox")
    actions = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    actions.add_parser("status", help="what is waiting to be shipped and how far the events folder was read")
    actions.add_parser("compact", help="replace the event messages by one snapshot of the current state")
    key = actions.add_parser("key", help="make a team key that signs the team's messages")
    key.add_argument("--new", action="store_true", required=True, help="print a fresh random team key")


def run_team_key() -> int:
    """Print a fresh team key; it is shared with teammates the way the mailbox password is."""
    print(new_team_key())
    print(
        "Share this key with your teammates the way you share the mailbox password, and set it in [team] "
        "with key_command, key_env or key_keyring (see README, working as a team).",
        file=sys.stderr,
    )
    return EXIT_OK


def team_sync_service(session: Session, service: SyncService) -> SyncService:
    """The session's sync service, exchanging team events in every round."""
    service.team = team_sync_for(session)
    return service


def ship_now(session: Session) -> str | None:
    """Ship queued events right away; returns a warning to show when that is not possible now."""
    try:
        endpoint = replace(sync_plan(session.config).endpoint, timeout=SHIP_TIMEOUT)
        client = connect_imap(endpoint)
    except (MailServerError, PasswordError) as exc:
        return f"change saved; it reaches teammates at the next sync ({exc})"
    try:
        team_sync_for(session).ship(client)
    except PasswordError as exc:  # the team key's command
        return f"change saved; it reaches teammates at the next sync ({exc})"
    except (OSError, EOFError, IMAPClientError) as exc:
        lost = imap_failure(endpoint, exc, "while sending the change to teammates")
        return f"change saved; it reaches teammates at the next sync ({lost})"
    finally:
        try:
            client.logout()
        except (OSError, EOFError, IMAPClientError):
            log.debug("logout after shipping failed", exc_info=True)
    return None


def run_team_command(args: argparse.Namespace, session: Session) -> int:
    team = team_sync_for(session)
    if args.team_command == "status":
        print(describe_status(team.status()))
        return EXIT_OK
    client = connect_imap(sync_plan(session.config).endpoint)
    try:
        result = team.compact(client)
    except (OSError, EOFError, IMAPClientError) as exc:
        raise MailServerError(f"compacting the events folder failed: {exc}") from None
    finally:
        try:
            client.logout()
        except (OSError, EOFError, IMAPClientError):
            log.debug("logout after compacting failed", exc_info=True)
    apply_remote(session.inbox, session.commands, result.fetched)
    report = result.compacted
    if report is None or not report.done:
        print("Nothing to compact.")
    else:
        print(
            f"Compacted {report.messages_before} message(s) holding {report.events_before} event(s) "
            f"into {report.events_kept} event(s)."
        )
    print(f"Shipped {result.shipped}, received {len(result.fetched)} event(s).", file=sys.stderr)
    return EXIT_OK


def _connections_line(connections: int) -> str:
    if connections == 1:
        every = int(TEAM_EVERY)
        return (
            "IMAP connections while syncing: 1 "
            f"(INBOX; team events exchanged on each wake-up and every {every} s)"
        )
    return "IMAP connections while syncing: 2 (one idles on INBOX, one on the events folder)"


def describe_status(status: TeamStatus) -> str:
    """What `team status` prints: the queue, the read cursor, whether state is signed, what was ignored."""
    read = "never" if status.last_uid is None else f"up to UID {status.last_uid}"
    lines = [
        f"Events folder: {status.folder}",
        f"Team sharing off: {status.sharing_off}" if status.sharing_off else "Team sharing: on",
        f"Waiting to be shipped: at most {status.backlog} event(s)",
        f"Events folder read: {read}",
        _connections_line(status.connections),
    ]
    if status.signed:
        lines.append("Team state: signed with the team key")
    else:
        lines.append(
            "Team state: unauthenticated (no team key): anyone who can put a message into the events "
            "folder with the mailbox password can change it; mail delivered by a server is refused. "
            "See `shared-inbox team key --new`."
        )
    ignored = status.ignored
    lines.append(f"Ignored messages in the events folder: {ignored.total}")
    for entry in ignored.named:
        named = (("from", entry.sender), ("subject", entry.subject))
        source = ", ".join(f"{label} {text!r}" for label, text in named if text)
        lines.append(f"  UID {entry.uid}: {entry.reason}" + (f" ({source})" if source else ""))
    if ignored.total > len(ignored.named):
        lines.append(f"  … and {ignored.total - len(ignored.named)} more")
    return "\n".join(lines)
