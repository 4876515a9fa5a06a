"""Text and structured-data extraction that never crashes on hostile HTML (R14)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

from parsel import Selector, SelectorList

_WS = re.compile(r"[ \t\r\f\v\u00a0]+")
_NL = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]{0,2000}>")
_BLOCK = re.compile(r"</?(p|div|br|li|ul|ol|h[1-6]|tr|section|article)\b[^>]{0,2000}>", re.I)
MAX_JSONLD_BYTES = 1_000_000
MAX_TEXT = 50_000


def clean_text(text: str) -> str:
    text = text.replace("\x00", "")
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    out = "\n".join(lines)
    return _NL.sub("\n\n", out).strip()[:MAX_TEXT]


def html_to_text(fragment: str) -> str:
    """Plain text from an HTML fragment (e.g. a JSON-LD description)."""
    fragment = fragment[: MAX_TEXT * 4]
    fragment = _BLOCK.sub("\n\n", fragment)
    return clean_text(html.unescape(_TAG.sub(" ", fragment)))


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


def select(selector: Selector, spec: str) -> SelectorList:
    if spec.startswith("xpath:"):
        return selector.xpath(spec[len("xpath:"):])
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
        '//script[@type="application/ld+json" or @type="application/ld+json; charset=utf-8"]'
        "/text()"
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


_BOILERPLATE = ("nav", "header", "footer", "aside", "form", "script", "style", "noscript",
                "template", "svg")
_MAIN_CANDIDATES = ("main", "[role=main]", "article", "#content", ".content", "body")


def page_title(selector: Selector) -> str:
    """A page's title: og:title, the first h1, else <title> (site suffixes kept)."""
    for spec in ('meta[property="og:title"]::attr(content)', "h1", "title"):
        value = element_text(select(selector, spec)[:1])
        if value and len(value) > 1:
            return value[:500]
    return ""


def main_text(selector: Selector) -> str:
    """Readable text of the page's main content, without navigation and scripts."""
    for spec in _MAIN_CANDIDATES:
        found = select(selector, spec)[:1]
        if not found:
            continue
        skip = " or ".join(f"ancestor::{tag}" for tag in _BOILERPLATE)
        blocks = found.xpath(
            ".//*[self::p or self::li or self::h1 or self::h2 or self::h3 or self::h4 or "
            f"self::td or self::dd or self::dt][not({skip})]"
        )[:5000]
        parts = []
        for block in blocks:
            words = " ".join(t.strip() for t in block.xpath(
                "./text() | ./*[not(self::p or self::li or self::ul or self::ol or self::table"
                " or self::div)]//text()").getall() if t.strip())
            if words:
                parts.append(words)
        text = clean_text("\n\n".join(parts))
        if len(text) < 200:
            texts = found.xpath(f".//text()[not({skip})]").getall()
            text = clean_text(" ".join(t.strip() for t in texts if t.strip()))
        if text:
            return text
    return ""


def microdata_objects(html_text: str, url: str, type_name: str) -> list[dict[str, Any]]:
    """schema.org microdata items of ``type_name`` (via extruct), flattened to JSON-LD shape."""
    if "itemscope" not in html_text[:2_000_000].lower():
        return []
    try:
        import extruct

        data = extruct.extract(html_text[:2_000_000], base_url=url, syntaxes=["microdata"],
                               uniform=True, errors="ignore")
    except Exception:  # extruct raises many types on hostile markup (R14)
        return []
    return [n for n in _walk_jsonld(data.get("microdata", [])) if type_name in _types(n)]
