"""Canned replies: a small, safe template language in the style of Liquid.

    Hi {{ customer.first_name | default: "there" }},
    your order {{ ask "Order number" }} is on its way.
    {{ agent.first_name }} from {{ company.name }}

Variables are dotted names looked up in a plain nested mapping, never attributes of
Python objects, and nothing in a template can run code. Filters: ``default: "text"``
(used when the value is missing or empty), ``upcase``, ``downcase`` and ``capitalize``
(upper-cases the first letter only, so "McDonald" survives). ``{{ ask "Question" }}`` is
a blank the agent fills in before sending. ``\\{{``, ``\\}}`` and ``\\{%`` write the braces
themselves, and the ``}}`` that follows a ``\\{{`` is literal too, so ``\\{{ customer.name }}``
shows a tag as it is written.

A template that would put anything odd in front of a customer is refused: a ``{{`` that
is not a complete tag, a stray ``}}``, Liquid ``{% %}`` tags, unknown variables and
unfilled blanks. Inserted values are never read as template text again, so a customer
called "{{ agent.email }}" is greeted by exactly that name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "FILTERS",
    "KNOWN_VARIABLES",
    "Blank",
    "Filter",
    "Template",
    "TemplateError",
    "Variable",
    "context_for",
    "parse_template",
    "render",
    "split_name",
]

FILTERS = ("default", "upcase", "downcase", "capitalize")
KNOWN_VARIABLES = (
    "customer.name", "customer.first_name", "customer.last_name", "customer.email",
    "agent.name", "agent.first_name", "agent.last_name", "agent.email",
    "company.name", "conversation.id", "sla.due",
)  # fmt: skip
MAX_TEMPLATE_CHARS = 100_000

_MARKERS = re.compile(r"\\\{\{|\\\}\}|\\\{%|\{\{|\}\}|\{%")
_ESCAPES = {"\\{{": "{{", "\\}}": "}}", "\\{%": "{%"}
_TAG_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<close>\}\})
      | (?P<open>\{\{)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<pipe>\|)
      | (?P<colon>:)
    """,
    re.VERBOSE,
)
_STRING_ESCAPE = re.compile(r"\\(.)")
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "herr", "frau"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "msc", "mba"})


class TemplateError(ValueError):
    """A template that cannot be used; ``problems`` lists every reason, each with its line and column.

    A syntax error also carries its ``line`` and ``column`` (1-based), so an editor can jump there.
    """

    def __init__(self, problems: list[str] | str, line: int | None = None, column: int | None = None) -> None:
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        self.line, self.column = line, column
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class Filter:
    name: str
    argument: str | None = None


@dataclass(frozen=True, slots=True)
class Variable:
    path: str  # dotted: "customer.first_name"
    filters: tuple[Filter, ...]
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Blank:
    question: str
    filters: tuple[Filter, ...]
    line: int
    column: int


Part = str | Variable | Blank


@dataclass(frozen=True, slots=True)
class Template:
    source: str
    parts: tuple[Part, ...]

    def blanks(self) -> list[str]:
        """The questions the agent must answer, in order of first appearance."""
        return list(dict.fromkeys(part.question for part in self.parts if isinstance(part, Blank)))

    def variables(self) -> list[str]:
        """The variables used, in order of first appearance."""
        return list(dict.fromkeys(part.path for part in self.parts if isinstance(part, Variable)))


