"""`shared-inbox auth login | status | logout`: the built-in OAuth2 sign-in."""

from __future__ import annotations

import argparse
import sys
import webbrowser

from shared_inbox.config import Config
from shared_inbox.services.signin import (
    DeviceCode,
    SignInError,
    SignInStatus,
    sign_in,
    sign_in_status,
    sign_out,
)

EXIT_OK, EXIT_FAILURE = 0, 1


def run_auth(args: argparse.Namespace, config: Config) -> int:
    try:
        if args.auth_command == "login":
            status = sign_in(
                config,
                browser=args.browser,
                show_code=_show_code,
                open_url=lambda url: _open(url, args.no_open),
            )
            print(f"Signed in as {status.identity}; the refresh token is kept in {status.kept_in}.")
            return EXIT_OK
        if args.auth_command == "status":
            print(_describe(sign_in_status(config)))
            return EXIT_OK
        print(sign_out(config))
        return EXIT_OK
    except SignInError as exc:
        print(f"shared-inbox: {exc}", file=sys.stderr)
        return EXIT_FAILURE


def _show_code(device: DeviceCode) -> None:
    print(f"To sign in, open {device.verification_uri} and enter the code {device.user_code}")
    if device.verification_uri_complete:
        print(f"(or open {device.verification_uri_complete}, which carries the code)")
    print("Waiting for the sign-in to be approved (Ctrl+C to stop)...", flush=True)


def _open(url: str, no_open: bool) -> None:
    print(f"Sign in at: {url}", flush=True)
    if not no_open:
        webbrowser.open(url)


def _describe(status: SignInStatus) -> str:
    text = f"Signed in as {status.identity} (refresh token in {status.kept_in})"
    if status.expires_at is not None:
        text += f"; the access token is valid until {status.expires_at:%Y-%m-%d %H:%M} UTC"
    return text + "."
