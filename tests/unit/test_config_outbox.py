"""The [outbox] section and the sending choices in [account]."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared_inbox.config import ConfigError, FromStyle, OutboxConfig, parse_config
from shared_inbox.outbox.model import OutboxPolicy
from tests.unit.test_config import SECTIONS, build


def test_defaults_when_the_section_is_absent() -> None:
    config = parse_config(build())
    assert config.outbox == OutboxConfig()
    assert config.account.from_style is FromStyle.AGENT_VIA
    assert config.account.reply_to is None


def test_values_are_read() -> None:
    account = SECTIONS["account"] + 'from_style = "plain"\nreply_to = "Help@Example.com"\n'
    text = build(
        account=account, extra="[outbox]\nundo_seconds = 30\nretry_max_minutes = 5\nkeep_sent_days = 1\n"
    )
    config = parse_config(text)
    assert config.outbox.undo_seconds == 30
    assert config.outbox.retry_max_minutes == 5
    assert config.outbox.keep_sent_days == 1
    assert config.account.from_style is FromStyle.PLAIN
    assert config.account.reply_to == "help@example.com"


@pytest.mark.parametrize(
    ("extra", "account_extra", "expected"),
    [
        ("[outbox]\nundo_secs = 5\n", "", "did you mean 'undo_seconds'"),
        ("[outbox]\nundo_seconds = -1\n", "", "outbox.undo_seconds"),
        ('[outbox]\nundo_seconds = "ten"\n', "", "expected an integer"),
        ("", 'from_style = "fancy"\n', "agent_via"),
        ("", 'reply_to = "not an address"\n', "is not an email address"),
    ],
)
def test_mistakes_are_reported(extra: str, account_extra: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(build(account=SECTIONS["account"] + account_extra, extra=extra))
    assert expected in str(caught.value)


def test_policy_follows_the_config_and_one_message_may_override_the_window() -> None:
    settings = OutboxConfig(undo_seconds=25, retry_max_minutes=7, give_up_after_hours=3, keep_sent_days=2)
    policy = OutboxPolicy.from_config(settings)
    assert policy.undo_window == timedelta(seconds=25)
    assert policy.retry_max == timedelta(minutes=7)
    assert policy.give_up_after == timedelta(hours=3)
    assert policy.keep_sent == timedelta(days=2)
    assert OutboxPolicy.from_config(settings, undo_seconds=0).undo_window == timedelta(0)
