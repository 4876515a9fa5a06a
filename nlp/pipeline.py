"""The scorer's spaCy pipeline, built from the indicator catalogue.

One pipeline serves every language (listings mix languages; the matcher picks the lexicons
by the language it identifies): ``spacy.blank("xx")`` with the matcher's tokenizer
(:mod:`nlp.tokenizer`, ``thbscan.tokenizer.v1``) and two registered, versioned components:

- ``thbscan_indicators_v1``: the reference matcher (:mod:`indicator_lists.matcher`) over the
  doc's tokens; its :class:`~indicator_lists.matcher.Analysis` goes to
  ``doc.user_data["thbscan_analysis"]``, the text of every indicator hit to
  ``doc.spans["thbscan_hits"]`` (labelled with the indicator id);
- ``thbscan_extractor_v1``: phones, e-mails, handles, URLs, money and ages
  (:mod:`nlp.extract`) into ``doc.user_data["thbscan_extracted"]``.

Docs enter through :func:`make_doc` (title and text of a listing). The indicator component
gets its data in ``initialize`` (the compiled catalogue), writes it to disk with the
pipeline, and ``nlp.meta["thbscan"]`` records the list versions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, SpanGroup

from indicator_lists.matcher import Engine, combine
from nlp.extract import extract
from nlp.tokenizer import normalised_of, tokens_of

__all__ = ["ANALYSIS_KEY", "EXTRACTED_KEY", "HITS_KEY", "build_pipeline", "make_doc"]

HITS_KEY = "thbscan_hits"
ANALYSIS_KEY = "thbscan_analysis"
EXTRACTED_KEY = "thbscan_extracted"
ORIGINAL_KEY = "thbscan_original"
TITLE_KEY = "thbscan_title_length"
COMPONENTS = ("thbscan_indicators_v1", "thbscan_extractor_v1")


def make_doc(nlp: Language, title: str, text: str) -> Doc:
    """A doc of a listing: its combined text, normalised and tokenized by the matcher."""
    combined, title_len = combine(title, text)
    doc = nlp.make_doc(combined)
    doc.user_data[ORIGINAL_KEY] = combined
    doc.user_data[TITLE_KEY] = title_len
    return doc


class IndicatorComponent:
    """Runs the reference matcher on a doc."""

    data_file = "compiled.json"

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.engine: Engine | None = None

    def initialize(
        self,
        get_examples: Any = None,
        *,
        nlp: Language | None = None,
        compiled: dict[str, Any] | None = None,
    ) -> None:
        if compiled is None:
            raise ValueError(f"{self.name}: initialize needs compiled=compile_catalogue(...)")
        self.engine = Engine(compiled)

    def __call__(self, doc: Doc) -> Doc:
        if self.engine is None:
            raise ValueError(f"{self.name} is not initialised: call nlp.initialize first")
        original = doc.user_data.get(ORIGINAL_KEY)
        if original is None:  # doc.text joins every token: only when needed
            original = doc.text
        analysis = self.engine.analyse_text(
            original,
            int(doc.user_data.get(TITLE_KEY, 0)),
            norm=normalised_of(doc),
            tokens=tokens_of(doc),
        )
        doc.user_data[ANALYSIS_KEY] = analysis
        spans = []
        for hit in analysis.hits:
            for start, end in hit.pieces:  # offsets in the doc's (normalised) text
                span = doc.char_span(start, end, label=hit.id, alignment_mode="expand")
                if span is not None:
                    spans.append(span)
        doc.spans[HITS_KEY] = SpanGroup(doc, name=HITS_KEY, spans=spans)
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        if self.engine is not None:
            (Path(path) / self.data_file).write_text(
                json.dumps(self.engine.compiled, ensure_ascii=False), encoding="utf-8"
            )

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> IndicatorComponent:
        file = Path(path) / self.data_file
        if file.is_file():
            self.engine = Engine(json.loads(file.read_text(encoding="utf-8")))
        return self


class Extractor:
    """Identifiers and facts, with spans into the original listing."""

    def __init__(self, nlp: Language, name: str, region: str) -> None:
        self.region = region

    def __call__(self, doc: Doc) -> Doc:
        original = doc.user_data.get(ORIGINAL_KEY)
        if original is None:  # doc.text joins every token: only when needed
            original = doc.text
        doc.user_data[EXTRACTED_KEY] = extract(
            original, region=self.region, normalised=normalised_of(doc)
        )
        return doc


@Language.factory("thbscan_indicators_v1")
def make_indicators(nlp: Language, name: str) -> IndicatorComponent:
    return IndicatorComponent(nlp, name)


@Language.factory("thbscan_extractor_v1", default_config={"region": "DK"})
def make_extractor(nlp: Language, name: str, region: str) -> Extractor:
    return Extractor(nlp, name, region)


def build_pipeline(compiled: dict[str, Any], *, region: str = "DK") -> Language:
    """The scoring pipeline, initialised from a compiled catalogue."""
    nlp = spacy.blank("xx", config={"nlp": {"tokenizer": {"@tokenizers": "thbscan.tokenizer.v1"}}})
    indicators = nlp.add_pipe("thbscan_indicators_v1")
    assert isinstance(indicators, IndicatorComponent)
    indicators.initialize(compiled=compiled)
    nlp.add_pipe("thbscan_extractor_v1", config={"region": region})
    nlp.meta["thbscan"] = {
        "list_versions": compiled.get("versions", {}),
        "fingerprint": compiled.get("fingerprint", ""),
    }
    return nlp
