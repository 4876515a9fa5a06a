"""Compile a catalogue into the plain data the matcher runs on.

Lexicon terms are written as base forms; compiling expands each into its inflected forms
with simplemma's dictionaries (which ship inside the package, for every supported language),
so that matching needs no lemmatiser: "gebyr" also finds "gebyret", "gebyrerne"; "такса"
finds "таксата", "такси". Term syntax in a lexicon:

- ``word``: the word and its inflected forms;
- ``=word``: exactly this form;
- ``stem*``: any word starting with ``stem`` (at least 3 letters);
- ``*part*``: any word containing ``part`` (at least 4 letters; for compounds);
- ``two words``: a phrase, each word with its inflected forms (``=`` fixes one);
- a symbol or emoji: itself;
- ``!term``: an exception: where it matches, the concept does not ("!keep a copy of your
  passport" in KEEP).

Matching is on folded keys (lowercase, accents stripped): "taxa" finds "taxă".
Compiled catalogues are cached on disk by their content hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import defaultdict
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from .matcher.tokens import fold, tokenize
from .model import Catalogue, Indicator

__all__ = ["COMPILED_FORMAT", "compile_catalogue", "expand_term", "inflections"]

logger = logging.getLogger(__name__)
COMPILED_FORMAT = "thbscan-matcher/1"
MIN_PREFIX = 3
MIN_INFIX = 4
_CACHE_VERSION = "3"


_cache: dict[str, Path | None] = {"dir": None}  # set_cache_dir; None: the user's cache


def set_cache_dir(directory: Path | None) -> None:
    """Where compiled catalogues are cached (the composition root passes its setting);
    None: ``thbscan`` in the user's cache directory."""
    _cache["dir"] = directory


def _cache_dir() -> Path:
    if _cache["dir"] is not None:
        return _cache["dir"]
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "thbscan")


@lru_cache(maxsize=16)
def _dictionary(lang: str) -> Mapping[str, str] | None:
    try:
        from simplemma.strategies.dictionaries import DefaultDictionaryFactory
    except ImportError:  # pragma: no cover - simplemma is a dependency of thbscan
        logger.warning("simplemma is not installed: lexicon terms match only as written")
        return None
    try:
        return DefaultDictionaryFactory().get_dictionary(lang)
    except (ValueError, KeyError, OSError):
        return None


def _simplemma_version() -> str:
    try:
        from importlib.metadata import version

        return version("simplemma")
    except Exception:  # pragma: no cover
        return "none"


def _raw_items(table: Any) -> Any:
    """The dictionary's (form, lemma) pairs, undecoded where simplemma stores bytes: a
    lookup per key would decode the whole table twice (tens of seconds per language)."""
    raw = getattr(table, "_dict", None)
    return raw.items() if isinstance(raw, dict) else table.items()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


@lru_cache(maxsize=16)
def _folded_lemmas(lang: str) -> dict[Any, str]:
    """Each lemma of the dictionary (as stored) folded; lemmas are far fewer than forms."""
    table = _dictionary(lang) or {}
    out: dict[Any, str] = {}
    for _form, lemma in _raw_items(table):
        if lemma not in out:
            out[lemma] = fold(_text(lemma))
    return out


class _Inflector:
    """Inverse lookups in simplemma's dictionary of one language: lemma -> forms."""

    def __init__(self, lang: str, words: set[str]) -> None:
        self.forms: dict[str, set[str]] = defaultdict(set)
        table = _dictionary(lang)
        if not table:
            self.lemma_of: dict[str, str] = {}
            return
        self.lemma_of = {w: fold(table.get(w, table.get(w.lower(), w))) for w in words}
        lemmas = set(self.lemma_of.values()) | {fold(w) for w in words}
        folded_lemma = _folded_lemmas(lang)
        for form, lemma in _raw_items(table):
            folded = folded_lemma[lemma]
            if folded in lemmas:
                self.forms[folded].add(fold(_text(form)))

    def expand(self, word: str) -> set[str]:
        key = fold(word)
        lemma = self.lemma_of.get(word, key)
        out = {key}
        # a form belongs when it shares the lemma and its first two letters (guards
        # against a wrong lemma pulling in unrelated words)
        for lem in {lemma, key}:
            out.update(f for f in self.forms.get(lem, ()) if f[:2] == key[:2])
        return out


def inflections(word: str, lang: str) -> set[str]:
    """The folded forms of ``word`` in ``lang`` (the word itself included)."""
    return _Inflector(lang, {word}).expand(word)


def _words_of(term: str) -> list[str]:
    return [t.text for t in tokenize(term) if t.is_word]


