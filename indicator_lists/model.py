"""Immutable in-memory model of the indicator catalogue."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

FORMS: tuple[str, ...] = (
    "sexual_exploitation",
    "forced_labour",
    "forced_criminality",
    "slavery_like_practices",
)
# "context": counter-evidence about the listing as a whole (a warning notice, fair terms).
CATEGORIES: tuple[str, ...] = (*FORMS, "possible_minor", "contact", "linking", "context")
GRADES: tuple[str, ...] = ("strong", "moderate", "weak", "counter")
SIGNALS: tuple[str, ...] = ("text", "field", "cross_listing")
STATUSES: tuple[str, ...] = ("draft", "approved")
LANGUAGES: frozenset[str] = frozenset({"da", "en", "ro", "pl", "bg", "uk", "es", "ru"})
# The sections of the concepts list and of the lexicon lists (kept as validated plain data).
CONCEPT_SECTIONS: tuple[str, ...] = (
    "concepts",
    "kinds",
    "kind_default",
    "kind_min_score",
    "pay_floors",
    "pay_ceilings",
)
LEXICON_SECTIONS: tuple[str, ...] = ("language", "numbers", "lexicon")


def expression_names(expr: Any) -> set[str]:
    """The concept names an indicator expression (plain data) refers to."""
    if expr is None:
        return set()
    if isinstance(expr, str):
        return {expr}
    if isinstance(expr, list):
        return {n for e in expr for n in expression_names(e)}
    names: set[str] = set()
    for key in ("all", "any", "of"):
        if key in expr:
            names |= expression_names(expr[key])
    return names


@dataclass(frozen=True)
class LanguagePatterns:
    phrases: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    emoji: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        return {"phrases": list(self.phrases), "regex": list(self.regex), "emoji": list(self.emoji)}


@dataclass(frozen=True)
class Examples:
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        return {"positive": list(self.positive), "negative": list(self.negative)}


@dataclass(frozen=True)
class Indicator:
    id: str
    category: str
    title: str
    description: str
    rationale: str
    sources: tuple[str, ...]
    grade: str
    weight: float
    signal: str
    combination_only: bool
    bias_audit: bool
    patterns: dict[str, LanguagePatterns] = field(default_factory=dict)
    counter_patterns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    examples: dict[str, Examples] = field(default_factory=dict)
    list_name: str = ""
    # The concept form (JSON-like expressions, see indicator_lists.matcher.engine).
    match: Any = None
    unless: Any = None
    unless_scope: str = "sentence"
    requires: Any = None
    kinds: tuple[str, ...] = ()
    not_kinds: tuple[str, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.patterns))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "title": self.title,
            "description": self.description,
            "rationale": self.rationale,
            "sources": list(self.sources),
            "grade": self.grade,
            "weight": self.weight,
            "signal": self.signal,
            "combination_only": self.combination_only,
            "bias_audit": self.bias_audit,
            "patterns": {k: v.to_dict() for k, v in sorted(self.patterns.items())},
            "counter_patterns": {k: list(v) for k, v in sorted(self.counter_patterns.items())},
            "examples": {k: v.to_dict() for k, v in sorted(self.examples.items())},
            **({"match": self.match} if self.match is not None else {}),
            **({"unless": self.unless} if self.unless is not None else {}),
            **({"unless_scope": self.unless_scope} if self.unless_scope != "sentence" else {}),
            **({"requires": self.requires} if self.requires is not None else {}),
            **({"kinds": list(self.kinds)} if self.kinds else {}),
            **({"not_kinds": list(self.not_kinds)} if self.not_kinds else {}),
        }


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    description: str
    all_of: tuple[str, ...]
    any_of: tuple[str, ...]
    min_any: int
    weight: float
    list_name: str = ""

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        return self.all_of + self.any_of

    def fires(self, present: set[str] | frozenset[str]) -> bool:
        """True when the indicator ids in ``present`` satisfy this rule."""
        if not all(i in present for i in self.all_of):
            return False
        if self.any_of:
            return sum(1 for i in self.any_of if i in present) >= self.min_any
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "description": self.description,
            "all_of": list(self.all_of),
            "any_of": list(self.any_of),
            "min": self.min_any,
            "weight": self.weight,
        }


@dataclass(frozen=True)
class ChangelogEntry:
    version: str
    date: date
    changes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "date": self.date.isoformat(),
            "changes": list(self.changes),
        }


@dataclass(frozen=True)
class IndicatorList:
    name: str
    version: str
    released: date
    status: str
    changelog: tuple[ChangelogEntry, ...]
    description: str
    indicators: tuple[Indicator, ...]
    rules: tuple[Rule, ...]
    path: Path | None = None
    # The concepts list's and the lexicon lists' sections, as plain validated data.
    sections: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The list as a document in the catalogue schema (what a YAML or JSON file holds)."""
        return {
            "list": self.name,
            "version": self.version,
            "released": self.released.isoformat(),
            "status": self.status,
            "changelog": [c.to_dict() for c in self.changelog],
            "description": self.description,
            "indicators": [i.to_dict() for i in self.indicators],
            "rules": [r.to_dict() for r in self.rules],
            **self.sections,
        }


