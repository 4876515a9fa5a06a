"""From a listing to an explained risk assessment.

Steps per listing: bound the text, normalise (offset-mapped), identify the
language, run the language's spaCy pipeline (indicator ruler, counter filter),
extract identifiers, apply combination rules, add the text model's view, and
explain every contribution with its indicator, weight and text spans.
"""

from __future__ import annotations

import math
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from indicator_lists import FORMS, Catalogue, Indicator
from nlp.calibration import Calibration
from nlp.language import detect_language
from nlp.normalise import normalise
from nlp.pipeline import EXTRACTED_KEY, HITS_KEY, RAW_HITS_KEY, build_pipeline, make_doc

SCORING_CONFIG = Path(__file__).with_name("scoring.toml")
MAX_CHARS = 20_000  # text-length cap before NLP (R13)
YOUTH_CATEGORY = "possible_minor"


class ProbabilityModel(Protocol):
    """A text model. With ``accepts_docs`` true it is given the scorer's spaCy docs (the
    normalised text, tokenized by the listing's language pipeline) instead of the texts."""

    version: str

    def probabilities(self, texts: Sequence[str]) -> Any: ...


@dataclass(frozen=True)
class TextSpan:
    start: int
    end: int
    text: str
    field: str = "text"


@dataclass(frozen=True)
class Contribution:
    id: str
    category: str
    weight: float
    grade: str
    title: str
    spans: tuple[TextSpan, ...] = ()


@dataclass(frozen=True)
class Assessment:
    score: float
    # The score before calibration; the threshold and bands apply to it. Equal to
    # ``score`` when no calibration is in use.
    raw_score: float
    flagged: bool
    band: str
    categories: tuple[str, ...]
    possible_minor: bool
    indicators: tuple[Contribution, ...]
    rules: tuple[Contribution, ...]
    counter: tuple[Contribution, ...]
    suppressed: tuple[Contribution, ...]  # weak hits that counted only in combination
    language: str
    evidence: float
    model_probability: float | None
    versions: dict[str, Any]
    extracted: tuple[Any, ...] = field(default=(), repr=False)

    def to_check_dict(self) -> dict[str, Any]:
        """The stable ``thbscan check`` output object."""
        return {
            "score": round(self.score, 4),
            "flagged": self.flagged,
            "band": self.band,
            "categories": list(self.categories),
            "possible_minor": self.possible_minor,
            "indicators": [_contribution_dict(c) for c in self.indicators],
            "language": self.language,
            "versions": self.versions,
            # Added after the first version of this interface: the score before
            # calibration, on which the threshold and bands are set.
            "raw_score": round(self.raw_score, 4),
        }

    def explanation(self) -> dict[str, Any]:
        """What the analyst sees: every contribution with weight and spans."""
        return {
            "indicators": [_contribution_dict(c) for c in self.indicators],
            "rules": [{**_contribution_dict(c), "description": c.title} for c in self.rules],
            "counter": [_contribution_dict(c) for c in self.counter],
            "combination_only": [_contribution_dict(c) for c in self.suppressed],
            "evidence": round(self.evidence, 4),
            "raw_score": round(self.raw_score, 4),
            "calibration": self.versions.get("calibration", "none"),
            "model": {
                "probability": None if self.model_probability is None
                else round(self.model_probability, 4),
            },
        }


def _contribution_dict(c: Contribution) -> dict[str, Any]:
    d = asdict(c)
    d["spans"] = [asdict(s) for s in c.spans]
    return d


def load_scoring_config(path: Path | None = None) -> dict[str, Any]:
    with (path or SCORING_CONFIG).open("rb") as fh:
        return tomllib.load(fh)


