"""Rendering HTML mail to text: layout, visible link targets, dropped content, quotes, safety."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.mail.html_text import MAX_LINK_CHARS, html_to_text
from shared_inbox.mail.sanitize import has_forbidden


def test_paragraphs_lists_and_tables_keep_their_shape() -> None:
    text = html_to_text(
        "<p>First paragraph.</p><p>Second <b>bold</b> one.</p>"
        "<ul><li>apple</li><li>pear</li></ul>"
        "<table><tr><td>Order</td><td>1234</td></tr><tr><td>Total</td><td>$5</td></tr></table>"
    )
    assert text.split("\n") == [
        "First paragraph.",
        "",
        "Second bold one.",
        "",
        "  * apple",
        "  * pear",
        "Order 1234",
        "Total $5",
    ]


def test_layout_tables_become_lines_of_cells() -> None:
    text = html_to_text(
        "<table><tr><td><table><tr><td>Logo</td><td></td><td>Menu</td></tr></table></td></tr>"
        "<tr><td>Body <b>text</b></td></tr><tr><th>Head</th><td>cell</td></tr></table><p>after</p>"
    )
    assert text.split("\n") == ["Logo Menu", "Body text", "Head cell", "", "after"]


def test_preformatted_text_keeps_its_spacing() -> None:
    assert html_to_text("<pre>  indented\n    more</pre>") == "  indented\n    more"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<a href="https://evil.example/x">https://bank.example/</a>',
            "https://bank.example/ [https://evil.example/x]",
        ),
        ('<a href="https://shop.example/track">Track order</a>', "Track order [https://shop.example/track]"),
        ('<a href="https://same.example/">https://same.example</a>', "https://same.example"),
        ('<a href="mailto:help@example.com">help@example.com</a>', "help@example.com"),
        (
            '<a href="mailto:attacker@evil.example">help@example.com</a>',
            "help@example.com [mailto:attacker@evil.example]",
        ),
        ('<a href="#section">jump</a>', "jump"),
        ("<a>no target</a>", "no target"),
        ('<a href="javascript:alert(1)">open</a>', "open [javascript:alert(1)]"),
        ('<a href="https://x.example/"><b>bold</b> link</a> after', "bold link [https://x.example/] after"),
    ],
)
def test_links_show_where_they_really_go(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_very_long_link_targets_are_cut() -> None:
    target = "https://evil.example/" + "a" * 5000
    text = html_to_text(f'<a href="{target}">click</a>')
    assert text.startswith("click [https://evil.example/aaa")
    assert text.endswith("…]")
    assert len(text) == len("click [") + MAX_LINK_CHARS + 1


def test_scripts_styles_and_hidden_content_are_dropped() -> None:
    text = html_to_text(
        "<html><head><title>TITLE</title><style>p{color:red}</style></head><body>"
        "<script>var JS_CODE = 1;</script><noscript>fallback kept</noscript>"
        '<div style="display:none">HIDDEN-CSS</div><p hidden>HIDDEN-ATTR</p>'
        "<template>TEMPLATE</template><!-- COMMENT -->visible</body></html>"
    )
    for gone in ("TITLE", "color", "JS_CODE", "HIDDEN-CSS", "HIDDEN-ATTR", "TEMPLATE", "COMMENT"):
        assert gone not in text
    assert "visible" in text and "fallback kept" in text


def test_images_show_their_alt_text_and_pixels_vanish() -> None:
    text = html_to_text('<p>Logo: <img src="a.png" alt="ACME"> pixel:<img src="t.gif" width="1"></p>')
    assert text == "Logo: [image: ACME] pixel:"


def test_blockquotes_become_quote_prefixes_by_depth() -> None:
    text = html_to_text(
        "<p>Reply above.</p><blockquote>Level one<br><br>still one"
        "<blockquote>Level two</blockquote>back to one</blockquote><p>after</p>"
    )
    assert text.split("\n") == [
        "Reply above.",
        "",
        "> Level one",
        ">",
        "> still one",
        ">> Level two",
        "> back to one",
        "",
        "after",
    ]


def test_many_sibling_blockquotes() -> None:
    text = html_to_text("<blockquote>q</blockquote><p>t</p>" * 2000)
    lines = [line for line in text.split("\n") if line]
    assert lines.count("> q") == 2000 and lines.count("t") == 2000


def test_entities_and_nonbreaking_spaces() -> None:
    assert html_to_text("<p>caf&eacute;&nbsp;&amp;&nbsp;cr&egrave;me &lt;tag&gt;</p>") == "café & crème <tag>"


@pytest.mark.parametrize(
    "html",
    [
        "<p>&#x1b;[31mred&#x1b;[0m</p>",
        "<p>\x1b]0;title\x07red</p>",
        "<p>&#x9b;31mred</p>",
        "<p>invoice&#x202e;fdp.exe red</p>",
        '<a href="https://x.example/\x1b[2J&#x202e;">red</a>',
        '<img alt="red&#x1b;[31m&#x2066;">',
        "<p>\x00red\x00</p>",
    ],
)
def test_escape_and_bidi_characters_come_out_inert(html: str) -> None:
    text = html_to_text(html)
    assert "red" in text
    assert not has_forbidden(text)
    assert "\x1b" not in text and "\u202e" not in text


def test_markup_like_text_is_kept_literally() -> None:
    text = html_to_text("<p>[@click=app.quit]Quit[/] and [bold]x[/bold]</p>")
    assert text == "[@click=app.quit]Quit[/] and [bold]x[/bold]"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html></html>",
        "<!-- only a comment -->",
        "<?xml version='1.0' encoding='latin1'?>",
        "</p>",
    ],
)
def test_empty_documents_give_empty_text(html: str) -> None:
    assert html_to_text(html) == ""


def test_xml_declaration_with_encoding_is_tolerated() -> None:
    assert html_to_text("<?xml version='1.0' encoding='iso-8859-1'?><p>caf\u00e9</p>") == "café"


def test_absurdly_deep_nesting_does_not_crash() -> None:
    text = html_to_text("<div>" * 50_000 + "deep" + "</div>" * 50_000 + "<p>after</p>")
    assert not has_forbidden(text)


def test_broken_html_still_renders() -> None:
    assert html_to_text("<p>unclosed <b>bold <i>both</p> tail <td>cell</table></div>") == (
        "unclosed bold both\n\ntail cell"
    )


html_fragments = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<a href='",
                "'>",
                "</a>",
                "<blockquote>",
                "</blockquote>",
                "<table><tr><td>",
                "</td></tr></table>",
                "<script>",
                "</script>",
                "<br>",
                "<img alt='",
                "&#x1b;",
                "&#27;",
                "&#x9b;",
                "\x1b[31m",
                "\u202e",
                "&nbsp;",
                "<pre>",
                "</pre>",
                "<ul><li>",
                "</ul>",
                "<!--",
                "-->",
                "<?xml ?>",
                "[@click=x]",
                "\x00",
                "\r\n",
                "&",
                "<",
                ">",
            ]
        ),  # fmt: skip
        st.text(max_size=8),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(html_fragments)
def test_any_html_renders_to_safe_text(html: str) -> None:
    text = html_to_text(html)
    assert not has_forbidden(text)
    assert html_to_text(html) == text  # deterministic


def test_control_character_references_next_to_edited_elements(caplog: pytest.LogCaptureFixture) -> None:
    """The tree is edited around links and images; references like &#27; must not break that."""
    with caplog.at_level("WARNING"):
        text = html_to_text(
            '<p>a&#1;b<a href="https://x.example/">li&#11;nk</a>&#27;<img alt="pic">&#8;end</p>'
        )
    assert text == "ablink [https://x.example/][image: pic]end"
    assert caplog.records == []


def test_rendering_in_many_threads_at_once_gives_the_same_results() -> None:
    """Text directly in <body> is written through state inscriptis keeps in its configuration."""
    documents = [
        f"<html><body>bare {n}<div>x</div>tail {n}" + f"<div>block</div>tail {n}" * 100 + "</body></html>"
        for n in range(40)
    ]
    expected = [html_to_text(document) for document in documents]
    assert all(f"bare {n}" in text for n, text in enumerate(expected))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that shared state would show
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(3):
                assert list(pool.map(html_to_text, documents)) == expected
    finally:
        sys.setswitchinterval(interval)