def expand_term(term: str, inflector: _Inflector | None) -> dict[str, Any]:
    """One lexicon term as ``{"kind": word|prefix|infix|phrase, ...}`` (``!``, which marks
    an exception, is handled by the caller)."""
    term = term.strip().lstrip("!").strip()
    if term.startswith("*") and term.endswith("*") and len(term) > 2:
        return {"kind": "infix", "key": fold(term[1:-1])}
    if term.endswith("*") and len(term) > 1 and " " not in term:
        return {"kind": "prefix", "key": fold(term[:-1])}
    parts = []
    for raw in term.split():
        exact = raw.startswith("=")
        raw = raw[1:] if exact else raw
        words = _words_of(raw) or [raw]
        for w in words:
            if not w[0].isalnum():
                parts.append({w})
            elif exact or inflector is None:
                parts.append({fold(w)})
            else:
                parts.append(inflector.expand(w))
    if len(parts) == 1:
        return {"kind": "word", "keys": parts[0]}
    return {"kind": "phrase", "parts": parts}


# Spellings a lexicon's terms are also matched in: Danish typed on a keyboard without æ, ø
# and å ("soeger", "maend", "paa"; "ø" as a plain "o" is left out: "før" would be "for",
# "bør" "bor"); Bulgarian written in Latin letters by ear, where "ъ" is "a" ("vrashtash"
# reads back as "вращаш" for "връщаш"; see matcher/translit.py).
_VARIANTS = {
    "da": str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"}),
    "bg": str.maketrans({"ъ": "а"}),
}


def _variant(entry: dict[str, Any], table: dict[int, str]) -> dict[str, Any] | None:
    """A term's entry with every key spelt by ``table``; None when no key changes."""
    if entry["kind"] == "word":
        keys = {k.translate(table) for k in entry["keys"]}
        return {**entry, "keys": keys} if keys != entry["keys"] else None
    if entry["kind"] == "phrase":
        parts = [p | {k.translate(table) for k in p} for p in entry["parts"]]
        return {**entry, "parts": parts} if parts != entry["parts"] else None
    key = entry["key"].translate(table)
    return {**entry, "key": key} if key != entry["key"] else None


def _term_words(terms: list[str]) -> set[str]:
    words: set[str] = set()
    for term in terms:
        term = term.lstrip("!")
        if term.startswith("*") or term.endswith("*"):
            continue
        for raw in term.split():
            if not raw.startswith("="):
                words.update(w for w in _words_of(raw) if w[0].isalpha())
    return words


class _LexiconBuilder:
    def __init__(self) -> None:
        self.words: dict[str, set[str]] = defaultdict(set)
        self.phrases: dict[str, list[tuple[str, list[list[str]]]]] = defaultdict(list)
        self.prefixes: dict[str, set[str]] = defaultdict(set)
        self.infixes: dict[str, set[str]] = defaultdict(set)
        self.numbers: dict[str, str] = {}

    def add(self, concept: str, entry: dict[str, Any]) -> None:
        kind = entry["kind"]
        if kind == "word":
            for key in entry["keys"]:
                self.words[key].add(concept)
        elif kind == "prefix":
            self.prefixes[entry["key"]].add(concept)
        elif kind == "infix":
            self.infixes[entry["key"]].add(concept)
        else:
            first, *rest = entry["parts"]
            for key in first:
                self.phrases[key].append((concept, [sorted(p) for p in rest]))

    def data(self) -> dict[str, Any]:
        return {
            "words": {k: sorted(v) for k, v in sorted(self.words.items())},
            "phrases": {k: v for k, v in sorted(self.phrases.items())},
            "prefixes": {k: sorted(v) for k, v in sorted(self.prefixes.items())},
            "infixes": {k: sorted(v) for k, v in sorted(self.infixes.items())},
            "numbers": dict(sorted(self.numbers.items())),
        }


def _pattern_concepts(
    ind: Indicator, builders: dict[str, _LexiconBuilder], regexes: list[list[str]]
) -> tuple[Any, Any]:
    """An indicator written with phrase patterns: its patterns become a concept of its own,
    its counter-patterns another that cancels it anywhere in the listing."""
    concept, counter = f"@{ind.id}", f"@{ind.id}!counter"
    for lang, pats in ind.patterns.items():
        builder = builders[lang]
        for phrase in pats.phrases:
            builder.add(concept, expand_term(phrase, None))
        for symbol in pats.emoji:
            builders["*"].add(concept, {"kind": "word", "keys": {symbol}})
        regexes.extend([concept, rx] for rx in pats.regex)
    for lang, phrases in ind.counter_patterns.items():
        for phrase in phrases:
            builders[lang].add(counter, expand_term(phrase, None))
    return concept, (counter if ind.counter_patterns else None)


