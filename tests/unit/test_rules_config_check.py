"""`config check` reports the rule files' problems with file and line, and counts the usable rules."""

from __future__ import annotations

from pathlib import Path

from shared_inbox.config import check_report
from shared_inbox.services.rule_book import rule_problems
from tests.ui.test_app import CONFIG


def write_config(tmp_path: Path) -> Path:
    replies = tmp_path / "replies"
    (replies / "rules").mkdir(parents=True)
    (replies / "thanks.md").write_text('+++\nname = "Thanks"\n+++\nThank you!\n', encoding="utf-8")
    extra = f'\n[canned]\ndir = "{replies}"\npersonal_dir = "{tmp_path / "mine"}"\n'
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(store=tmp_path / "store", extra=extra), encoding="utf-8")
    path.chmod(0o600)
    return replies / "rules"


def test_rule_problems_are_listed_with_file_line_and_hint(tmp_path: Path) -> None:
    rules = write_config(tmp_path)
    (rules / "ack.toml").write_text('trigger = "new_conversation"\nreply = "Thanks"\n', encoding="utf-8")
    (rules / "vip.toml").write_text('trigger = "new_conversation"\n\ntga = "vip"\n', encoding="utf-8")
    ok, report = check_report(
        tmp_path / "config.toml", {}, resolve_passwords=False, rule_problems=rule_problems
    )
    assert not ok
    assert "  rules     1 rule can be used\n" in report
    assert (
        f"  {rules / 'vip.toml'}: line 3: tga: unknown key 'tga'\n      hint: did you mean 'tag'?" in report
    )
    assert report.rstrip().endswith("some rules have problems and are left out.")


def test_sound_rules_leave_the_check_ok(tmp_path: Path) -> None:
    rules = write_config(tmp_path)
    (rules / "ack.toml").write_text('trigger = "new_conversation"\nreply = "thanks.md"\n', encoding="utf-8")
    ok, report = check_report(
        tmp_path / "config.toml", {}, resolve_passwords=False, rule_problems=rule_problems
    )
    assert "  rules     1 rule can be used\n" in report
    assert "some rules have problems" not in report
