"""Reference matcher: the matching semantics every consumer of the catalogue follows.

Phrases are matched with a spaCy ``PhraseMatcher(attr="LOWER")`` over the tokens of a blank
pipeline for the language, regexes case-insensitively on the raw text, emoji as substrings.
A counter-pattern of an indicator found anywhere in the text cancels that indicator's hits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .model import Catalogue, Indicator, Rule

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language


@dataclass(frozen=True)
class Hit:
    indicator_id: str
    start: int
    end: int
    text: str


@lru_cache(maxsize=16)
def blank_pipeline(lang: str) -> Language:
    import spacy  # lazy: only matching needs spaCy

    return spacy.blank(lang)


class _LanguageMatcher:
    def __init__(self, lang: str, indicators: list[Indicator]) -> None:
        from spacy.matcher import PhraseMatcher

        self.nlp = blank_pipeline(lang)
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.counters = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.regexes: list[tuple[str, re.Pattern[str]]] = []
        self.emoji: list[tuple[str, str]] = []
        for ind in indicators:
            pats = ind.patterns.get(lang)
            if pats is not None:
                if pats.phrases:
                    self.phrases.add(ind.id, [self.nlp.make_doc(p) for p in pats.phrases])
                self.regexes.extend((ind.id, re.compile(rx, re.IGNORECASE)) for rx in pats.regex)
                self.emoji.extend((ind.id, e) for e in pats.emoji if e)
            counters = ind.counter_patterns.get(lang)
            if counters:
                self.counters.add(ind.id, [self.nlp.make_doc(p) for p in counters])

    def match(self, text: str) -> list[Hit]:
        doc = self.nlp.make_doc(text)
        vocab = self.nlp.vocab.strings
        hits: list[Hit] = []
        for match_id, start, end in self.phrases(doc):
            span = doc[start:end]
            hits.append(Hit(vocab[match_id], span.start_char, span.end_char, span.text))
        for ind_id, rx in self.regexes:
            hits.extend(
                Hit(ind_id, m.start(), m.end(), m.group(0)) for m in rx.finditer(text) if m.group(0)
            )
        for ind_id, emo in self.emoji:
            start = text.find(emo)
            while start >= 0:
                hits.append(Hit(ind_id, start, start + len(emo), emo))
                start = text.find(emo, start + len(emo))
        cancelled = {vocab[match_id] for match_id, _s, _e in self.counters(doc)}
        unique = {
            (h.indicator_id, h.start, h.end): h for h in hits if h.indicator_id not in cancelled
        }
        return sorted(unique.values(), key=lambda h: (h.start, h.end, h.indicator_id))


class ReferenceMatcher:
    """Match the text indicators of a catalogue against a text in a given language."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._indicators = catalogue.indicators()
        self._rules = catalogue.rules()
        self._by_lang: dict[str, _LanguageMatcher] = {}

    def _matcher(self, lang: str) -> _LanguageMatcher:
        if lang not in self._by_lang:
            self._by_lang[lang] = _LanguageMatcher(lang, self._indicators)
        return self._by_lang[lang]

    def match(self, text: str, lang: str) -> list[Hit]:
        """All indicator hits in ``text``, sorted by position."""
        return self._matcher(lang).match(text)

    def fired_rules(self, hits: list[Hit] | set[str]) -> list[Rule]:
        """Rules whose combination is satisfied by the given hits (or indicator ids)."""
        present = {h.indicator_id for h in hits} if not isinstance(hits, set) else hits
        return [rule for rule in self._rules if rule.fires(present)]

    def __getstate__(self) -> dict[str, Any]:  # spaCy matchers do not pickle; rebuild lazily
        return {"catalogue": self.catalogue}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["catalogue"])  # type: ignore[misc]
