"""Finding the line on which a TOML key was written.

tomllib returns plain dicts without positions, so problems would otherwise say
only *what* is wrong, not *where*. This scanner walks the (already valid) TOML
text once, following table headers, arrays of tables, dotted keys, inline tables
and arrays, and records the first line of every key path. Strings, including
multi-line ones, are skipped so text inside a signature is never mistaken for a key.
"""

from __future__ import annotations

import bisect
import json
import re
import tomllib

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = frozenset(",]}\n#")


def format_path(path: KeyPath) -> str:
    """Render a key path the way a user would write it: ``team.members[1].email``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = part if _BARE_KEY.fullmatch(part) else _quote(part)
        out += f".{name}" if out else name
    return out


def _quote(key: str) -> str:
    """A quoted key that is safe to print: anything a terminal might interpret is escaped."""
    quoted = json.dumps(key, ensure_ascii=False)
    if any(not char.isprintable() for char in quoted):
        quoted = json.dumps(key, ensure_ascii=True)
    return quoted


class LineIndex:
    """Maps key paths of a TOML document to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._lines = _Scanner(text).run()

    def line_of(self, path: KeyPath) -> int | None:
        """The line of exactly this key, if it was written in the file."""
        return self._lines.get(path)

    def nearest_line(self, path: KeyPath) -> int | None:
        """The line of the key or, failing that, of its closest written parent (e.g. the table header)."""
        for size in range(len(path), 0, -1):
            line = self._lines.get(path[:size])
            if line is not None:
                return line
        return None


class _Scanner:
    """A forgiving TOML walker that only tracks structure, never values."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.found: dict[KeyPath, int] = {}
        self.array_tables: dict[KeyPath, int] = {}  # path of an array of tables -> index of its last element
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def run(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while True:
            self._skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return self.found
            start = self.pos
            if self._peek() == "[":
                table = self._header()
            else:
                self._key_value(table)
            if self.pos == start:  # never loop forever on text we do not understand
                self.pos += 1

    # -- structure -----------------------------------------------------------------

    def _header(self) -> KeyPath:
        line = self._line()
        is_array = self.text.startswith("[[", self.pos)
        self.pos += 2 if is_array else 1
        parts = self._key()
        self._skip_to_line_end()
        path = self._expand(parts, keep_last_plain=is_array)
        if not is_array:
            self.found.setdefault(path, line)
            return path
        index = self.array_tables.get(path, -1) + 1
        self.array_tables[path] = index
        self.found.setdefault(path, line)
        self.found.setdefault(path + (index,), line)
        return path + (index,)

    def _expand(self, parts: list[str], *, keep_last_plain: bool) -> KeyPath:
        """Insert the current element index after every array-of-tables component."""
        path: KeyPath = ()
        for i, part in enumerate(parts):
            path += (part,)
            is_last = i == len(parts) - 1
            if path in self.array_tables and not (keep_last_plain and is_last):
                path += (self.array_tables[path],)
        return path

    def _key_value(self, prefix: KeyPath) -> None:
        line = self._line()
        parts = self._key()
        if not parts:
            self._skip_to_line_end()
            return
        path = prefix
        for part in parts:
            path += (part,)
            self.found.setdefault(path, line)
        self._skip_blank(newlines=False)
        if self._peek() == "=":
            self.pos += 1
            self._skip_blank(newlines=False)
            self._value(path)

    def _value(self, path: KeyPath) -> None:
        char = self._peek()
        if char in ('"', "'"):
            self._string()
        elif char == "[":
            self._array(path)
        elif char == "{":
            self._inline_table(path)
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
                self.pos += 1

    def _array(self, path: KeyPath) -> None:
        self.pos += 1
        index = 0
        while self.pos < len(self.text):
            self._skip_blank(newlines=True)
            char = self._peek()
            if char == "]":
                self.pos += 1
                return
            if char == ",":
                self.pos += 1
                index += 1
                continue
            start = self.pos
            self.found.setdefault(path + (index,), self._line())
            self._value(path + (index,))
            if self.pos == start:
                self.pos += 1

    def _inline_table(self, path: KeyPath) -> None:
        self.pos += 1
        while self.pos < len(self.text):
            self._skip_blank(newlines=True)
            char = self._peek()
            if char == "}":
                self.pos += 1
                return
            if char == ",":
                self.pos += 1
                continue
            start = self.pos
            self._key_value(path)
            if self.pos == start:
                self.pos += 1

    # -- lexical pieces ----------------------------------------------------------

    def _key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self._skip_blank(newlines=False)
            char = self._peek()
            if char in ('"', "'"):
                start = self.pos
                self._string()
                parts.append(_decode_quoted_key(self.text[start : self.pos]))
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if not match:
                    return parts
                parts.append(match.group())
                self.pos = match.end()
            self._skip_blank(newlines=False)
            if self._peek() != ".":
                return parts
            self.pos += 1

    def _string(self) -> None:
        quote = self.text[self.pos]
        if self.text.startswith(quote * 3, self.pos):
            self.pos += 3
            self._until(quote * 3, escapes=quote == '"')
            while self._peek() == quote:  # up to two quotes may end the content itself
                self.pos += 1
        else:
            self.pos += 1
            self._until(quote, escapes=quote == '"')

    def _until(self, closing: str, *, escapes: bool) -> None:
        text = self.text
        while self.pos < len(text):
            if escapes and text[self.pos] == "\\":
                self.pos += 2
                continue
            if text.startswith(closing, self.pos):
                self.pos += len(closing)
                return
            if len(closing) == 1 and text[self.pos] == "\n":  # single-line strings cannot span lines
                return
            self.pos += 1

    def _skip_blank(self, *, newlines: bool) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            elif char == "#":
                while self.pos < len(text) and text[self.pos] != "\n":
                    self.pos += 1
            else:
                return

    def _skip_to_line_end(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _line(self) -> int:
        return bisect.bisect_right(self._line_starts, self.pos)


def _decode_quoted_key(raw: str) -> str:
    """Decode a quoted key exactly as TOML does, by letting tomllib read it."""
    try:
        value = tomllib.loads(f"k = {raw}")["k"]
    except tomllib.TOMLDecodeError:
        return raw.strip("\"'")
    return value if isinstance(value, str) else raw
