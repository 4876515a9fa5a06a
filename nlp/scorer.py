"""From a listing to an explained risk assessment.

Steps per listing: the pipeline (:mod:`nlp.pipeline`) normalises and tokenizes it, runs
the reference matcher (language, listing kind, concepts, indicators, rules, evidence) and
extracts identifiers; the text model adds its probability; the score, the band and the
flag follow, and every contribution is explained with its indicator, weight and text spans.
A listing is flagged only when its score reaches the threshold and it names at least one
form of exploitation (contact and youth signals aggravate a form, never stand alone).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from indicator_lists import Catalogue
from indicator_lists.compile import compile_catalogue
from indicator_lists.matcher import Analysis, band_of
from nlp.calibration import Calibration
from nlp.language_names import name_language
from nlp.pipeline import ANALYSIS_KEY, EXTRACTED_KEY, build_pipeline, make_doc

SCORING_CONFIG = Path(__file__).with_name("scoring.toml")
YOUTH_CATEGORY = "possible_minor"


class ProbabilityModel(Protocol):
    """A text model (models/listing_model.py): P(flag-worthy) of each listing's text, and
    the threshold at or above which it raises a listing to the queue."""

    version: str
    threshold: float

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
class LinkContribution:
    """A cross-listing signal of a listing: the catalogue's ``link.*`` indicator, the
    listings it links this one to and why; ``counted`` only when the listing names a form
    (links aggravate a form, as contact signals do, and never flag a listing alone)."""

    id: str
    weight: float
    title: str
    why: str
    listings: tuple[str, ...]
    counted: bool = True


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
    kind: str = "classified"  # job, escort, classified or social
    language_supported: bool = True
    total: float = 0.0  # the counted weights' sum behind ``evidence``
    links: tuple[LinkContribution, ...] = ()  # cross-listing signals (nlp/linking)
    # Set when the text model raised the listing to the queue on its own (its probability
    # reached the model's stored threshold): why, in words.
    model_reason: str | None = None
    model_threshold: float | None = None

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
            # calibration, on which the threshold and bands are set; the kind of listing;
            # whether the language is one the catalogue has full lexicons for.
            "raw_score": round(self.raw_score, 4),
            "kind": self.kind,
            "language_supported": self.language_supported,
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
            "kind": self.kind,
            "links": [{**asdict(link), "listings": list(link.listings)} for link in self.links],
            "calibration": self.versions.get("calibration", "none"),
            "model": {
                "probability": None
                if self.model_probability is None
                else round(self.model_probability, 4),
                **(
                    {}
                    if self.model_threshold is None
                    else {
                        "threshold": round(self.model_threshold, 4),
                        "raised": self.model_reason is not None,
                        "reason": self.model_reason,
                    }
                ),
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
        self,
        catalogue: Catalogue,
        model: ProbabilityModel | None = None,
        config: dict[str, Any] | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.model = model
        self.calibration = calibration
        self.config = config or load_scoring_config()
        self.threshold = float(self.config["threshold"])
        # The model's threshold, chosen on validation data when it was trained
        # (models/training.py): at or above it the model raises a listing to the queue.
        self.model_threshold = None if model is None else float(model.threshold)
        self.model_pattern = str(getattr(model, "pattern", "") or "flag-worthy wording")
        # Where the model was trained and measured: it raises listings only there (an
        # empty tuple: any language, any kind).
        self.model_languages = tuple(getattr(model, "languages", ()) or ())
        self.model_kinds = tuple(getattr(model, "kinds", ()) or ())
        # A model validated as a second opinion (docs/models.md, "A second opinion") is
        # asked only about listings in which the indicators found some evidence, and raises
        # only those: it widens what the indicators catch without flagging plain text.
        self.model_needs_evidence = bool(getattr(model, "needs_evidence", False))
        # ... unless its probability is this high: then it is asked about every listing and
        # raises one with no evidence too (None: never without evidence).
        alone = getattr(model, "alone_threshold", None)
        self.model_alone_threshold = None if alone is None else float(alone)
        self.evidence_scale = float(self.config["evidence_scale"])
        self.compiled = compile_catalogue(
            catalogue,
            evidence_scale=self.evidence_scale,
            threshold=self.threshold,
            bands=dict(self.config["bands"]),
        )
        self.nlp = build_pipeline(self.compiled)
        # the cross-listing indicators and rules, which linking computes (nlp/linking)
        self.link_indicators = {
            ind.id: ind for ind in catalogue.indicators() if ind.category == "linking"
        }
        self.link_rules = [r for r in self.compiled["rules"] if r["category"] == "linking"]
        self.versions = {
            "scorer": self.config["scorer_version"],
            "model": model.version if model is not None else "none",
            "lists": dict(catalogue.versions()),
        }
        self.scorer_key = (
            f"{self.config['scorer_version']}|model:{self.versions['model']}"
            f"|lists:{catalogue.fingerprint()}"
        )
        # What a calibration is fitted for (nlp/calibration.py): the key without it.
        self.raw_scorer_key = self.scorer_key
        self.versions["calibration"] = calibration.version if calibration else "none"
        if calibration is not None:  # other numbers: the archive is re-scored
            self.scorer_key += f"|cal:{calibration.version}"

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
        docs = list(
            self.nlp.pipe(make_doc(self.nlp, title or "", text or "") for title, text in batch)
        )
        probabilities: list[float | None] = [None] * len(batch)
        asked = (
            []
            if self.model is None
            else [
                i
                for i, doc in enumerate(docs)
                if not self.model_needs_evidence
                or self.model_alone_threshold is not None
                or doc.user_data[ANALYSIS_KEY].evidence > 0
            ]
        )
        if self.model is not None and asked:
            inputs = [docs[i].user_data.get("thbscan_original") or docs[i].text for i in asked]
            for i, p in zip(asked, self.model.probabilities(inputs), strict=True):
                probabilities[i] = float(p)
        return [self._assess_one(doc, p) for doc, p in zip(docs, probabilities, strict=True)]

    def _assess_one(self, doc: Any, probability: float | None) -> Assessment:
        analysis: Analysis = doc.user_data[ANALYSIS_KEY]
        indicators, counter, suppressed = [], [], []
        for hit in analysis.hits:
            spans = tuple(TextSpan(start, end, text, fld) for fld, start, end, text in hit.spans)
            contribution = Contribution(
                hit.id, hit.category, hit.weight, hit.grade, hit.title, spans
            )
            if hit.weight < 0 or hit.grade == "counter":
                counter.append(contribution)
            elif hit.counted:
                indicators.append(contribution)
            else:
                suppressed.append(contribution)
        rules = [Contribution(r.id, r.category, r.weight, "rule", r.title) for r in analysis.rules]
        language = name_language(analysis.language, analysis.normalised.text)
        return self._finish(
            Assessment(
                score=0.0,
                raw_score=0.0,
                flagged=False,
                band="low",
                categories=analysis.categories,
                possible_minor=analysis.possible_minor,
                indicators=tuple(indicators),
                rules=tuple(rules),
                counter=tuple(counter),
                suppressed=tuple(suppressed),
                language=language.code,
                evidence=analysis.evidence,
                model_probability=probability,
                versions=self.versions,
                extracted=tuple(doc.user_data.get(EXTRACTED_KEY, ())),
                kind=analysis.kind,
                language_supported=language.supported,
                total=analysis.total,
                model_threshold=self.model_threshold,
            )
        )

    def _finish(self, a: Assessment) -> Assessment:
        """The score, flag and band of an assessment from its evidence and probability."""
        p = a.model_probability
        probability = p if p is not None and math.isfinite(p) else None
        raw = min(1.0, max(0.0, a.evidence))  # the score is the indicators' evidence
        # The model may raise the listing to the queue on its own (docs/models.md): it is
        # flagged, and its explanation says so; the score stays the indicators'.
        reason = self._model_reason(a, probability)
        flagged = (raw >= self.threshold and bool(a.categories)) or reason is not None
        band = band_of(
            raw,
            self.config["bands"],
            form_named=bool(a.categories),
            urgent_minor=a.possible_minor and flagged,
        )
        if reason is not None and band == "low":
            band = "medium"
        return replace(
            a,
            score=raw if self.calibration is None else self.calibration(raw),
            raw_score=raw,
            flagged=flagged,
            band=band,
            model_reason=reason,
        )

    def _model_reason(self, a: Assessment, probability: float | None) -> str | None:
        """Why the model raises ``a`` to the queue, in words; None when it does not."""
        if (
            probability is None
            or self.model_threshold is None
            or (self.model_languages and a.language not in self.model_languages)
            or (self.model_kinds and a.kind not in self.model_kinds)
        ):
            return None
        said = f"text model: {self.model_pattern}, probability {probability:.2f}"
        if probability >= self.model_threshold and not self.model_needs_evidence:
            return said
        if probability >= self.model_threshold and a.evidence > 0:
            return said + ", with the indicators' evidence"
        if self.model_alone_threshold is not None and probability >= self.model_alone_threshold:
            return said + ", without the indicators' evidence"
        return None

    def with_links(self, a: Assessment, signals: Iterable[Any]) -> Assessment:
        """``a`` with the cross-listing ``signals`` of its listing (each with ``id``,
        ``listings`` and ``why``, as nlp.linking gives them): their catalogue weights
        count when the listing names a form, and two or more counted make the network
        rule fire."""
        links = []
        for signal in signals:
            ind = self.link_indicators.get(signal.id)
            if ind is None:
                continue
            links.append(
                LinkContribution(
                    signal.id,
                    float(ind.weight),
                    ind.title,
                    signal.why,
                    tuple(signal.listings),
                    counted=bool(a.categories),
                )
            )
        links.sort(key=lambda link: link.id)
        counted = [link for link in links if link.counted]
        total = a.total + sum(link.weight for link in counted)
        rules = a.rules
        for rule in self.link_rules:
            if sum(link.id in rule["any_of"] for link in counted) >= int(rule.get("min", 1)):
                total += float(rule["weight"])
                rules = (
                    *rules,
                    Contribution(
                        rule["id"],
                        rule["category"],
                        float(rule["weight"]),
                        "rule",
                        rule["description"],
                    ),
                )
        evidence = 1.0 - math.exp(-max(0.0, total) / self.evidence_scale)
        return self._finish(
            replace(a, links=tuple(links), rules=rules, total=total, evidence=evidence)
        )

    def band(self, score: float, urgent_minor: bool = False) -> str:
        return band_of(score, self.config["bands"], urgent_minor=urgent_minor)