def parse_template(text: str) -> Template:
    """Read a template; raises :class:`TemplateError` at the first syntax error."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"a template has at most {MAX_TEMPLATE_CHARS} characters")
    parts: list[Part] = []
    at = 0
    escaped_open = False  # after \{{ the next }} is literal too: "\{{ customer.name }}"
    while (marker := _MARKERS.search(text, at)) is not None:
        literal = text[at : marker.start()]
        found = marker.group()
        if found in _ESCAPES or (found == "}}" and escaped_open):
            parts.append(literal + _ESCAPES.get(found, found))
            escaped_open = found == "\\{{"
            at = marker.end()
        elif found == "}}":
            raise _syntax(text, marker.start(), "'}}' has no '{{' before it; write \\}} for literal braces")
        elif found == "{%":
            raise _syntax(text, marker.start(), "'{%' tags are not supported; write \\{% for a literal '{%'")
        else:
            parts.append(literal)
            tag, at = _tag(text, marker.start())
            parts.append(tag)
    parts.append(text[at:])
    return Template(text, tuple(_joined(parts)))


def render(template: Template, context: Mapping[str, object], answers: Mapping[str, str]) -> str:
    """The filled-in text; raises :class:`TemplateError` listing every unknown variable and open blank."""
    problems: dict[str, str] = {}
    pieces = []
    for part in template.parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        if isinstance(part, Variable):
            value, problem = _lookup(context, part.path)
            key = part.path
        else:
            answer = answers.get(part.question)
            value = answer.strip() if isinstance(answer, str) and answer.strip() else None
            problem, key = f'the blank "{part.question}" is not filled in', "ask:" + part.question
        value = _filtered(value, part.filters)
        if value is None:
            problems.setdefault(key, f"line {part.line}, column {part.column}: {problem or _no_value(part)}")
        pieces.append(value or "")
    if problems:
        raise TemplateError(list(problems.values()))
    return "".join(pieces)


def context_for(
    customer_name: str,
    customer_email: str,
    agent_name: str,
    agent_email: str,
    company_name: str,
    conversation_id: str,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """The variables of a reply: ``customer``, ``agent``, ``company`` and ``conversation`` groups.

    Empty values are left out, so ``default`` applies to them. ``extra`` adds more
    variables (say ``company.phone``); it cannot change the standard ones.
    """
    customer_first, customer_last = split_name(customer_name)
    agent_first, agent_last = split_name(agent_name)
    standard: dict[str, dict[str, str]] = {
        "customer": {"name": customer_name, "first_name": customer_first, "last_name": customer_last,
                     "email": customer_email},
        "agent": {"name": agent_name, "first_name": agent_first, "last_name": agent_last,
                  "email": agent_email},
        "company": {"name": company_name},
        "conversation": {"id": conversation_id},
    }  # fmt: skip
    context: dict[str, object] = dict(extra or {})
    for group, values in standard.items():
        present = {key: value.strip() for key, value in values.items() if value and value.strip()}
        added = context.get(group)
        context[group] = {**(added if isinstance(added, Mapping) else {}), **present}
    return context


def split_name(name: str) -> tuple[str, str]:
    """First and last name from a display name; ``("", "")`` when it holds no usable name.

    Handles "Lee, Ann", titles ("Dr. Ann Lee"), suffixes ("Ann Lee Jr."), notes in
    brackets ("Ann Lee (Acme)"), quotes, and names that are really addresses. A lone
    initial is not a first name anyone wants to be greeted by, so it counts as missing.
    """
    text = re.sub(r"\s*[(\[][^)\]]*[)\]]", " ", name)
    text = " ".join(text.strip().strip("\"'").split())
    if not text or "@" in text:
        return "", ""
    if "," in text:
        head, _, tail = text.partition(",")
        tail_words = [word for word in tail.split() if _bare(word) not in _SUFFIXES]
        text = " ".join([*tail_words, head]) if tail_words else head
    words = text.split()
    while words and _bare(words[0]) in _HONORIFICS:
        words.pop(0)
    while len(words) > 1 and _bare(words[-1]) in _SUFFIXES:
        words.pop()
    if not words:
        return "", ""
    first, last = words[0], " ".join(words[1:])
    return ("" if len(first.rstrip(".")) <= 1 else first), last


# -- parsing ------------------------------------------------------------------------


def _tag(text: str, start: int) -> tuple[Variable | Blank, int]:
    """The tag opening at ``start`` and the offset after its ``}}``."""
    tokens: list[tuple[str, str, int]] = []
    at = start + 2
    while True:
        match = _TAG_TOKEN.match(text, at)
        if match is None or match.lastgroup == "open":
            if at >= len(text) or match is not None:
                raise _syntax(text, start, "'{{' is not closed with '}}'; write \\{{ for literal braces")
            line, column = _position(text, start)
            raise _syntax(
                text,
                at,
                f"unexpected {text[at]!r} in the tag opened at line {line}, column {column}"
                " (is its '}}' missing?)",
            )
        at = match.end()
        kind = match.lastgroup or ""
        if kind == "close":
            break
        if kind != "space":
            tokens.append((kind, match.group(), match.start()))
    line, column = _position(text, start)
    return _expression(text, start, tokens, line, column), at


def _expression(
    text: str, start: int, tokens: list[tuple[str, str, int]], line: int, column: int
) -> Variable | Blank:
    if not tokens:
        raise _syntax(text, start, "empty tag '{{ }}'; put a variable such as customer.first_name inside")
    kind, value, offset = tokens[0]
    if kind == "name" and value == "ask":
        if len(tokens) < 2 or tokens[1][0] != "string" or not _unquote(tokens[1][1]).strip():
            raise _syntax(text, offset, 'ask needs a question in quotes: {{ ask "Order number" }}')
        question = " ".join(_unquote(tokens[1][1]).split())
        return Blank(question, _filters(text, tokens[2:]), line, column)
    if kind != "name":
        raise _syntax(text, offset, f"expected a variable name, found {value[:20]!r}")
    return Variable(value, _filters(text, tokens[1:]), line, column)


def _filters(text: str, tokens: list[tuple[str, str, int]]) -> tuple[Filter, ...]:
    filters = []
    index = 0
    while index < len(tokens):
        kind, value, offset = tokens[index]
        if kind != "pipe":
            raise _syntax(text, offset, f"expected '|' before a filter, found {value[:20]!r}")
        if index + 1 >= len(tokens) or tokens[index + 1][0] != "name":
            raise _syntax(text, offset, "a filter name must follow '|'")
        name, name_offset = tokens[index + 1][1], tokens[index + 1][2]
        if name not in FILTERS:
            close = difflib.get_close_matches(name, FILTERS, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _syntax(
                text, name_offset, f"unknown filter {name[:30]!r}{hint} (filters: {', '.join(FILTERS)})"
            )
        index += 2
        argument = None
        if index < len(tokens) and tokens[index][0] == "colon":
            if index + 1 >= len(tokens) or tokens[index + 1][0] != "string":
                raise _syntax(text, tokens[index][2], f"{name}: needs a text in quotes")
            argument = _unquote(tokens[index + 1][1])
            index += 2
        if (argument is None) == (name == "default"):
            expected = 'default: "text"' if name == "default" else f"{name} without a value"
            raise _syntax(text, name_offset, f"write {expected}")
        filters.append(Filter(name, argument))
    return tuple(filters)


def _unquote(literal: str) -> str:
    return _STRING_ESCAPE.sub(lambda match: match.group(1), literal[1:-1])


def _joined(parts: list[Part]) -> list[Part]:
    """Adjacent literal text merged, empty text dropped."""
    joined: list[Part] = []
    for part in parts:
        if isinstance(part, str) and joined and isinstance(joined[-1], str):
            joined[-1] += part
        elif part != "":
            joined.append(part)
    return joined


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _syntax(text: str, offset: int, message: str) -> TemplateError:
    line, column = _position(text, offset)
    return TemplateError(f"line {line}, column {column}: {message}", line, column)


# -- rendering ------------------------------------------------------------------------


def _lookup(context: Mapping[str, object], path: str) -> tuple[str | None, str | None]:
    """A variable's text, or ``None`` and why it has none (``None`` reason: simply empty)."""
    value: object = context
    for name in path.split("."):
        if not isinstance(value, Mapping) or name not in value:
            if path in KNOWN_VARIABLES:
                return None, None
            close = difflib.get_close_matches(path, sorted({*KNOWN_VARIABLES, *_paths(context)}), n=1)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            return None, f'unknown variable "{path}"{hint}'
        value = value[name]
    if isinstance(value, Mapping):
        return (
            None,
            f'"{path}" is a group, not a value; use one of {", ".join(sorted(_paths(value, path))[:5])}',
        )
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None, f'"{path}" holds a {type(value).__name__}, which cannot be written into a reply'
    text = _UNSAFE_CHARS.sub(" ", str(value)).strip()
    return (text or None), None


def _paths(mapping: Mapping[str, object], prefix: str = "") -> list[str]:
    paths = []
    for key, value in mapping.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        paths.extend(_paths(value, path) if isinstance(value, Mapping) else [path])
    return paths


def _filtered(value: str | None, filters: tuple[Filter, ...]) -> str | None:
    for step in filters:
        if step.name == "default":
            value = value if value else step.argument
        elif value is None:
            continue
        elif step.name == "upcase":
            value = value.upper()
        elif step.name == "downcase":
            value = value.lower()
        else:  # capitalize
            value = value[:1].upper() + value[1:]
    return value


def _no_value(part: Variable | Blank) -> str:
    name = part.path if isinstance(part, Variable) else part.question
    return f'"{name}" has no value for this conversation; add | default: "..." to the tag'


def _bare(word: str) -> str:
    return word.strip(".").lower()
