"""A small local OAuth2 provider: device authorization (RFC 8628), the token endpoint
(device_code, refresh_token and authorization_code with PKCE grants), revocation (RFC 7009)
and token introspection (RFC 7662), so Dovecot's `oauth2` passdb, the SMTP receiver and
`shared-inbox auth login` meet a real provider without the internet.

Tests steer it through hooks: `approve` / `deny` a device code, `revoke` a refresh token,
`expire` an access token, `consent_as` for the browser sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.rig.dovecot import HOST

CLIENT_ID = "shared-inbox-rig"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True, slots=True)
class Grant:
    user: str
    active: bool


@dataclass
class DeviceRequest:
    """One device authorization, waiting for the user (a test hook) to decide."""

    user_code: str
    device_code: str
    user: str = ""  # set on approval
    denied: bool = False
    expired: bool = False
    used: bool = False
    polls: int = 0
    slow_downs: int = 0  # how many more polls are answered slow_down


@dataclass
class CodeRequest:
    user: str
    challenge: str
    redirect_uri: str


@dataclass
class Counts:
    grants: Counter[str] = field(default_factory=Counter)


class OAuthServer:
    """The provider. `issue()` mints an access token directly; the endpoints do the rest."""

    def __init__(self, *, access_lifetime: int = 3600, interval: int = 1, rotate: bool = False) -> None:
        self._grants: dict[str, Grant] = {}
        self._refresh: dict[str, str] = {}  # live refresh token -> user
        self._devices: dict[str, DeviceRequest] = {}  # by device code
        self._codes: dict[str, CodeRequest] = {}
        self._consent_user = ""
        self._lock = threading.Lock()
        self.introspections = 0
        self.access_lifetime = access_lifetime
        self.rotate = (
            rotate  # each refresh answers a new refresh token and retires the old one (as Microsoft does)
        )
        self.interval = interval
        self.counts = Counts()
        self.revocations: list[str] = []
        self.seen_secrets: list[str] = []  # client secrets sent to the token endpoint
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = parse_qs(self.rfile.read(length).decode("ascii", "replace"))
                form = {key: values[0] for key, values in raw.items()}
                path = urlsplit(self.path).path
                status, body = owner.handle(path, form)
                self._answer(status, body)

            def do_GET(self) -> None:  # noqa: N802 - Dovecot's "get" mode appends the token
                parts = urlsplit(self.path)
                if parts.path == "/authorize":
                    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                    self.send_response(302)
                    self.send_header("Location", owner.authorize(query))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._answer(200, owner.introspect(parts.path.rpartition("/")[2]))

            def _answer(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
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
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def introspection_url(self) -> str:
        return f"{self.url}/introspect"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- hooks for tests ---------------------------------------------------------------

    def issue(self, user: str, *, expired: bool = False) -> str:
        """A new access token for `user`; an `expired` one is known but no longer active."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[token] = Grant(user, not expired)
        return token

    def approve(self, user_code: str, user: str, *, slow_downs: int = 0) -> None:
        """The user signs in as `user` and approves the device code (after `slow_downs` slow_down answers)."""
        request = self._device_by_user_code(user_code)
        with self._lock:
            request.user = user
            request.slow_downs = slow_downs

    def deny(self, user_code: str) -> None:
        request = self._device_by_user_code(user_code)
        with self._lock:
            request.denied = True

    def expire_device_code(self, user_code: str) -> None:
        request = self._device_by_user_code(user_code)
        with self._lock:
            request.expired = True

    def revoke(self, refresh_token: str) -> None:
        with self._lock:
            self._refresh.pop(refresh_token, None)

    def revoke_user(self, user: str) -> None:
        """Every refresh token of `user` stops working (the admin signs the user out everywhere)."""
        with self._lock:
            for token in [t for t, owner in self._refresh.items() if owner == user]:
                del self._refresh[token]

    def expire(self, access_token: str) -> None:
        """The access token stops working early (as providers do after a password change)."""
        with self._lock:
            grant = self._grants.get(access_token)
            if grant is not None:
                self._grants[access_token] = Grant(grant.user, False)

    def consent_as(self, user: str) -> None:
        """Who signs in and consents when a browser opens /authorize."""
        with self._lock:
            self._consent_user = user

    def refresh_tokens_of(self, user: str) -> list[str]:
        with self._lock:
            return [token for token, owner in self._refresh.items() if owner == user]

    def access_tokens_of(self, user: str) -> list[str]:
        with self._lock:
            return [token for token, grant in self._grants.items() if grant.user == user]

    def _device_by_user_code(self, user_code: str) -> DeviceRequest:
        with self._lock:
            for request in self._devices.values():
                if request.user_code == user_code:
                    return request
        raise LookupError(f"no device authorization with user code {user_code!r}")

    # -- endpoints ---------------------------------------------------------------------

    def handle(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        if path == "/introspect":
            return 200, self.introspect(form.get("token", ""))
        if form.get("client_id", CLIENT_ID) != CLIENT_ID:
            return 401, {"error": "invalid_client"}
        if path == "/device":
            return 200, self._device_authorization()
        if path == "/token":
            if form.get("client_secret"):
                self.seen_secrets.append(form["client_secret"])
            return self._token(form)
        if path == "/revoke":
            self.revocations.append(form.get("token_type_hint", ""))
            self.revoke(form.get("token", ""))
            return 200, {}
        return 404, {"error": "not_found"}

    def _device_authorization(self) -> dict[str, object]:
        request = DeviceRequest(
            user_code=f"{secrets.randbelow(10**4):04d}-{secrets.randbelow(10**4):04d}",
            device_code=secrets.token_urlsafe(24),
        )
        with self._lock:
            self._devices[request.device_code] = request
        return {
            "device_code": request.device_code,
            "user_code": request.user_code,
            "verification_uri": f"{self.url}/device-login",
            "expires_in": 600,
            "interval": self.interval,
        }

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        grant = form.get("grant_type", "")
        with self._lock:
            self.counts.grants[grant] += 1
        if grant == DEVICE_CODE_GRANT:
            return self._device_grant(form.get("device_code", ""))
        if grant == "refresh_token":
            with self._lock:
                user = self._refresh.pop(form.get("refresh_token", ""), None) if self.rotate else None
                user = user or self._refresh.get(form.get("refresh_token", ""))
            if user is None:
                return 400, {"error": "invalid_grant", "error_description": "refresh token revoked"}
            return 200, self._tokens_for(user, refresh=self.rotate)
        if grant == "authorization_code":
            with self._lock:
                request = self._codes.pop(form.get("code", ""), None)
            if request is None or request.redirect_uri != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant"}
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if challenge != request.challenge:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
            return 200, self._tokens_for(request.user, refresh=True)
        return 400, {"error": "unsupported_grant_type"}

    def _device_grant(self, device_code: str) -> tuple[int, dict[str, object]]:
        with self._lock:
            request = self._devices.get(device_code)
            if request is None or request.used:
                return 400, {"error": "invalid_grant"}
            request.polls += 1
            if request.expired:
                return 400, {"error": "expired_token"}
            if request.denied:
                return 400, {"error": "access_denied"}
            if not request.user:
                return 400, {"error": "authorization_pending"}
            if request.slow_downs:
                request.slow_downs -= 1
                return 400, {"error": "slow_down"}
            request.used = True
            user = request.user
        return 200, self._tokens_for(user, refresh=True)

    def _tokens_for(self, user: str, *, refresh: bool) -> dict[str, object]:
        access = self.issue(user)
        answer: dict[str, object] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_lifetime,
        }
        if refresh:
            token = secrets.token_urlsafe(32)
            with self._lock:
                self._refresh[token] = user
            answer["refresh_token"] = token
        return answer

    def authorize(self, query: dict[str, str]) -> str:
        """Where the browser goes next: back to the redirect URI with a code (the user consented)."""
        code = secrets.token_urlsafe(16)
        redirect = query.get("redirect_uri", "")
        with self._lock:
            user = self._consent_user
            if query.get("code_challenge_method") == "S256" and user:
                self._codes[code] = CodeRequest(user, query.get("code_challenge", ""), redirect)
        if not user:
            return f"{redirect}?{urlencode({'error': 'access_denied', 'state': query.get('state', '')})}"
        return f"{redirect}?{urlencode({'code': code, 'state': query.get('state', '')})}"

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
