"""The key registry: defaults, user overrides and the mistakes they must catch."""

from __future__ import annotations

import pytest

from shared_inbox.ui.keys import KEYMAP, SCOPES, KeyConfigError, bindings_for, effective_keys, split_keys

REQUIRED = {
    "global": {"help", "palette", "quit", "search"},
    "triage": {"assign_me", "close", "pending", "spam", "reopen", "tag", "snooze", "undo", "reply"},
    "list": {"cursor_down", "cursor_up", "first", "last", "open", "select", "next_match", "prev_match"},
    "reader": {"back", "toggle_quotes", "reply_all", "forward", "scroll_down", "scroll_up"},
}  # fmt: skip


def test_every_keyspec_id_is_unique() -> None:
    ids = [spec.id for spec in KEYMAP]
    assert len(ids) == len(set(ids))


def test_registry_covers_the_required_commands_in_their_scopes() -> None:
    for scope, ids in REQUIRED.items():
        assert ids <= {spec.id for spec in KEYMAP if spec.scope == scope}, scope


def test_every_spec_has_a_known_scope_and_a_description() -> None:
    for spec in KEYMAP:
        assert spec.scope in SCOPES
        assert spec.description.strip()
        assert all(split_keys(spec.key))


def test_defaults_are_consistent() -> None:
    keys = effective_keys({})
    assert keys == {spec.id: spec.key for spec in KEYMAP}


def test_override_remaps_only_that_command() -> None:
    keys = effective_keys({"assign_me": "ctrl+a"})
    assert keys["assign_me"] == "ctrl+a"
    assert keys["close"] == "c"


def test_override_alternatives_are_normalised() -> None:
    assert effective_keys({"reply": " r , ctrl+r "})["reply"] == "r,ctrl+r"


def test_bindings_carry_overridden_key_and_spec_id() -> None:
    bindings = {binding.id: binding for binding in bindings_for("list", {"open": "o,enter"})}
    assert bindings["open"].key == "o,enter"
    assert bindings["open"].action == "open"
    assert set(bindings) == {spec.id for spec in KEYMAP if spec.scope == "list"}


def test_bindings_only_for_the_requested_scope() -> None:
    ids = {binding.id for binding in bindings_for("reader", {})}
    assert ids == {spec.id for spec in KEYMAP if spec.scope == "reader"}


def test_unknown_scope_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown key scope"):
        bindings_for("sidebar", {})


def test_unknown_id_error_suggests_the_closest_id() -> None:
    with pytest.raises(KeyConfigError) as caught:
        effective_keys({"asign_me": "M"})
    assert "asign_me" in str(caught.value)
    assert "did you mean 'assign_me'" in str(caught.value)


def test_all_unknown_ids_are_reported_together() -> None:
    with pytest.raises(KeyConfigError) as caught:
        effective_keys({"repyl": "r", "zzzzzz": "y"})
    assert len(caught.value.problems) == 2
    assert "did you mean" not in caught.value.problems[1]


@pytest.mark.parametrize("value", ["", "   ", "a,,b"])
def test_empty_keys_are_rejected(value: str) -> None:
    with pytest.raises(KeyConfigError, match="reply"):
        effective_keys({"reply": value})


def test_clash_within_a_scope_is_an_error() -> None:
    with pytest.raises(KeyConfigError) as caught:
        effective_keys({"tag": "m"})
    message = str(caught.value)
    assert "'m'" in message and "'assign_me'" in message and "'tag'" in message


def test_clash_with_a_global_key_is_an_error() -> None:
    with pytest.raises(KeyConfigError, match="'search'"):
        effective_keys({"forward": "/"})


def test_single_character_and_key_name_are_the_same_key() -> None:
    with pytest.raises(KeyConfigError, match="'help'"):
        effective_keys({"select": "question_mark"})


def test_same_key_in_list_and_reader_is_fine() -> None:
    keys = effective_keys({"reply_all": "x"})
    assert keys["reply_all"] == keys["select"] == "x"


def test_reply_works_in_the_list_so_it_clashes_with_list_keys() -> None:
    with pytest.raises(KeyConfigError, match="'select' and 'reply' in the list view"):
        effective_keys({"reply": "x"})


def test_triage_keys_clash_with_reader_keys_too() -> None:
    with pytest.raises(KeyConfigError, match="'assign_me' and 'reply' in the reader view"):
        effective_keys({"reply": "m"})


def test_swapping_two_keys_in_one_scope_is_fine() -> None:
    keys = effective_keys({"close": "p", "pending": "c"})
    assert (keys["close"], keys["pending"]) == ("p", "c")
