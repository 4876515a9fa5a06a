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
CATEGORIES: tuple[str, ...] = (*FORMS, "possible_minor", "contact", "linking")
GRADES: tuple[str, ...] = ("strong", "moderate", "weak", "counter")
SIGNALS: tuple[str, ...] = ("text", "field", "cross_listing")
STATUSES: tuple[str, ...] = ("draft", "approved")
LANGUAGES: frozenset[str] = frozenset({"da", "en", "ro", "pl", "bg", "uk", "es"})


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
        return {lang for ind in self.indicators() for lang in ind.patterns}

    def fingerprint(self) -> str:
        """Short sha256 over the canonical content of the loaded lists."""
        canonical = json.dumps(
            [lst.to_dict() for lst in self.lists],
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
