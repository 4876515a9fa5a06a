"""Highlighting and explanation display: escaped, defensive (R03, R20)."""

from __future__ import annotations

from typing import Any

import pytest

from review_queue.web.presenters import (
    Span,
    collect_spans,
    explain,
    field_rows,
    highlight,
)


def test_highlight_escapes_and_marks() -> None:
    text = "<b>pay</b> the recruitment fee & go"
    start = text.index("recruitment")
    html = str(highlight(text, [Span(start, start + 15, 'fl.fee"><script>')]))
    assert html.startswith("&lt;b&gt;pay&lt;/b&gt; the ")
    assert '<mark class="ind" title="fl.fee&#34;&gt;&lt;script&gt;">recruitment fee</mark>' in html
    assert html.endswith(" &amp; go")


def test_highlight_inside_payload_text() -> None:
    text = "<img src=x onerror=alert(1)> recruitment fee"
    start = text.index("onerror")
    html = str(highlight(text, [Span(start, start + 7, "x")]))
    assert "<img" not in html
    assert '<mark class="ind" title="x">onerror</mark>' in html


@pytest.mark.parametrize(
    "spans",
    [
        [Span(-5, 3, "a")],
        [Span(2, 999, "a")],
        [Span(5, 2, "a")],
        [Span(100, 200, "a")],
        [Span(0, 4, "a"), Span(2, 6, "b"), Span(3, 5, "a")],
    ],
)
def test_highlight_clips_and_merges(spans: list[Span]) -> None:
    text = "abcdefgh"
    html = str(highlight(text, spans))
    assert html.replace('<mark class="ind" title="', "").count("abcdefgh"[0]) >= 0
    plain = html
    for tag in ('<mark class="ind" title="a">', '<mark class="ind" title="a, b">', "</mark>"):
        plain = plain.replace(tag, "")
    assert plain == text
    assert html.count("<mark") <= 1


@pytest.mark.parametrize(
    "explanation",
    [
        None,
        [],
        "text",
        {"indicators": "x"},
        {"indicators": [None, 3, "a"]},
        {"indicators": [{"spans": [{"start": "1", "end": 4}, {"start": True, "end": 3}, None]}]},
        {
            "indicators": [{"id": {"nested": 1}, "weight": "heavy", "spans": [{"start": 0}]}],
            "rules": [None, {"id": 1}],
            "model": "x",
            "counter": ["fl.x", None, {"id": "y"}],
        },
    ],
)
def test_explanation_never_crashes(explanation: Any) -> None:
    spans = collect_spans(explanation)
    assert str(highlight("some text", spans))
    explain(explanation, "some text", "title")


def test_explanation_rows_and_title_spans() -> None:
    explanation = {
        "indicators": [
            {
                "id": "fl.fee",
                "category": "forced_labour",
                "weight": 0.35,
                "grade": "strong",
                "spans": [{"start": 0, "end": 3}, {"start": 0, "end": 3, "field": "title"}],
            }
        ],
        "rules": [{"id": "r1", "weight": 0.2, "description": "fee and passport"}],
        "model": {
            "probability": 0.99,
            "threshold": 0.505,
            "raised": True,
            "reason": "text model: wording like ..., probability 0.99, without the indicators' "
            "evidence",
        },
    }
    view = explain(explanation, "fee due", "Job abroad")
    assert view.indicators[0].weight == "0.35" and view.indicators[0].matched == ["fee", "Job"]
    assert view.rules[0].description == "fee and passport"
    assert view.model_probability == "0.99" and view.model_threshold == "0.51"
    assert view.model_reason.endswith("without the indicators' evidence")
    not_raised = {**explanation["model"], "probability": 0.3, "raised": False}
    assert explain({**explanation, "model": not_raised}).model_reason == ""
    assert [s.start for s in collect_spans(explanation, "title")] == [0]
    assert view.calibration == ""  # none recorded: nothing shown
    assert explain({**explanation, "calibration": "none"}).calibration == ""
    assert explain({**explanation, "calibration": "c1"}).calibration == "c1"


def test_field_rows() -> None:
    assert field_rows({"a": 1, "b": ["x"]}) == [("a", "1"), ("b", '["x"]')]
    assert field_rows("x") == []
