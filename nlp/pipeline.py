"""spaCy pipelines built from the indicator catalogue.

Per language: ``spacy.blank(lang)`` plus the lookup lemmatizer where
spacy-lookups-data has tables, then two registered, versioned components:

- ``thbscan_indicator_ruler_v1``: a PhraseMatcher (attr LOWER) holding the
  phrases of every language in the catalogue (listings mix languages), written
  to ``doc.spans["thbscan_hits"]`` labelled with the indicator id.
- ``thbscan_counter_filter_v1``: drops hits of an indicator whose
  counter-patterns occur in the same listing (e.g. "girl and gentleman").

Patterns are data: they are loaded in ``initialize`` from the catalogue and
serialised with the pipeline (``to_disk``), which records the list versions.
The few regexes (obfuscated forms) and emoji run on the original text through
``RawPatternScanner``, since normalisation rewrites exactly those forms.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import spacy
import srsly
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, SpanGroup

from indicator_lists import Catalogue

logger = logging.getLogger(__name__)

HITS_KEY = "thbscan_hits"
CANCELLED_KEY = "thbscan_cancelled"  # indicators cancelled by counter-patterns
LEMMA_LANGS = {"da", "en", "ro", "es"}  # spacy-lookups-data tables usable without a tagger
SPACY_LANGS = {"da", "en", "ro", "pl", "bg", "uk", "es"}
MAX_REGEX_CHARS = 20_000


def catalogue_patterns(catalogue: Catalogue) -> dict[str, Any]:
    """The matching data of a catalogue as plain JSON-able structures."""
    phrases: dict[str, list[str]] = {}
    regexes: dict[str, list[str]] = {}
    emoji: dict[str, list[str]] = {}
    counters: dict[str, list[str]] = {}
    for ind in catalogue.indicators():
        if ind.signal != "text":
            continue
        for pats in ind.patterns.values():
            phrases.setdefault(ind.id, []).extend(pats.phrases)
            regexes.setdefault(ind.id, []).extend(pats.regex)
            emoji.setdefault(ind.id, []).extend(pats.emoji)
        for counter in ind.counter_patterns.values():
            counters.setdefault(ind.id, []).extend(counter)
    clean = {k: sorted(set(v)) for k, v in phrases.items() if v}
    return {
        "phrases": clean,
        "regex": {k: v for k, v in regexes.items() if v},
        "emoji": {k: v for k, v in emoji.items() if v},
        "counter": {k: sorted(set(v)) for k, v in counters.items() if v},
        "versions": catalogue.versions(),
        "fingerprint": catalogue.fingerprint(),
    }


class _PatternComponent:
    """Common initialise/serialise logic for components fed from catalogue data."""

    data_file = "patterns.json"

    def __init__(self, nlp: Language, name: str) -> None:
        self.nlp = nlp
        self.name = name
        self.data: dict[str, Any] = {}

    def initialize(
        self, get_examples: Any = None, *, nlp: Language | None = None,
        patterns: dict[str, Any] | None = None,
    ) -> None:
        if patterns is None:
            raise ValueError(
                f"{self.name}: initialize needs patterns=catalogue_patterns(catalogue)"
            )
        self.set_patterns(patterns)

    def set_patterns(self, patterns: dict[str, Any]) -> None:
        raise NotImplementedError

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / self.data_file, self.data)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> _PatternComponent:
        self.set_patterns(srsly.read_json(Path(path) / self.data_file))
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return json.dumps(self.data).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> _PatternComponent:
        self.set_patterns(json.loads(data))
        return self


class IndicatorRuler(_PatternComponent):
    def set_patterns(self, patterns: dict[str, Any]) -> None:
        self.data = {"phrases": patterns.get("phrases", {}),
                     "versions": patterns.get("versions", {}),
                     "fingerprint": patterns.get("fingerprint", "")}
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        tokenizer = self.nlp.tokenizer
        for ind_id, phrases in self.data["phrases"].items():
            self.matcher.add(ind_id, [tokenizer(p) for p in phrases])

    def __call__(self, doc: Doc) -> Doc:
        spans = [Span(doc, s, e, label=m) for m, s, e in self.matcher(doc)]
        doc.spans[HITS_KEY] = SpanGroup(doc, name=HITS_KEY, spans=spans)
        return doc


class RawPatternScanner:
    """Regexes (obfuscated forms) and emoji, matched on the ORIGINAL text.

    Regexes describe obfuscations ("two 0 five 5 ..."), which normalisation
    rewrites, so they run on the text as written, bounded in length.
    """

    def __init__(self, patterns: dict[str, Any]) -> None:
        self.regexes = [
            (ind_id, re.compile(rx, re.IGNORECASE))
            for ind_id, rxs in patterns.get("regex", {}).items() for rx in rxs
        ]
        self.emoji = [(ind_id, e) for ind_id, es in patterns.get("emoji", {}).items()
                      for e in es if e]

    def scan(self, text: str) -> list[tuple[str, int, int]]:
        text = text[:MAX_REGEX_CHARS]
        hits = [
            (ind_id, m.start(), m.end())
            for ind_id, rx in self.regexes for m in rx.finditer(text) if m.end() > m.start()
        ]
        for ind_id, symbol in self.emoji:
            start = text.find(symbol)
            while start != -1:
                hits.append((ind_id, start, start + len(symbol)))
                start = text.find(symbol, start + len(symbol))
        return hits


class CounterFilter(_PatternComponent):
    data_file = "counter.json"

    def set_patterns(self, patterns: dict[str, Any]) -> None:
        self.data = {"counter": patterns.get("counter", {})}
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        tokenizer = self.nlp.tokenizer
        for ind_id, phrases in self.data["counter"].items():
            self.matcher.add(ind_id, [tokenizer(p) for p in phrases])

    def __call__(self, doc: Doc) -> Doc:
        if not self.data["counter"]:
            return doc
        cancelled = {doc.vocab.strings[m] for m, _s, _e in self.matcher(doc)}
        if cancelled:
            hits = doc.spans.get(HITS_KEY, [])
            doc.spans[HITS_KEY] = SpanGroup(
                doc, name=HITS_KEY, spans=[s for s in hits if s.label_ not in cancelled]
            )
            doc.user_data[CANCELLED_KEY] = frozenset(cancelled)
        return doc


@Language.factory("thbscan_indicator_ruler_v1")
def make_indicator_ruler(nlp: Language, name: str) -> IndicatorRuler:
    return IndicatorRuler(nlp, name)


@Language.factory("thbscan_counter_filter_v1")
def make_counter_filter(nlp: Language, name: str) -> CounterFilter:
    return CounterFilter(nlp, name)


def blank(lang: str) -> Language:
    """A blank pipeline for ``lang`` with the lookup lemmatizer where tables exist."""
    nlp = spacy.blank(lang if lang in SPACY_LANGS else "xx")
    if lang in LEMMA_LANGS:
        try:
            lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            lemmatizer.initialize()
        except Exception as exc:  # tables missing: matching uses LOWER, lemmas are extra
            logger.info("no lookup lemmatizer for %s (%s); continuing without", lang, exc)
            if "lemmatizer" in nlp.pipe_names:
                nlp.remove_pipe("lemmatizer")
    return nlp


def build_pipeline(lang: str, catalogue: Catalogue, *, lemmas: bool = False) -> Language:
    """The matching pipeline for one language, initialised from ``catalogue``."""
    nlp = blank(lang) if lemmas else spacy.blank(lang if lang in SPACY_LANGS else "xx")
    patterns = catalogue_patterns(catalogue)
    ruler = nlp.add_pipe("thbscan_indicator_ruler_v1")
    ruler.set_patterns(patterns)
    counter = nlp.add_pipe("thbscan_counter_filter_v1")
    counter.set_patterns(patterns)
    nlp.meta["thbscan"] = {"list_versions": patterns["versions"],
                           "fingerprint": patterns["fingerprint"]}
    return nlp
