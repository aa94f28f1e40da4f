"""`shared-inbox customer link` / `unlink`: one customer writing from several addresses."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from shared_inbox.services.session import Session

EXIT_OK = 0


def add_customer_parser(sub: Any) -> None:
    customer = sub.add_parser("customer", help="link a customer's addresses into one person")
    actions = customer.add_subparsers(dest="customer_command", metavar="ACTION", required=True)
    link = actions.add_parser("link", help="make the addresses one customer (prints all of their addresses)")
    link.add_argument("addresses", nargs="+", metavar="ADDRESS")
    unlink = actions.add_parser("unlink", help="take an address out of the customer it was linked into")
    unlink.add_argument("address", metavar="ADDRESS")


def run_customer(args: argparse.Namespace, session: Session) -> int:
    from shared_inbox.cli.team_cmd import ship_now
    from shared_inbox.services import customer_links

    inbox, commands = session.inbox, session.commands
    if args.customer_command == "link":
        customer_links.link(inbox, commands, args.addresses)
        shown = customer_links.person_addresses(inbox, args.addresses[0].strip().lower())
        said = f"Linked: {len(shown)} addresses are one customer now."
    else:
        customer_links.unlink(inbox, commands, args.address)
        shown = frozenset({args.address.strip().lower()})
        said = f"Unlinked {args.address.strip().lower()}."
    warning = ship_now(session)
    if warning:
        print(f"shared-inbox: warning: {warning}", file=sys.stderr)
    for address in sorted(shown):
        print(address)
    print(said, file=sys.stderr)
    return EXIT_OK
