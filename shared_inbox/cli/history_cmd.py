"""`shared-inbox history`: mail older than the local window, from the server.

`history ADDRESS...` brings a customer's older mail; `history --search QUERY` the older mail
that answers a conversation search (as `H` does in the reader and in the list).
"""

from __future__ import annotations

import argparse
import sys

from shared_inbox.services.server_history import fetch_customer_history, search_server
from shared_inbox.services.session import Session

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_history_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = sub.add_parser(
        "history", help="fetch mail older than [imap] sync_since from the server: a customer's, or a search's"
    )
    history.add_argument("address", nargs="*", help="the customer's email address(es)")
    history.add_argument(
        "--search", metavar="QUERY", help="a conversation search, e.g. 'refund from:ann@example.org'"
    )


def run_history(args: argparse.Namespace, session: Session) -> int:
    if bool(args.address) == bool(args.search):
        print("Give either the customer's addresses or --search QUERY.", file=sys.stderr)
        return EXIT_USAGE
    if args.search:
        result = search_server(session, args.search)
    else:
        result = fetch_customer_history(session, args.address)
    print(result.describe(), file=sys.stderr if result.problem else sys.stdout)
    return EXIT_FAILURE if result.problem else EXIT_OK
