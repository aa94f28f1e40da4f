"""`shared-inbox summary ID [--json]`: what a conversation is about, in ten seconds of reading."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from shared_inbox.display.text import inert
from shared_inbox.services.bodies import fetch_bodies
from shared_inbox.services.session import Session
from shared_inbox.services.summary import missing_bodies, summary_of
from shared_inbox.services.summary_text import summary_json, summary_text

EXIT_OK, EXIT_FAILURE = 0, 1


def add_summary_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    summary = sub.add_parser("summary", help="summarise a conversation: the ask, open questions, promises")
    summary.add_argument("id", help="conversation id from `list` (or a unique start of it), or a Message-ID")
    summary.add_argument("--json", action="store_true", help="JSON for scripts")
    summary.add_argument(
        "--cached", action="store_true", help="read only bodies already downloaded; never ask the server"
    )


def run_summary(args: argparse.Namespace, session: Session) -> int:
    conv = session.inbox.find(args.id)
    if conv is None:
        print(
            f"shared-inbox: no conversation {inert(args.id)!r}; `shared-inbox list` shows them.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    missing = missing_bodies(session, conv)
    raws = fetch_bodies(session, missing) if missing and not args.cached else {}
    now = datetime.now(UTC)
    summary = summary_of(session, conv, now, raws)
    unread = [mid for mid in missing if raws.get(mid) is None]
    if args.json:
        doc = {"id": conv.id, "subject": conv.subject, **summary_json(summary), "bodies_missing": len(unread)}
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    text = summary_text(summary, None, subject=f"{conv.subject or '(no subject)'}  [{conv.id}]")
    for line in text.splitlines():
        print(inert(line))
    if unread:
        print(f"({len(unread)} message bodies are not downloaded yet and were left out.)")
    return EXIT_OK
