"""A small local OAuth2 authorization server: it issues access tokens and answers token
introspection (RFC 7662), so Dovecot's `oauth2` passdb and the SMTP receiver can check
tokens without the internet.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.rig.dovecot import HOST


@dataclass(frozen=True, slots=True)
class Grant:
    user: str
    active: bool


class OAuthServer:
    """Issues tokens with `issue()`; `POST /introspect` with `token=...` says whether one is valid."""

    def __init__(self) -> None:
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self.introspections = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server naming
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode("ascii", "replace"))
                token = form.get("token", [""])[0]
                self._answer(owner.introspect(token))

            def do_GET(self) -> None:  # noqa: N802 - Dovecot's "get" mode appends the token
                token = self.path.rpartition("/")[2].partition("?")[0]
                self._answer(owner.introspect(token))

            def _answer(self, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                return

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def introspection_url(self) -> str:
        return f"http://{HOST}:{self.port}/introspect"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def issue(self, user: str, *, expired: bool = False) -> str:
        """A new access token for `user`; an `expired` one is known but no longer active."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[token] = Grant(user, not expired)
        return token

    def introspect(self, token: str) -> dict[str, object]:
        with self._lock:
            self.introspections += 1
            grant = self._grants.get(token)
        if grant is None or not grant.active:
            return {"active": False}
        return {"active": True, "username": grant.user, "token_type": "Bearer"}

    def valid_for(self, token: str, user: str) -> bool:
        answer = self.introspect(token)
        return answer.get("active") is True and answer.get("username") == user

    def __enter__(self) -> OAuthServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
