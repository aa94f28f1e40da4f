"""README's key table is the registry's, so the documentation cannot drift from the keys."""

from __future__ import annotations

from pathlib import Path

from shared_inbox.ui.screens.help import markdown_key_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_key_table_matches_the_registry() -> None:
    text = README.read_text(encoding="utf-8")
    begin, end = "<!-- keys:begin -->\n", "<!-- keys:end -->"
    table = text[text.index(begin) + len(begin) : text.index(end)]
    assert table == markdown_key_table(), "regenerate it: python -m shared_inbox.ui.screens.help"


def test_readme_opens_with_the_demo_and_the_test_command() -> None:
    blocks = README.read_text(encoding="utf-8").split("```sh\n")
    assert blocks[1].startswith(
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/shared-inbox demo"
    )
    assert blocks[2].startswith(
        "python3 -m tests.rig.setup && python3 -m venv .venv && .venv/bin/pip install -e '.[test]'"
        " && .venv/bin/python -m pytest"
    )
