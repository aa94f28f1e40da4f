"""`shared-inbox demo`: try the product on an embedded mailbox, with no account and no config.

The demo servers and files live only as long as this command: without
`--serve` it shows the synced conversation list and cleans up; with `--serve`
it keeps the mailbox running so other commands can use its config meanwhile.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from shared_inbox.domain.conversations import waiting_since
from shared_inbox.domain.model import Conversation, Status

if TYPE_CHECKING:
    from shared_inbox.config import Config

EXIT_OK, EXIT_FAILURE = 0, 1
OVERDUE_HOURS = 24
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def add_demo_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `demo` subcommand on the top-level subparsers."""
    demo = sub.add_parser(
        "demo",
        help="try shared-inbox on an embedded demo mailbox (no account needed)",
        description=(
            "Start an IMAP and an SMTP server on 127.0.0.1, fill them with support mail, "
            "sync it and show the conversations. Everything is deleted when the demo ends."
        ),
    )
    demo.add_argument("--no-ui", action="store_true", help="print the conversation list as plain text")
    demo.add_argument(
        "--serve",
        action="store_true",
        help="keep the demo mailbox running until Ctrl+C, for use with other commands",
    )


def run_demo(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    try:
        from shared_inbox.demo import open_demo
    except ImportError as exc:
        return _fail(f"the demo needs a package that is not installed ({exc.name}); reinstall shared-inbox.")
    from shared_inbox.config import ConfigError
    from shared_inbox.net.errors import MailServerError
    from shared_inbox.store import StoreError

    with _stop_signals_interrupt():
        try:
            with open_demo(on_step=_step) as demo:
                if not args.no_ui and not args.serve:
                    from shared_inbox.cli.interface import run_interface

                    return run_interface(demo.config)
                show_conversations(demo.config)
                if not args.serve:
                    print(
                        "\nThe demo mailbox is deleted when this command ends. To use it from other "
                        "commands, run `shared-inbox demo --serve` and pass the config it prints, e.g. "
                        "`shared-inbox --config PATH list --query assignee:me`."
                    )
                    return EXIT_OK
                _describe_running(demo.config_path, demo.addresses.imap_port, demo.addresses.smtp_port)
                _wait_for_interrupt()
        except (ConfigError, MailServerError, StoreError, OSError) as exc:
            return _fail(f"the demo could not start: {exc}")
    return EXIT_OK


def show_conversations(config: Config) -> None:
    """The conversation list, as `list` prints it, and a one-line summary of the statuses."""
    from shared_inbox.cli.table import print_table
    from shared_inbox.services.session import open_session

    with open_session(config) as session:
        convs = session.inbox.conversations()
        print_table(convs)
        print(summary_line(convs, now=datetime.now(UTC)))


def summary_line(convs: Sequence[Conversation], *, now: datetime) -> str:
    """A line such as: 18 active, 4 pending, 6 closed, 1 spam; 3 waiting for an answer for over 24 hours."""
    counts = Counter(conv.state.status for conv in convs)
    overdue = sum(
        1
        for conv in convs
        if (since := waiting_since(conv)) is not None and (now - since).total_seconds() > OVERDUE_HOURS * 3600
    )
    parts = [f"{counts[status]} {status.value}" for status in Status if counts[status]]
    return f"{', '.join(parts)}; {overdue} waiting for an answer for over {OVERDUE_HOURS} hours."


def _describe_running(config_path: Path, imap_port: int, smtp_port: int) -> None:
    config = shlex.quote(str(config_path))
    print(
        f"\nThe demo mailbox is running: IMAP on 127.0.0.1:{imap_port}, SMTP on 127.0.0.1:{smtp_port}.\n"
        f"Config: {config_path}\n"
        "In another terminal, try:\n"
        f"  shared-inbox --config {config} list --query status:pending\n"
        f"  shared-inbox --config {config} set ID --assign me --status closed\n"
        f"  shared-inbox --config {config} sync --watch\n"
        "Mail sent through the demo SMTP server is filed in Sent, and mail to support@example.com in INBOX.\n"
        "Press Ctrl+C to stop the demo; its files are deleted then.",
        flush=True,
    )


def _wait_for_interrupt() -> None:
    forever = threading.Event()
    with contextlib.suppress(KeyboardInterrupt):
        while not forever.wait(3600):
            pass
    print("\nDemo stopped; its files are deleted.", file=sys.stderr)


@contextlib.contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """Let SIGTERM and SIGHUP stop the demo like Ctrl+C does, so its files are always removed."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in _STOP_SIGNALS:
            previous[sig] = signal.signal(sig, interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _step(text: str) -> None:
    print(f"{text} ...", file=sys.stderr, flush=True)


def _fail(message: str) -> int:
    print(f"shared-inbox: {message}", file=sys.stderr)
    return EXIT_FAILURE
