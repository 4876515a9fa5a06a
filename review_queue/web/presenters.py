"""Turn stored listings and explanations into safe, display-ready values (R03, R20).

Listing content is hostile input. The highlighted text is built here, in
Python: every text segment goes through ``markupsafe.escape`` and only our own
``<mark>`` tags are added. Explanations come from the scorer and are read
defensively: missing keys, wrong types, overlapping or out-of-range spans are
clipped or skipped, never an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

MAX_INDICATORS = 500
MAX_SPANS = 5000
MAX_LABEL = 200


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


@dataclass(frozen=True)
class IndicatorRow:
    id: str
    category: str
    weight: str
    grade: str
    title: str
    matched: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RuleRow:
    id: str
    weight: str
    description: str


@dataclass(frozen=True)
class LinkedRow:
    listing_id: str
    label: str  # source and title
    href: str  # its item page, or "" when it is not in the queue
    state: str


@dataclass(frozen=True)
class LinkRow:
    id: str
    title: str
    why: str
    weight: str
    counted: bool
    listings: list[LinkedRow] = field(default_factory=list)


@dataclass(frozen=True)
class Explanation:
    indicators: list[IndicatorRow]
    rules: list[RuleRow]
    counter: list[IndicatorRow]
    model_probability: str
    model_threshold: str = ""  # at or above it the model raised the listing to the queue
    model_reason: str = ""  # why it did, in words ("..., without the indicators' evidence")
    calibration: str = ""  # the calibration's version, if the score was calibrated


def _text(value: Any, limit: int = MAX_LABEL) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)[:limit]


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return f"{value:.2f}"


def _as_list(value: Any, limit: int) -> list[Any]:
    return value[:limit] if isinstance(value, list) else []


def _offset(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def collect_spans(explanation: Any, target: str = "text") -> list[Span]:
    """Spans of all indicators that refer to ``target`` ("text" or "title")."""
    if not isinstance(explanation, dict):
        return []
    spans: list[Span] = []
    for indicator in _as_list(explanation.get("indicators"), MAX_INDICATORS):
        if not isinstance(indicator, dict):
            continue
        label = _text(indicator.get("id")) or "indicator"
        for span in _as_list(indicator.get("spans"), MAX_SPANS):
            if not isinstance(span, dict) or (span.get("field") or "text") != target:
                continue
            start, end = _offset(span.get("start")), _offset(span.get("end"))
            if start is not None and end is not None:
                spans.append(Span(start, end, label))
            if len(spans) >= MAX_SPANS:
                return spans
    return spans


def highlight(text: str | None, spans: list[Span]) -> Markup:
    """Escaped ``text`` with each (clipped, merged) span wrapped in ``<mark class="ind">``."""
    text = text or ""
    size = len(text)
    clipped = sorted(
        (max(0, span.start), min(size, span.end), span.label)
        for span in spans
        if max(0, span.start) < min(size, span.end)
    )
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, label in clipped:
        if merged and start < merged[-1][1]:  # overlap: one mark naming every indicator
            first, last, labels = merged[-1]
            if label not in labels:
                labels.append(label)
            merged[-1] = (first, max(last, end), labels)
        else:
            merged.append((start, end, [label]))
    parts: list[Markup] = []
    position = 0
    for start, end, labels in merged:
        parts.append(escape(text[position:start]))
        parts.append(
            Markup('<mark class="ind" title="{}">{}</mark>').format(
                ", ".join(labels), text[start:end]
            )
        )
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def _indicator_row(indicator: dict[str, Any], text: str, title: str) -> IndicatorRow:
    matched: list[str] = []
    for span in _as_list(indicator.get("spans"), 50):
        if not isinstance(span, dict):
            continue
        quoted = span.get("text")
        if not isinstance(quoted, str):
            source = title if span.get("field") == "title" else text
            start, end = _offset(span.get("start")), _offset(span.get("end"))
            ok = start is not None and end is not None
            quoted = source[max(0, start or 0) : max(0, end or 0)] if ok else ""
        if quoted and quoted[:MAX_LABEL] not in matched:
            matched.append(quoted[:MAX_LABEL])
    return IndicatorRow(
        id=_text(indicator.get("id")),
        category=_text(indicator.get("category")),
        weight=_number(indicator.get("weight")),
        grade=_text(indicator.get("grade")),
        title=_text(indicator.get("title"), 500),
        matched=matched,
    )


def explain(explanation: Any, text: str | None = "", title: str | None = "") -> Explanation:
    """A display model of ``Score.explanation``; tolerant of any shape."""
    data = explanation if isinstance(explanation, dict) else {}
    text, title = text or "", title or ""
    indicators = [
        _indicator_row(item, text, title)
        for item in _as_list(data.get("indicators"), MAX_INDICATORS)
        if isinstance(item, dict)
    ]
    rules = [
        RuleRow(
            _text(item.get("id")), _number(item.get("weight")), _text(item.get("description"), 500)
        )
        for item in _as_list(data.get("rules"), MAX_INDICATORS)
        if isinstance(item, dict)
    ]
    counter = []
    for item in _as_list(data.get("counter"), MAX_INDICATORS):
        if isinstance(item, dict):
            counter.append(_indicator_row(item, text, title))
        elif item is not None:
            counter.append(IndicatorRow(_text(item), "", "", "", ""))
    model = data.get("model")
    if not isinstance(model, dict):
        model = {}
    return Explanation(
        indicators=indicators,
        rules=rules,
        counter=counter,
        model_probability=_number(model.get("probability")),
        model_threshold=_number(model.get("threshold")),
        model_reason=_text(model.get("reason")) if model.get("raised") is True else "",
        calibration=""
        if data.get("calibration") in (None, "none")
        else _text(data.get("calibration"), 50),
    )


def field_rows(fields: Any) -> list[tuple[str, str]]:
    """Listing fields as (name, value) text pairs, rendered escaped by the template."""
    if not isinstance(fields, dict):
        return []
    return [(_text(key), _text(value, 2000)) for key, value in list(fields.items())[:50]]


def text_list(values: Any, limit: int = 20) -> list[str]:
    return [_text(value, 2000) for value in _as_list(values, limit)]


def link_listing_ids(explanation: Any) -> list[int]:
    """The listing ids the explanation's links name (ids that are not numbers skipped)."""
    data = explanation if isinstance(explanation, dict) else {}
    ids: list[int] = []
    for link in _as_list(data.get("links"), 50):
        if isinstance(link, dict):
            for value in _as_list(link.get("listings"), 200):
                if isinstance(value, str | int) and str(value).isdigit():
                    ids.append(int(value))
    return ids


def link_rows(explanation: Any, linked: dict[int, Any]) -> list[LinkRow]:
    """The explanation's cross-listing signals, each with the stored listings it names
    (``linked``: by listing id, from review_queue.services.links)."""
    data = explanation if isinstance(explanation, dict) else {}
    rows = []
    for link in _as_list(data.get("links"), 50):
        if not isinstance(link, dict):
            continue
        listings = []
        for value in _as_list(link.get("listings"), 200):
            other = linked.get(int(value)) if str(value).isdigit() else None
            if other is None:
                listings.append(LinkedRow(_text(value), "not in the archive", "", ""))
                continue
            label = f"{other.source}: {other.title}" + (" (removed)" if other.removed else "")
            href = f"/items/{other.item_id}" if other.item_id is not None else ""
            listings.append(
                LinkedRow(str(other.listing_id), _text(label), href, _text(other.state or ""))
            )
        rows.append(
            LinkRow(
                id=_text(link.get("id")),
                title=_text(link.get("title"), 500),
                why=_text(link.get("why"), 500),
                weight=_number(link.get("weight")),
                counted=link.get("counted") is True,
                listings=listings,
            )
        )
    return rows
