"""The arguments of `shared-inbox auth`, apart from the command: building the parser must not load
the sign-in's HTTP client, which only `auth` itself and an OAuth2 sign-in need."""

from __future__ import annotations

from typing import Any


def add_auth_parser(sub: Any) -> None:
    auth = sub.add_parser("auth", help="sign in to the mail provider (OAuth2)")
    actions = auth.add_subparsers(dest="auth_command", metavar="ACTION", required=True)
    login = actions.add_parser(
        "login", help="sign in with a code shown here (or in a browser with --browser)"
    )
    login.add_argument(
        "--browser",
        action="store_true",
        help="sign in in a web browser on this machine (authorization code with PKCE)",
    )
    login.add_argument("--no-open", action="store_true", help="with --browser: print the URL, open nothing")
    actions.add_parser("status", help="who is signed in, and until when the access token holds")
    actions.add_parser("logout", help="forget the sign-in (and revoke it where the provider can)")
