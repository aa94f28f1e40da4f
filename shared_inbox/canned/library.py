"""Canned replies on disk: one Markdown file per reply, with TOML front matter between ``+++`` lines.

    +++
    name = "Refund: how to"
    tags = ["billing", "refund"]
    outside_hours = "Closed"            # sent instead by a rule when the team is not at work
    [actions]
    status = "pending"                  # active | pending | closed, set on send
    tags = ["refund"]                   # added on send
    snooze = "in 3 days"                # a follow-up time, as typed for a snooze
    promise = "within 2 business days"  # a promise recorded on send
    +++
    Hi {{ customer.first_name | default: "there" }}, ...

The team's directory is shared; the personal one belongs to the agent. A broken file is
listed with what is wrong and skipped, so one typo never hides the rest of the library.
Paths only ever come from walking these two directories, never from mail.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from shared_inbox.domain.promises import MAX_FOLLOW_UP_CHARS
from shared_inbox.domain.templates import Template, TemplateError, parse_template

__all__ = [
    "PERSONAL_PREFIX",
    "CannedActions",
    "CannedReply",
    "Library",
    "LibraryProblem",
    "load_library",
    "parse_reply",
]

FENCE = "+++"
PERSONAL_PREFIX = "~/"  # personal reply ids start with this, so they never collide with the team's
MAX_FILE_BYTES = 200_000
MAX_FILES = 2_000
STATUSES = ("active", "pending", "closed")
_TOP_KEYS = frozenset({"name", "tags", "actions", "outside_hours"})
MAX_NAME_CHARS = 200
_ACTION_KEYS = frozenset({"status", "tags", "snooze", "promise"})


@dataclass(frozen=True, slots=True)
class CannedActions:
    """What sending a reply also does to the conversation; empty fields do nothing."""

    status: str | None = None
    tags: tuple[str, ...] = ()
    snooze: str | None = None  # a follow-up phrase, read when the reply is sent
    promise: str | None = None  # a deadline phrase; it is also the promise's text

    @property
    def empty(self) -> bool:
        return self.status is None and not self.tags and self.snooze is None and self.promise is None


@dataclass(frozen=True, slots=True)
class CannedReply:
    id: str  # the path relative to its directory, "~/"-prefixed for personal replies
    name: str
    tags: tuple[str, ...]
    template: Template
    actions: CannedActions = field(default_factory=CannedActions)
    personal: bool = False
    # Sent instead when a rule sends this reply while the team is not at work (its name or id).
    outside_hours: str | None = None

    @property
    def body(self) -> str:
        return self.template.source


@dataclass(frozen=True, slots=True)
class LibraryProblem:
    """A file that could not be used, and why."""

    id: str
    problem: str


@dataclass(frozen=True, slots=True)
class Library:
    replies: tuple[CannedReply, ...] = ()
    problems: tuple[LibraryProblem, ...] = ()

    def find(self, id_or_name: str) -> CannedReply | None:
        """The reply with this id, else the one with this name (case-insensitive), else None."""
        wanted = id_or_name.strip()
        for reply in self.replies:
            if reply.id == wanted:
                return reply
        named = [reply for reply in self.replies if reply.name.casefold() == wanted.casefold()]
        return named[0] if named else None


def load_library(team_dir: Path | None, personal_dir: Path | None) -> Library:
    """Every reply under both directories; a missing directory is simply empty."""
    replies: list[CannedReply] = []
    problems: list[LibraryProblem] = []
    for directory, personal in ((team_dir, False), (personal_dir, True)):
        if directory is None:
            continue
        for path in _reply_files(directory, problems, personal):
            reply_id = _reply_id(directory, path, personal)
            try:
                replies.append(parse_reply(reply_id, _read(path), personal=personal))
            except ValueError as exc:
                problems.append(LibraryProblem(reply_id, str(exc)))
    return Library(tuple(replies), tuple(problems))


def parse_reply(reply_id: str, text: str, *, personal: bool = False) -> CannedReply:
    """One reply file's text; raises ValueError saying everything that is wrong with it."""
    front, body = _split(text)
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"front matter is not valid TOML: {exc}") from None
    problems = [f"unknown front matter key {key!r}" for key in sorted(set(data) - _TOP_KEYS)]
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append('front matter needs a name, e.g. name = "Refund: how to"')
        name = ""
    tags = _strings(data.get("tags", []), "tags", problems)
    actions = _actions(data.get("actions", {}), problems)
    outside_hours = data.get("outside_hours")
    if outside_hours is not None and (
        not isinstance(outside_hours, str) or not outside_hours.strip() or len(outside_hours) > MAX_NAME_CHARS
    ):
        problems.append('outside_hours must name another saved reply, e.g. outside_hours = "We are closed"')
        outside_hours = None
    template = None
    try:
        template = parse_template(body)
    except TemplateError as exc:
        problems.extend(exc.problems)
    if not body.strip():
        problems.append("the reply has no text after the front matter")
    if problems or template is None:
        raise ValueError("; ".join(problems))
    alternative = " ".join(outside_hours.split()) if isinstance(outside_hours, str) else None
    return CannedReply(reply_id, " ".join(name.split()), tags, template, actions, personal, alternative)


