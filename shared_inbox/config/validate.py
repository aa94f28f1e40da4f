"""One typed pass from TOML text to a frozen `Config`, collecting every problem."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import platformdirs

from shared_inbox.config.automation import read_automation
from shared_inbox.config.connections import FileContext, read_imap, read_smtp
from shared_inbox.config.errors import ConfigError, Problem
from shared_inbox.config.lines import LineIndex
from shared_inbox.config.model import (
    DEFAULT_EVENTS_FOLDER,
    AccountConfig,
    AfterAction,
    Auth,
    Config,
    FromStyle,
    InterfaceConfig,
    Member,
    OutboxConfig,
    Provider,
    SatisfactionConfig,
    StoreConfig,
    TeamConfig,
    ThreadingConfig,
    ThreadOrder,
)
from shared_inbox.config.oauth_client import read_oauth_client
from shared_inbox.config.providers import apply_preset, read_provider
from shared_inbox.config.reader import Collector, Table, did_you_mean
from shared_inbox.config.service_levels import read_canned, read_hours, read_sla
from shared_inbox.config.team_key import KEY_KEYS, read_team_keys

APP_NAME = "shared-inbox"

TOP_KEYS = frozenset(
    {
        "name",
        "address",
        "theme",
        "account",
        "imap",
        "smtp",
        "team",
        "store",
        "threading",
        "keys",
        "outbox",
        "canned",
        "interface",
        "business_hours",
        "sla",
        "satisfaction",
        "oauth2",
        "automation",
    }
)
ACCOUNT_KEYS = frozenset({"name", "address", "from_style", "reply_to", "provider"})
OUTBOX_KEYS = frozenset({"undo_seconds", "retry_max_minutes", "give_up_after_hours", "keep_sent_days"})
TEAM_KEYS = frozenset({"me", "members", "events_folder"}) | KEY_KEYS
MEMBER_KEYS = frozenset({"name", "email", "signature", "away"})
STORE_KEYS = frozenset({"path"})
MAX_QUESTION_CHARS = 200
DEFAULT_QUESTION = SatisfactionConfig().question
THREADING_KEYS = frozenset(
    {
        "subject_merge",
        "subject_merge_window_days",
        "bulk_starts_clocks",
        "reply_subjects",
        "reply_window_days",
    }
)

# Keys users put at the top level by mistake, and the section they belong to.
_MISPLACED = {
    "me": "[team]",
    "members": "[team]",
    "key_command": "[team]",
    "key_env": "[team]",
    "key_keyring": "[team]",
    "host": "[imap] or [smtp]",
    "port": "[imap] or [smtp]",
    "username": "[imap] or [smtp]",
    "path": "[store]",
    "subject_merge": "[threading]",
    "subject_merge_window_days": "[threading]",
    "reply_subjects": "[threading]",
    "bulk_starts_clocks": "[threading]",
    "auto_reply_window": "[automation]",
}
_EMAIL = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+")
_SYNTAX_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def default_store_path() -> Path:
    return platformdirs.user_data_path(APP_NAME) / "store"


def parse_config(
    text: str,
    *,
    source: str = "<config>",
    file_mode: int | None = None,
    env: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> Config:
    """Validate configuration text. Raises ConfigError listing every problem found.

    `file_mode` (the file's permission bits) decides whether a plain password is
    acceptable; `env` supplies HOME for ``~`` in paths; `base_dir` anchors
    relative paths (the config file's directory).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(exc)], source=source) from None
    environ = os.environ if env is None else env
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    ctx = FileContext(source=source, file_mode=file_mode, base_dir=base_dir, home=home)
    provider = read_provider(data)
    origins = apply_preset(data, provider) if provider is not None else {}
    collector = Collector(LineIndex(text))
    root = Table(collector, (), data, TOP_KEYS, elsewhere=_MISPLACED)

    account = _account(root)
    imap = read_imap(root, ctx)
    smtp = read_smtp(root, ctx, imap)
    built_in = [conn for conn in (imap, smtp) if conn.auth is Auth.OAUTH2 and conn.token is None]
    oauth2 = read_oauth_client(root, used=bool(built_in))
    team = _team(root, account.address)
    store = _store(root, ctx)
    threading = _threading(root)
    outbox = _outbox(root)
    canned = read_canned(root, ctx)
    interface_table = root.table("interface", frozenset({"after_action", "thread_order"}))
    interface = InterfaceConfig(
        after_action=interface_table.choice("after_action", AfterAction, AfterAction.NEXT),
        thread_order=interface_table.choice("thread_order", ThreadOrder, ThreadOrder.OLDEST_FIRST),
    )
    hours = read_hours(root)
    sla = read_sla(root)
    satisfaction = _satisfaction(root)
    automation = read_automation(root)
    keys = root.string_table("keys") if root.has("keys") else {}
    theme = root.optional_text("theme")
    if collector.problems:
        raise ConfigError(collector.problems, source=source)
    return Config(
        account=account,
        imap=imap,
        smtp=smtp,
        team=team,
        store=store,
        threading=threading,
        outbox=outbox,
        canned=canned,
        interface=interface,
        oauth2=oauth2,
        business_hours=hours,
        sla=sla,
        satisfaction=satisfaction,
        automation=automation,
        keys=MappingProxyType(dict(keys)),
        theme=theme,
        origins=MappingProxyType(origins),
        warnings=tuple(collector.warnings),
    )


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    position = _SYNTAX_POSITION.search(message)
    line = int(position.group(1)) if position else None
    if position:
        message = message[: position.start()].rstrip()
        message += f" (column {position.group(2)})"
    return Problem("", line, f"TOML syntax error: {message}", "see https://toml.io for the file format")


def read_email(table: Table, key: str, *, required: bool, what: str = "") -> str:
    """A lower-cased email address; a problem (and "") when missing or malformed."""
    value = table.required_text(key, what=what) if required else table.optional_text(key)
    if not value:
        return ""
    address = value.strip()
    if not _EMAIL.fullmatch(address):
        table.problem(
            key, f"{value!r} is not an email address", "write only the address, e.g. ann@example.com"
        )
        return ""
    return address.lower()


def _account(root: Table) -> AccountConfig:
    """`name` and `address` may sit at the top level or in [account]."""
    section = root.table("account", ACCOUNT_KEYS)
    values: dict[str, Table] = {}
    for key in ("name", "address"):
        if root.has(key) and section.has(key):
            root.problem(key, f"'{key}' is set both at the top level and in [account]; keep one")
        values[key] = root if root.has(key) else section
    name = values["name"].required_text("name", what="your company or team name, shown to customers")
    address = read_email(
        values["address"], "address", required=True, what="the support address customers write to"
    )
    from_style = section.choice("from_style", FromStyle, FromStyle.AGENT_VIA)
    reply_to = read_email(section, "reply_to", required=False) or None
    provider = section.choice("provider", Provider, Provider.GENERIC)
    return AccountConfig(
        name=name, address=address, from_style=from_style, reply_to=reply_to, provider=provider
    )


def _team(root: Table, address: str) -> TeamConfig:
    if not root.has("team"):
        root.problem("team", 'missing required section [team] (at least me = "your email address")')
        return TeamConfig(me="", members=())
    table = root.table("team", TEAM_KEYS)
    me = read_email(table, "me", required=True, what="the email address of the agent using this copy")
    members: list[Member] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(table.tables("members", MEMBER_KEYS)):
        name = entry.required_text("name")
        email = read_email(entry, "email", required=True)
        signature = entry.text("signature", "", multiline=True, allow_empty=True)
        if email and email in seen:
            entry.problem("email", f"{email} is listed twice (also member {seen[email] + 1})")
        elif email:
            seen[email] = index
        away = entry.flag("away", False)
        members.append(Member(name=name, email=email, signature=signature, away=away))
    if not members:
        if me:
            members.append(Member(name=me.partition("@")[0], email=me))
    elif me and me not in seen:
        hint = did_you_mean(me, seen) or "add a [[team.members]] entry for yourself"
        table.problem("me", f"{me} is not one of the team.members", hint)
    key, previous_key = read_team_keys(table, address)
    return TeamConfig(
        me=me,
        members=tuple(members),
        events_folder=_events_folder(table),
        key=key,
        previous_key=previous_key,
    )


def _events_folder(table: Table) -> str:
    """The IMAP folder team events travel through; "/" separates levels whatever the server uses."""
    name = table.text("events_folder", DEFAULT_EVENTS_FOLDER).strip().strip("/")
    if not name or name.upper() == "INBOX" or any(not c.isprintable() or c in "*%" for c in name):
        hint = "e.g. SharedInbox/Events"
        table.problem("events_folder", f"{name!r} cannot be the team events folder", hint)
        return DEFAULT_EVENTS_FOLDER
    return name


def _store(root: Table, ctx: FileContext) -> StoreConfig:
    table = root.table("store", STORE_KEYS)
    raw = table.optional_text("path")
    path = ctx.expand(raw) if raw is not None else default_store_path()
    if path.exists() and not path.is_dir():
        table.problem("path", f"{path} exists and is not a directory")
    return StoreConfig(path=path)


def _threading(root: Table) -> ThreadingConfig:
    table = root.table("threading", THREADING_KEYS)
    return ThreadingConfig(
        subject_merge=table.flag("subject_merge", False),
        subject_merge_window_days=table.integer("subject_merge_window_days", 7, minimum=1, maximum=365),
        bulk_starts_clocks=table.flag("bulk_starts_clocks", False),
        reply_subjects=table.flag("reply_subjects", True),
        reply_window_days=table.integer("reply_window_days", 30, minimum=1, maximum=365),
    )


def _satisfaction(root: Table) -> SatisfactionConfig:
    table = root.table("satisfaction", frozenset({"enabled", "question"}))
    question = " ".join(table.text("question", DEFAULT_QUESTION).split())
    if not question or len(question) > MAX_QUESTION_CHARS:
        table.problem("question", f"the question must be 1 to {MAX_QUESTION_CHARS} characters")
    return SatisfactionConfig(enabled=table.flag("enabled", False), question=question[:MAX_QUESTION_CHARS])


def _outbox(root: Table) -> OutboxConfig:
    table = root.table("outbox", OUTBOX_KEYS)
    return OutboxConfig(
        undo_seconds=table.integer("undo_seconds", 10, minimum=0, maximum=600),
        retry_max_minutes=table.integer("retry_max_minutes", 30, minimum=1, maximum=24 * 60),
        give_up_after_hours=table.integer("give_up_after_hours", 48, minimum=1, maximum=24 * 30),
        keep_sent_days=table.integer("keep_sent_days", 7, minimum=0, maximum=365),
    )
