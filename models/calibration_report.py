"""A calibration's evaluation report: one self-contained HTML page with two SVG charts
(the reliability diagram, raw against calibrated, and the map itself) and the figures.

Everything interpolated is escaped; the page loads nothing and runs no script.
"""

from __future__ import annotations

from html import escape
from typing import Any

from nlp.calibration import Calibration

W, H, PAD = 360, 300, 44
RAW_COLOUR, CAL_COLOUR = "#b45309", "#1d4ed8"


def _xy(px: float, py: float) -> tuple[float, float]:
    return PAD + px * (W - 2 * PAD), H - PAD - py * (H - 2 * PAD)


def _axes(title: str, xlabel: str, ylabel: str) -> list[str]:
    out = [
        f'<text x="{W / 2}" y="18" text-anchor="middle" font-weight="bold">{escape(title)}</text>'
    ]
    x0, y0 = _xy(0, 0)
    x1, y1 = _xy(1, 1)
    out.append(
        f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="none" stroke="#999"/>'
    )
    for t in (0, 0.25, 0.5, 0.75, 1):
        tx, _ = _xy(t, 0)
        _, ty = _xy(0, t)
        out.append(f'<text x="{tx}" y="{y0 + 14}" text-anchor="middle" font-size="10">{t:g}</text>')
        out.append(f'<text x="{x0 - 6}" y="{ty + 3}" text-anchor="end" font-size="10">{t:g}</text>')
    out.append(
        f'<text x="{W / 2}" y="{H - 8}" text-anchor="middle" font-size="11">{escape(xlabel)}</text>'
    )
    out.append(
        f'<text x="12" y="{H / 2}" text-anchor="middle" font-size="11" '
        f'transform="rotate(-90 12 {H / 2})">{escape(ylabel)}</text>'
    )
    a, b = _xy(0, 0), _xy(1, 1)
    out.append(
        f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" stroke="#bbb" '
        'stroke-dasharray="4 3"/>'
    )
    return out


def _series(rows: list[dict[str, Any]], colour: str, label: str, row: int) -> list[str]:
    pts = [_xy(r["predicted"], r["observed"]) for r in rows]
    out = []
    if len(pts) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}"/>')
    for (x, y), r in zip(pts, rows, strict=True):
        radius = 2.5 + 9 * r["weight_share"] ** 0.5
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}" '
            f'fill-opacity="0.55"><title>{escape(label)}: predicted '
            f"{r['predicted']:.3f}, observed {r['observed']:.3f}, {r['count']} decisions"
            "</title></circle>"
        )
    lx, ly = PAD + 8, PAD + 4 + 14 * row
    out.append(
        f'<circle cx="{lx}" cy="{ly - 4}" r="4" fill="{colour}"/>'
        f'<text x="{lx + 8}" y="{ly}" font-size="11">{escape(label)}</text>'
    )
    return out


def reliability_svg(evaluation: dict[str, Any]) -> str:
    parts = _axes("Reliability (out of fold)", "predicted probability", "share escalated")
    parts += _series(evaluation["reliability_raw"], RAW_COLOUR, "raw score", 0)
    parts += _series(evaluation["reliability_calibrated"], CAL_COLOUR, "calibrated", 1)
    return _svg(
        parts,
        "Reliability diagram: predicted probability against the share of "
        "decisions that escalated, raw score and calibrated score",
    )


def map_svg(cal: Calibration) -> str:
    parts = _axes(f"Calibration {cal.version}", "raw score", "calibrated score")
    xs = [0.0, *cal.x, 1.0]
    pts = [_xy(x, cal(x)) for x in xs]
    parts.append(
        '<polyline points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        + f'" fill="none" stroke="{CAL_COLOUR}" stroke-width="2"/>'
    )
    return _svg(parts, "The calibration map from raw score to calibrated score")


def _svg(parts: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" role="img" aria-label="{escape(label)}" '
        'font-family="sans-serif">' + "".join(parts) + "</svg>"
    )


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
