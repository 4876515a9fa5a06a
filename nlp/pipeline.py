"""spaCy pipelines built from the indicator catalogue.

Per language: ``spacy.blank(lang)`` (plus the lookup lemmatizer where
spacy-lookups-data has tables, when ``lemmas=True``: ``[pipeline] lemmas`` in
nlp/scoring.toml), then four registered, versioned components:

- ``thbscan_indicator_ruler_v1``: a PhraseMatcher (attr LOWER) holding the
  phrases of every language in the catalogue (listings mix languages), and with the
  lookup lemmas a second one on NORM (``thbscan_lemma_norms_v1`` makes each word's NORM
  its lemma); hits go to ``doc.spans["thbscan_hits"]`` labelled
  with the indicator id.
- ``thbscan_raw_patterns_v1``: the few regexes (obfuscated forms) and emoji,
  run on the ORIGINAL text (normalisation rewrites exactly those forms); hits
  in original offsets go to ``doc.user_data["thbscan_raw_hits"]``.
- ``thbscan_counter_filter_v1``: cancels the hits of an indicator whose
  counter-patterns occur in the listing (e.g. "girl and gentleman").
- ``thbscan_extractor_v1``: phones, e-mails, handles, URLs, money and ages
  (``nlp.extract``) into ``doc.user_data["thbscan_extracted"]``.

Docs enter as ``make_doc(listing)``: the normalised text, with the original and
its offset map in ``user_data``. Patterns are data: components get them in
``initialize`` from the catalogue, write them to disk with the pipeline
(``nlp.to_disk``), and ``nlp.meta["thbscan"]`` records the list versions.
"""

from __future__ import annotations

import json
import logging
import re
import re._constants as _re_constants
import re._parser as _re_parser
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import spacy
import srsly
from spacy.attrs import LANG, LOWER, NORM, ORTH
from spacy.language import Language
from spacy.lookups import Table, load_lookups
from spacy.matcher import PhraseMatcher
from spacy.pipeline import Lemmatizer
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import minibatch

from indicator_lists import Catalogue
from nlp.casefold import lowered, pattern_allows_lowered
from nlp.extract import extract
from nlp.normalise import Normalised, normalise

logger = logging.getLogger(__name__)

HITS_KEY = "thbscan_hits"
RAW_HITS_KEY = "thbscan_raw_hits"  # [(indicator id, start, end)] in original offsets
CANCELLED_KEY = "thbscan_cancelled"  # indicators cancelled by counter-patterns
EXTRACTED_KEY = "thbscan_extracted"
ORIGINAL_KEY = "thbscan_original"
# The original text (cut at MAX_REGEX_CHARS) lowercased, when lowercased matching is safe
# (nlp.casefold.lowered): the raw-pattern scanner makes it, the extractor reuses it.
LOWERED_KEY = "thbscan_lowered"
NORMALISED_KEY = "thbscan_normalised"
LEMMA_LANGS = {"da", "en", "ro", "es"}  # spacy-lookups-data tables usable without a tagger
SPACY_LANGS = {"da", "en", "ro", "pl", "bg", "uk", "es"}
MAX_REGEX_CHARS = 20_000
# The only lexical attributes computed for new words (see _drop_unread_lexeme_attrs).
READ_LEXEME_ATTRS = frozenset({LOWER, NORM, LANG})
COMPONENTS = ("thbscan_indicator_ruler_v1", "thbscan_raw_patterns_v1",
              "thbscan_counter_filter_v1", "thbscan_extractor_v1")


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

    def clean(d: dict[str, list[str]]) -> dict[str, list[str]]:
        return {k: sorted(set(v)) for k, v in sorted(d.items()) if v}

    return {
        "phrases": clean(phrases),
        "regex": clean(regexes),
        "emoji": clean(emoji),
        "counter": clean(counters),
        "versions": catalogue.versions(),
        "fingerprint": catalogue.fingerprint(),
    }


def make_doc(nlp: Language, listing: str, norm: Normalised | None = None) -> Doc:
    """A doc of the normalised listing, carrying the original and the offset map."""
    norm = norm or normalise(listing)
    doc = nlp.make_doc(norm.text)
    doc.user_data[ORIGINAL_KEY] = listing
    doc.user_data[NORMALISED_KEY] = norm
    return doc


