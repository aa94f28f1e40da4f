"""The single registry of key bindings: help, palette, footer and widgets all read from here.

Keeping every binding in one table means a user's `[keys]` overrides are checked once,
up front, and the help screen can never drift from what the keys actually do.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.keys import _character_to_key

SCOPES = ("global", "triage", "list", "reader", "composer", "reports")
# Where each scope's keys are live besides its own: triage keys act in the list and in the reader.
LIVE_IN: dict[str, tuple[str, ...]] = {
    "global": ("global",),
    "triage": ("global", "triage"),
    "list": ("global", "triage", "list"),
    "reader": ("global", "triage", "reader"),
    "composer": ("global", "composer"),
    "reports": ("global", "reports"),
}


@dataclass(frozen=True)
class KeySpec:
    """One user-visible command and the key(s) that run it by default."""

    id: str  # e.g. "cursor_down", "open", "reply", "assign_me", "help", "palette", "search", "quit"
    key: str  # default key(s), Textual key syntax, comma-separated alternatives: "j,down"
    description: str  # shown in help and the palette
    scope: str  # "global" | "triage" | "list" | "reader" | "composer" | "reports"
    action: str  # the Textual action string, e.g. "cursor_down" or "app.help"
    show: bool = False  # shown in the footer


KEYMAP: tuple[KeySpec, ...] = (
    KeySpec("help", "?", "Show keys", "global", "app.help", show=True),
    # Not in the footer's row of keys: the footer docks it at the right (see `SteadyFooter`).
    KeySpec("palette", "ctrl+p", "Command palette", "global", "app.command_palette"),
    KeySpec("quit", "ctrl+q", "Quit", "global", "app.quit", show=True),
    KeySpec("search", "/", "Search conversations", "global", "app.search", show=True),
    KeySpec("undo_send", "ctrl+z", "Undo the reply just queued", "global", "app.undo_send"),
    KeySpec("cursor_down", "j,down", "Next conversation", "list", "cursor_down"),
    KeySpec("cursor_up", "k,up", "Previous conversation", "list", "cursor_up"),
    KeySpec("first", "g,home", "First conversation", "list", "first"),
    KeySpec("last", "G,end", "Last conversation", "list", "last"),
    KeySpec("open", "enter", "Open conversation", "list", "open", show=True),
    KeySpec("assign_me", "m", "Assign to me", "triage", "assign_me", show=True),
    KeySpec("close", "c", "Close (status closed)", "triage", "close", show=True),
    KeySpec("pending", "p", "Mark pending", "triage", "pending"),
    KeySpec("spam", "!", "Mark as spam", "triage", "spam"),
    KeySpec("reopen", "a", "Reopen (status active)", "triage", "reopen"),
    KeySpec("tag", "t", "Tag conversation", "triage", "tag"),
    KeySpec("untag", "T", "Remove a tag", "triage", "untag"),
    KeySpec("snooze", "s", "Snooze until later", "triage", "snooze"),
    KeySpec("unassign", "u", "Unassign", "triage", "unassign"),
    KeySpec("assign_to", "A", "Assign to a teammate", "triage", "assign_to"),
    KeySpec("undo", "U", "Undo the last change", "triage", "undo"),
    KeySpec("select", "x", "Select for bulk action", "list", "select"),
    KeySpec("select_range", "X", "Select from the last selected to here", "list", "select_range"),
    KeySpec("merge", "&", "Merge conversations (the selected ones, or pick one)", "triage", "merge"),
    KeySpec("split", "%", "Split the message at the cursor and its replies off", "reader", "split"),
    KeySpec("toggle_unread", "M", "Mark read or unread", "triage", "toggle_unread"),
    KeySpec("compose", "C", "New conversation", "list", "compose"),
    KeySpec("search_server", "H", "Search older mail on the server too", "list", "search_server"),
    KeySpec("view_unassigned", "1", "Show Unassigned", "list", "show_view('unassigned')"),
    KeySpec("view_mine", "2", "Show Mine", "list", "show_view('mine')"),
    KeySpec("view_open", "3", "Show All open", "list", "show_view('open')"),
    KeySpec("view_pending", "4", "Show Pending", "list", "show_view('pending')"),
    KeySpec("view_snoozed", "5", "Show Snoozed", "list", "show_view('snoozed')"),
    KeySpec("view_closed", "6", "Show Closed", "list", "show_view('closed')"),
    KeySpec("view_spam", "7", "Show Spam", "list", "show_view('spam')"),
    KeySpec("view_mentions", "8", "Show Mentions", "list", "show_view('mentions')"),
    # promises, follow-ups and SLAs
    KeySpec("view_due_soon", "9", "Show Due soon", "list", "show_view('due_soon')"),
    KeySpec("view_overdue", "0", "Show Overdue", "list", "show_view('overdue')"),
    KeySpec(
        "view_attention",
        "minus",
        "Show Attention (replies held for a look)",
        "list",
        "show_view('needs_attention')",
    ),
    KeySpec("reports", "R", "Reports: response times, SLAs, promises, charts", "list", "reports"),
    KeySpec("sort_by_due", "S", "Sort by next deadline or by waiting time", "list", "sort_by_due"),
    KeySpec("follow_up", "F", "Follow up later (reminder, reopens when due)", "triage", "follow_up"),
    KeySpec("promise_done", "D", "Mark a promise or follow-up done", "reader", "promise_done"),
    KeySpec("drop_promise", "delete", "Drop a promise or follow-up", "reader", "drop_promise"),
    KeySpec("next_match", "n", "Next search match", "list", "next_match"),
    KeySpec("prev_match", "N", "Previous search match", "list", "prev_match"),
    KeySpec("clear_search", "escape", "Clear the search", "list", "clear_search"),
    KeySpec("back", "q,escape", "Back to the list", "reader", "back", show=True),
    KeySpec("toggle_quotes", "z", "Show or hide quoted text", "reader", "toggle_quotes", show=True),
    KeySpec("expand_all", "X", "Open or fold the older messages of a long thread", "reader", "expand_all"),
    KeySpec("reply", "r", "Reply", "triage", "reply", show=True),
    KeySpec("reply_all", "R", "Reply to all", "reader", "reply_all"),
    KeySpec("forward", "f", "Forward", "reader", "forward"),
    KeySpec("scroll_down", "j,down", "Scroll down", "reader", "scroll_down"),
    KeySpec("scroll_up", "k,up", "Scroll up", "reader", "scroll_up"),
    KeySpec("toggle_customer", "i", "Show or hide the customer", "reader", "toggle_customer", show=True),
    KeySpec("focus_customer", "o", "Go to the customer's other conversations", "reader", "focus_customer"),
    KeySpec("next_attachment", "v", "Select the next attachment", "reader", "next_attachment"),
    KeySpec("save_attachment", "w", "Save the selected attachment", "reader", "save_attachment", show=True),
    KeySpec("open_attachment", "enter", "Open the attachment", "reader", "open_attachment", show=True),
    # internal notes and customer profiles
    KeySpec("add_note", "n", "Write an internal note", "reader", "add_note", show=True),
    KeySpec("edit_note", "e", "Edit or delete the selected note", "reader", "edit_note", show=True),
    KeySpec("edit_customer", "I", "Edit the customer's profile and notes", "reader", "edit_customer"),
    KeySpec("older_mail", "H", "Fetch the customer's older mail from the server", "reader", "older_mail"),
    KeySpec("link_customer", "L", "Link or unlink an address of the customer", "reader", "link_customer"),
    # the conversation summary
    KeySpec("toggle_summary", "S", "Show or hide the summary", "reader", "toggle_summary", show=True),
    KeySpec(
        "escalate", "E", "Escalate: the summary in a note for a teammate, or a forward", "reader", "escalate"
    ),
    KeySpec("send", "ctrl+s", "Queue the reply (undo window first)", "composer", "send", show=True),
    KeySpec("close_composer", "escape", "Close without sending", "composer", "close_composer", show=True),
    KeySpec("send_later", "ctrl+l", "Send later, at a chosen time", "composer", "send_later", show=True),
    KeySpec("attach", "ctrl+t", "Attach a file", "composer", "attach", show=True),
    KeySpec("remove_attachment", "ctrl+r", "Remove an attachment", "composer", "remove_attachment"),
    KeySpec("external_editor", "ctrl+o", "Edit the text in your $EDITOR", "composer", "external_editor"),
    KeySpec("insert_canned", "ctrl+g", "Insert a canned reply", "composer", "insert_canned", show=True),
    KeySpec("discard_draft", "ctrl+b", "Discard the draft (a held reply too)", "composer", "discard_draft"),
    # the Reports screen
    KeySpec("report_back", "q,escape", "Back", "reports", "back", show=True),
    KeySpec("report_earlier", "left_square_bracket", "Earlier", "reports", "earlier", show=True),
    KeySpec("report_later", "right_square_bracket", "Later", "reports", "later", show=True),
    KeySpec("report_length", "p", "7, 30 or 90 days", "reports", "length", show=True),
    KeySpec("report_breakdown", "b", "Breakdown", "reports", "breakdown", show=True),
    KeySpec("report_hours", "h", "Business or calendar hours", "reports", "hours", show=True),
)

_BY_ID: dict[str, KeySpec] = {spec.id: spec for spec in KEYMAP}


class KeyConfigError(ValueError):
    """The `[keys]` overrides are unusable; `problems` lists every reason, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid [keys] configuration:\n  " + "\n  ".join(problems))


