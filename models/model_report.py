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

from models.evaluation_report import BLUE, GREEN, GREY, RED, _bars, _table

__all__ = ["model_card", "render_report"]

_W, _H, _PAD = 360, 300, 44


def _frame(title: str) -> list[str]:
    plot = _W - _PAD - 14
    parts = [
        f'<text x="{_W / 2}" y="16" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
        f'<rect x="{_PAD}" y="28" width="{plot}" height="{plot - 50}" fill="none" '
        'stroke="#9ca3af"/>',
    ]
    for t in (0, 0.25, 0.5, 0.75, 1):
        x, y = _x(t), _y(t)
        parts.append(
            f'<text x="{_PAD - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="10">{t:.2f}</text>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{_y(0) + 14:.1f}" text-anchor="middle" '
            f'font-size="10">{t:.2f}</text>'
        )
    return parts


def _x(v: float) -> float:
    return _PAD + v * (_W - _PAD - 14)


def _y(v: float) -> float:
    return 28 + (1 - v) * (_W - _PAD - 14 - 50)


def _svg(title: str, parts: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif">' + "".join(parts) + "</svg>"
    )


def _line(points: list[tuple[float, float]], colour: str, name: str, k: int) -> list[str]:
    if not points:
        return []
    path = " ".join(f"{_x(a):.1f},{_y(b):.1f}" for a, b in points)
    return [
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2">'
        f"<title>{escape(name)}</title></polyline>",
        f'<rect x="{_PAD + 6 + k * 150}" y="{_H - 18}" width="10" height="10" fill="{colour}"/>'
        f'<text x="{_PAD + 20 + k * 150}" y="{_H - 9}" font-size="11">{escape(name)}</text>',
    ]


def pr_chart(ev: dict[str, Any]) -> str:
    parts = _frame("Precision (y) against recall (x)")
    parts += _line(ev["charts"]["pr"], BLUE, "as measured", 0)
    if ev["charts"].get("pr_at_prevalence"):
        parts += _line(ev["charts"]["pr_at_prevalence"], RED, "at the prevalence", 1)
    return _svg("Precision-recall curve", parts)


def calibration_chart(ev: dict[str, Any]) -> str:
    parts = _frame("Observed share (y) against predicted (x)")
    parts.append(
        f'<line x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(1)}" stroke="{GREY}" '
        'stroke-dasharray="4 3"/>'
    )
    bins = ev["charts"]["calibration"]
    parts += _line([(b["predicted"], b["observed"]) for b in bins], GREEN, "model", 0)
    for b in bins:
        parts.append(
            f'<circle cx="{_x(b["predicted"]):.1f}" cy="{_y(b["observed"]):.1f}" r="3" '
            f'fill="{GREEN}"><title>predicted {b["predicted"]:.2f}, observed '
            f"{b['observed']:.2f}, {b['n']} listings</title></circle>"
        )
    return _svg("Calibration plot", parts)


def confusion_chart(ev: dict[str, Any]) -> str:
    c = ev["metrics"]["confusion"]
    cells = [
        ("flag-worthy, flagged", c["tp"], 0, 0, GREEN),
        ("flag-worthy, not flagged", c["fn"], 1, 0, RED),
        ("other, flagged", c["fp"], 0, 1, RED),
        ("other, not flagged", c["tn"], 1, 1, GREEN),
    ]
    parts = [
        f'<text x="{_W / 2}" y="16" text-anchor="middle" font-weight="bold">'
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
    return _svg("Confusion matrix", parts)


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
