"""The `shared-inbox` command line: argument parsing and error reporting.

Every failure a user can cause or meet (bad config, server down, wrong
password, a store in use) ends as one clear sentence and a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from shared_inbox import __version__

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_SIGPIPE = 141  # 128 + SIGPIPE, what a tool killed by the signal reports


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shared-inbox",
        description="A terminal shared inbox for small support teams.",
    )
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: $SHARED_INBOX_CONFIG, else XDG)"
    )
    parser.add_argument("--version", action="version", version=f"shared-inbox {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    config = sub.add_parser("config", help="check the configuration")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_sub.add_parser("check", help="validate the config file and try the passwords")

    sync = sub.add_parser("sync", help="mirror the mailbox into the local store")
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="sync once and exit (the default)")
    mode.add_argument("--watch", action="store_true", help="keep syncing; new mail arrives via IDLE")
    sync.add_argument("--headers-only", action="store_true", help="skip caching message bodies")
    sync.add_argument("--quiet", action="store_true", help="no progress output")

    listing = sub.add_parser("list", help="print conversations")
    listing.add_argument("--json", action="store_true", help="JSON for scripts")
    listing.add_argument("--query", default="", help='filter, e.g. "status:active assignee:me tag:vip"')
    listing.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")

    change = sub.add_parser("set", help="change a conversation's state")
    change.add_argument("id", help="conversation id from `list` (or a unique start of it), or a Message-ID")
    who = change.add_mutually_exclusive_group()
    who.add_argument("--assign", metavar="WHO", help="assign to a teammate (email, or 'me')")
    who.add_argument("--unassign", action="store_true")
    change.add_argument("--status", choices=["active", "pending", "closed", "spam"])
    change.add_argument("--tag", action="append", default=[], metavar="TAG")
    change.add_argument("--untag", action="append", default=[], metavar="TAG")
    change.add_argument("--json", action="store_true", help="print the resulting conversation as JSON")

    from shared_inbox.cli.conversation_cmd import add_regroup_parsers

    add_regroup_parsers(sub)

    from shared_inbox.cli.customer_cmd import add_customer_parser

    add_customer_parser(sub)

    from shared_inbox.cli.demo_cmd import add_demo_parser

    add_demo_parser(sub)

    from shared_inbox.cli.outbox_cmd import add_outbox_parsers

    add_outbox_parsers(sub)

    from shared_inbox.cli.deadlines_cmd import add_due_parser

    add_due_parser(sub)

    from shared_inbox.cli.report_cmd import add_report_parser

    add_report_parser(sub)

    from shared_inbox.cli.canned_cmd import add_canned_parser

    add_canned_parser(sub)

    from shared_inbox.cli.team_cmd import add_team_parser

    add_team_parser(sub)

    from shared_inbox.cli.rules_cmd import add_rules_parser

    add_rules_parser(sub)

    from shared_inbox.cli.summary_cmd import add_summary_parser

    add_summary_parser(sub)

    from shared_inbox.cli.auth_args import add_auth_parser

    add_auth_parser(sub)

    from shared_inbox.cli.history_cmd import add_history_parser

    add_history_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.command is None:  # no command: the interface, which opens the store behind its first screen
        from shared_inbox.cli.config_file import load_or_explain
        from shared_inbox.cli.interface import run_interface
        from shared_inbox.config import locate_config

        config = load_or_explain(locate_config(args.config, os.environ), os.environ)
        if config is None:
            return EXIT_FAILURE
        try:
            return run_interface(config)
        except KeyboardInterrupt:
            return 130
    from shared_inbox.cli.commands import run

    try:
        status = run(args, os.environ)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The reader of our output went away (`| head -1`): stop quietly, as other tools do.

    Whatever is still buffered for stdout goes to /dev/null, so the interpreter's last flush
    does not fail again on the way out.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_SIGPIPE