def split_keys(keys: str) -> list[str]:
    """The alternatives of a comma-separated key string, whitespace removed."""
    return [part.strip() for part in keys.split(",")]


def _canonical(key: str) -> str:
    """Textual's name for a key, so "?" and "question_mark" are recognised as the same key."""
    return _character_to_key(key) if len(key) == 1 else key


def spec_for(spec_id: str) -> KeySpec:
    """The registry entry for `spec_id` (KeyError if there is none)."""
    return _BY_ID[spec_id]


def _unknown_id_problem(spec_id: str) -> str:
    close = difflib.get_close_matches(spec_id, _BY_ID, n=3)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return f"unknown key action {spec_id!r}{hint}"


def _check_value(spec_id: str, value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f'key for {spec_id!r} must be a non-empty string like "j" or "ctrl+x,down"'
    if any(not part for part in split_keys(value)):
        return f"key for {spec_id!r} has an empty alternative: {value!r}"
    return None


def _clashes(keys: Mapping[str, str]) -> list[str]:
    """Keys bound twice where both bindings would be live at once.

    Global keys are live in every scope and triage keys in the list and the reader, so
    they clash with those scopes' keys too; list, reader and composer are never focused
    together, so they may share keys.
    """
    problems: list[str] = []
    for scope in ("list", "reader", "composer", "reports"):
        owners: dict[str, list[str]] = {}
        for spec in KEYMAP:
            if spec.scope in LIVE_IN[scope]:
                for key in split_keys(keys[spec.id]):
                    owners.setdefault(_canonical(key), []).append(spec.id)
        for key, ids in owners.items():
            unique = list(dict.fromkeys(ids))
            if len(unique) > 1:
                problem = (
                    f"key {key!r} is bound to {' and '.join(repr(i) for i in unique)} in the {scope} view"
                )
                if problem not in problems:
                    problems.append(problem)
    return problems


def effective_keys(overrides: Mapping[str, str]) -> dict[str, str]:
    """Every KeySpec id mapped to its key(s) after applying the user's overrides.

    Raises KeyConfigError listing unknown ids (with a did-you-mean hint), malformed
    values and keys bound twice within one scope, so all mistakes are reported at once.
    """
    problems: list[str] = []
    keys = {spec.id: spec.key for spec in KEYMAP}
    for spec_id, value in overrides.items():
        if spec_id not in _BY_ID:
            problems.append(_unknown_id_problem(spec_id))
            continue
        problem = _check_value(spec_id, value)
        if problem:
            problems.append(problem)
            continue
        keys[spec_id] = ",".join(split_keys(value))
    if not problems:
        problems.extend(_clashes(keys))
    if problems:
        raise KeyConfigError(problems)
    return keys


def specs_in(scope: str) -> Iterable[KeySpec]:
    """The registry entries of one scope, in registry order."""
    if scope not in SCOPES:
        raise ValueError(f"unknown key scope {scope!r}; expected one of {', '.join(SCOPES)}")
    return (spec for spec in KEYMAP if spec.scope == scope)


def bindings_for(scope: str, overrides: Mapping[str, str]) -> list[Binding]:
    """Textual bindings for one scope, with the user's overrides applied; ids let the palette find them."""
    keys = effective_keys(overrides)
    return [
        Binding(keys[spec.id], spec.action, spec.description, show=spec.show, id=spec.id)
        for spec in specs_in(scope)
    ]


def shown_key(app: App[Any], overrides: Mapping[str, str], spec_id: str) -> str:
    """The first key bound to `spec_id` after the user's overrides, as the footer shows it ("U", "^z")."""
    spec = _BY_ID[spec_id]
    key = split_keys(effective_keys(overrides)[spec_id])[0]
    return app.get_key_display(Binding(key, spec.action, spec.description))
