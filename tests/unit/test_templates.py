"""Canned reply templates: syntax, variables, filters, blanks, hostile values and errors."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from shared_inbox.domain.templates import (
    Blank,
    Filter,
    TemplateError,
    Variable,
    context_for,
    parse_template,
    render,
    split_name,
)

CONTEXT = context_for(
    customer_name="Ann Lee",
    customer_email="ann@example.com",
    agent_name="Cy Smith",
    agent_email="cy@acme.example",
    company_name="Acme",
    conversation_id="c0123456789",
)


def fill(text: str, context: Mapping[str, object] = CONTEXT, answers: Mapping[str, str] | None = None) -> str:
    return render(parse_template(text), context, answers or {})


# -- rendering -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi {{ customer.first_name }},", "Hi Ann,"),
        ("Hi {{customer.first_name}},", "Hi Ann,"),
        ("{{ customer.name }} <{{ customer.email }}>", "Ann Lee <ann@example.com>"),
        ("{{ agent.first_name }} from {{ company.name }}", "Cy from Acme"),
        ("Ref {{ conversation.id }}", "Ref c0123456789"),
        ("{{ customer.last_name }}", "Lee"),
        ("{{ agent.email }}", "cy@acme.example"),
        ("No tags at all.", "No tags at all."),
        ("", ""),
        ("Line one\n{{ customer.first_name }}\nLine three", "Line one\nAnn\nLine three"),
        ("{{ customer.first_name }}{{ customer.last_name }}", "AnnLee"),
        ("{{\n  customer.first_name\n}}", "Ann"),
    ],
)
def test_variables_are_filled_in(text: str, expected: str) -> None:
    assert fill(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ customer.first_name | upcase }}", "ANN"),
        ("{{ customer.first_name | downcase }}", "ann"),
        ("{{ customer.first_name | downcase | capitalize }}", "Ann"),
        ("{{ company.name | upcase | downcase }}", "acme"),
        ('{{ customer.first_name | default: "there" }}', "Ann"),
        ("{{ customer.first_name | default: 'there' }}", "Ann"),
    ],
)
def test_filters(text: str, expected: str) -> None:
    assert fill(text) == expected


def test_capitalize_leaves_the_rest_of_a_name_alone() -> None:
    context = context_for("mcDonald", "", "", "", "", "")
    assert fill("{{ customer.first_name | capitalize }}", context) == "McDonald"


NAMELESS = context_for("", "ann@example.com", "Cy Smith", "cy@acme.example", "Acme", "c1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Hi {{ customer.first_name | default: "there" }},', "Hi there,"),
        ('{{ customer.first_name | default: "there" | upcase }}', "THERE"),
        ('{{ customer.first_name | upcase | default: "there" }}', "there"),
        ('{{ customer.name | default: "" }}', ""),
        ('{{ customer.first_name | default: "say \\"hi\\"" }}', 'say "hi"'),
        ('{{ customer.first_name | default: "{{ agent.email }}" }}', "{{ agent.email }}"),
    ],
)
def test_default_applies_when_a_value_is_missing(text: str, expected: str) -> None:
    assert fill(text, NAMELESS) == expected


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ('Order {{ ask "Order number" }}.', {"Order number": "1234"}, "Order 1234."),
        ('Order {{ ask "Order number" }}.', {"Order number": "  1234 \n"}, "Order 1234."),
        ('{{ ask "Order number" | default: "n/a" }}', {}, "n/a"),
        ('{{ ask "Order number" | default: "n/a" }}', {"Order number": "   "}, "n/a"),
        ('{{ ask "Order number" | default: "n/a" }}', {"Order number": "77"}, "77"),
        ('{{ ask "Order number" }} and {{ ask "Order number" }}', {"Order number": "9"}, "9 and 9"),
        ('{{ ask "Tracking code" | upcase }}', {"Tracking code": "ab12"}, "AB12"),
        ('{{ ask "Note" }}', {"Note": "{{ agent.email }}"}, "{{ agent.email }}"),
        ('{{ ask "Note" }}', {"Note": "line 1\nline 2"}, "line 1\nline 2"),
    ],
)
def test_blanks_are_filled_with_the_answers(text: str, answers: dict[str, str], expected: str) -> None:
    assert fill(text, answers=answers) == expected


# -- hostile values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("{{ agent.email }}", "{{"),  # the first word of the name: never evaluated
        ("<b>Ann</b> Lee", "<b>Ann</b>"),
        ("{% raw %}", "{%"),
        ("\\{{ agent.email }}", "\\{{"),
    ],
)
def test_hostile_names_are_inserted_literally(name: str, expected: str) -> None:
    context = context_for(name, "x@example.com", "Cy", "cy@acme.example", "Acme", "c1")
    assert fill("Hi {{ customer.first_name }}!", context) == f"Hi {expected}!"
    assert fill("Hi {{ customer.name }}!", context) == f"Hi {name}!"


def test_control_and_direction_characters_in_values_become_spaces() -> None:
    context = {"customer": {"name": "Ann\r\nBcc: evil@example.com\u202e\x00"}}
    assert fill("{{ customer.name }}", context) == "Ann  Bcc: evil@example.com"


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"customer": {"name": ["a", "b"]}}, "holds a list"),
        ({"customer": {"name": True}}, "holds a bool"),
        ({"customer": {"name": object()}}, "holds a object"),
        ({"customer": {"name": {"first": "Ann"}}}, "is a group"),
    ],
)
def test_only_text_and_numbers_are_written_into_a_reply(context: dict[str, object], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        fill("{{ customer.name }}", context)


def test_numbers_are_written_as_text() -> None:
    assert fill("{{ order.total }} / {{ order.items }}", {"order": {"total": 12.5, "items": 3}}) == "12.5 / 3"


def test_attributes_of_python_objects_are_never_read() -> None:
    class Secret:
        email = "secret@acme.example"

    with pytest.raises(TemplateError, match='unknown variable "shop.email"'):
        fill("{{ shop.email }}", {"shop": Secret()})
    with pytest.raises(TemplateError, match="unknown variable"):
        fill("{{ customer.__class__ }}", CONTEXT)


# -- render errors -----------------------------------------------------------------------------


def test_every_unknown_variable_and_open_blank_is_reported_at_once() -> None:
    template = parse_template(
        'Hi {{ customer.frist_name }},\n{{ ask "Order number" }} {{ agent.nmae }} {{ customer.frist_name }}\n'
        '{{ ask "Reason" }} {{ shipping.carrier }}'
    )
    with pytest.raises(TemplateError) as caught:
        render(template, CONTEXT, {})
    assert caught.value.problems == (
        'line 1, column 4: unknown variable "customer.frist_name"; did you mean "customer.first_name"?',
        'line 2, column 1: the blank "Order number" is not filled in',
        'line 2, column 26: unknown variable "agent.nmae"; did you mean "agent.name"?',
        'line 3, column 1: the blank "Reason" is not filled in',
        'line 3, column 20: unknown variable "shipping.carrier"',
    )
    assert "customer.frist_name" in str(caught.value) and "Reason" in str(caught.value)


def test_a_known_variable_without_a_value_asks_for_a_default() -> None:
    with pytest.raises(TemplateError, match=r'"customer.first_name" has no value .* default'):
        fill("Hi {{ customer.first_name }},", NAMELESS)


def test_did_you_mean_also_knows_extra_variables() -> None:
    context = context_for(
        "Ann", "a@example.com", "Cy", "c@acme.example", "Acme", "c1", {"company": {"phone": "1"}}
    )
    with pytest.raises(TemplateError, match='did you mean "company.phone"'):
        fill("{{ company.phnoe }}", context)


# -- syntax errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hi {{ customer.first_name ,", "line 1, column 27: unexpected ','"),
        ("Hi {{ customer.first_name", "line 1, column 4: '{{' is not closed"),
        ("Hi\n  {{ customer.first_name {{ agent.name }}", "line 2, column 3: '{{' is not closed"),
        ("Hi {{ }}", "line 1, column 4: empty tag"),
        ("Hi }} there", "line 1, column 4: '}}' has no '{{'"),
        ("\\{{ x \\}} }}", "line 1, column 11: '}}' has no '{{'"),
        ("{% if vip %}VIP{% endif %}", "line 1, column 1: '{%' tags are not supported"),
        ("{{ customer.first_name | upper }}", "unknown filter 'upper'; did you mean 'upcase'"),
        ("{{ customer.first_name | default }}", 'write default: "text"'),
        ("{{ customer.first_name | default: }}", "default: needs a text in quotes"),
        ("{{ customer.first_name | default: there }}", "default: needs a text in quotes"),
        ('{{ customer.first_name | upcase: "x" }}', "write upcase without a value"),
        ("{{ customer.first_name | }}", "a filter name must follow '|'"),
        ("{{ customer.first_name upcase }}", "expected '|' before a filter"),
        ('{{ "text" }}', "expected a variable name"),
        ("{{ ask }}", "ask needs a question in quotes"),
        ('{{ ask "" }}', "ask needs a question in quotes"),
        ("{{ ask Order }}", "ask needs a question in quotes"),
        ("{{ customer. }}", "unexpected '.'"),
        ('{{ customer.first_name | default: "unclosed }}', "unexpected '\"'"),
        (
            "{{ customer.first_name }",
            "unexpected '}' in the tag opened at line 1, column 1 (is its '}}' missing?)",
        ),
        ("{{{ customer.first_name }}}", "unexpected '{'"),
    ],
)
def test_syntax_errors_say_where_and_what(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=_literal(message)):
        parse_template(text)


def test_syntax_errors_carry_their_position() -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template("Hi,\n\nthanks {{ customer.first_name | upper }}")
    assert (caught.value.line, caught.value.column) == (3, 33)  # at "upper"


def _literal(message: str) -> str:
    return "".join("\\" + char if char in ".^$*+?{}[]\\|()" else char for char in message)


def test_a_template_that_is_far_too_long_is_refused() -> None:
    with pytest.raises(TemplateError, match="at most"):
        parse_template("x" * 100_001)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Use \\{{ customer.first_name }} in templates", "Use {{ customer.first_name }} in templates"),
        ("\\{% raw %\\}}", "{% raw %}}"),
        ("a \\}} b", "a }} b"),
        ("\\{{{{ customer.first_name }}", "{{Ann"),
        ("\\{{ x }} and {{ customer.first_name }}", "{{ x }} and Ann"),
        ("\\{{ x \\}}", "{{ x }}"),
        ("single { and } braces are fine", "single { and } braces are fine"),
    ],
)
def test_escaped_braces_are_written_as_they_are(text: str, expected: str) -> None:
    assert fill(text) == expected


# -- structure ----------------------------------------------------------------------------------


def test_blanks_and_variables_are_listed_in_order_without_repeats() -> None:
    template = parse_template(
        '{{ ask "Order number" }} {{ customer.first_name }} {{ ask "Reason" }} '
        '{{ ask "Order number" | default: "n/a" }} {{ agent.name }} {{ customer.first_name | upcase }}'
    )
    assert template.blanks() == ["Order number", "Reason"]
    assert template.variables() == ["customer.first_name", "agent.name"]


def test_the_parsed_parts() -> None:
    template = parse_template('Hi {{ customer.first_name | default: "there" }},\n{{ ask "Order  number" }}')
    assert template.parts == (
        "Hi ",
        Variable("customer.first_name", (Filter("default", "there"),), 1, 4),
        ",\n",
        Blank("Order number", (), 2, 1),
    )


# -- context -------------------------------------------------------------------------------------


def test_context_for_builds_the_standard_groups() -> None:
    assert CONTEXT == {
        "customer": {"name": "Ann Lee", "first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"},
        "agent": {"name": "Cy Smith", "first_name": "Cy", "last_name": "Smith", "email": "cy@acme.example"},
        "company": {"name": "Acme"},
        "conversation": {"id": "c0123456789"},
    }


def test_empty_values_are_left_out_so_defaults_apply() -> None:
    context = context_for("  ", "", "Cy", "cy@acme.example", "", "c1")
    assert context["customer"] == {}
    assert context["company"] == {}


def test_extra_variables_are_added_but_cannot_replace_standard_ones() -> None:
    extra = {
        "company": {"phone": "+49 30 1234", "name": "Evil Corp"},
        "shop": {"url": "https://acme.example"},
    }
    context = context_for("Ann Lee", "ann@example.com", "Cy", "cy@acme.example", "Acme", "c1", extra)
    assert fill("{{ company.name }} {{ company.phone }} {{ shop.url }}", context) == (
        "Acme +49 30 1234 https://acme.example"
    )


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Ann Lee", "Ann", "Lee"),
        ("Ann", "Ann", ""),
        ("", "", ""),
        ("   ", "", ""),
        ("Lee, Ann", "Ann", "Lee"),
        ("Ann Lee, PhD", "Ann", "Lee"),
        ("Dr. Ann Lee", "Ann", "Lee"),
        ("Mr Bob", "Bob", ""),
        ("Ann Lee Jr.", "Ann", "Lee"),
        ('"Ann Lee"', "Ann", "Lee"),
        ("Ann Lee (Acme Support)", "Ann", "Lee"),
        ("Ann-Marie van der Berg", "Ann-Marie", "van der Berg"),
        ("ann@example.com", "", ""),
        ("J. Smith", "", "Smith"),
        ("ANN LEE", "ANN", "LEE"),
        ("José  Álvarez", "José", "Álvarez"),
        ("山田太郎", "山田太郎", ""),
        ("Dr.", "", ""),
    ],
)
def test_split_name(name: str, first: str, last: str) -> None:
    assert split_name(name) == (first, last)
