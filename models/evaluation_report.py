"""The catalogue evaluation as one self-contained HTML page with SVG charts.

Charts: recall and false-flag rate per language, recall per form, the score distributions
of positives and negatives; tables: recall per language and form, identification, the
listings missed and the false flags (escaped: listing text never runs here), and false flags
on real listings. The page loads nothing and runs no script.
"""

from __future__ import annotations

from html import escape
from typing import Any

GREEN, RED, BLUE, GREY = "#15803d", "#b91c1c", "#1d4ed8", "#6b7280"


def _bars(
    title: str,
    groups: list[tuple[str, list[tuple[str, float | None, str]]]],
    *,
    width: int = 640,
    height: int = 240,
) -> str:
    """A grouped bar chart of values in 0..1: ``groups`` of (label, [(series, value,
    colour)])."""
    pad_l, pad_b, pad_t = 40, 40, 28
    plot_w, plot_h = width - pad_l - 10, height - pad_b - pad_t
    n = max(1, len(groups))
    group_w = plot_w / n
    parts = [
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>"
    ]
    for t in (0, 0.25, 0.5, 0.75, 1):
        y = pad_t + plot_h * (1 - t)
        parts.append(
            f'<line x1="{pad_l}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#e5e7eb"/>'
        )
        parts.append(
            f'<text x="{pad_l - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="10">{t:.0%}</text>'
        )
    for i, (label, series) in enumerate(groups):
        x0 = pad_l + i * group_w
        bar_w = group_w * 0.8 / max(1, len(series))
        for j, (name, value, colour) in enumerate(series):
            v = 0.0 if value is None else float(value)
            h = plot_h * v
            x = x0 + group_w * 0.1 + j * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{pad_t + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(label)} '
                f"{escape(name)}: {'n/a' if value is None else f'{v:.1%}'}"
                "</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + group_w / 2:.1f}" y="{height - pad_b + 14}" '
            f'text-anchor="middle" font-size="11">{escape(label)}</text>'
        )
    legend = {name: colour for _l, series in groups for name, _v, colour in series}
    for k, (name, colour) in enumerate(legend.items()):
        x = pad_l + 10 + k * 150
        parts.append(
            f'<rect x="{x}" y="{height - 16}" width="10" height="10" '
            f'fill="{colour}"/><text x="{x + 14}" y="{height - 7}" font-size="11">'
            f"{escape(name)}</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif">' + "".join(parts) + "</svg>"
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(
    report: dict[str, Any],
    *,
    split: str,
    versions: dict[str, Any],
    real: dict[str, Any] | None = None,
) -> str:
    o = report["overall"]
    langs = report["languages"]
    lang_chart = _bars(
        "Recall and false-flag rate per language",
        [
            (lang, [("recall", c["recall"], GREEN), ("false-flag rate", c["false_flag_rate"], RED)])
            for lang, c in langs.items()
        ],
    )
    form_chart = _bars(
        "Recall per form (flagged / flagged with the form named)",
        [
            (
                form.replace("_", " ")[:18],
                [("flagged", f["recall"], GREEN), ("form named", f["named"], BLUE)],
            )
            for form, f in report["forms"].items()
        ],
    )
    pos, neg = report["scores"]["positive"], report["scores"]["negative"]
    top = max([*pos, *neg, 1])
    score_chart = _bars(
        "Score distribution (share of the busiest bin)",
        [
            (f"{i / 10:.1f}", [("positives", p / top, GREEN), ("negatives", q / top, GREY)])
            for i, (p, q) in enumerate(zip(pos, neg, strict=True))
        ],
        width=720,
    )
    matrix = _table(
        ["language", *report["forms"]],
        [
            [lang, *(_pct(v) for v in forms.values())]
            for lang, forms in report["language_form_recall"].items()
        ],
    )
    per_lang = _table(
        ["language", "n", "recall", "precision", "false-flag rate"],
        [
            [lang, c["n"], _pct(c["recall"]), _pct(c["precision"]), _pct(c["false_flag_rate"])]
            for lang, c in langs.items()
        ],
    )
    per_kind = _table(
        ["kind (labelled)", "n", "recall", "false-flag rate"],
        [
            [kind, c["n"], _pct(c["recall"]), _pct(c["false_flag_rate"])]
            for kind, c in report["kinds"].items()
        ],
    )
    missed = _table(
        ["id", "kind", "forms", "score", "found", "listing"],
        [
            [
                m["id"],
                m["kind"],
                ", ".join(m["forms"]),
                m["score"],
                ", ".join(m["found"]) or "-",
                f"{m['title']} | {m['text']}",
            ]
            for m in report["missed"]
        ],
    )
    false_flags = _table(
        ["id", "kind", "score", "found", "note", "listing"],
        [
            [
                m["id"],
                m["kind"],
                m["score"],
                ", ".join(m["found"]),
                m["note"],
                f"{m['title']} | {m['text']}",
            ]
            for m in report["false_flags"]
        ],
    )
    pm = report["possible_minor"]
    real_html = ""
    if real is not None:
        real_chart = _bars(
            "False-flag rate on real ordinary listings",
            [
                (name.split(":")[-1][:14], [("false-flag rate", s["false_flag_rate"], RED)])
                for name, s in real["sources"].items()
            ],
            width=720,
        )
        real_rows = _table(
            ["source", "listings", "flagged", "false-flag rate"],
            [
                [name, s["n"], s["flagged"], _pct(s["false_flag_rate"])]
                for name, s in real["sources"].items()
            ]
            + [
                [
                    "all",
                    real["overall"]["n"],
                    real["overall"]["flagged"],
                    _pct(real["overall"]["false_flag_rate"]),
                ]
            ],
        )
        flags = _table(
            ["source", "id", "score", "found", "matched text", "listing"],
            [
                [
                    f["source"],
                    f["id"],
                    f["score"],
                    ", ".join(f["found"]),
                    " / ".join(f["spans"]),
                    f"{f['title']} | {f['text']}",
                ]
                for f in real["flags"]
            ],
        )
        real_html = (
            f"<h2>False flags on real listings</h2>{real_chart}{real_rows}"
            f"<h3>The false flags</h3>{flags}"
        )
    summary = _table(
        ["figure", "value"],
        [
            ["listings", o["n"]],
            ["positives / negatives", f"{o['positives']} / {o['negatives']}"],
            ["recall", _pct(o["recall"])],
            ["precision", _pct(o["precision"])],
            ["F1", o["f1"]],
            ["false-flag rate (negatives)", _pct(o["false_flag_rate"])],
            [
                "possible minor: recall / false-minor rate",
                f"{_pct(pm['recall'])} / {_pct(pm['false_minor_rate'])}",
            ],
            ["kind identified right", _pct(report["kind_accuracy"])],
            [
                "language identified right / undetermined / wrong",
                f"{_pct(report['language_accuracy'])} / {report['language_undetermined']} / "
                f"{len(report['language_wrong'])}",
            ],
        ],
    )
    versions_text = ", ".join(f"{k} {v}" for k, v in sorted(versions.get("lists", {}).items()))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>thbscan indicator evaluation ({escape(split)})</title>
<style>body{{font-family:sans-serif;max-width:75em;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:0.5em 0 1.5em}}td,th{{border-bottom:1px solid #ddd;
padding:3px 8px;text-align:left;vertical-align:top;font-size:0.9em}}svg{{margin:0.5em 0}}</style>
</head><body>
<h1>Indicator evaluation: {escape(split)} split</h1>
<p>Listings written blind (by writers who saw only the indicator titles and descriptions),
scored end to end. Scorer {escape(str(versions.get("scorer")))}, model
{escape(str(versions.get("model")))}; lists: {escape(versions_text)}.</p>
{summary}
{lang_chart}{form_chart}{score_chart}
<h2>Per language</h2>{per_lang}
<h2>Recall per language and form</h2>{matrix}
<h2>Per labelled kind</h2>{per_kind}
<p>Kind confusions (labelled->found): {escape(str(report["kind_confusion"]))}</p>
<h2>Positives missed ({len(report["missed"])})</h2>{missed}
<h2>Negatives flagged ({len(report["false_flags"])})</h2>{false_flags}
{real_html}
</body></html>
"""
