"""A calibration's evaluation report: one self-contained HTML page with two SVG charts
(the reliability diagram, raw against calibrated, and the map itself) and the figures.

Everything interpolated is escaped; the page loads nothing and runs no script.
"""

from __future__ import annotations

from html import escape
from typing import Any

from models import unit_chart as chart
from nlp.calibration import Calibration

RAW_COLOUR, CAL_COLOUR = "#b45309", "#1d4ed8"


def _series(rows: list[dict[str, Any]], colour: str, label: str, row: int) -> list[str]:
    out = chart.line([(r["predicted"], r["observed"]) for r in rows], colour)
    for r in rows:
        x, y = chart.xy(r["predicted"], r["observed"])
        radius = 2.5 + 9 * r["weight_share"] ** 0.5
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}" '
            f'fill-opacity="0.55"><title>{escape(label)}: predicted '
            f"{r['predicted']:.3f}, observed {r['observed']:.3f}, {r['count']} decisions"
            "</title></circle>"
        )
    return out + chart.legend(colour, label, row)


def reliability_svg(evaluation: dict[str, Any]) -> str:
    parts = chart.frame(
        "Reliability (out of fold)", "predicted probability", "share escalated", diagonal=True
    )
    parts += _series(evaluation["reliability_raw"], RAW_COLOUR, "raw score", 0)
    parts += _series(evaluation["reliability_calibrated"], CAL_COLOUR, "calibrated", 1)
    return chart.svg(
        parts,
        "Reliability diagram: predicted probability against the share of "
        "decisions that escalated, raw score and calibrated score",
    )


def map_svg(cal: Calibration) -> str:
    parts = chart.frame(
        f"Calibration {cal.version}", "raw score", "calibrated score", diagonal=True
    )
    xs = [0.0, *cal.x, 1.0]
    parts += chart.line([(x, cal(x)) for x in xs], CAL_COLOUR)
    return chart.svg(parts, "The calibration map from raw score to calibrated score")


def render(cal: Calibration) -> str:
    f = cal.fitted
    ev = f.get("evaluation", {})
    rows = [
        ("decided listings", f.get("decisions")),
        ("escalated", f.get("escalated")),
        ("weighted escalation rate", f.get("weighted_escalation_rate")),
        (
            "Brier score, raw / calibrated (out of fold)",
            f"{ev.get('brier_raw')} / {ev.get('brier_calibrated')}",
        ),
        (
            "expected calibration error, raw / calibrated (out of fold)",
            f"{ev.get('ece_raw')} / {ev.get('ece_calibrated')}",
        ),
        ("folds", ev.get("folds")),
        ("method", f.get("method")),
        ("fitted on", f.get("source")),
        ("created", f.get("created")),
    ]
    table = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    charts = (reliability_svg(ev) if ev.get("reliability_raw") else "") + map_svg(cal)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>thbscan calibration {escape(cal.version)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}
th{{text-align:left;padding-right:1em;font-weight:normal;color:#555}}
svg{{margin:0.5em 1em 0.5em 0}}</style></head><body>
<h1>Calibration {escape(cal.version)}</h1>
<p>The calibrated score of a listing estimates the share of listings with its raw score that
analysts escalated. The threshold and bands stay on the raw score: a calibration changes
what the number says, never which listings are flagged or in what order they are queued.
A promoted calibration changes the scorer key, so <code>thbscan score</code> re-scores.</p>
<table>{table}</table>
<div>{charts}</div>
<p>Dots: bins of the predicted probability, their area the bins' share of the weighted
decisions; the dashed line is perfect calibration. Sampled unflagged listings are weighted by
the inverse of the sampling rate.</p>
</body></html>
"""
