"""The IMAP endpoint a validated Config describes, password resolved on demand."""

from __future__ import annotations

import os
from collections.abc import Mapping

from shared_inbox.auth.tokens import oauth_login
from shared_inbox.config import Config, resolve_password
from shared_inbox.imap.connection import Endpoint


def imap_endpoint(config: Config, env: Mapping[str, str] | None = None) -> Endpoint:
    """The [imap] section as an Endpoint (resolving the password may run the password command)."""
    imap = config.imap
    return Endpoint(
        host=imap.host,
        port=imap.port,
        security=imap.security,
        username=imap.username,
        password=resolve_password(imap, env if env is not None else os.environ),
        ca_file=imap.tls_ca_file,
        oauth=oauth_login(config, imap),
    )