class Scorer:
    """Scores listings against a catalogue (and optionally a text model)."""

    def __init__(
        self, catalogue: Catalogue, model: ProbabilityModel | None = None,
        config: dict[str, Any] | None = None, calibration: Calibration | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.model = model
        self.calibration = calibration
        self.config = config or load_scoring_config()
        self.threshold = float(self.config["threshold"])
        self.model_weight = float(self.config["model_weight"]) if model is not None else 0.0
        self.evidence_scale = float(self.config["evidence_scale"])
        self.indicators: dict[str, Indicator] = {i.id: i for i in catalogue.indicators()}
        self.rules = catalogue.rules()
        # Rules that can fire, by indicator id (a rule needs one of its indicators present,
        # unless it asks for none).
        self._rules_by_indicator: dict[str, set[int]] = defaultdict(set)
        self._unconditional_rules: set[int] = set()
        for index, rule in enumerate(self.rules):
            for ind_id in rule.indicator_ids:
                self._rules_by_indicator[ind_id].add(index)
            if not rule.all_of and (not rule.any_of or rule.min_any <= 0):
                self._unconditional_rules.add(index)
        self._pipelines: dict[str, Any] = {}
        self.lemmas = bool(self.config.get("pipeline", {}).get("lemmas", False))
        self.versions = {
            "scorer": self.config["scorer_version"],
            "model": model.version if model is not None else "none",
            "lists": dict(catalogue.versions()),
        }
        self.scorer_key = (
            f"{self.config['scorer_version']}|model:{self.versions['model']}"
            f"|lists:{catalogue.fingerprint()}"
        )
        if self.lemmas:  # matching by lemma finds more: scores differ, so the key does
            self.versions["scorer"] += "+lemmas"
            self.scorer_key += "|lemmas"
        # What a calibration is fitted for (nlp/calibration.py): the key without it.
        self.raw_scorer_key = self.scorer_key
        self.versions["calibration"] = calibration.version if calibration else "none"
        if calibration is not None:  # other numbers: the archive is re-scored
            self.scorer_key += f"|cal:{calibration.version}"

    def pipeline(self, lang: str) -> Any:
        if lang not in self._pipelines:
            self._pipelines[lang] = build_pipeline(lang, self.catalogue, lemmas=self.lemmas)
        return self._pipelines[lang]

    # -- public API ---------------------------------------------------------
    def assess(self, title: str, text: str) -> Assessment:
        return next(iter(self.assess_many([(title, text)])))

    def assess_many(
        self, listings: Iterable[tuple[str, str]], batch_size: int = 512
    ) -> Iterator[Assessment]:
        batch: list[tuple[str, str]] = []
        for listing in listings:
            batch.append(listing)
            if len(batch) >= batch_size:
                yield from self._assess_batch(batch)
                batch = []
        if batch:
            yield from self._assess_batch(batch)

    # -- internals ----------------------------------------------------------
    def _assess_batch(self, batch: list[tuple[str, str]]) -> list[Assessment]:
        combined = []
        title_lengths = []
        for title, text in batch:
            title = (title or "")[:1000]
            body = (text or "")[:MAX_CHARS]
            combined.append(f"{title}\n\n{body}" if title else body)
            title_lengths.append(len(title) + 2 if title else 0)
        normalised = [normalise(t) for t in combined]
        languages = [detect_language(n.text, mixed=False).lang for n in normalised]
        by_lang: dict[str, list[int]] = defaultdict(list)
        for i, lang in enumerate(languages):
            by_lang[lang].append(i)
        docs: list[Any] = [None] * len(batch)
        for lang, idx in by_lang.items():
            nlp = self.pipeline(lang)
            docs_in = (make_doc(nlp, combined[i], normalised[i]) for i in idx)
            for i, doc in zip(idx, nlp.pipe(docs_in, batch_size=len(idx)), strict=True):
                docs[i] = doc
        probabilities: Sequence[float | None]
        if self.model is not None:
            # A model on the scorer's tokens takes the docs: one tokenization per listing.
            inputs = docs if getattr(self.model, "accepts_docs", False) else combined
            probabilities = [float(p) for p in self.model.probabilities(inputs)]
        else:
            probabilities = [None] * len(batch)
        return [
            self._assess_one(combined[i], title_lengths[i], normalised[i], docs[i],
                             languages[i], probabilities[i])
            for i in range(len(batch))
        ]

    def _span(self, original: str, title_len: int, start: int, end: int) -> TextSpan:
        if title_len and start < title_len:
            return TextSpan(start, min(end, title_len - 2), original[start:end], "title")
        return TextSpan(start - title_len, end - title_len, original[start:end], "text")

    def _assess_one(
        self, original: str, title_len: int, norm: Any, doc: Any, lang: str,
        probability: float | None,
    ) -> Assessment:
        spans_by_ind: dict[str, list[TextSpan]] = defaultdict(list)
        for span in doc.spans.get(HITS_KEY, []):
            start, end = norm.to_original(span.start_char, span.end_char)
            spans_by_ind[span.label_].append(self._span(original, title_len, start, end))
        for ind_id, start, end in doc.user_data.get(RAW_HITS_KEY, ()):
            spans_by_ind[ind_id].append(self._span(original, title_len, start, end))
        present = set(spans_by_ind)
        fired = self._fired_rules(present)
        in_rules = {i for r in fired for i in r.indicator_ids}

        indicators, counter, suppressed = [], [], []
        for ind_id in sorted(present):
            ind = self.indicators.get(ind_id)
            if ind is None:
                continue
            spans = tuple(sorted(set(spans_by_ind[ind_id]), key=lambda s: (s.field, s.start)))
            contribution = Contribution(ind.id, ind.category, ind.weight, ind.grade, ind.title,
                                        spans)
            if ind.weight < 0 or ind.grade == "counter":
                counter.append(contribution)
            elif ind.combination_only and ind_id not in in_rules:
                suppressed.append(contribution)
            else:
                indicators.append(contribution)
        rules = [Contribution(r.id, r.category, r.weight, "rule", r.description) for r in fired]

        total = sum(c.weight for c in (*indicators, *rules, *counter)
                    if c.category != "linking")
        evidence = 1.0 - math.exp(-max(0.0, total) / self.evidence_scale)
        if probability is None or not math.isfinite(probability):
            score = evidence
        else:
            score = (1 - self.model_weight) * evidence + self.model_weight * probability
        raw = min(1.0, max(0.0, score))
        score = raw if self.calibration is None else self.calibration(raw)
        flagged = raw >= self.threshold  # policy stays on the raw score (nlp/calibration.py)
        possible_minor = any(c.category == YOUTH_CATEGORY for c in indicators)
        categories = tuple(sorted(
            {c.category for c in (*indicators, *rules) if c.category in FORMS}
        ))
        return Assessment(
            score=score, raw_score=raw, flagged=flagged,
            band=self.band(raw, possible_minor and flagged),
            categories=categories, possible_minor=possible_minor, indicators=tuple(indicators),
            rules=tuple(rules), counter=tuple(counter), suppressed=tuple(suppressed),
            language=lang, evidence=evidence, model_probability=probability,
            versions=self.versions, extracted=tuple(doc.user_data.get(EXTRACTED_KEY, ())),
        )

    def _fired_rules(self, present: set[str]) -> list[Any]:
        candidates = set(self._unconditional_rules)
        for ind_id in present:
            candidates.update(self._rules_by_indicator.get(ind_id, ()))
        return [self.rules[i] for i in sorted(candidates) if self.rules[i].fires(present)]

    def band(self, score: float, urgent_minor: bool = False) -> str:
        bands = self.config["bands"]
        if urgent_minor or score >= bands["urgent"]:
            return "urgent"
        if score >= bands["high"]:
            return "high"
        if score >= bands["medium"]:
            return "medium"
        return "low"
