"""Text of HTML source read without a parser, for fragments and for pages the parser
gives up on (R14).

A tag is skipped as a whole however long it is: an attribute of megabytes, a quoted
value holding ``>``. As in a browser, a tag or comment never closed hides the rest of
the source, and ``<`` that starts no tag is text. Scripts, styles, comments,
navigation and the like are left out. Linear time; the number of tags looked at and
the text gathered are bounded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

MAX_TAGS = 300_000  # tags looked at per source (bounded time on hostile pages)
MAX_HEADING = 4_000  # characters of a heading's source text

# "<" followed by a tag name (start or end tag), a comment, or a bogus comment.
_OPEN = re.compile(r"<(?:(/?)([A-Za-z][^\t\n\f\r />]*)|!--|[!?/])")
# Inside a tag: its end, or an attribute value in quotes (which may hold ">").
_IN_TAG = re.compile(r"""=[\t\n\f\r ]*(["'])|>""")
# Elements whose content is never text (raw-text elements, and what a reader does not see).
_HIDDEN = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "nav",
        "title",
        "textarea",
        "iframe",
        "xmp",
        "noembed",
        "noframes",
    }
)
_CLOSERS = {name: re.compile(rf"</{name}(?=[\t\n\f\r />]|$)", re.I) for name in _HIDDEN}
# Elements that end a block of text (a paragraph break in the text read).
_BLOCK_NAMES = (
    "address article aside blockquote body br dd details div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr label li main ol p pre section "
    "summary table tbody td th thead tr ul"
)
BLOCK_TAGS = frozenset(_BLOCK_NAMES.split())
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

TEXT, START, END, HIDDEN = range(4)


def _tag_end(source: str, pos: int) -> int:
    """Where the tag whose attributes start at ``pos`` ends; -1 if it never does."""
    while True:
        match = _IN_TAG.search(source, pos)
        if match is None:
            return -1
        quote = match.group(1)
        if quote is None:
            return match.end()
        close = source.find(quote, match.end())
        if close < 0:
            return -1
        pos = close + 1


def tokens(source: str) -> Iterator[tuple[int, str, str]]:
    """``(kind, tag name, text)``: TEXT with its source text, START and END with the
    tag's lower-case name, HIDDEN with the name and source content of a hidden element."""
    pos, size, tags = 0, len(source), 0
    while pos < size:
        match = _OPEN.search(source, pos)
        if match is None:
            yield TEXT, "", source[pos:]
            return
        if match.start() > pos:
            yield TEXT, "", source[pos : match.start()]
        tags += 1
        if tags > MAX_TAGS:
            return
        name = match.group(2)
        if name is None:  # a comment, doctype, processing instruction or "</>"
            closer = "-->" if match.group(0) == "<!--" else ">"
            end = source.find(closer, match.end())
            if end < 0:
                return
            pos = end + len(closer)
            continue
        name = name.lower()
        pos = _tag_end(source, match.end())
        if pos < 0:
            return
        if match.group(1):
            yield END, name, ""
        elif name in _HIDDEN:
            closing = _CLOSERS[name].search(source, pos)
            if closing is None:  # never closed: the rest is hidden, as in a browser
                return
            yield HIDDEN, name, source[pos : closing.start()]
            pos = closing.start()
        else:
            yield START, name, ""


def source_text(source: str, limit: int) -> str:
    """The visible text of ``source``, entities decoded; blocks end with a blank line.
    Stops after about ``limit`` characters of text."""
    parts: list[str] = []
    gathered = 0
    for kind, name, text in tokens(source):
        if kind == TEXT:
            parts.append(text[: limit - gathered + 10])  # an entity at the cut kept whole
            if not text.isspace():
                gathered += len(text)
                if gathered > limit:
                    break
        elif kind != HIDDEN:
            parts.append("\n\n" if name in BLOCK_TAGS else " ")
    return html.unescape("".join(parts))


def source_heading(source: str) -> str:
    """The text of the first visible ``<h1>``, else of ``<title>``; whitespace collapsed."""
    title = ""
    parts: list[str] | None = None  # the h1's text, once it has started
    gathered = 0
    for kind, name, text in tokens(source):
        if parts is None:
            if kind == START and name == "h1":
                parts = []
            elif kind == HIDDEN and name == "title" and not title:
                title = text[:MAX_HEADING]
            continue
        if kind == TEXT:
            parts.append(text)
            gathered += len(text)
            if gathered > MAX_HEADING:
                break
        elif name in _HEADINGS:  # its end, or a heading that ends it
            break
        elif kind != HIDDEN:
            parts.append(" ")
    heading = _words(html.unescape("".join(parts or [])))
    return heading if len(heading) > 1 else _words(html.unescape(title))


def _words(text: str) -> str:
    return " ".join(text.split())
