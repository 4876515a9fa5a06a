"""Partner exports: indicator definitions only (R26), never listing text, identifiers or cases.

An export holds the selected indicator lists with the concept inventory and every
language's lexicon (``indicators.json`` or ``indicators.csv``), the compiled catalogue
(``compiled.json``) and the reference matcher (``thbscan_matcher/``, Python's standard library
only), so a partner gets exactly thbscan's indicator results without installing thbscan.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from . import _yamlpos
from .errors import CatalogueError, Problem
from .model import Catalogue, Indicator, IndicatorList
from .schema import EXPORT_FORMAT, export_json_schema

PROFILES_FILE = Path(__file__).resolve().parent / "profiles.yaml"
MATCHER_DIR = Path(__file__).resolve().parent / "matcher"
MATCHER_PACKAGE = "thbscan_matcher"
COMPILED_FILE = "compiled.json"
MANIFEST = "manifest.json"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "list",
    "list_version",
    "indicator_id",
    "category",
    "title",
    "grade",
    "weight",
    "combination_only",
    "bias_audit",
    "signal",
    "language",
    "kind",
    "pattern",
)


def load_profiles(path: Path = PROFILES_FILE) -> dict[str, dict[str, Any]]:
    data = _yamlpos.safe_load(path.read_text(encoding="utf-8")) or {}
    return dict(data.get("profiles", {}))


def escape_cell(value: object) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ TAB CR gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def select(catalogue: Catalogue, profile: str) -> list[IndicatorList]:
    """Lists of ``catalogue`` cut to the profile's indicators and the rules among them."""
    profiles = load_profiles()
    if profile not in profiles:
        raise CatalogueError(
            [
                Problem(
                    str(PROFILES_FILE),
                    0,
                    f"unknown export profile {profile!r}; valid profiles: "
                    f"{', '.join(sorted(profiles))}",
                )
            ]
        )
    spec = profiles[profile]
    lists = set(spec.get("lists", []))
    categories = set(spec.get("categories", []))
    ids = set(spec.get("indicators", []))
    exclude = set(spec.get("exclude", []))

    def wanted(ind: Indicator) -> bool:
        if ind.id in exclude:
            return False
        return ind.list_name in lists or ind.category in categories or ind.id in ids

    chosen = {i.id for i in catalogue.indicators() if wanted(i)}
    out = []
    for lst in catalogue.lists:
        inds = tuple(i for i in lst.indicators if i.id in chosen)
        rules = tuple(r for r in lst.rules if set(r.indicator_ids) <= chosen)
        if inds or rules or lst.sections:  # concepts and lexicons always go along
            out.append(replace(lst, indicators=inds, rules=rules, path=None))
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _readme(profile: str, description: str, lists: list[IndicatorList], fmt: str) -> str:
    versions = "\n".join(
        f"- `{lst.name}` version {lst.version} ({lst.status}, released {lst.released.isoformat()})"
        for lst in lists
    )
    data_file = "indicators.json" if fmt == "json" else "indicators.csv"
    return f"""# thbscan indicator export: profile `{profile}`

{description}

This directory holds **indicator definitions only**: the phrases, patterns, weights and rules that
thbscan uses to suggest that an online listing may show signs of human trafficking, together with
short example sentences written by the project to test them. It contains no listing text, no phone
numbers, names or other identifiers, and no cases.

## Lists and versions
{versions}

## Files
- `{data_file}`: the indicators{
        " and the rules among them (schema: `indicators.schema.json`)"
        if fmt == "json"
        else ", one row per indicator, language and pattern"
    }.
- `catalogue.html`: a readable catalogue of every indicator with description, sources, grade,
  expressions, patterns and examples.
- `compiled.json`: the catalogue compiled for matching (every lexicon term expanded into its
  word forms).
- `thbscan_matcher/`: the reference matcher, the code thbscan itself runs.
- `manifest.json`: SHA-256 of every file; check it before use.

## How to run it
Without thbscan (Python 3.11 or newer, standard library only), from this directory:

    python -m thbscan_matcher --compiled compiled.json < listings.jsonl > results.jsonl

Each input line is `{{"title": "...", "text": "...", "id": "..."}}` (`"lang"` optional);
each output line gives `score`, `flagged`, `band`, `categories`, `possible_minor`,
`indicators` with the matched text, `language` and `kind`: the same results as
`thbscan check --no-model --lists DIR` (thbscan may also name a language this matcher
reports as `und`). With thbscan installed: `thbscan check --lists DIR`, where `DIR` is this
directory.

## How to use the results
Scores and matched indicators are **suggestions for human review only**. A single indicator is weak
evidence; many are common in ordinary, legitimate listings. Never take automatic action (removal,
blocking, reporting, account measures) on a score: every action must be a recorded decision by a
trained person who has read the listing. Indicators marked `bias_audit` name nationality or
ethnicity; monitor how often they fire per nationality.
"""