# -- internals ----------------------------------------------------------------------


def _reply_files(directory: Path, problems: list[LibraryProblem], personal: bool) -> list[Path]:
    """The Markdown files under ``directory``, hidden ones skipped, in a stable order."""
    try:
        found = sorted(
            path
            for path in directory.rglob("*.md")
            if not any(part.startswith(".") for part in path.relative_to(directory).parts)
        )
    except OSError as exc:
        problems.append(LibraryProblem(str(directory), f"cannot read the directory: {exc.strerror or exc}"))
        return []
    if len(found) > MAX_FILES:
        label = _reply_id(directory, found[MAX_FILES], personal)
        problems.append(LibraryProblem(label, f"only the first {MAX_FILES} replies are read"))
    return found[:MAX_FILES]


def _reply_id(directory: Path, path: Path, personal: bool) -> str:
    relative = path.relative_to(directory).as_posix()
    return PERSONAL_PREFIX + relative if personal else relative


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"the file is larger than {MAX_FILE_BYTES // 1000} kB")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"cannot read the file: {exc.strerror or exc}") from None


def _split(text: str) -> tuple[str, str]:
    """Front matter and body; the fences must be lines of their own."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        raise ValueError(f"the file must start with a {FENCE} line, then the front matter")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == FENCE:
            return "".join(lines[1:index]), "".join(lines[index + 1 :]).strip("\n") + "\n"
    raise ValueError(f"the front matter is not closed with a {FENCE} line")


def _strings(value: object, key: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        problems.append(f'{key} must be a list of words, e.g. {key} = ["billing"]')
        return ()
    return tuple(item.strip() for item in value)


def _actions(value: object, problems: list[str]) -> CannedActions:
    if not isinstance(value, dict):
        problems.append("[actions] must be a table")
        return CannedActions()
    problems.extend(f"unknown action {key!r}" for key in sorted(set(value) - _ACTION_KEYS))
    status = value.get("status")
    if status is not None and status not in STATUSES:
        problems.append(f"actions.status must be one of {', '.join(STATUSES)}, not {status!r}")
        status = None
    tags = _strings(value.get("tags", []), "actions.tags", problems)
    for tag in tags:
        if any(char.isspace() for char in tag) or len(tag) > 64:
            problems.append(f"actions.tags: {tag!r} is not one word of at most 64 characters")
    phrases = {key: _phrase(value.get(key), key, problems) for key in ("snooze", "promise")}
    return CannedActions(
        status=status if isinstance(status, str) else None,
        tags=tuple(tag.lower() for tag in tags),
        snooze=phrases["snooze"],
        promise=phrases["promise"],
    )


def _phrase(value: object, key: str, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_FOLLOW_UP_CHARS:
        problems.append(f'actions.{key} must be a time such as "in 3 days"')
        return None
    return " ".join(value.split())
