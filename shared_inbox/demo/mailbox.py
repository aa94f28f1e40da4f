"""Putting a demo together: servers, seeded mail, a config, a first real sync, team state.

Every step goes through the same code a real mailbox does: the config loader,
IMAP sync over a socket, and the command layer for assignments and statuses.
The demo only differs in where the servers and files live, and it removes
every file it made when it is closed.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from shared_inbox.config import Config, load_config
from shared_inbox.corpus import support_mail_demo
from shared_inbox.demo.extras import apply_demo_extras, write_canned_replies
from shared_inbox.demo.seed import demo_deliveries
from shared_inbox.demo.servers import DemoServers, ServerAddresses
from shared_inbox.demo.state import StateReport, apply_demo_state
from shared_inbox.demo.workspace import DOMAIN, SUPPORT_ADDRESS, demo_team, write_demo_config
from shared_inbox.services.session import open_session
from shared_inbox.services.syncing import SyncRound

log = logging.getLogger(__name__)

TEMP_PREFIX = "shared-inbox-demo-"
Step = Callable[[str], None]


def _quiet(step: str) -> None:
    return None


@dataclass
class DemoMailbox:
    """A running demo: where its servers listen and where its config and store are.

    The store is closed between uses, so any command (or a front end) can open
    it with `--config config_path`, as with a real mailbox.
    """

    directory: Path
    config_path: Path
    config: Config
    servers: DemoServers
    first_sync: SyncRound | None = None
    state: StateReport | None = None

    @property
    def addresses(self) -> ServerAddresses:
        return self.servers.addresses

    def close(self) -> None:
        """Stop the servers and delete the demo directory. Safe to call twice."""
        try:
            self.servers.close()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> DemoMailbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_demo(
    *,
    now: datetime | None = None,
    parent: Path | None = None,
    on_step: Step = _quiet,
) -> DemoMailbox:
    """Start and fill a demo mailbox; `now` anchors the mail's dates (default: the current time).

    The demo directory is made under `parent` (default: the system temp dir)
    with mode 0700. On any failure everything started so far is undone.
    """
    moment = now or datetime.now(UTC)
    directory = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=parent))
    servers: DemoServers | None = None
    try:
        team = demo_team(SUPPORT_ADDRESS, DOMAIN)
        on_step("Starting the demo IMAP and SMTP servers on 127.0.0.1")
        servers = DemoServers.start(support_address=SUPPORT_ADDRESS, team_addresses=[m.email for m in team])
        mail = support_mail_demo(moment, support_address=SUPPORT_ADDRESS, domain=DOMAIN)
        servers.deliver(demo_deliveries(mail, moment))
        write_canned_replies(directory)
        path = write_demo_config(directory, servers.addresses, team, support_address=SUPPORT_ADDRESS)
        demo = DemoMailbox(directory=directory, config_path=path, config=load_config(path), servers=servers)
        on_step(f"Syncing {len(mail)} messages over IMAP")
        sync_and_triage(demo, moment)
        return demo
    except BaseException:
        if servers is not None:
            servers.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise


def sync_and_triage(demo: DemoMailbox, now: datetime) -> None:
    """The first sync, then the team's earlier work (assignments, statuses) through the command layer.

    The events are stamped with `now`, the moment the mail's dates are relative
    to, so no seeded message counts as arriving after the team acted on it.
    """
    with open_session(demo.config, now=lambda: now) as session:
        result = session.sync_service().sync_once()
        demo.first_sync = result
        demo.state = apply_demo_state(session, now)
        demo.state.changes += apply_demo_extras(session, now)
