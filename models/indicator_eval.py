"""How well the catalogue detects what nobody on the project wrote.

Two measurements:

- the blind evaluation corpus (``indicator_lists/evaluation``): listings written by people
  who saw only the indicator titles and descriptions, split once into a development part
  (tune on it) and a locked test part (scored once per catalogue release; its SHA-256 is
  checked against ``LOCK.json`` before it is read);
- false flags on real, ordinary listings (:mod:`models.real_text`).

:func:`evaluate` scores a corpus end to end with a :class:`nlp.scorer.Scorer` and returns
plain figures (recall, precision, false-flag rate; per language, form and kind; language
and kind identification; the listings missed and the false flags).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from models.errors import ModelError

EVALUATION_DIR = Path(__file__).resolve().parents[1] / "indicator_lists" / "evaluation"
SPLITS = ("dev", "test")
DEV_SPLIT = "evaluation corpus, development split"  # its name as training data
FORMS = ("sexual_exploitation", "forced_labour", "forced_criminality", "slavery_like_practices")
SNIPPET = 240


def load_split(split: str, directory: Path = EVALUATION_DIR) -> list[dict[str, Any]]:
    """The listings of a split; the test split only when its hash matches the lock."""
    if split not in SPLITS:
        raise ModelError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    if split == "dev":
        raw = (directory / "dev.jsonl").read_bytes()
    else:
        raw = gzip.decompress(locked_test_bytes(directory))
    return [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]


def locked_test_bytes(directory: Path = EVALUATION_DIR) -> bytes:
    """The compressed test split, after checking its SHA-256 against ``LOCK.json``."""
    lock = json.loads((directory / "LOCK.json").read_text(encoding="utf-8"))
    data = (directory / lock["file"]).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != lock["sha256"]:
        raise ModelError(
            f"the locked test split {lock['file']} has SHA-256 {digest[:12]}..., not the "
            f"locked {lock['sha256'][:12]}...: it was changed; restore it from git"
        )
    return data


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    pos = [r for r in rows if r["label"] == "positive"]
    neg = [r for r in rows if r["label"] != "positive"]
    tp = sum(r["flagged"] for r in pos)
    fp = sum(r["flagged"] for r in neg)
    recall = _rate(tp, len(pos))
    precision = _rate(tp, tp + fp)
    f1 = (
        round(2 * recall * precision / (recall + precision), 4)
        if recall and precision
        else (0.0 if recall is not None else None)
    )
    return {
        "n": len(rows),
        "positives": len(pos),
        "negatives": len(neg),
        "flagged": tp + fp,
        "recall": recall,
        "precision": precision,
        "f1": f1,
        "false_flag_rate": _rate(fp, len(neg)),
    }


def evaluate(
    assess: Callable[[Sequence[tuple[str, str]]], Iterable[Any]], rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """Score ``rows`` (corpus listings) with ``assess`` (``Scorer.assess_many``) and
    measure; see the module documentation."""
    results = list(assess([(r.get("title") or "", r.get("text") or "") for r in rows]))
    scored = []
    for row, a in zip(rows, results, strict=True):
        scored.append(
            {
                **row,
                "flagged": a.flagged,
                "score": round(a.raw_score, 4),
                "found_forms": list(a.categories),
                "found_minor": a.possible_minor,
                "found_kind": a.kind,
                "found_language": a.language,
                "found": [c.id for c in a.indicators]
                + [c.id for c in a.rules]
                + [c.id for c in a.counter],
            }
        )
    report: dict[str, Any] = {"overall": _counts(scored)}
    by_lang: dict[str, list] = defaultdict(list)
    by_kind: dict[str, list] = defaultdict(list)
    for r in scored:
        by_lang[r["language"]].append(r)
        by_kind[r["kind"]].append(r)
    report["languages"] = {lang: _counts(rs) for lang, rs in sorted(by_lang.items())}
    report["kinds"] = {kind: _counts(rs) for kind, rs in sorted(by_kind.items())}
    forms = {}
    for form in FORMS:
        with_form = [r for r in scored if form in r["forms"]]
        forms[form] = {
            "positives": len(with_form),
            "recall": _rate(sum(r["flagged"] for r in with_form), len(with_form)),
            # flagged and this form named among the listing's forms
            "named": _rate(
                sum(r["flagged"] and form in r["found_forms"] for r in with_form), len(with_form)
            ),
        }
    report["forms"] = forms
    per_lang_form: dict[str, dict[str, float | None]] = {}
    for lang, rs in sorted(by_lang.items()):
        per_lang_form[lang] = {}
        for form in FORMS:
            with_form = [r for r in rs if form in r["forms"]]
            per_lang_form[lang][form] = _rate(sum(r["flagged"] for r in with_form), len(with_form))
    report["language_form_recall"] = per_lang_form
    minors = [r for r in scored if r["possible_minor"]]
    adults = [r for r in scored if r["label"] == "positive" and not r["possible_minor"]]
    report["possible_minor"] = {
        "labelled": len(minors),
        "recall": _rate(sum(r["flagged"] and r["found_minor"] for r in minors), len(minors)),
        "false_minor_rate": _rate(sum(r["found_minor"] for r in adults), len(adults)),
    }
    report["kind_accuracy"] = _rate(sum(r["found_kind"] == r["kind"] for r in scored), len(scored))
    report["kind_confusion"] = dict(
        sorted(
            Counter(
                f"{r['kind']}->{r['found_kind']}" for r in scored if r["found_kind"] != r["kind"]
            ).items()
        )
    )
    report["language_accuracy"] = _rate(
        sum(r["found_language"] == r["language"] for r in scored), len(scored)
    )
    report["language_undetermined"] = sum(r["found_language"] == "und" for r in scored)
    report["language_wrong"] = sorted(
        f"{r['id']}:{r['found_language']}"
        for r in scored
        if r["found_language"] not in (r["language"], "und")
    )
    report["scores"] = {
        label: _histogram([r["score"] for r in scored if r["label"] == label])
        for label in ("positive", "negative")
    }
    report["missed"] = [_brief(r) for r in scored if r["label"] == "positive" and not r["flagged"]]
    report["false_flags"] = [_brief(r) for r in scored if r["label"] != "positive" and r["flagged"]]
    return report


def _histogram(scores: list[float], bins: int = 10) -> list[int]:
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, int(s * bins))] += 1
    return counts


def _brief(r: dict[str, Any]) -> dict[str, Any]:
    text = " ".join((r.get("text") or "").split())
    return {
        "id": r["id"],
        "language": r["language"],
        "kind": r["kind"],
        "forms": r["forms"],
        "score": r["score"],
        "found": r["found"],
        "title": r.get("title") or "",
        "text": text[:SNIPPET],
        "note": r.get("note", ""),
    }


def real_text_false_flags(
    assess: Callable[[Sequence[tuple[str, str]]], Iterable[Any]],
    sources: dict[str, list[tuple[str, str, str]]],
) -> dict[str, Any]:
    """False flags on real ordinary listings: ``sources`` is ``{name: [(id, title, text)]}``
    (:func:`models.real_text.read_real_text`); every flag is a false flag."""
    out: dict[str, Any] = {"sources": {}, "flags": []}
    total = flagged = 0
    for name, listings in sorted(sources.items()):
        results = list(assess([(title, text) for _id, title, text in listings]))
        hits = [(item, a) for item, a in zip(listings, results, strict=True) if a.flagged]
        out["sources"][name] = {
            "n": len(listings),
            "flagged": len(hits),
            "false_flag_rate": _rate(len(hits), len(listings)),
        }
        for (ident, title, text), a in hits:
            out["flags"].append(
                {
                    "source": name,
                    "id": ident,
                    "title": title[:120],
                    "score": round(a.raw_score, 4),
                    "found": [c.id for c in a.indicators],
                    "spans": sorted({s.text for c in a.indicators for s in c.spans})[:8],
                    "text": " ".join(text.split())[:SNIPPET],
                }
            )
        total += len(listings)
        flagged += len(hits)
    out["overall"] = {"n": total, "flagged": flagged, "false_flag_rate": _rate(flagged, total)}
    return out
