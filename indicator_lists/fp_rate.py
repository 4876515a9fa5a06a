"""False-positive rates of each list on ordinary Danish and English job-posting text.

Reads the Kompetencer data (CoNLL sentences and TSV snippets) from where it lies; never copies it.
A sentence counts as a hit for a list when an indicator of that list that may count alone
(not ``combination_only``, positive weight) matches, or a rule of that list fires.
"""

from __future__ import annotations

from pathlib import Path

from .matching import ReferenceMatcher
from .model import Catalogue


def _language(path: Path) -> str | None:
    name = path.name.lower()
    if "danish" in name or "_da_" in name or name.startswith("da_"):
        return "da"
    if "english" in name or "_en_" in name or name.startswith("en_"):
        return "en"
    return None


def read_sentences(directory: str | Path) -> dict[str, list[str]]:
    """``{lang: [sentence, ...]}`` from ``*.conll`` and ``*.tsv`` files, de-duplicated."""
    found: dict[str, dict[str, None]] = {}
    for path in sorted(Path(directory).iterdir()):
        lang = _language(path)
        if lang is None or path.suffix not in {".conll", ".tsv"}:
            continue
        bucket = found.setdefault(lang, {})
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        if path.suffix == ".conll":
            tokens: list[str] = []
            for line in [*lines, ""]:
                token = line.split("\t")[0].strip()
                if token:
                    tokens.append(token)
                elif tokens:
                    bucket[" ".join(tokens)] = None
                    tokens = []
        else:
            for line in lines:
                text = line.split("\t")[0].strip()
                if text:
                    bucket[text] = None
    return {lang: list(sentences) for lang, sentences in found.items()}


def false_positive_rates(
    catalogue: Catalogue, kompetencer_dir: str | Path
) -> dict[str, dict[str, dict[str, float | int]]]:
    """``{list: {lang: {"sentences": n, "hits": k, "rate": k/n, "weak_hits": w}}}``."""
    sentences = read_sentences(kompetencer_dir)
    matcher = ReferenceMatcher(catalogue)
    counted = {i.id for i in catalogue.indicators() if not i.combination_only and i.weight > 0}
    list_of = {i.id: i.list_name for i in catalogue.indicators()}
    result: dict[str, dict[str, dict[str, float | int]]] = {lst.name: {} for lst in catalogue.lists}
    for lang, texts in sorted(sentences.items()):
        hits = {name: 0 for name in result}
        weak = {name: 0 for name in result}
        for text in texts:
            found = matcher.match(text, lang)
            ids = {h.indicator_id for h in found}
            strong_lists = {list_of[i] for i in ids if i in counted}
            strong_lists |= {r.list_name for r in matcher.fired_rules(ids)}
            for name in strong_lists:
                hits[name] += 1
            for name in {list_of[i] for i in ids if i in list_of}:
                weak[name] += 1
        n = len(texts)
        for name in result:
            result[name][lang] = {
                "sentences": n,
                "hits": hits[name],
                "rate": hits[name] / n if n else 0.0,
                "weak_hits": weak[name],
            }
    return result


def format_rates(rates: dict[str, dict[str, dict[str, float | int]]]) -> str:
    lines = [f"{'list':<24} {'lang':<4} {'sentences':>9} {'hits':>5} {'rate':>7} {'any':>5}"]
    for name, per_lang in sorted(rates.items()):
        for lang, r in sorted(per_lang.items()):
            lines.append(
                f"{name:<24} {lang:<4} {r['sentences']:>9} {r['hits']:>5} "
                f"{r['rate']:>7.2%} {r['weak_hits']:>5}"
            )
    return "\n".join(lines)
