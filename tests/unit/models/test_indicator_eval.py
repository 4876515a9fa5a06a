"""The catalogue evaluation: splits, the lock on the test split, the figures, the report."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from models.errors import ModelError
from models.evaluation_report import render
from models.indicator_eval import (
    EVALUATION_DIR,
    evaluate,
    load_split,
    locked_test_bytes,
    real_text_false_flags,
)


def test_dev_split_is_the_blind_corpus_half() -> None:
    rows = load_split("dev")
    assert len(rows) == 6119
    assert {r["language"] for r in rows} == {"da", "en", "ro", "bg", "pl", "uk", "es", "ru"}
    assert {r["label"] for r in rows} == {"positive", "negative"}
    assert all(r["forms"] for r in rows if r["label"] == "positive")


def test_test_split_is_locked(tmp_path: Path) -> None:
    lock = json.loads((EVALUATION_DIR / "LOCK.json").read_text())
    assert (
        hashlib.sha256((EVALUATION_DIR / lock["file"]).read_bytes()).hexdigest() == lock["sha256"]
    )
    copy = tmp_path / "evaluation"
    shutil.copytree(EVALUATION_DIR, copy)
    data = bytearray((copy / lock["file"]).read_bytes())
    data[-1] ^= 1
    (copy / lock["file"]).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="changed; restore it from git"):
        locked_test_bytes(copy)
    with pytest.raises(ModelError, match="unknown split"):
        load_split("train")


@dataclass
class _Span:
    text: str


@dataclass
class _Contribution:
    id: str
    spans: tuple = ()


@dataclass
class _Assessment:
    flagged: bool
    raw_score: float
    categories: tuple = ()
    possible_minor: bool = False
    kind: str = "job"
    language: str = "en"
    indicators: tuple = ()
    rules: tuple = ()
    counter: tuple = ()
    spans: list = field(default_factory=list)


def _row(i: int, label: str, lang: str = "en", forms: tuple = ()) -> dict:
    return {
        "id": f"{lang}-{i}",
        "language": lang,
        "kind": "job",
        "title": "t",
        "text": "<script>alert(1)</script> listing",
        "label": label,
        "forms": list(forms),
        "possible_minor": False,
        "note": "n",
    }


def test_figures() -> None:
    rows = [
        _row(1, "positive", forms=("forced_labour",)),
        _row(2, "positive", forms=("sexual_exploitation",)),
        _row(3, "negative"),
        _row(4, "negative"),
        _row(5, "positive", "da", ("forced_labour",)),
    ]
    flags = {"en-1": True, "en-2": False, "en-3": True, "en-4": False, "da-5": True}

    def assess(listings):
        return [
            _Assessment(
                flags[r["id"]],
                0.7 if flags[r["id"]] else 0.1,
                ("forced_labour",) if flags[r["id"]] else (),
                indicators=(_Contribution("fl.x"),) if flags[r["id"]] else (),
            )
            for r, _l in zip(rows, listings, strict=True)
        ]

    report = evaluate(assess, rows)
    overall = report["overall"]
    assert (overall["positives"], overall["negatives"], overall["flagged"]) == (3, 2, 3)
    assert overall["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert overall["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert overall["false_flag_rate"] == 0.5
    assert report["languages"]["da"]["recall"] == 1.0
    assert report["forms"]["forced_labour"] == {"positives": 2, "recall": 1.0, "named": 1.0}
    assert report["forms"]["sexual_exploitation"]["recall"] == 0.0
    assert [m["id"] for m in report["missed"]] == ["en-2"]
    assert [m["id"] for m in report["false_flags"]] == ["en-3"]
    html = render(report, split="dev", versions={"scorer": "s", "lists": {"a": "1"}})
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert html.count("<svg") >= 3

    real = real_text_false_flags(
        lambda listings: [
            _Assessment(i == 0, 0.6, indicators=(_Contribution("fl.x", (_Span("fee"),)),))
            for i, _ in enumerate(listings)
        ],
        {"jobtext:xx": [("1", "a", "b"), ("2", "c", "d")]},
    )
    assert real["overall"] == {"n": 2, "flagged": 1, "false_flag_rate": 0.5}
    assert real["flags"][0]["spans"] == ["fee"]
