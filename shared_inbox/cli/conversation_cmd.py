"""`shared-inbox merge` and `shared-inbox split`: correcting how mail was grouped, from scripts."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from shared_inbox.services.session import Session

EXIT_OK = 0


def add_regroup_parsers(sub: Any) -> None:
    merge = sub.add_parser("merge", help="merge conversations into the oldest one (prints its id)")
    merge.add_argument(
        "ids", nargs="+", metavar="ID", help="conversation ids (or unique starts, or Message-IDs)"
    )
    split = sub.add_parser("split", help="move a message and its replies out into a new conversation")
    split.add_argument("message_id", metavar="MESSAGE_ID", help="the Message-ID of the message to move out")


def run_regroup(args: argparse.Namespace, session: Session) -> int:
    from shared_inbox.cli.team_cmd import ship_now
    from shared_inbox.services import merging

    if args.command == "merge":
        done = merging.merge(session.inbox, session.commands, args.ids)
        said = f"Merged {done.moved} message(s) into {done.conversation_id}."
    else:
        done = merging.split(session.inbox, session.commands, args.message_id)
        said = f"Moved {done.moved} message(s) out into {done.conversation_id}."
    warning = ship_now(session)
    if warning:
        print(f"shared-inbox: warning: {warning}", file=sys.stderr)
    print(done.conversation_id)
    print(said, file=sys.stderr)
    return EXIT_OK
