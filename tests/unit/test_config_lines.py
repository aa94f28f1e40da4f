"""Locating keys in TOML text, so problems can name the line to fix."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from shared_inbox.config.lines import KeyPath, LineIndex, format_path

DATA = Path(__file__).resolve().parent.parent / "data" / "config"

DOCUMENT = '''\
title = "x"                                  # 1
dotted.key = 1                               # 2
"quoted key" = 2                             # 3
[server]                                     # 4
host = "a"                                   # 5
text = """                                   # 6
fake = "not a key"
[not.a.table]
"""                                          # 9
after = 'literal # not a comment'            # 10
list = [                                     # 11
  "one",                                     # 12
  { inner = 1 },                             # 13
]
inline = { a = 1, b.c = 2 }                  # 15
[[items]]                                    # 16
name = "first"                               # 17
[[items]]                                    # 18
name = "second"                              # 19
[items.detail]                               # 20
deep = true                                  # 21
[[items.parts]]                              # 22
id = 1                                       # 23
[server.sub]                                 # 24
raw = \'\'\'                                    # 25
k = v
\'\'\'
tail = "x"                                   # 28
'''


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("title",), 1),
        (("dotted", "key"), 2),
        (("dotted",), 2),
        (("quoted key",), 3),
        (("server",), 4),
        (("server", "host"), 5),
        (("server", "text"), 6),
        (("server", "after"), 10),
        (("server", "list"), 11),
        (("server", "list", 0), 12),
        (("server", "list", 1), 13),
        (("server", "list", 1, "inner"), 13),
        (("server", "inline", "b", "c"), 15),
        (("items",), 16),
        (("items", 0, "name"), 17),
        (("items", 1), 18),
        (("items", 1, "name"), 19),
        (("items", 1, "detail", "deep"), 21),
        (("items", 1, "parts", 0, "id"), 23),
        (("server", "sub"), 24),
        (("server", "sub", "raw"), 25),
        (("server", "sub", "tail"), 28),
    ],
)
def test_keys_are_found_on_their_line(path: KeyPath, line: int) -> None:
    assert tomllib.loads(DOCUMENT)  # the fixture itself is valid TOML
    assert LineIndex(DOCUMENT).line_of(path) == line


def test_text_inside_strings_is_not_taken_for_keys() -> None:
    index = LineIndex(DOCUMENT)
    assert index.line_of(("server", "fake")) is None
    assert index.line_of(("not", "a", "table")) is None
    assert index.line_of(("server", "sub", "k")) is None


def test_missing_key_falls_back_to_its_table_header() -> None:
    index = LineIndex(DOCUMENT)
    assert index.line_of(("server", "port")) is None
    assert index.nearest_line(("server", "port")) == 4
    assert index.nearest_line(("items", 1, "missing")) == 18
    assert index.nearest_line(("nowhere", "at", "all")) is None


def _leaves(value: object, path: KeyPath = ()) -> list[KeyPath]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, path + (key,))]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, path + (i,))]
    return [path]


@pytest.mark.parametrize("name", ["full.toml", "minimal.toml"])
def test_every_key_of_the_sample_files_is_found_on_a_line_naming_it(name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    lines = text.splitlines()
    index = LineIndex(text)
    for path in _leaves(tomllib.loads(text)):
        line = index.line_of(path)
        assert line is not None, path
        assert str(path[-1]) in lines[line - 1], path


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("imap", "port"), "imap.port"),
        (("team", "members", 1, "email"), "team.members[1].email"),
        (("keys", "ctrl+r"), 'keys."ctrl+r"'),
        (("keys", "a\x1b[2J"), 'keys."a\\u001b[2J"'),
        (("keys", "x\u202ey"), 'keys."x\\u202ey"'),
    ],
)
def test_paths_are_printed_as_written_and_never_carry_control_characters(path: KeyPath, text: str) -> None:
    assert format_path(path) == text
