"""Line charts on the unit square (probabilities, shares, precision and recall), as inline
SVG for the HTML reports; every text escaped."""

from __future__ import annotations

from html import escape

W, H, PAD = 360, 300, 44


def xy(px: float, py: float) -> tuple[float, float]:
    """Where the point (px, py), both in [0, 1], is drawn."""
    return PAD + px * (W - 2 * PAD), H - PAD - py * (H - 2 * PAD)


def frame(title: str, xlabel: str, ylabel: str, *, diagonal: bool = False) -> list[str]:
    """Title, box, ticks at quarters, axis labels and (``diagonal``) the line y = x."""
    out = [
        f'<text x="{W / 2}" y="18" text-anchor="middle" font-weight="bold">{escape(title)}</text>'
    ]
    x0, y0 = xy(0, 0)
    x1, y1 = xy(1, 1)
    out.append(
        f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="none" stroke="#999"/>'
    )
    for t in (0, 0.25, 0.5, 0.75, 1):
        tx, _ = xy(t, 0)
        _, ty = xy(0, t)
        out.append(f'<text x="{tx}" y="{y0 + 14}" text-anchor="middle" font-size="10">{t:g}</text>')
        out.append(f'<text x="{x0 - 6}" y="{ty + 3}" text-anchor="end" font-size="10">{t:g}</text>')
    out.append(
        f'<text x="{W / 2}" y="{H - 8}" text-anchor="middle" font-size="11">{escape(xlabel)}</text>'
    )
    out.append(
        f'<text x="12" y="{H / 2}" text-anchor="middle" font-size="11" '
        f'transform="rotate(-90 12 {H / 2})">{escape(ylabel)}</text>'
    )
    if diagonal:
        out.append(
            f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#bbb" stroke-dasharray="4 3"/>'
        )
    return out


def line(points: list[tuple[float, float]], colour: str, name: str = "") -> list[str]:
    """A polyline through ``points`` (nothing for fewer than two)."""
    if len(points) < 2:
        return []
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(a, b) for a, b in points))
    title = f"<title>{escape(name)}</title>" if name else ""
    return [
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2">{title}'
        "</polyline>"
    ]


def legend(colour: str, name: str, row: int) -> list[str]:
    lx, ly = PAD + 8, PAD + 4 + 14 * row
    return [
        f'<circle cx="{lx}" cy="{ly - 4}" r="4" fill="{colour}"/>'
        f'<text x="{lx + 8}" y="{ly}" font-size="11">{escape(name)}</text>'
    ]


def svg(parts: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" role="img" aria-label="{escape(label)}" '
        'font-family="sans-serif">' + "".join(parts) + "</svg>"
    )
