"""Tabular overview of the catalogue."""

from __future__ import annotations

from typing import Any

from .model import Catalogue


def rows(catalogue: Catalogue, category: str | None = None, lang: str | None = None) -> list[dict]:
    """One row per indicator, optionally only a category and/or indicators that work in a
    language."""
    out: list[dict[str, Any]] = []
    for ind in catalogue.indicators():
        if category is not None and ind.category != category:
            continue
        languages = catalogue.indicator_languages(ind)
        if lang is not None and lang not in languages:
            continue
        out.append(
            {
                "id": ind.id,
                "category": ind.category,
                "title": ind.title,
                "grade": ind.grade,
                "weight": ind.weight,
                "languages": ",".join(languages),
            }
        )
    return out


def format_table(table: list[dict]) -> str:
    """Plain-text table with aligned columns."""
    if not table:
        return "(no indicators)"
    columns = list(table[0])
    cells = [[str(r.get(c, "")) for c in columns] for r in table]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([line.rstrip(), rule, *(b.rstrip() for b in body)])