def compile_catalogue(
    catalogue: Catalogue,
    *,
    evidence_scale: float = 3.0,
    threshold: float = 0.5,
    bands: dict[str, float] | None = None,
    cache: bool = True,
) -> dict[str, Any]:
    """The matcher's data for ``catalogue`` (cached on disk by content), with the scoring
    parameters the reference matcher needs to flag as thbscan does."""
    bands = dict(bands or {"medium": 0.3, "high": 0.5, "urgent": 0.8})
    key = hashlib.sha256(
        json.dumps(
            [
                _CACHE_VERSION,
                _simplemma_version(),
                evidence_scale,
                threshold,
                bands,
                [lst.to_dict() for lst in catalogue.lists],
            ],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        ).encode()
    ).hexdigest()[:20]
    path = _cache_dir() / f"compiled-{key}.json"
    if cache:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    compiled = _compile(catalogue, evidence_scale)
    compiled.update(threshold=threshold, bands=bands)
    if cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(compiled, ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:  # a read-only home: compile each time
            logger.info("cannot cache the compiled catalogue at %s: %s", path, exc)
    return compiled


def _compile(catalogue: Catalogue, evidence_scale: float) -> dict[str, Any]:
    builders: dict[str, _LexiconBuilder] = defaultdict(_LexiconBuilder)
    builders["*"] = _LexiconBuilder()
    for lang, lst in sorted(catalogue.lexicons().items()):
        lexicon = lst.sections.get("lexicon", {})
        words = set()
        for entry in lexicon.values():
            words |= _term_words(entry["terms"])
        inflector = _Inflector(lang, words)
        builder = builders[lang]
        for concept, entry in sorted(lexicon.items()):
            for term in entry["terms"]:
                # "!phrase": an exception; where it matches, the concept does not
                name = f"!{concept}" if term.startswith("!") else concept
                expanded = expand_term(term, inflector)
                builder.add(name, expanded)
                variant = _variant(expanded, _VARIANTS[lang]) if lang in _VARIANTS else None
                if variant is not None:
                    builder.add(name, variant)
        builder.numbers.update(
            {fold(k): str(v) for k, v in lst.sections.get("numbers", {}).items()}
        )
    regexes: list[list[str]] = []
    indicators = []
    for ind in catalogue.indicators():
        if ind.signal != "text":
            continue
        match, unless, scope = ind.match, ind.unless, ind.unless_scope
        if match is None:
            match, counter = _pattern_concepts(ind, builders, regexes)
            if counter is not None and unless is None:
                unless, scope = counter, "listing"
        indicators.append(
            {
                "id": ind.id,
                "category": ind.category,
                "grade": ind.grade,
                "weight": ind.weight,
                "title": ind.title,
                "combination_only": ind.combination_only,
                "match": match,
                **({"unless": unless, "unless_scope": scope} if unless is not None else {}),
                **({"requires": ind.requires} if ind.requires is not None else {}),
                **({"kinds": list(ind.kinds)} if ind.kinds else {}),
                **({"not_kinds": list(ind.not_kinds)} if ind.not_kinds else {}),
            }
        )
    concepts = {
        name: {"roles": spec.get("roles", {})}
        for name, spec in sorted(catalogue.section("concepts").items())
    }
    kinds: dict[str, Any] = dict(catalogue.section("kinds"))
    default = catalogue.section("kind_default")
    kinds["default"] = default or "classified"
    min_score = catalogue.section("kind_min_score")
    kinds["min_score"] = min_score if isinstance(min_score, float | int) and min_score else 1.0
    return {
        "format": COMPILED_FORMAT,
        "versions": catalogue.versions(),
        "fingerprint": catalogue.fingerprint(),
        "evidence_scale": evidence_scale,
        "concepts": concepts,
        "lexicons": {lang: b.data() for lang, b in sorted(builders.items())},
        "regexes": regexes,
        "kinds": kinds,
        "pay_floors": catalogue.section("pay_floors"),
        "pay_ceilings": catalogue.section("pay_ceilings"),
        "indicators": indicators,
        "rules": [
            {
                "id": r.id,
                "category": r.category,
                "description": r.description,
                "all_of": list(r.all_of),
                "any_of": list(r.any_of),
                "min": r.min_any,
                "weight": r.weight,
            }
            for r in catalogue.rules()
        ],
    }
