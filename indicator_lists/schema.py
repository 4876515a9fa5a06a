"""Pydantic v2 models mirroring the YAML list files (and the JSON partner export)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

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