def _html(profile: str, lists: list[IndicatorList]) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>thbscan indicators: {e(profile)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "section{border-top:1px solid #ccc;padding:.5em 0}code{background:#eee}</style>",
        "</head><body>",
        f"<h1>thbscan indicator catalogue: profile {e(profile)}</h1>",
        "<p>Definitions only. Matches are suggestions for human review, never grounds for "
        "automatic action.</p>",
    ]
    for lst in lists:
        parts.append(f"<h2>{e(lst.name)} {e(lst.version)} ({e(lst.status)})</h2>")
        parts.append(f"<p>{e(lst.description)}</p>")
        for ind in lst.indicators:
            parts.append(
                f'<section id="{e(ind.id)}"><h3>{e(ind.title)} <code>{e(ind.id)}</code></h3>'
            )
            parts.append(
                f"<p>Grade: {e(ind.grade)}; weight: {ind.weight}; signal: "
                f"{e(ind.signal)}; combination only: {ind.combination_only}; "
                f"bias audit: {ind.bias_audit}</p>"
            )
            parts.append(f"<p>{e(ind.description)}</p><p><em>Why:</em> {e(ind.rationale)}</p>")
            for label, value in (
                ("Matches", ind.match),
                ("Unless", ind.unless),
                ("Requires", ind.requires),
            ):
                if value is not None:
                    parts.append(
                        f"<p>{label}: <code>{e(json.dumps(value, ensure_ascii=False))}</code></p>"
                    )
            if ind.kinds:
                parts.append(f"<p>Kinds of listing: {e(', '.join(ind.kinds))}</p>")
            parts.append(
                "<p>Sources:</p><ul>" + "".join(f"<li>{e(s)}</li>" for s in ind.sources) + "</ul>"
            )
            for lang, pats in sorted(ind.patterns.items()):
                items = [
                    *pats.phrases,
                    *(f"regex {r}" for r in pats.regex),
                    *(f"emoji {m}" for m in pats.emoji),
                ]
                parts.append(
                    f"<p>Patterns ({e(lang)}): "
                    + ", ".join(f"<code>{e(x)}</code>" for x in items)
                    + "</p>"
                )
                counters = ind.counter_patterns.get(lang, ())
                if counters:
                    parts.append(
                        f"<p>Counter-patterns ({e(lang)}): "
                        + ", ".join(f"<code>{e(x)}</code>" for x in counters)
                        + "</p>"
                    )
            for lang, ex in sorted(ind.examples.items()):
                parts.append(
                    f"<p>Examples ({e(lang)}):</p><ul>"
                    + "".join(f"<li>matches: {e(s)}</li>" for s in ex.positive)
                    + "".join(f"<li>does not match: {e(s)}</li>" for s in ex.negative)
                    + "</ul>"
                )
            parts.append("</section>")
        for name, concept in sorted(lst.sections.get("concepts", {}).items()):
            parts.append(f"<p><code>{e(name)}</code>: {e(concept['description'])}</p>")
        lexicon = lst.sections.get("lexicon", {})
        if lexicon:
            parts.append(
                "<ul>"
                + "".join(
                    f"<li><code>{e(name)}</code>: {e(', '.join(entry['terms']))}</li>"
                    for name, entry in sorted(lexicon.items())
                )
                + "</ul>"
            )
        if lst.rules:
            parts.append("<h3>Rules</h3><ul>")
            for rule in lst.rules:
                parts.append(
                    f"<li><code>{e(rule.id)}</code> (weight {rule.weight}): "
                    f"{e(rule.description)}; all of: {e(', '.join(rule.all_of) or '-')}; "
                    f"at least {rule.min_any} of: {e(', '.join(rule.any_of) or '-')}</li>"
                )
            parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _csv(lists: list[IndicatorList]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for lst in lists:
        for ind in lst.indicators:
            base = [
                lst.name,
                lst.version,
                ind.id,
                ind.category,
                ind.title,
                ind.grade,
                ind.weight,
                ind.combination_only,
                ind.bias_audit,
                ind.signal,
            ]
            rows = []
            for lang, pats in sorted(ind.patterns.items()):
                rows += [[lang, "phrase", p] for p in pats.phrases]
                rows += [[lang, "regex", p] for p in pats.regex]
                rows += [[lang, "emoji", p] for p in pats.emoji]
                rows += [[lang, "counter", p] for p in ind.counter_patterns.get(lang, ())]
            for key in ("match", "unless", "requires"):
                value = getattr(ind, key)
                if value is not None:
                    rows.append(["", key, json.dumps(value, ensure_ascii=False)])
            for row in rows or [["", "", ""]]:
                writer.writerow([escape_cell(v) for v in base + row])
        language = lst.sections.get("language", "")
        for concept, entry in sorted(lst.sections.get("lexicon", {}).items()):
            for term in entry["terms"]:
                writer.writerow(
                    [
                        escape_cell(v)
                        for v in (
                            lst.name,
                            lst.version,
                            concept,
                            "lexicon",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            language,
                            "term",
                            term,
                        )
                    ]
                )
    return buf.getvalue()


def export(
    catalogue: Catalogue,
    profile: str,
    fmt: Literal["json", "csv"],
    out_dir: str | Path,
    *,
    scoring: dict[str, Any] | None = None,
) -> Path:
    """Write a partner export for ``profile`` to ``out_dir`` and return the directory.
    ``scoring`` holds ``evidence_scale``, ``threshold`` and ``bands`` (thbscan's scoring
    settings), so that the reference matcher flags as thbscan does."""
    from .compile import compile_catalogue

    if fmt not in ("json", "csv"):
        raise CatalogueError(f"unknown export format {fmt!r}; use 'json' or 'csv'")
    lists = select(catalogue, profile)
    description = str(load_profiles()[profile].get("description", ""))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    written: list[str] = []
    if fmt == "json":
        doc = {
            "format": EXPORT_FORMAT,
            "profile": profile,
            "created": created,
            "lists": [lst.to_dict() for lst in lists],
        }
        (out / "indicators.json").write_text(
            json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        (out / "indicators.schema.json").write_text(
            json.dumps(export_json_schema(), indent=2) + "\n", encoding="utf-8"
        )
        written += ["indicators.json", "indicators.schema.json"]
    else:
        (out / "indicators.csv").write_text(_csv(lists), encoding="utf-8", newline="")
        written.append("indicators.csv")
    selected = Catalogue(tuple(lists))
    compiled = compile_catalogue(selected, **(scoring or {}))
    (out / COMPILED_FILE).write_text(
        json.dumps(compiled, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    written.append(COMPILED_FILE)
    package = out / MATCHER_PACKAGE
    if package.exists():
        shutil.rmtree(package)
    package.mkdir()
    for source in sorted(MATCHER_DIR.glob("*.py")):
        shutil.copyfile(source, package / source.name)
        written.append(f"{MATCHER_PACKAGE}/{source.name}")
    (out / "README.md").write_text(_readme(profile, description, lists, fmt), encoding="utf-8")
    (out / "catalogue.html").write_text(_html(profile, lists), encoding="utf-8")
    written += ["README.md", "catalogue.html"]
    manifest = {
        "profile": profile,
        "format": fmt,
        "created": created,
        "versions": {lst.name: lst.version for lst in lists},
        "fingerprint": selected.fingerprint(),
        "files": {name: _sha256(out / name) for name in sorted(written)},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out


def verify_export(directory: str | Path) -> list[Problem]:
    """Check an export's files against its manifest. Empty list = intact."""
    root = Path(directory)
    manifest_path = root / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [
            Problem(
                str(manifest_path),
                0,
                f"missing or unreadable manifest: {exc}; re-create the export",
            )
        ]
    problems = []
    for name, digest in sorted(files.items()):
        path = root / name
        parts = Path(name).parts
        if (
            Path(name).is_absolute()
            or ".." in parts
            or not parts
            or (len(parts) > 1 and parts[0] != MATCHER_PACKAGE)
            or len(parts) > 2
        ):
            problems.append(
                Problem(
                    str(manifest_path),
                    0,
                    f"manifest names a path {name!r}; only file names, and files of "
                    f"{MATCHER_PACKAGE}/, are allowed",
                )
            )
        elif not path.is_file():
            problems.append(Problem(str(path), 0, "file listed in the manifest is missing"))
        elif _sha256(path) != digest:
            problems.append(
                Problem(
                    str(path),
                    0,
                    "sha256 differs from the manifest; the file "
                    "was changed after export: re-create the export",
                )
            )
    for path in sorted(root.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        name = path.relative_to(root).as_posix()
        if name != MANIFEST and name not in files:
            problems.append(Problem(str(path), 0, "file is not in the manifest; remove it"))
    return problems