class _DataComponent:
    """Initialise from catalogue data; serialise that data with the pipeline."""

    data_file = "data.json"
    keys: tuple[str, ...] = ()

    def __init__(self, nlp: Language, name: str) -> None:
        self.nlp = nlp
        self.name = name
        self.data: dict[str, Any] = {k: {} for k in self.keys}
        self.set_data(self.data)

    def initialize(self, get_examples: Any = None, *, nlp: Language | None = None,
                   patterns: dict[str, Any] | None = None) -> None:
        if patterns is None:
            raise ValueError(f"{self.name}: initialize needs patterns=catalogue_patterns(...)")
        self.set_data({k: patterns.get(k, {}) for k in self.keys})

    def set_data(self, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """Each batch of docs through this component before the next component takes it
        (spaCy's default chains the components doc by doc), so that each component's code
        and data stay in the CPU's caches over a batch."""
        for batch in minibatch(docs, size=batch_size):
            yield from [self(doc) for doc in batch]

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        srsly.write_json(Path(path) / self.data_file, self.data)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> _DataComponent:
        self.set_data(srsly.read_json(Path(path) / self.data_file))
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return json.dumps(self.data).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> _DataComponent:
        self.set_data(json.loads(data))
        return self


class IndicatorRuler(_DataComponent):
    keys = ("phrases",)

    def set_data(self, data: dict[str, Any]) -> None:
        self.data = data
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        for ind_id, phrases in data["phrases"].items():
            self.matcher.add(ind_id, list(self.nlp.tokenizer.pipe(phrases)))
        # With the lookup lemmas in the vocabulary (LemmaNorms: NORM is the lemma),
        # phrases also match by lemma ("beholder passene" finds "beholde pas").
        self.lemma_matcher = None
        if "lemmatizer" in self.nlp.pipe_names:
            self.lemma_matcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
            words: set[str] = set()
            for ind_id, phrases in data["phrases"].items():
                docs = list(self.nlp.tokenizer.pipe(phrases))
                words.update(token.text for doc in docs for token in doc)
                self.lemma_matcher.add(ind_id, docs)
            self.nlp.get_pipe("lemmatizer").keep_only(words)

    def __call__(self, doc: Doc) -> Doc:
        matches = self.matcher(doc)
        if self.lemma_matcher is not None:
            by_lemma = self.lemma_matcher(doc)  # mostly none, or the same as by form
            if by_lemma and not set(by_lemma).issubset(matches):
                matches = sorted(set(matches).union(by_lemma),
                                 key=lambda m: (m[1], m[2], m[0]))
        spans = [Span(doc, s, e, label=m) for m, s, e in matches]
        doc.spans[HITS_KEY] = SpanGroup(doc, name=HITS_KEY, spans=spans)
        return doc


# Escapes whose meaning does not depend on letter case (classes, anchors, punctuation).
_CASELESS_ESCAPE_RE = re.compile(r"\\[dDsSwWbBAZ]|\\[^\w]")


def _case_flags(pattern: str) -> int:
    """re.IGNORECASE, unless the pattern has no letters for it to act on (it is then slower
    for nothing): digits, classes and punctuation only, and no other escapes."""
    rest = _CASELESS_ESCAPE_RE.sub("", pattern)
    if "\\" in rest or any(ch.lower() != ch.upper() for ch in rest):
        return re.IGNORECASE
    return 0


_LOOKBEHIND_RE = re.compile(r"\(\?<[!=](?:[^()\\\[]|\\.|\[(?:[^\]\\]|\\.)*\])*\)")
_OPTIONAL_QUANTIFIER_RE = re.compile(r"(?:\?|\*|\{0?,\d*\})\??")


def _group_end(pattern: str, start: int) -> int | None:
    """The index after the group opening at ``pattern[start] == "("``; None if unbalanced."""
    depth, i = 0, start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i += 1
            if i < len(pattern) and pattern[i] == "^":
                i += 1
            if i < len(pattern) and pattern[i] == "]":
                i += 1
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _gate_pattern(pattern: str) -> str | None:
    """A pre-check for ``pattern`` that the regex engine can scan for quickly, or None.

    A leading look-behind, and then a leading optional group without capturing groups
    ("(?:...)?", "(?:...)*"), are cut off. Every match of the full pattern contains a match
    of what is left, so that finding nothing proves the full pattern finds nothing. The cut is
    kept only when what is left starts with a character, a character class or a choice of
    words: the engine then scans for its first character in C. A leading look-behind or
    optional group stops that scan: 2-3x slower on text with no match (most texts).
    """
    rest = pattern
    m = _LOOKBEHIND_RE.match(rest)
    if m is not None:
        rest = rest[m.end():]
    if rest.startswith("(?:"):
        end = _group_end(rest, 0)
        quantifier = _OPTIONAL_QUANTIFIER_RE.match(rest, end) if end is not None else None
        if quantifier is not None and re.search(r"\((?!\?)", rest[:end].replace("\\(", "")) \
                is None:
            rest = rest[quantifier.end():]
    if rest == pattern or not rest:
        return None
    try:
        first = _re_parser.parse(rest).data[0][0]
    except (re.error, IndexError):
        return None
    allowed = (_re_constants.LITERAL, _re_constants.IN, _re_constants.BRANCH)
    return rest if first in allowed else None


class _RawRegex:
    """One catalogue regex, run the cheapest exact way.

    - A case-insensitive pattern without upper-case letters or escapes runs case-sensitively
      on the lowercased text (about 1.5x faster), unless the pattern or the text holds a
      character for which that differs (:mod:`nlp.casefold`).
    - A pattern that starts with a look-behind or an optional group is first looked for
      without them (:func:`_gate_pattern`); only a text where that finds something is
      scanned with the full pattern.
    """

    def __init__(self, pattern: str, ids: list[str]) -> None:
        flags = _case_flags(pattern)
        self.ids = ids
        self.full = re.compile(pattern, flags)
        self.lowered = None
        if flags & re.IGNORECASE and pattern_allows_lowered(pattern):
            self.lowered = re.compile(pattern)
        gate = _gate_pattern(pattern)
        self.gate = re.compile(gate, flags) if gate is not None else None
        self.lowered_gate = re.compile(gate) if gate is not None and self.lowered else None

    def finditer(self, text: str, low: str | None) -> Any:
        if self.lowered is not None and low is not None:
            if self.lowered_gate is not None and self.lowered_gate.search(low) is None:
                return ()
            return self.lowered.finditer(low)
        if self.gate is not None and self.gate.search(text) is None:
            return ()
        return self.full.finditer(text)


class RawPatternScanner(_DataComponent):
    keys = ("regex", "emoji")

    def set_data(self, data: dict[str, Any]) -> None:
        self.data = data
        by_pattern: dict[str, list[str]] = {}
        for ind_id, rxs in data["regex"].items():
            for rx in rxs:
                by_pattern.setdefault(rx, []).append(ind_id)
        self.regexes = [_RawRegex(rx, ids) for rx, ids in by_pattern.items()]
        self.emoji = [(ind_id, e) for ind_id, es in data["emoji"].items() for e in es if e]

    def scan(self, text: str) -> list[tuple[str, int, int]]:
        text = text[:MAX_REGEX_CHARS]
        return self._scan(text, lowered(text))

    def _scan(self, text: str, low: str | None) -> list[tuple[str, int, int]]:
        """Hits in ``text`` (already cut), given ``low = lowered(text)``."""
        hits = []
        for rx in self.regexes:
            for m in rx.finditer(text, low):
                if m.end() > m.start():
                    hits.extend((ind_id, m.start(), m.end()) for ind_id in rx.ids)
        ascii_text = text.isascii()
        for ind_id, symbol in self.emoji:
            if ascii_text and not symbol.isascii():
                continue
            start = text.find(symbol)
            while start != -1:
                hits.append((ind_id, start, start + len(symbol)))
                start = text.find(symbol, start + len(symbol))
        return hits

    def __call__(self, doc: Doc) -> Doc:
        original = doc.user_data.get(ORIGINAL_KEY)  # not get(key, doc.text): that builds
        text = (doc.text if original is None else original)[:MAX_REGEX_CHARS]
        low = lowered(text)
        if low is not None:
            doc.user_data[LOWERED_KEY] = low
        doc.user_data[RAW_HITS_KEY] = self._scan(text, low)
        return doc


class CounterFilter(_DataComponent):
    keys = ("counter",)

    def set_data(self, data: dict[str, Any]) -> None:
        self.data = data
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        for ind_id, phrases in data["counter"].items():
            self.matcher.add(ind_id, list(self.nlp.tokenizer.pipe(phrases)))

    def __call__(self, doc: Doc) -> Doc:
        counter = self.data["counter"]
        if not counter:
            return doc
        hits = doc.spans.get(HITS_KEY, [])
        raw = doc.user_data.get(RAW_HITS_KEY, [])
        if not any(s.label_ in counter for s in hits) and not any(h[0] in counter for h in raw):
            return doc  # no hit of an indicator with counter-patterns: nothing to cancel
        cancelled = frozenset(doc.vocab.strings[m] for m, _s, _e in self.matcher(doc))
        if cancelled:
            doc.spans[HITS_KEY] = SpanGroup(
                doc, name=HITS_KEY, spans=[s for s in hits if s.label_ not in cancelled]
            )
            doc.user_data[RAW_HITS_KEY] = [h for h in raw if h[0] not in cancelled]
            doc.user_data[CANCELLED_KEY] = cancelled
        return doc


class Extractor:
    """Identifiers and facts, with spans into the original listing."""

    def __init__(self, nlp: Language, name: str, region: str) -> None:
        self.region = region

    def __call__(self, doc: Doc) -> Doc:
        original = doc.user_data.get(ORIGINAL_KEY)
        if original is None:
            original = doc.text
        doc.user_data[EXTRACTED_KEY] = extract(
            original, region=self.region, normalised=doc.user_data.get(NORMALISED_KEY),
            lowered=doc.user_data.get(LOWERED_KEY),
        )
        return doc

    pipe = _DataComponent.pipe


@Language.factory("thbscan_indicator_ruler_v1")
def make_indicator_ruler(nlp: Language, name: str) -> IndicatorRuler:
    return IndicatorRuler(nlp, name)


@Language.factory("thbscan_raw_patterns_v1")
def make_raw_patterns(nlp: Language, name: str) -> RawPatternScanner:
    return RawPatternScanner(nlp, name)


@Language.factory("thbscan_counter_filter_v1")
def make_counter_filter(nlp: Language, name: str) -> CounterFilter:
    return CounterFilter(nlp, name)


@Language.factory("thbscan_extractor_v1", default_config={"region": "DK"})
def make_extractor(nlp: Language, name: str, region: str) -> Extractor:
    return Extractor(nlp, name, region)


def _drop_whitespace_special_cases(nlp: Language) -> None:
    """Remove the tokenizer's special cases for whitespace ("\\n", "\\t", " ", NBSP).

    They give the same single token as ordinary tokenization, but spaCy stops caching
    tokens for the rest of a doc once any special case has matched. Normalised listings
    keep one "\\n" between paragraphs, so every doc lost the cache after its title and
    tokenized 4-6 times slower.
    """
    rules = nlp.tokenizer.rules or {}
    kept = {key: value for key, value in rules.items() if not key.isspace()}
    if len(kept) != len(rules):
        nlp.tokenizer.rules = kept


TOKENIZER_CACHE_CHUNKS = 200_000  # spaCy's default, 10,000, fills within a few hundred listings


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching exactly ``words``, factored by common prefixes (a plain alternation
    of a thousand words tries each in turn)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        optional = "" in node
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if optional:
            return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else body + "?"
        return body

    return pattern(trie)


def _top_level_alternatives(pattern: str) -> list[str]:
    """``pattern`` split at its top-level "|" (outside groups and character classes)."""
    alternatives, current = [], []
    depth, in_class, escaped = 0, False, False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            alternatives.append("".join(current))
            current = []
            continue
        current.append(ch)
    alternatives.append("".join(current))
    return alternatives


_MAX_CLASS_CHARS = 5_000


def _last_chars(items: Any) -> frozenset[str] | None:
    """The characters a match of the parsed pattern ``items`` can end with (zero-width
    assertions at the end skipped); None when that is not known or not small."""
    for op, arg in reversed(list(items)):
        if op in (_re_constants.AT, _re_constants.ASSERT, _re_constants.ASSERT_NOT):
            continue  # zero width: the character before decides
        if op == _re_constants.LITERAL:
            return frozenset(chr(arg))
        if op == _re_constants.IN:
            chars: set[str] = set()
            for kind, value in arg:
                if kind == _re_constants.LITERAL:
                    chars.add(chr(value))
                elif kind == _re_constants.RANGE and value[1] - value[0] < _MAX_CLASS_CHARS:
                    chars.update(map(chr, range(value[0], value[1] + 1)))
                else:
                    return None  # NEGATE, CATEGORY, large ranges
            return frozenset(chars)
        if op == _re_constants.BRANCH:
            found = [_last_chars(branch) for branch in arg[1]]
            return None if any(f is None for f in found) else frozenset().union(*found)
        if op == _re_constants.SUBPATTERN and not arg[1] and not arg[2]:
            return _last_chars(arg[3])
        if op in (_re_constants.MAX_REPEAT, _re_constants.MIN_REPEAT) and arg[0] >= 1:
            return _last_chars(arg[2])
        return None
    return None


class TailSuffixSearch:
    """A tokenizer's ``suffix_search`` (``re.compile("a$|b$|...").search``) that tries only
    the suffixes that can end with the string's last character.

    spaCy's suffix regex is an alternation of about eighty suffixes, each anchored at the
    end, and ``search`` tries all of them at every position of the string: about 7 µs a
    call, a fifth of a listing's tokenizing. The tokenizer uses only where the match starts
    (the suffix's length): the leftmost start over all alternatives, which an alternation of
    just the alternatives that can end with the last character finds as well (those whose
    last character is not known are in every group). A string ending in "\\n" (where "$"
    also matches before it) gets the plain search. Serialised as the original pattern
    (``__self__``, which spaCy reads): a saved pipeline loads the plain one.
    """

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.__self__ = regex
        self.plain = regex.search
        by_char: dict[str, list[str]] = {}
        anywhere: list[str] = []
        for alternative in _top_level_alternatives(regex.pattern):
            chars = _last_chars(_re_parser.parse(alternative, regex.flags))
            if chars is None:
                anywhere.append(alternative)
            else:
                for ch in chars:
                    by_char.setdefault(ch, []).append(alternative)

        def search(alternatives: list[str]) -> Any:
            return re.compile("|".join(alternatives), regex.flags).search

        self.other = search(anywhere) if anywhere else None
        groups: dict[tuple[str, ...], Any] = {}
        self.by_char = {}
        for ch, alternatives in by_char.items():
            key = tuple(alternatives)
            if key not in groups:  # a range of characters shares one group
                groups[key] = search(alternatives + anywhere)
            self.by_char[ch] = groups[key]

    def __call__(self, text: str) -> re.Match[str] | None:
        if not text or text[-1] == "\n":
            return self.plain(text)
        search = self.by_char.get(text[-1], self.other)
        return None if search is None else search(text)


def _fast_suffix_search(nlp: Language) -> None:
    """Give the tokenizer a :class:`TailSuffixSearch` for its suffix regex, unless the regex
    is one the grouping by last character cannot take: case-insensitive, or with references
    between groups (split into alternatives, their numbers would change)."""
    search = nlp.tokenizer.suffix_search
    regex = getattr(search, "__self__", None)
    if isinstance(regex, re.Pattern) and getattr(search, "__name__", "") == "search" \
            and not regex.flags & re.IGNORECASE \
            and "\\" + "1" not in regex.pattern and "(?P=" not in regex.pattern:
        nlp.tokenizer.suffix_search = TailSuffixSearch(regex)


def _special_cases_as_token_match(nlp: Language) -> None:
    """Keep the tokenizer's one-token special cases ("kr.", "kl.", "A/S", "лв.") whole
    through ``token_match`` instead of as special cases, so that they no longer stop spaCy
    from caching.

    spaCy stops caching the tokenization of chunks for the rest of a doc once a special case
    has matched in it (one flag per call). "kr." is in most Danish listings, "лв." in many
    Bulgarian ones: their later words were tokenized afresh every time (12,000 Danish listings
    tokenized 1.4x slower on a first pass, 2.3x on a second). A
    chunk that is exactly such a string gives the same one token either way. Only the rules
    that give one token with no attribute but its text are moved, and rules with a ``NORM``
    too where nothing reads ``NORM`` (no lookup lemmas). The one difference: a special case
    right after a prefix and ending in a suffix character ("(kr.") is now split like any
    other word ("(", "kr", ".").
    """
    if nlp.tokenizer.token_match is not None:
        return  # a language's own token_match: leave its tokenizer as it is
    allowed = {ORTH} if "lemmatizer" in nlp.pipe_names else {ORTH, NORM}
    rules = nlp.tokenizer.rules or {}
    moved = {key for key, value in rules.items()
             if len(value) == 1 and value[0].get(ORTH) == key
             and set(value[0]) <= allowed and not any(ch.isspace() for ch in key)}
    if moved:
        nlp.tokenizer.rules = {k: v for k, v in rules.items() if k not in moved}
        nlp.tokenizer.token_match = re.compile(f"(?:{_trie_pattern(moved)})\\Z").match


class LemmaNorms(Lemmatizer):
    """spaCy's lookup lemmatizer, applied once per word instead of once per token.

    Each word's lowercase lookup lemma (spacy-lookups-data's ``lemma_lookup`` table,
    looked up by the lowercase form and given in lowercase, as matching is
    case-insensitive) is written into the vocabulary as the word's ``NORM`` when spaCy
    first meets the word, and into the words the vocabulary already holds when the
    tables are loaded (``initialize``, ``from_disk``, ``from_bytes``, all of which
    serialise the tables with the pipeline). The indicator ruler's second PhraseMatcher
    compares ``NORM``, so "Vi beholdt dit pas" finds the phrase "vi beholder dit pas".

    Nothing is done per doc: spaCy's per-token loop cost about 1.2 µs a token (more than
    the tokenizer), a per-doc pass about 20 µs a listing; a lemma per word costs one table
    lookup when the word is new. Tokens of the tokenizer's special cases keep the norm the
    special case gives ("n't" -> "not"), in phrases and listings alike. ``token.lemma_``
    is left unset; the lemma of a token is ``token.norm_``.
    """

    pruned = True  # tables from disk may have been cut down by keep_only

    def lemma_of(self, text: str) -> str:
        """The lowercase lookup lemma of ``text`` (``text`` lowercased if not listed)."""
        table = self.lookups.get_table("lemma_lookup", {})
        lower = text.lower()
        result = table.get(lower, lower)
        return result.lower() if isinstance(result, str) else result[0].lower()

    def keep_only(self, words: Iterable[str]) -> None:
        """Keep only the table entries that can decide a match with ``words`` (the words
        of the phrase lists): those whose lemma is the lemma of one of ``words``, and those
        of a form that is such a lemma. A dropped form gets its lowercase form as its NORM
        instead of its lemma: neither is the lemma of a phrase word, so the lemma matcher
        finds exactly what it finds with the whole table. The tables of da, ro and es hold
        300,000-550,000 forms each: this keeps a few thousand (the whole tables cost about
        300 MB)."""
        words = set(words)
        if not words:
            return  # nothing to match yet (a ruler created empty, before initialize)
        if self.pruned:  # the lemmas of words not seen before need every form
            try:
                full = load_lookups(self.vocab.lang, ["lemma_lookup"])
                self.lookups.set_table("lemma_lookup", full.get_table("lemma_lookup"))
            except Exception as exc:  # tables not installed: prune what we have
                logger.info("no full lemma table for %s (%s)", self.vocab.lang, exc)
        table = self.lookups.get_table("lemma_lookup", {})
        lemmas = {self.lemma_of(word) for word in words}
        forms = {get_string_id(lemma) for lemma in lemmas}
        kept = Table(name="lemma_lookup")
        for key, value in table.items():
            lemma = value if isinstance(value, str) else value[0]
            if key in forms or lemma.lower() in lemmas:
                kept.set(key, value)
        self.lookups.set_table("lemma_lookup", kept)
        self.pruned = True

    def install(self) -> None:
        """Make ``NORM`` the lemma, for the words to come and the words already known."""
        self.vocab.lex_attr_getters = {**self.vocab.lex_attr_getters, NORM: self.lemma_of}
        for lexeme in self.vocab:
            lexeme.norm_ = self.lemma_of(lexeme.orth_)

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.pruned = False  # whole tables: keep_only can prune them at once
        self.install()

    def from_disk(self, *args: Any, **kwargs: Any) -> LemmaNorms:
        super().from_disk(*args, **kwargs)
        self.install()
        return self

    def from_bytes(self, *args: Any, **kwargs: Any) -> LemmaNorms:
        super().from_bytes(*args, **kwargs)
        self.install()
        return self

    def __call__(self, doc: Doc) -> Doc:
        return doc  # the lemmas are in the vocabulary (NORM): nothing to do per doc


@Language.factory("thbscan_lemma_norms_v1", default_config={"mode": "lookup",
                                                           "overwrite": False})
def make_lemma_norms(nlp: Language, name: str, mode: str, overwrite: bool) -> LemmaNorms:
    return LemmaNorms(nlp.vocab, None, name, mode=mode, overwrite=overwrite)


def _drop_unread_lexeme_attrs(nlp: Language) -> None:
    """Compute for each new word only the lexical attributes the pipelines read.

    spaCy computes about twenty attributes for each new word it meets (names, addresses,
    prices: about two per listing), each in Python: 12 µs a word, 6 without them. The
    pipelines read ``ORTH`` and ``LOWER`` (matchers, text-model features) and ``NORM`` (lemma
    matching), and ``LANG``; on these pipelines ``token.is_punct``, ``is_alpha``,
    ``like_num``, ``shape_``, ``prefix_`` and the other lexical attributes of a word are
    left at their empty defaults.
    """
    getters = nlp.vocab.lex_attr_getters
    nlp.vocab.lex_attr_getters = {
        attr: getter for attr, getter in getters.items() if attr in READ_LEXEME_ATTRS
    }


def blank(lang: str, *, lemmas: bool = False) -> Language:
    """A blank pipeline for ``lang``; with ``lemmas`` the lookup lemmas (as each word's
    NORM, :class:`LemmaNorms`) where spacy-lookups-data has tables."""
    nlp = spacy.blank(lang if lang in SPACY_LANGS else "xx")
    nlp.tokenizer.max_cache_size = TOKENIZER_CACHE_CHUNKS
    _drop_unread_lexeme_attrs(nlp)
    _drop_whitespace_special_cases(nlp)
    if lemmas and lang in LEMMA_LANGS:
        try:
            nlp.add_pipe("thbscan_lemma_norms_v1", name="lemmatizer").initialize()
        except Exception as exc:  # tables missing: continue without lemmas
            logger.info("no lookup lemmatizer for %s (%s); continuing without", lang, exc)
            if "lemmatizer" in nlp.pipe_names:
                nlp.remove_pipe("lemmatizer")
    _special_cases_as_token_match(nlp)
    _fast_suffix_search(nlp)
    return nlp


def build_pipeline(lang: str, catalogue: Catalogue, *, lemmas: bool = False,
                   region: str = "DK") -> Language:
    """The scoring pipeline for one language, initialised from ``catalogue``."""
    nlp = blank(lang, lemmas=lemmas)
    patterns = catalogue_patterns(catalogue)
    for name in COMPONENTS:
        config = {"region": region} if name == "thbscan_extractor_v1" else {}
        pipe = nlp.add_pipe(name, config=config)
        if hasattr(pipe, "initialize"):
            pipe.initialize(lambda: [], nlp=nlp, patterns=patterns)
    nlp.meta["thbscan"] = {"list_versions": patterns["versions"],
                           "fingerprint": patterns["fingerprint"]}
    return nlp
