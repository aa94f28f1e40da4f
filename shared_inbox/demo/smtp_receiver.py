"""The demo's SMTP server: mail sent in the demo comes back into the demo mailbox.

It behaves like a provider's submission server that files a copy of what the
team sends in Sent (as Gmail does, hence `server_saves_sent = true` in the demo
config) and delivers mail addressed to the support address to INBOX. Mail for
customers goes nowhere else: they are fictional. Anything that is neither from
the team nor to the support address is refused, as an open relay would be.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from aiosmtpd.smtp import SMTP, Envelope, Session

from shared_inbox.demo.imap_server import Delivery
from shared_inbox.wallclock import Now, utc_now

log = logging.getLogger(__name__)

SEEN = "\\Seen"
Deliver = Callable[[Delivery], Awaitable[None]]


def _bare(address: str | None) -> str:
    return (address or "").strip().strip("<>").lower()


def route(
    mail_from: str | None,
    rcpt_tos: Iterable[str],
    *,
    support_address: str,
    team_addresses: frozenset[str],
) -> list[tuple[str, frozenset[str]]]:
    """The folders (with flags) a message goes to: Sent for the team's mail, INBOX for the support address.

    A message from the team to the support address itself lands in both, like
    on a real server. The list is empty when the message is for no one here.
    """
    folders: list[tuple[str, frozenset[str]]] = []
    if _bare(mail_from) in team_addresses:
        folders.append(("Sent", frozenset({SEEN})))
    if any(_bare(rcpt) == support_address for rcpt in rcpt_tos):
        folders.append(("INBOX", frozenset()))
    return folders


class DemoSmtpHandler:
    """aiosmtpd hooks: accept what the demo can file, then file it through `deliver`."""

    def __init__(
        self,
        deliver: Deliver,
        *,
        support_address: str,
        team_addresses: frozenset[str],
        now: Now = utc_now,
    ) -> None:
        self.deliver = deliver
        self.support_address = support_address.lower()
        self.team_addresses = frozenset(a.lower() for a in team_addresses) | {self.support_address}
        self.now = now

    def _folders(self, mail_from: str | None, rcpt_tos: Iterable[str]) -> list[tuple[str, frozenset[str]]]:
        return route(
            mail_from, rcpt_tos, support_address=self.support_address, team_addresses=self.team_addresses
        )

    async def handle_RCPT(  # noqa: N802 - the hook name aiosmtpd looks up
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not self._folders(envelope.mail_from, [address]):
            return (
                f"550 5.7.1 Relaying denied: the demo server takes mail for {self.support_address} "
                "and mail sent by the team"
            )
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - the hook name aiosmtpd looks up
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):  # only with decode_data=True, which the demo does not use
            raw = raw.encode("utf-8", "surrogateescape")
        when = self.now()
        for folder, flags in self._folders(envelope.mail_from, envelope.rcpt_tos):
            await self.deliver(Delivery(folder=folder, raw=raw, flags=flags, when=when))
            log.info("demo SMTP: filed a %d-byte message in %s", len(raw), folder)
        return "250 2.0.0 Message accepted for delivery"


def smtp_protocol_factory(handler: DemoSmtpHandler) -> Callable[[], SMTP]:
    """What `loop.create_server` needs; a fixed host name avoids aiosmtpd's DNS look-up."""

    def build() -> SMTP:
        return SMTP(handler, hostname="localhost", enable_SMTPUTF8=True, decode_data=False)

    return build
