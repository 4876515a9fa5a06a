"""R14: hostile markup never degrades the stored text to raw markup.

A huge attribute (megabytes inside one tag), a tag whose quoted attribute holds
``>`` or is never closed, and a nesting too deep for the HTML parser all go
through the real extraction functions; the title and text are the page's text,
bounded, and never pieces of its markup.
"""

from __future__ import annotations

import pytest
from parsel import Selector

from crawler.extraction import MAX_TEXT, html_to_text, page_title_and_text

HUGE = "a" * 8_000_000  # the attribute the crawler met: 8 MB inside one tag
BODY = "Cook wanted for a small kitchen in Vejle."


def assert_clean(value: str) -> None:
    assert len(value) <= MAX_TEXT
    for markup in ("<h1", "<div", "<body", "<meta", "<p", "title=", "data-x=", "aaaaaaaa"):
        assert markup not in value, (markup, value[:200])


def title_and_text(page: str) -> tuple[str, str]:
    title, text = page_title_and_text(Selector(text=page), page)
    assert_clean(title)
    assert_clean(text)
    return title, text


@pytest.mark.parametrize(
    "page",
    [
        f'<html><body><h1 title="{HUGE}">Real title</h1><div><p>{BODY}</p></div></body></html>',
        f'<html><body><h1>Real title</h1><div data-x="{HUGE}"><p>{BODY}</p></div></body></html>',
        f"<html><body data-x='{HUGE}'><h1>Real title</h1><p>{BODY}</p></body></html>",
        f'<html><head><meta name="x" content="{HUGE}"></head>'
        f"<body><h1>Real title</h1><p>{BODY}</p></body></html>",
    ],
    ids=["on-h1", "on-div", "on-body", "on-meta"],
)
def test_a_huge_attribute_leaves_the_real_title_and_text(page: str) -> None:
    title, text = title_and_text(page)
    assert title == "Real title"
    assert BODY in text


def test_a_huge_attribute_below_the_parsers_depth_limit_leaves_the_real_text() -> None:
    """The tree is cut off by the nesting; the source fallback must still skip the tag."""
    paragraphs = f"<p>{BODY}</p>" * 6  # more than the tree's short text
    page = (
        "<html><body>"
        + "<div>" * 3000
        + f'<h1 title="{HUGE}">Deep real title</h1>{paragraphs}'
        + "</div>" * 3000
        + "</body></html>"
    )
    title, text = title_and_text(page)
    assert title == "Deep real title"
    assert BODY in text


def test_quoted_angle_brackets_and_unclosed_tags_are_markup_not_text() -> None:
    junk = "x" * 3000
    page = (
        f'<html><body><h1 title="a>b{junk}">Real title</h1><p>{BODY}</p>'
        f"<p data-x='<p>fake</p>'>kept</p><div data-x=\"never closed {junk}"
    )
    title, text = title_and_text(page)
    assert title == "Real title"
    assert BODY in text and "kept" in text
    assert "xxx" not in text and "fake" not in text and "never closed" not in text


def test_html_to_text_strips_a_huge_attribute_and_keeps_plain_angle_brackets() -> None:
    fragment = f'<p title="{HUGE[:300_000]}">Cook &amp; clean</p><p>pay &lt; 100 DKK, 3 < 4</p>'
    text = html_to_text(fragment)
    assert text == "Cook & clean\n\npay < 100 DKK, 3 < 4"


def test_source_fallback_text_is_bounded_and_skips_hidden_content() -> None:
    words = "word " * 400_000  # 2 MB of text below the parser's depth limit
    page = (
        "<html><head><title>Head title</title><script>var secret = 1;</script></head><body>"
        + "<div>" * 3000
        + f"<h1 title='{HUGE[:1_000_000]}'>Deep real title</h1><!-- a comment -->"
        + "<nav>site menu</nav><p>"
        + words
        + "</p>"
    )
    title, text = title_and_text(page)
    assert title == "Head title"  # the tree still has the head
    assert text.startswith("Deep real title") and "word word" in text
    assert len(text) <= MAX_TEXT
    for hidden in ("secret", "a comment", "site menu", "Head title"):
        assert hidden not in text
