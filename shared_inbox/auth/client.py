"""Talking to the provider's OAuth2 endpoints, through authlib.

Every failure ends as one sentence that says what to do: `SignInNeeded` when only a new
`shared-inbox auth login` helps, `TokenUnavailable` when the provider could not be
reached (trying again later may work). Tokens never appear in those sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from shared_inbox.auth.errors import LOGIN_ADVICE as LOGIN_ADVICE
from shared_inbox.auth.errors import SignInNeeded as SignInNeeded
from shared_inbox.config.model import OAuthClientConfig
from shared_inbox.mail.sanitize import clean_line
from shared_inbox.net.errors import AuthError
from shared_inbox.net.oauth import TokenUnavailable

HTTP_TIMEOUT = 20.0  # seconds per request to the provider
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True)
class Tokens:
    """A token endpoint's answer; `expires_in` in seconds (None when the provider does not say)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_in: float | None = None
    id_token: str = field(default="", repr=False)
    scope: str = ""


@dataclass(frozen=True)
class DeviceCode:
    """What the user needs to approve a device-code sign-in (RFC 8628 section 3.2)."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str = ""
    expires_in: float = 900.0
    interval: float = 5.0


class ProviderClient:
    """One registered client at one provider: device authorization, token grants, revocation."""

    def __init__(self, settings: OAuthClientConfig, *, timeout: float = HTTP_TIMEOUT) -> None:
        self.settings = settings
        self.timeout = timeout

    def session(self, **extra: Any) -> OAuth2Session:
        settings = self.settings
        method = "client_secret_post" if settings.client_secret else "none"
        return OAuth2Session(
            client_id=settings.client_id,
            client_secret=settings.client_secret or None,
            scope=" ".join(settings.scopes),
            token_endpoint_auth_method=method,
            revocation_endpoint_auth_method=method,
            **extra,
        )

    def start_device_sign_in(self) -> DeviceCode:
        """Ask for a device code and the user code to show (RFC 8628 section 3.1)."""
        url = self.settings.device_url
        if not url:
            raise SignInNeeded(
                "This provider has no device-code sign-in configured; "
                "run `shared-inbox auth login --browser` or set oauth2.device_url."
            )
        data = {"client_id": self.settings.client_id, "scope": " ".join(self.settings.scopes)}
        if self.settings.client_secret:
            data["client_secret"] = self.settings.client_secret
        answer = self._call("the device authorization endpoint", lambda: self._post_form(url, data))
        try:
            return DeviceCode(
                device_code=str(answer["device_code"]),
                user_code=clean_line(str(answer["user_code"])),
                verification_uri=clean_line(
                    str(answer.get("verification_uri") or answer["verification_url"])
                ),
                verification_uri_complete=clean_line(str(answer.get("verification_uri_complete") or "")),
                expires_in=float(answer.get("expires_in") or 900),
                interval=float(answer.get("interval") or 5),
            )
        except (KeyError, TypeError, ValueError):
            raise TokenUnavailable(
                "The provider's device authorization answer lacks a device or user code; "
                "check oauth2.device_url."
            ) from None

    def poll_device(self, device: DeviceCode) -> Tokens:
        """One poll of the token endpoint; raises OAuthError ("authorization_pending", ...) to the caller."""
        session = self.session()
        try:
            token = session.fetch_token(
                self.settings.token_url,
                grant_type=DEVICE_CODE_GRANT,
                device_code=device.device_code,
                timeout=self.timeout,
            )
        except requests.RequestException:
            raise TokenUnavailable(self._unreachable("the token endpoint")) from None
        except ValueError:
            raise TokenUnavailable(not_json(self.settings.token_url)) from None
        return tokens_from(token)

    def exchange_code(self, session: OAuth2Session, code: str, verifier: str, redirect_uri: str) -> Tokens:
        """The authorization code (with its PKCE verifier) for tokens."""

        def fetch() -> Mapping[str, Any]:
            return session.fetch_token(  # type: ignore[no-any-return]
                self.settings.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=verifier,
                redirect_uri=redirect_uri,
                timeout=self.timeout,
            )

        return tokens_from(self._call("the token endpoint", fetch))

    def refresh(self, refresh_token: str) -> Tokens:
        """A new access token for the stored refresh token."""
        session = self.session()

        def fetch() -> Mapping[str, Any]:
            return session.refresh_token(  # type: ignore[no-any-return]
                self.settings.token_url, refresh_token=refresh_token, timeout=self.timeout
            )

        tokens = tokens_from(self._call("the token endpoint", fetch, refreshing=True))
        return tokens if tokens.refresh_token else _with_refresh(tokens, refresh_token)

    def revoke(self, token: str) -> bool:
        """Ask the provider to forget the refresh token; False when it has no revocation endpoint."""
        url = self.settings.revocation_url
        if not url:
            return False
        session = self.session()
        self._call(
            "the revocation endpoint",
            lambda: _checked(session.revoke_token(url, token=token, token_type_hint="refresh_token")),
        )
        return True

    def _post_form(self, url: str, data: Mapping[str, str]) -> Mapping[str, Any]:
        response = self.session().post(
            url,
            data=dict(data),
            headers={"Accept": "application/json"},
            timeout=self.timeout,
            withhold_token=True,  # the client has no token yet: this request is how it gets one
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            response.raise_for_status()
            raise TokenUnavailable(f"The provider's answer from {url} is not JSON; check oauth2.device_url.")
        if "error" in answer:
            raise OAuthError(error=answer["error"], description=answer.get("error_description"))
        return answer

    def _call(
        self, what: str, call: Callable[[], Mapping[str, Any]], *, refreshing: bool = False
    ) -> Mapping[str, Any]:
        try:
            return call()
        except OAuthError as exc:
            raise provider_refused(exc, what, refreshing=refreshing) from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "an"
            raise TokenUnavailable(
                f"{what.capitalize()} answered with HTTP {status}; try again later."
            ) from None
        except requests.RequestException:
            raise TokenUnavailable(self._unreachable(what)) from None
        except ValueError:  # authlib: a 2xx answer that is not a JSON object (a portal, a wrong URL)
            raise TokenUnavailable(not_json(self.settings.token_url)) from None

    def _unreachable(self, what: str) -> str:
        return f"The OAuth2 provider could not be reached at {what}; check the network and try again."


def provider_refused(exc: OAuthError, what: str, *, refreshing: bool = False) -> AuthError:
    """One sentence for an OAuth2 error answer (RFC 6749 section 5.2)."""
    error = clean_line(str(exc.error or ""))
    if refreshing and error == "invalid_grant":
        return SignInNeeded(f"The refresh token was revoked or has expired; {LOGIN_ADVICE}.")
    if error == "invalid_client":
        return SignInNeeded(
            "The provider does not know this client; check oauth2.client_id and oauth2.client_secret."
        )
    if error in ("invalid_scope", "unauthorized_client"):
        return SignInNeeded(
            f"The provider refused the client or its scopes ({error}); check oauth2.scopes and the app "
            "registration (docs/providers.md)."
        )
    said = clean_line(str(exc.description or ""))[:200]
    return SignInNeeded(
        f"{what.capitalize()} refused the sign-in ({error}{': ' + said if said else ''}); {LOGIN_ADVICE}."
    )


def not_json(url: str) -> str:
    return f"The provider's answer from {url} is not JSON; check oauth2.token_url."


def tokens_from(token: Mapping[str, Any]) -> Tokens:
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise TokenUnavailable("The provider's token answer has no access token; check oauth2.token_url.")
    try:
        expires_in: float | None = float(token["expires_in"])
    except (KeyError, TypeError, ValueError):
        expires_in = None
    return Tokens(
        access_token=access,
        refresh_token=str(token.get("refresh_token") or ""),
        expires_in=expires_in,
        id_token=str(token.get("id_token") or ""),
        scope=str(token.get("scope") or ""),
    )


def _with_refresh(tokens: Tokens, refresh_token: str) -> Tokens:
    return Tokens(tokens.access_token, refresh_token, tokens.expires_in, tokens.id_token, tokens.scope)


def _checked(response: requests.Response) -> Mapping[str, Any]:
    response.raise_for_status()
    return {}
