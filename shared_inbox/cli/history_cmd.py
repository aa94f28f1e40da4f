"""`shared-inbox history ADDRESS...`: a customer's mail older than the local window, from the server."""

from __future__ import annotations

import argparse
import sys

from shared_inbox.services.server_history import fetch_customer_history
from shared_inbox.services.session import Session

EXIT_OK = 0
EXIT_FAILURE = 1


def add_history_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = sub.add_parser(
        "history", help="fetch a customer's mail older than [imap] sync_since from the server"
    )
    history.add_argument("address", nargs="+", help="the customer's email address(es)")


def run_history(args: argparse.Namespace, session: Session) -> int:
    result = fetch_customer_history(session, args.address)
    print(result.describe(), file=sys.stderr if result.problem else sys.stdout)
    return EXIT_FAILURE if result.problem else EXIT_OK
