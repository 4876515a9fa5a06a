"""Compare two catalogue versions (files, directories, lists or catalogues)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .loader import load_catalogue, load_list_file
from .model import Catalogue, Indicator, IndicatorList, Rule

Source = IndicatorList | Catalogue | str | Path


def _as_catalogue(source: Source) -> Catalogue:
    if isinstance(source, Catalogue):
        return source
    if isinstance(source, IndicatorList):
        return Catalogue((source,))
    path = Path(source)
    if path.is_file() and path.suffix in {".yaml", ".yml"}:
        return Catalogue((load_list_file(path),))
    return load_catalogue(path)


def _pattern_changes(old: Indicator, new: Indicator) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for lang in sorted(set(old.patterns) | set(new.patterns)):
        before: set[str] = set()
        after: set[str] = set()
        for src, bag in ((old, before), (new, after)):
            pats = src.patterns.get(lang)
            if pats is not None:
                bag.update(f"phrase:{p}" for p in pats.phrases)
                bag.update(f"regex:{p}" for p in pats.regex)
                bag.update(f"emoji:{p}" for p in pats.emoji)
        if before != after:
            out[lang] = {"added": sorted(after - before), "removed": sorted(before - after)}
    return out


def _field_changes(old: dict[str, Any], new: dict[str, Any], skip: set[str]) -> dict[str, Any]:
    return {
        key: {"old": old.get(key), "new": new.get(key)}
        for key in sorted(set(old) | set(new))
        if key not in skip and old.get(key) != new.get(key)
    }


def _concept_changes(a: Catalogue, b: Catalogue) -> dict[str, Any]:
    old, new = a.section("concepts"), b.section("concepts")
    return {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": sorted(c for c in set(old) & set(new) if old[c] != new[c]),
    }


def _lexicon_changes(a: Catalogue, b: Catalogue) -> dict[str, dict[str, Any]]:
    """Terms added and removed, by language and concept."""
    out: dict[str, dict[str, Any]] = {}
    old_lex, new_lex = a.lexicons(), b.lexicons()
    for lang in sorted(set(old_lex) | set(new_lex)):
        before = old_lex[lang].sections.get("lexicon", {}) if lang in old_lex else {}
        after = new_lex[lang].sections.get("lexicon", {}) if lang in new_lex else {}
        for concept in sorted(set(before) | set(after)):
            old_terms = set(before.get(concept, {}).get("terms", []))
            new_terms = set(after.get(concept, {}).get("terms", []))
            if old_terms != new_terms:
                out.setdefault(lang, {})[concept] = {
                    "added": sorted(new_terms - old_terms),
                    "removed": sorted(old_terms - new_terms),
                }
    return out


def diff(old: Source, new: Source) -> dict[str, Any]:
    """Indicators and rules added, removed and changed (field by field) from OLD to NEW."""
    a, b = _as_catalogue(old), _as_catalogue(new)
    old_ind = {i.id: i for i in a.indicators()}
    new_ind = {i.id: i for i in b.indicators()}
    changed: dict[str, Any] = {}
    for ind_id in sorted(set(old_ind) & set(new_ind)):
        o, n = old_ind[ind_id], new_ind[ind_id]
        fields = _field_changes(o.to_dict(), n.to_dict(), {"patterns"})
        patterns = _pattern_changes(o, n)
        if patterns:
            fields["patterns"] = patterns
        if fields:
            changed[ind_id] = fields
    old_rules: dict[str, Rule] = {r.id: r for r in a.rules()}
    new_rules: dict[str, Rule] = {r.id: r for r in b.rules()}
    rules_changed = {
        rid: ch
        for rid in sorted(set(old_rules) & set(new_rules))
        if (ch := _field_changes(old_rules[rid].to_dict(), new_rules[rid].to_dict(), set()))
    }
    return {
        "old_versions": a.versions(),
        "new_versions": b.versions(),
        "concepts": _concept_changes(a, b),
        "lexicons": _lexicon_changes(a, b),
        "added": sorted(set(new_ind) - set(old_ind)),
        "removed": sorted(set(old_ind) - set(new_ind)),
        "changed": changed,
        "rules": {
            "added": sorted(set(new_rules) - set(old_rules)),
            "removed": sorted(set(old_rules) - set(new_rules)),
            "changed": rules_changed,
        },
    }


def format_diff(d: dict[str, Any]) -> str:
    """Human-readable rendering of ``diff()``."""
    lines = [
        "old: " + ", ".join(f"{k} {v}" for k, v in d["old_versions"].items()),
        "new: " + ", ".join(f"{k} {v}" for k, v in d["new_versions"].items()),
    ]
    lines += [f"+ {i}" for i in d["added"]]
    lines += [f"- {i}" for i in d["removed"]]
    for ind_id, fields in d["changed"].items():
        lines.append(f"~ {ind_id}")
        for key, change in fields.items():
            if key == "patterns":
                for lang, pc in change.items():
                    lines += [f"    patterns[{lang}] + {p}" for p in pc["added"]]
                    lines += [f"    patterns[{lang}] - {p}" for p in pc["removed"]]
            else:
                lines.append(f"    {key}: {change['old']!r} -> {change['new']!r}")
    concepts = d.get("concepts", {})
    lines += [f"+ concept {c}" for c in concepts.get("added", [])]
    lines += [f"- concept {c}" for c in concepts.get("removed", [])]
    lines += [f"~ concept {c}" for c in concepts.get("changed", [])]
    for lang, per_concept in d.get("lexicons", {}).items():
        for concept, change in per_concept.items():
            lines += [f"  lexicon[{lang}] {concept} + {t}" for t in change["added"]]
            lines += [f"  lexicon[{lang}] {concept} - {t}" for t in change["removed"]]
    rules = d["rules"]
    lines += [f"+ rule {r}" for r in rules["added"]]
    lines += [f"- rule {r}" for r in rules["removed"]]
    for rid, fields in rules["changed"].items():
        lines.append(f"~ rule {rid}")
        lines += [f"    {k}: {c['old']!r} -> {c['new']!r}" for k, c in fields.items()]
    if len(lines) == 2:
        lines.append("(no differences)")
    return "\n".join(lines)
