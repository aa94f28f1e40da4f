"""Opening a session: a store that cannot be used is one error the front ends know from services."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_inbox.config import load_config
from shared_inbox.services.session import SessionUnavailable, open_session
from shared_inbox.store import Store, StoreError
from tests.ui.test_app import CONFIG


def test_a_store_in_use_is_session_unavailable_with_the_stores_reason(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(store=tmp_path / "store", extra=""), encoding="utf-8")
    path.chmod(0o600)
    config = load_config(path, {})
    with Store.open(config.store.path), pytest.raises(SessionUnavailable, match="already open") as caught:
        open_session(config)
    assert isinstance(caught.value, StoreError)  # the command line's one catch still covers it
    with open_session(config) as session:  # nothing was left locked
        assert session.inbox.conversations() == []


def test_a_session_keeps_its_inbox_at_close_and_the_next_one_takes_it_back(tmp_path: Path) -> None:
    from tests.unit.test_inbox_state import MAIL

    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(store=tmp_path / "store", extra=""), encoding="utf-8")
    path.chmod(0o600)
    config = load_config(path, {})
    with open_session(config) as session:
        session.store.upsert_messages(MAIL)
        built = [(c.id, c.message_ids) for c in session.inbox.conversations()]
        assert not session.inbox.from_kept_state
    with open_session(config) as session:
        assert session.inbox.from_kept_state
        assert [(c.id, c.message_ids) for c in session.inbox.conversations()] == built
