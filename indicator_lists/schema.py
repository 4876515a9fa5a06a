"""Pydantic v2 models mirroring the YAML list files (and the JSON partner export).

A list file holds indicators and rules (an indicator list), or the concept inventory
(``concepts``, ``kinds``, pay floors: the ``concepts`` list), or one language's lexicon
(``language``, ``lexicon``, ``numbers``: the ``lexicon_<language>`` lists).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

EXPORT_FORMAT = "thbscan-indicators/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LanguagePatternsDoc(_Strict):
    phrases: list[str] = Field(default_factory=list)
    regex: list[str] = Field(default_factory=list)
    emoji: list[str] = Field(default_factory=list)


class ExamplesDoc(_Strict):
    positive: list[str] = Field(default_factory=list)
    negative: list[str] = Field(default_factory=list)


CONCEPT_NAME = r"^[A-Z][A-Z0-9_]*$"
KINDS = ("job", "escort", "classified", "social")


class AllExpr(_Strict):
    """One match of each sub-expression, close together."""

    all: list[Expr] = Field(min_length=1)
    within: int = Field(default=8, ge=0, le=400)
    scope: Literal["sentence", "clause", "listing"] = "sentence"
    ordered: bool = False


class AnyExpr(_Strict):
    any: list[Expr] = Field(min_length=1)


class QuantityExpr(_Strict):
    quantity: Literal[
        "amount",
        "hours_per_day",
        "hours_per_week",
        "days_per_week",
        "around_the_clock",
        "pay_per_hour",
        "pay_per_day",
        "pay_per_week",
        "pay_per_month",
        "age",
    ]
    min: float | None = None
    max: float | None = None
    below_floor: bool = False
    above_ceiling: bool = False


class DetectorExpr(_Strict):
    detector: Literal["obfuscated_phone"]


class AtLeastExpr(_Strict):
    """At least ``at_least`` separate matches of ``of``."""

    at_least: int = Field(ge=1, le=20)
    of: Expr


Expr = Union[str, AllExpr, AnyExpr, QuantityExpr, DetectorExpr, AtLeastExpr]  # noqa: UP007
AllExpr.model_rebuild()
AnyExpr.model_rebuild()
AtLeastExpr.model_rebuild()


class ConceptDoc(_Strict):
    description: str = Field(min_length=1)
    # What the concept does in the grammar: negation, unit (hour/day/week/month/year),
    # per, per_unit, currency (ISO code), contact, age, old, range.
    roles: dict[str, str] = Field(default_factory=dict)


class KindDoc(_Strict):
    cues: dict[str, float] = Field(min_length=1)
    hashtags: float = 0.0  # per hashtag (at most 3)
    questions: float = 0.0  # per question mark (at most 2)
    cap: int = Field(default=3, ge=1)


class LexiconEntryDoc(_Strict):
    terms: list[str] = Field(min_length=1)
    examples: ExamplesDoc = Field(default_factory=ExamplesDoc)


class IndicatorDoc(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    category: str
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    grade: Literal["strong", "moderate", "weak", "counter"]
    weight: float
    signal: Literal["text", "field", "cross_listing"]
    combination_only: bool = False
    bias_audit: bool = False
    patterns: dict[str, LanguagePatternsDoc] = Field(default_factory=dict)
    counter_patterns: dict[str, list[str]] = Field(default_factory=dict)
    examples: dict[str, ExamplesDoc] = Field(default_factory=dict)
    # The concept form (see indicator_lists.matcher.engine): what must be found, what cancels
    # it in the same sentence (or the whole listing), what the listing must also contain,
    # and the kinds of listing it applies to.
    match: Expr | None = None
    unless: Expr | None = None
    unless_scope: Literal["sentence", "listing"] = "sentence"
    requires: Expr | None = None
    kinds: list[Literal["job", "escort", "classified", "social"]] = Field(default_factory=list)
    not_kinds: list[Literal["job", "escort", "classified", "social"]] = Field(default_factory=list)


class RuleDoc(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    category: str
    description: str = Field(min_length=1)
    all_of: list[str] = Field(default_factory=list)
    any_of: list[str] = Field(default_factory=list)
    min: int = Field(default=1, ge=1)
    weight: float


class ChangelogDoc(_Strict):
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    date: dt.date
    changes: list[str] = Field(min_length=1)


class ListDoc(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(alias="list", pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    released: dt.date
    status: Literal["draft", "approved"]
    changelog: list[ChangelogDoc] = Field(min_length=1)
    description: str = Field(min_length=1)
    indicators: list[IndicatorDoc] = Field(default_factory=list)
    rules: list[RuleDoc] = Field(default_factory=list)
    # the concepts list
    concepts: dict[str, ConceptDoc] = Field(default_factory=dict)
    kinds: dict[Literal["job", "escort", "classified", "social"], KindDoc] = Field(
        default_factory=dict
    )
    kind_default: Literal["job", "escort", "classified", "social"] | None = None
    kind_min_score: float = 1.0
    pay_floors: dict[str, dict[str, float]] = Field(default_factory=dict)
    pay_ceilings: dict[str, dict[str, float]] = Field(default_factory=dict)
    # a lexicon list
    language: str | None = None
    numbers: dict[str, str] = Field(default_factory=dict)
    lexicon: dict[str, LexiconEntryDoc] = Field(default_factory=dict)


class ExportDoc(_Strict):
    """``indicators.json`` of a partner export: selected lists in the list schema."""

    format: Literal["thbscan-indicators/1"]
    profile: str
    created: str
    lists: list[ListDoc]


def json_schema() -> dict[str, Any]:
    """JSON Schema of one list file."""
    return ListDoc.model_json_schema()


def export_json_schema() -> dict[str, Any]:
    """JSON Schema of a partner export's ``indicators.json``."""
    return ExportDoc.model_json_schema()
