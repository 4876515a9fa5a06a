"""A listing model's evaluation as one self-contained HTML page, and its model card.

Charts (inline SVG, the style of models/evaluation_report.py): the precision-recall curve
(as measured and at the stated prevalence), a calibration plot (mean predicted probability
against the observed share of positives per bin), the confusion matrix at the stored
threshold, and F1 per group. Every text is escaped; the page loads nothing and runs no
script. :func:`model_card` writes the same figures as Markdown with the intended use,
the data and the limits.
"""

from __future__ import annotations

from html import escape
from typing import Any

from models import unit_chart as chart
from models.evaluation_report import BLUE, GREEN, RED, _bars, _table

__all__ = ["model_card", "render_report"]


def pr_chart(ev: dict[str, Any]) -> str:
    parts = chart.frame("Precision-recall curve", "recall", "precision")
    parts += chart.line(ev["charts"]["pr"], BLUE, "as measured") + chart.legend(
        BLUE, "as measured", 0
    )
    if ev["charts"].get("pr_at_prevalence"):
        parts += chart.line(ev["charts"]["pr_at_prevalence"], RED, "at the prevalence")
        parts += chart.legend(RED, "at the prevalence", 1)
    return chart.svg(parts, "Precision-recall curve")


def calibration_chart(ev: dict[str, Any]) -> str:
    parts = chart.frame("Calibration plot", "predicted", "observed share", diagonal=True)
    bins = ev["charts"]["calibration"]
    parts += chart.line([(b["predicted"], b["observed"]) for b in bins], GREEN, "model")
    for b in bins:
        x, y = chart.xy(b["predicted"], b["observed"])
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" '
            f'fill="{GREEN}"><title>predicted {b["predicted"]:.2f}, observed '
            f"{b['observed']:.2f}, {b['n']} listings</title></circle>"
        )
    return chart.svg(parts, "Calibration plot")


def confusion_chart(ev: dict[str, Any]) -> str:
    c = ev["metrics"]["confusion"]
    cells = [
        ("flag-worthy, flagged", c["tp"], 0, 0, GREEN),
        ("flag-worthy, not flagged", c["fn"], 1, 0, RED),
        ("other, flagged", c["fp"], 0, 1, RED),
        ("other, not flagged", c["tn"], 1, 1, GREEN),
    ]
    parts = [
        f'<text x="{chart.W / 2}" y="16" text-anchor="middle" font-weight="bold">'
        f"Confusion matrix at threshold {ev['metrics']['threshold']:.3f}</text>",
        '<text x="150" y="40" text-anchor="middle" font-size="11">flagged</text>',
        '<text x="270" y="40" text-anchor="middle" font-size="11">not flagged</text>',
        '<text x="80" y="110" text-anchor="end" font-size="11">flag-worthy</text>',
        '<text x="80" y="220" text-anchor="end" font-size="11">other</text>',
    ]
    for name, count, col, row, colour in cells:
        x, y = 90 + col * 120, 50 + row * 110
        parts.append(
            f'<rect x="{x}" y="{y}" width="115" height="105" fill="{colour}" '
            f'fill-opacity="0.15" stroke="{colour}"><title>{escape(name)}: {count}</title></rect>'
            f'<text x="{x + 57}" y="{y + 58}" text-anchor="middle" font-size="20">{count}</text>'
        )
    return chart.svg(parts, "Confusion matrix")


def _f(value: Any) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def _metric_rows(m: dict[str, Any]) -> list[list[Any]]:
    rows = [
        [k, _f(m.get(k))]
        for k in ("n", "positives", "threshold", "precision", "recall", "f1", "pr_auc")
    ]
    rows += [[k, _f(m.get(k))] for k in ("roc_auc", "brier")]
    p = m.get("at_prevalence")
    if p:
        rows += [
            [f"{k} at prevalence {p['prevalence']:.2%}", _f(p.get(k))]
            for k in ("precision", "recall", "f1", "pr_auc")
        ]
    return rows


def _group_tables(groups: dict[str, dict[str, dict[str, Any]]]) -> str:
    out = []
    for name, table in groups.items():
        chart = _bars(
            f"F1 and recall per {name}",
            [
                (value[:14], [("F1", g["f1"], BLUE), ("recall", g["recall"], GREEN)])
                for value, g in list(table.items())[:12]
            ],
        )
        rows = [
            [
                value,
                g["n"],
                g["positives"],
                _f(g["precision"]),
                _f(g["recall"]),
                _f(g["f1"]),
                _f(g["pr_auc"]),
            ]
            for value, g in table.items()
        ]
        out.append(
            f"<h3>Per {escape(name)}</h3>{chart}"
            + _table([name, "n", "positives", "precision", "recall", "F1", "PR-AUC"], rows)
        )
    return "".join(out)