@dataclass(frozen=True)
class Catalogue:
    lists: tuple[IndicatorList, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "lists", tuple(sorted(self.lists, key=lambda lst: lst.name)))
        index: dict[str, Indicator] = {}
        for lst in self.lists:
            for ind in lst.indicators:
                index.setdefault(ind.id, ind)
        object.__setattr__(self, "_index", index)

    def indicators(self) -> list[Indicator]:
        return [ind for lst in self.lists for ind in lst.indicators]

    def rules(self) -> list[Rule]:
        return [rule for lst in self.lists for rule in lst.rules]

    def indicator(self, indicator_id: str) -> Indicator:
        try:
            return self._index[indicator_id]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(
                f"unknown indicator id {indicator_id!r}; see Catalogue.indicators() for valid ids"
            ) from None

    def get_list(self, name: str) -> IndicatorList:
        for lst in self.lists:
            if lst.name == name:
                return lst
        raise KeyError(f"unknown list {name!r}; loaded lists: {', '.join(self.versions())}")

    def versions(self) -> dict[str, str]:
        return {lst.name: lst.version for lst in self.lists}

    def languages(self) -> set[str]:
        """Languages the catalogue can match: those with a lexicon, or with patterns."""
        lexicons = {lst.sections["language"] for lst in self.lists if lst.sections.get("language")}
        return lexicons | {lang for ind in self.indicators() for lang in ind.patterns}

    def section(self, name: str) -> dict[str, Any]:
        """A concepts-list section (``concepts``, ``kinds``, ``pay_floors``...), merged over
        the lists that have it."""
        merged: dict[str, Any] = {}
        for lst in self.lists:
            value = lst.sections.get(name)
            if isinstance(value, dict):
                merged.update(value)
            elif value is not None:
                return value
        return merged

    def indicator_languages(self, ind: Indicator) -> tuple[str, ...]:
        """The languages an indicator works in: those whose lexicon has words for every
        concept it needs (or, for one written in phrases, its pattern languages)."""
        if ind.match is None:
            return ind.languages
        needed = (expression_names(ind.match) | expression_names(ind.requires)) & set(
            self.section("concepts")
        )
        return tuple(
            sorted(
                lang
                for lang, lst in self.lexicons().items()
                if all(lst.sections.get("lexicon", {}).get(c, {}).get("terms") for c in needed)
            )
        )

    def lexicons(self) -> dict[str, IndicatorList]:
        """The lexicon lists by language."""
        return {lst.sections["language"]: lst for lst in self.lists if lst.sections.get("language")}

    def fingerprint(self) -> str:
        """Short sha256 over the canonical content of the loaded lists."""
        canonical = json.dumps(
            [lst.to_dict() for lst in self.lists],
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
