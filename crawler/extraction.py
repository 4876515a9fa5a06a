"""Text and structured-data extraction that never crashes on hostile HTML (R14)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

from crawler.rawtext import BLOCK_TAGS, source_heading, source_text

_WS = re.compile(r"[ \t\r\f\v\u00a0]+")
_NL = re.compile(r"\n{3,}")
MAX_JSONLD_BYTES = 1_000_000
MAX_TEXT = 50_000


def clean_text(text: str) -> str:
    text = text.replace("\x00", "")
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    out = "\n".join(lines)
    return _NL.sub("\n\n", out).strip()[:MAX_TEXT]


def html_to_text(fragment: str) -> str:
    """Plain text from HTML (a JSON-LD description, a page's source): every tag left
    out whatever its size, never pieces of markup (R14)."""
    return clean_text(source_text(fragment, MAX_TEXT * 2))


def element_text(selection: Selector | SelectorList) -> str:
    """Readable text of the selected elements: paragraphs separated by blank lines."""
    if isinstance(selection, SelectorList):
        return "\n\n".join(t for t in (element_text(s) for s in selection) if t)
    root = selection.root
    if isinstance(root, str):  # an attribute or text node
        return clean_text(root)
    blocks = selection.xpath(".//p | .//li | .//h1 | .//h2 | .//h3 | .//h4")
    if blocks:
        parts = [
            " ".join(b.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall())
            for b in blocks
        ]
        return clean_text("\n\n".join(p.strip() for p in parts if p.strip()))
    texts = selection.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall()
    return clean_text(" ".join(texts))


def select(selector: Selector | TextResponse, spec: str) -> SelectorList:
    if spec.startswith("xpath:"):
        return selector.xpath(spec[len("xpath:") :])
    return selector.css(spec)


def _walk_jsonld(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 8:
        return
    if isinstance(node, list):
        for child in node[:200]:
            yield from _walk_jsonld(child, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "itemListElement", "item"):
            if key in node:
                yield from _walk_jsonld(node[key], depth + 1)


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("@type")
    values = t if isinstance(t, list) else [t]
    return {str(v).rsplit("/", 1)[-1] for v in values if v}


def jsonld_objects(selector: Selector, type_name: str) -> list[dict[str, Any]]:
    """All JSON-LD objects of ``type_name`` on the page; bad JSON is skipped."""
    found: list[dict[str, Any]] = []
    for raw in selector.xpath(
        '//script[@type="application/ld+json" or @type="application/ld+json; charset=utf-8"]/text()'
    ).getall()[:20]:
        if len(raw) > MAX_JSONLD_BYTES:
            continue
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):
            continue
        found.extend(n for n in _walk_jsonld(data) if type_name in _types(n))
    return found


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("value")
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value is None else clean_text(str(value))[:500]


def job_posting_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """Flatten a schema.org JobPosting into listing fields."""
    fields: dict[str, Any] = {}
    fields["company"] = _name(obj.get("hiringOrganization"))
    location = obj.get("jobLocation")
    if isinstance(location, list):
        location = location[0] if location else None
    if isinstance(location, dict):
        address = location.get("address")
        if isinstance(address, dict):
            fields["location"] = _name(address.get("addressLocality"))
            fields["country"] = _name(address.get("addressCountry"))
        elif address:
            fields["location"] = _name(address)
    salary = obj.get("baseSalary")
    if isinstance(salary, dict):
        value = salary.get("value")
        if isinstance(value, dict):
            amount = value.get("value") or (
                f"{value.get('minValue', '')}-{value.get('maxValue', '')}".strip("-")
            )
            unit = value.get("unitText", "")
        else:
            amount, unit = value, ""
        currency = salary.get("currency", "")
        fields["salary"] = clean_text(f"{amount} {currency} {unit}")[:200]
    elif salary:
        fields["salary"] = _name(salary)
    employment = obj.get("employmentType")
    if isinstance(employment, list):
        employment = ", ".join(str(e) for e in employment)
    fields["employment_type"] = _name(employment)
    fields["date_posted"] = _name(obj.get("datePosted"))
    fields["valid_through"] = _name(obj.get("validThrough"))
    identifier = obj.get("identifier")
    if isinstance(identifier, dict):  # a PropertyValue: the value is the id, name the scheme
        identifier = identifier.get("value") or identifier.get("name")
    fields["listing_id"] = _name(identifier)
    return {k: v for k, v in fields.items() if v}


# Elements whose content is never main text (R14: also what is not shown to a reader).
_SKIP_TAGS = frozenset(
    {
        "nav",
        "aside",
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "button",
        "select",
        "option",
        "textarea",
        "iframe",
        "object",
        "embed",
        "canvas",
        "head",
        "title",
        "dialog",
        "menu",
    }
)
_PAGE_CHROME = frozenset({"header", "footer"})  # skipped unless inside <article>/<main>
_SKIP_ROLES = frozenset(
    {
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
        "search",
        "menu",
        "menubar",
        "dialog",
        "alertdialog",
    }
)
_SKIP_CLASS = re.compile(
    r"^(?!has[_-])(?:[\w-]+[_-])?(?:breadcrumbs?|cookies?|consent|"
    r"cookie[_-]?(?:banner|notice|bar)|skip[_-]?link|navbar|nav|"
    r"navigation|menu|social|share|sharing|sidebar)(?:[_-][\w-]+)?$",
    re.I,
)
_NEVER_SKIPPED = frozenset({"html", "body", "main", "article"})
_CONTENT_ROOTS = frozenset({"article", "main"})
_TITLE_HINT = re.compile(
    r"job[\s_-]?title|position[\s_-]?title|posting[\s_-]?title|"
    r"vacancy[\s_-]?title|stellen[\s_-]?titel|jobtitel",
    re.I,
)
MAX_ELEMENTS = 300_000  # elements looked at per page (bounded time on hostile pages)
MAIN_SHARE = 0.7  # a container holding this share of the page's text is "the main content"
LINK_WEIGHT = 0.25  # link text counts this much towards a container's density


def _skipped(el: Any, in_content: bool) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _SKIP_TAGS or (tag in _PAGE_CHROME and not in_content):
        return True
    get = el.get
    if get("hidden") is not None or (get("aria-hidden") or "").strip().lower() == "true":
        return True
    if (get("role") or "").strip().lower() in _SKIP_ROLES:
        return True
    if tag in _NEVER_SKIPPED:
        return False
    marks = f"{get('class') or ''} {get('id') or ''}"[:500].split()
    return any(_SKIP_CLASS.match(mark) for mark in marks[:30])


def _is_label(text: str) -> bool:
    """A short all-capitals heading such as "JOB POSTING": a section label, not a title."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and text.upper() == text and len(text.split()) <= 3


def page_title(selector: Selector) -> str:
    """A page's title: a heading marked as the job title, the first h1 that is not a
    section label, og:title, else <title> (site suffixes kept)."""
    outside = (
        "[not(ancestor::nav or ancestor::footer or ancestor::aside or "
        "ancestor::script or ancestor::template)]"
    )
    hinted = selector.xpath(
        f"(//h1 | //h2 | //h3 | //*[@itemprop='title'] | //*[@data-testid]){outside}"
    )[:200]
    marked = []
    for el in hinted:
        marks = " ".join(el.root.get(a) or "" for a in ("class", "id", "itemprop", "data-testid"))[
            :500
        ]
        if _TITLE_HINT.search(marks) or el.root.get("itemprop") == "title":
            marked.append(element_text(el))
    if len(marked) == 1 and len(marked[0]) > 1:  # several: a list page, not one posting
        return marked[0][:500]
    for el in selector.xpath(f"//h1{outside}")[:5]:
        value = element_text(el)
        if len(value) > 1 and not _is_label(value):
            return value[:500]
    for spec in ('meta[property="og:title"]::attr(content)', "h1", "title"):
        value = element_text(select(selector, spec)[:1])
        if value and len(value) > 1:
            return value[:500]
    return ""


class _Block:
    __slots__ = ("parts", "start", "weight")

    def __init__(self, start: int) -> None:
        self.start = start
        self.parts: list[str] = []
        self.weight = 0.0


def main_text(selector: Selector) -> str:
    """Readable text of the page's main content, without navigation and scripts.

    One pass over the tree collects the visible text of each block element
    (skipping nav/header/footer/aside/script/style/noscript and the like) and
    sums it up the tree; the main content is the smallest container holding
    ``MAIN_SHARE`` of the page's text (link text weighs less), and its blocks are
    returned as paragraphs.
    """
    from lxml import etree

    root = selector.root
    if not isinstance(getattr(root, "tag", None), str):
        return ""
    body = root.find("body") if root.tag == "html" else None
    top = body if body is not None else root
    blocks: list[_Block] = []
    span: dict[Any, tuple[int, int, float]] = {}  # element -> (first, last block index, weight)
    # frames: element, skipped, in content root, in link, block, weight, first block index
    stack: list[list[Any]] = []
    seen = 0
    try:
        walker = etree.iterwalk(top, events=("start", "end"))
        for event, el in walker:
            if event == "start":
                seen += 1
                parent = stack[-1] if stack else None
                tag = el.tag if isinstance(el.tag, str) else ""
                in_content = bool(parent and parent[2]) or tag in _CONTENT_ROOTS
                skipped = bool(parent and parent[1]) or not tag or _skipped(el, in_content)
                if seen > MAX_ELEMENTS:
                    skipped = True
                in_link = bool(parent and parent[3]) or tag == "a"
                block = parent[4] if parent else None
                if tag in BLOCK_TAGS or block is None:
                    block = _Block(len(blocks))
                    blocks.append(block)
                frame = [el, skipped, in_content, in_link, block, 0.0, len(blocks) - 1]
                stack.append(frame)
                if skipped:
                    if tag:
                        walker.skip_subtree()
                    continue
                _add(frame, el.text)
            else:
                frame = stack.pop()
                span[el] = (frame[6], len(blocks) - 1, frame[5])
                if stack:
                    stack[-1][5] += frame[5]
                    parent = stack[-1]
                    if not parent[1]:
                        _add(parent, el.tail)
    except (ValueError, RecursionError, etree.LxmlError):
        return ""
    total = span.get(top, (0, 0, 0.0))[2]
    node = top
    while total > 0:
        for child in node:
            info = span.get(child)
            if info is not None and info[2] >= MAIN_SHARE * total:
                node = child
                break
        else:
            break
    first, last, _weight = span.get(node, (0, len(blocks) - 1, 0.0))
    text = _join(blocks[first : last + 1])
    if len(text) < 200 and node is not top:
        text = _join(blocks)
    return text


def _add(frame: list[Any], text: str | None) -> None:
    if not text:
        return
    text = text.replace("\x00", "")
    block: _Block = frame[4]
    block.parts.append(text)
    size = len(text.strip())
    weight = size * (LINK_WEIGHT if frame[3] else 1.0)
    frame[5] += weight


def _join(blocks: list[_Block]) -> str:
    parts = []
    size = 0
    for block in blocks:
        words = " ".join("".join(block.parts).split())
        if words:
            parts.append(words)
            size += len(words)
            if size > MAX_TEXT:
                break
    return clean_text("\n\n".join(parts))


def microdata_objects(html_text: str, url: str, type_name: str) -> list[dict[str, Any]]:
    """schema.org microdata items of ``type_name`` (via extruct), flattened to JSON-LD shape."""
    if "itemscope" not in html_text[:2_000_000].lower():
        return []
    try:
        import extruct

        data = extruct.extract(
            html_text[:2_000_000],
            base_url=url,
            syntaxes=["microdata"],
            uniform=True,
            errors="ignore",
        )
    except Exception:  # extruct raises many types on hostile markup (R14)
        return []
    return [n for n in _walk_jsonld(data.get("microdata", [])) if type_name in _types(n)]


SHORT_TEXT = 200


def page_title_and_text(selector: Selector, html_text: str) -> tuple[str, str]:
    """Title and main text of a page without structured data.

    The HTML parser gives up below about 2,000 levels of nesting (the rest of a
    hostile page would be silently lost), so a page whose tree yields little text
    falls back to the text of its source, tags (however long), scripts and
    navigation removed.
    """
    title = page_title(selector)
    text = main_text(selector)
    if len(text) < SHORT_TEXT:
        raw = html_to_text(html_text)
        if len(raw) > max(2 * len(text), SHORT_TEXT):
            text = raw
            if not title:
                title = clean_text(source_heading(html_text))[:500]
    return title, text