def render_report(ev: dict[str, Any]) -> str:
    """The evaluation ``ev`` (models/model_evaluation.py) as an HTML page."""
    m = ev["metrics"]
    notes = "".join(f"<li>{escape(n)}</li>" for n in ev.get("notes", []))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>thbscan text model {escape(ev["model"]["version"])}: evaluation</title>
<style>body{{font-family:sans-serif;max-width:75em;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:0.5em 0 1.5em}}td,th{{border-bottom:1px solid #ddd;
padding:3px 8px;text-align:left;vertical-align:top;font-size:0.9em}}svg{{margin:0.5em}}</style>
</head><body>
<h1>Text model {escape(ev["model"]["version"])} on {escape(ev["data"]["name"])}</h1>
<p>{m["n"]} listings ({m["positives"]} flag-worthy), data SHA-256
{escape(ev["data"]["sha256"][:16])}…; held out from training: {escape(str(ev["held_out"]))}.
Threshold {m["threshold"]:.4f} ({escape(ev["model"]["threshold_rule"])}).</p>
<ul>{notes}</ul>
{_table(["figure", "value"], _metric_rows(m))}
{pr_chart(ev)}{calibration_chart(ev)}{confusion_chart(ev)}
<h2>Metrics per group</h2>{_group_tables(ev["groups"]) or "<p>The data names no groups.</p>"}
</body></html>
"""


def model_card(ev: dict[str, Any], manifest: dict[str, Any]) -> str:
    """A Markdown model card from an evaluation and the model's manifest."""
    m = ev["metrics"]
    cv = (manifest.get("metrics") or {}).get("cross_validation") or {}
    data = manifest.get("data", {})
    lines = [
        f"# Model card: thbscan text model {ev['model']['version']}",
        "",
        "## Intended use",
        "",
        "A machine suggestion for a person: the probability that a listing's wording looks like",
        "the flag-worthy listings the model was trained on. It puts listings in front of an",
        "analyst (docs/models.md says how it combines with the indicators); it never acts on",
        "its own, and it is not a finding. Not for use on kinds of listing or languages it",
        "was not trained on without an evaluation there.",
        "",
        "## Training data",
        "",
        f"- {data.get('name', '?')}: {data.get('rows', '?')} listings after deduplication by "
        f"text ({data.get('positives', '?')} flag-worthy, {data.get('duplicates_dropped', 0)} "
        "duplicates dropped)",
        f"- SHA-256 {data.get('sha256', '?')}, {data.get('bytes', '?')} bytes",
        f"- features: {', '.join(manifest.get('config', {}).get('features', []))}; "
        f"classifier: {manifest.get('config', {}).get('classifier', {}).get('kind', '?')}, "
        "calibrated (sigmoid)",
        f"- threshold {ev['model']['threshold']:.4f}, rule `{ev['model']['threshold_rule']}`",
        "",
        "## Metrics",
        "",
        "| figure | value |",
        "|---|---:|",
    ]
    lines += [f"| {k} | {v} |" for k, v in _metric_rows(m)]
    if cv:
        lines += [
            "",
            f"Cross-validated on the training data ({cv.get('folds')} folds, out-of-fold "
            f"predictions): PR-AUC {_f(cv.get('pr_auc'))}, F1 {_f(cv.get('f1'))}, ROC-AUC "
            f"{_f(cv.get('roc_auc'))}, Brier {_f(cv.get('brier'))}"
            + (
                f"; at prevalence {cv['at_prevalence']['prevalence']:.2%}: PR-AUC "
                f"{_f(cv['at_prevalence']['pr_auc'])}, F1 {_f(cv['at_prevalence']['f1'])}"
                if cv.get("at_prevalence")
                else ""
            )
            + ".",
        ]
    lines += ["", "## Metrics per group", ""]
    for name, table in ev["groups"].items():
        lines += [
            f"### {name}",
            "",
            "| value | n | positives | precision | recall | F1 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {value.replace('|', '/')} | {g['n']} | {g['positives']} | {_f(g['precision'])} | "
            f"{_f(g['recall'])} | {_f(g['f1'])} |"
            for value, g in table.items()
        ]
        lines.append("")
    lines += [
        "## Evaluation data",
        "",
        f"{ev['data']['name']} (SHA-256 {ev['data']['sha256'][:16]}…); held out from "
        f"training: {ev['held_out']}.",
        "",
        "## Limits",
        "",
        *[f"- {n}" for n in ev.get("notes", [])],
        "- Learnt from labelled examples: it finds wording like theirs, in their languages,",
        "  and inherits their biases and their collection artefacts.",
        "- Precision depends on how common flag-worthy listings are where it is used: the",
        "  figures at a prevalence reweight the evaluation data to that share.",
        "- Promotion to scoring is a person's decision (`thbscan model promote`); no online",
        "  learning.",
        "",
    ]
    return "\n".join(lines)
