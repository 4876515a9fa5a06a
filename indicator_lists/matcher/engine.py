"""Find concepts in a listing and evaluate the catalogue's indicators over them.

The engine reads a *compiled catalogue* (plain JSON, made by ``indicator_lists.compile``):
per language a lexicon (word forms, phrases, stems), the concepts' roles (negation, units,
currencies, contact words), how listing kinds are recognised, the indicators as expressions
over concepts, and the combination rules. It needs nothing beyond Python's standard library,
so partners run the very code thbscan runs.

Expressions (JSON):

- ``"FEE"``: an occurrence of the concept FEE;
- ``{"all": [e, ...], "within": 8, "scope": "sentence"}``: one match of each, at most
  ``within`` words apart, in one sentence (``scope`` ``clause`` or ``listing`` also);
  ``"ordered": true`` keeps the order;
- ``{"any": [e, ...]}``: any of them;
- ``{"quantity": "hours_per_week", "min": 60}``: a stated quantity (``min``, ``max``,
  ``below_floor``/``above_ceiling`` against the catalogue's pay floors per currency);
- ``{"detector": "obfuscated_phone"}``: a phone number written to be hard to find;
- ``{"at_least": 2, "of": e}``: at least that many separate matches of ``e``.

A match is cancelled when a negation ("no", "ingen", "не") stands in its clause just before
it or inside it ("no fees", "we never keep your passport"), unless the expression asks for
the negation itself (``{"all": ["NEG", "DAY_OFF"]}`` for "no days off").
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise
from types import MappingProxyType
from typing import Any

from .language import SUPPORTED, LanguageGuess, identify
from .normalise import Normalised, normalise
from .quantities import Quantity, find_quantities, obfuscated_phones
from .tokens import Token, tokenize

__all__ = ["FORMS", "MAX_CHARS", "Analysis", "Engine", "Hit", "band_of", "combine", "score_of"]

FORMS = ("sexual_exploitation", "forced_labour", "forced_criminality", "slavery_like_practices")
YOUTH = "possible_minor"
_KIND_ORDER = {"escort": 0, "job": 1, "social": 2, "classified": 3}  # ties between kinds
_NO_CONCEPTS: frozenset[str] = frozenset()
_NO_ROLE: Mapping[str, str] = MappingProxyType({})  # shared by tokens with no role
MAX_CHARS = 20_000  # text-length cap before matching (R13)
MAX_TITLE = 1_000
DEFAULT_WITHIN = 8
NEG_BEFORE = 3  # words before a match that a negation reaches
MAX_SPACED = 30  # letters of a letter-spaced word ("f e e"), at most
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s"})
_SPACED_GAPS = frozenset({" ", ".", "-", "_", "*", ". ", " . ", " - "})
_LEET_CHARS = frozenset("013457@$")
_LATIN_TO_CYRILLIC = str.maketrans("aeiopcxy", "аеіорсху")
_CACHE_LIMIT = 100_000
_VIEW_CACHE_LIMIT = 20_000  # per set of languages, of which a long run meets dozens


@dataclass(frozen=True, slots=True)
class Hit:
    """An indicator (or rule) that fired, with the text that made it fire."""

    id: str
    category: str
    weight: float
    grade: str
    title: str
    spans: tuple[tuple[str, int, int, str], ...] = ()  # (field, start, end, text)
    counted: bool = True  # False: shown, but its weight does not count
    pieces: tuple[tuple[int, int], ...] = ()  # the same text in normalised offsets


@dataclass(frozen=True, slots=True)
class Analysis:
    language: LanguageGuess
    kind: str
    hits: tuple[Hit, ...]
    rules: tuple[Hit, ...]
    evidence: float  # 0..1, from the counted weights
    total: float  # the counted weights' sum
    categories: tuple[str, ...]
    possible_minor: bool
    normalised: Normalised = field(repr=False)
    tokens: list[Token] = field(repr=False, default_factory=list)
    quantities: tuple[Quantity, ...] = field(repr=False, default=())


def _hit_dict(hit: Hit) -> dict[str, Any]:
    return {"id": hit.id, "category": hit.category, "weight": hit.weight, "grade": hit.grade,
            "title": hit.title,
            "spans": [{"field": f, "start": s, "end": e, "text": t} for f, s, e, t in hit.spans]}


# A match: the token ranges that make it, and whether it holds a negation it asked for.
# (Never changed once made; not frozen, which would make it slower to create.)
@dataclass(slots=True)
class _Match:
    first: int
    last: int
    pieces: tuple[tuple[int, int], ...]
    negation: bool = False


class _Lexicon:
    """The lexicon of one language (or of symbols), with a cache of looked-up keys."""

    def __init__(self, parts: list[dict[str, Any]]) -> None:
        self.words: dict[str, set[str]] = defaultdict(set)
        # phrases by their first and second word: {first: {second: [(concept, rest)]}}
        self.phrases: dict[str, dict[str, list[tuple[str, tuple[frozenset[str], ...]]]]] = \
            defaultdict(lambda: defaultdict(list))
        prefixes: dict[str, set[str]] = defaultdict(set)
        infixes: dict[str, set[str]] = defaultdict(set)
        self.numbers: dict[str, str] = {}
        for part in parts:
            for key, concepts in part.get("words", {}).items():
                self.words[key].update(concepts)
            for first, entries in part.get("phrases", {}).items():
                for concept, rest in entries:
                    later = tuple(frozenset(r) for r in rest[1:])
                    for second in rest[0]:
                        self.phrases[first][second].append((concept, later))
            for key, concepts in part.get("prefixes", {}).items():
                prefixes[key].update(concepts)
            for key, concepts in part.get("infixes", {}).items():
                infixes[key].update(concepts)
            self.numbers.update(part.get("numbers", {}))
        self.prefixes = dict(prefixes)
        self.prefix_lengths = sorted({len(p) for p in prefixes}, reverse=True)
        self.infixes = dict(infixes)
        self.infix_re = re.compile("|".join(sorted(map(re.escape, infixes), key=len,
                                                   reverse=True))) if infixes else None
        self.known = frozenset(self.words) | frozenset(self.phrases)
        self.phrases = {k: dict(v) for k, v in self.phrases.items()}
        self._cache: dict[str, frozenset[str]] = {}

    def concepts(self, key: str) -> frozenset[str]:
        found = self._cache.get(key)
        if found is not None:
            return found
        out = set(self.words.get(key, ()))
        for length in self.prefix_lengths:
            if len(key) > length:
                out.update(self.prefixes.get(key[:length], ()))
        if self.infix_re is not None and self.infix_re.search(key) is not None:
            for infix, concepts in self.infixes.items():  # every one, overlapping ones too
                if infix in key:
                    out.update(concepts)
        result = frozenset(out)
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = result
        return result

    def knows(self, key: str) -> bool:
        return key in self.known or bool(self.concepts(key))


class _Lexicons:
    """The lexicons of a set of languages, looked up one after the other (each language's
    is built once; merging them per set of languages would copy them for every set)."""

    def __init__(self, parts: list[_Lexicon]) -> None:
        self.parts = parts
        self.looked_up: dict[str, tuple[frozenset[str], tuple[Any, ...]]] = {}  # by lookup
        self.numbers: dict[str, str] = {}
        for part in parts:
            self.numbers.update(part.numbers)

    def lookup(self, key: str) -> tuple[frozenset[str], tuple[Any, ...]]:
        """The concepts of a token's key and the phrases that start with it (tables by
        their second word). A symbol ("&", "€") has the concepts of its entry alone."""
        found = self.looked_up.get(key)
        if found is not None:
            return found
        concepts: frozenset[str] = _NO_CONCEPTS
        word = key[:1].isalnum()
        for part in self.parts:
            more = part.concepts(key) if word else part.words.get(key)
            if more:
                concepts = frozenset(more) if not concepts else concepts | more
        tables = tuple(by_second for part in self.parts
                       if (by_second := part.phrases.get(key)) is not None)
        if len(self.looked_up) > _VIEW_CACHE_LIMIT:
            self.looked_up.clear()
        found = self.looked_up[key] = (concepts, tables)
        return found

    def concepts(self, key: str) -> frozenset[str]:
        return self.lookup(key)[0]

    def knows(self, key: str) -> bool:
        return any(part.knows(key) for part in self.parts)


class Engine:
    """Matches listings against a compiled catalogue (see the module documentation)."""

    def __init__(self, compiled: dict[str, Any]) -> None:
        fmt = compiled.get("format")
        if fmt != "thbscan-matcher/1":
            raise ValueError(f"compiled catalogue format {fmt!r} is not 'thbscan-matcher/1'; "
                             "compile it with this version of thbscan")
        self.compiled = compiled
        self.versions: dict[str, str] = dict(compiled.get("versions", {}))
        self.fingerprint: str = compiled.get("fingerprint", "")
        self.roles: dict[str, dict[str, str]] = {
            name: dict(spec.get("roles", {})) for name, spec in compiled["concepts"].items()}
        self.negations = frozenset(n for n, r in self.roles.items() if r.get("negation"))
        self.hypotheticals = frozenset(n for n, r in self.roles.items() if r.get("hypothetical"))
        self.warnings = frozenset(n for n, r in self.roles.items() if r.get("warning"))
        self.lexicons: dict[str, dict[str, Any]] = compiled["lexicons"]
        self.regexes = [(concept, re.compile(pattern, re.IGNORECASE))
                        for concept, pattern in compiled.get("regexes", [])]
        self.kinds: dict[str, Any] = compiled["kinds"]
        self.floors: dict[str, dict[str, float]] = compiled.get("pay_floors", {})
        self.ceilings: dict[str, dict[str, float]] = compiled.get("pay_ceilings", {})
        self.indicators: list[dict[str, Any]] = compiled["indicators"]
        self._triggers = _triggers(self.indicators)
        self.rules: list[dict[str, Any]] = compiled["rules"]
        self.evidence_scale = float(compiled.get("evidence_scale", 3.0))
        self.threshold = float(compiled.get("threshold", 0.5))
        self.bands: dict[str, float] = dict(compiled.get("bands", DEFAULT_BANDS))
        self._built: dict[str, _Lexicon] = {}  # one per language
        self._merged: dict[frozenset[str], _Lexicons] = {}

    # -- public -----------------------------------------------------------------------
    def analyse(self, title: str, text: str, lang: str | None = None) -> Analysis:
        """Analyse one listing. ``lang`` overrides language identification."""
        combined, title_len = combine(title, text)
        return self.analyse_text(combined, title_len, lang)

    def analyse_text(self, combined: str, title_len: int, lang: str | None = None, *,
                     norm: Normalised | None = None,
                     tokens: list[Token] | None = None) -> Analysis:
        """Analyse ``combined`` (see :func:`combine`), given its normalisation and tokens
        when they are already made (a spaCy doc of the scorer has them)."""
        if norm is None:
            norm = normalise(combined)
        if tokens is None:
            tokens = tokenize(norm.text)
        guess = identify([t.text.lower() for t in tokens if t.is_word])
        if lang:
            guess = LanguageGuess(lang, 1.0, guess.also)
        lexicon = self._lexicon(guess)
        tokens, occurrences, roles = self._concepts(norm.text, tokens, lexicon)
        quantities = find_quantities(tokens, roles)
        for q in quantities:  # present, for the indicators' conjunctions
            occurrences.setdefault("#" + q.name, [_Match(0, 0, ())])
        for q in quantities:
            if q.name == "amount":
                occurrences["AMOUNT"].append(_Match(q.first, q.last, ((q.first, q.last),)))
        contact = [bool(r.get("contact")) for r in roles]
        for first, last in obfuscated_phones(norm.text, tokens, lexicon.numbers, contact):
            occurrences["@obfuscated_phone"].append(_Match(first, last, ((first, last),)))
        kind, kinds_seen = self._kind(tokens, occurrences)
        context = _Context(tokens, occurrences, quantities, self)
        hits = []
        present = {name for name, found in occurrences.items() if found}
        candidates = {index for name in present for names, index in self._triggers.get(name, ())
                      if names <= present}  # the others lack a concept they cannot do without
        for index in sorted(candidates):
            ind = self.indicators[index]
            matches = context.indicator_matches(ind, kind, kinds_seen)
            if matches:
                hits.append((ind, matches))
        return self._assess(guess, kind, hits, norm, combined, title_len, tokens, quantities)

    def find_concepts(self, text: str, lang: str | None = None) -> dict[str, list[str]]:
        """The concepts found in ``text`` (before negation), with the words that made
        them: what a lexicon's examples are checked against."""
        norm = normalise(text)
        tokens = tokenize(norm.text)
        guess = identify([t.text.lower() for t in tokens if t.is_word])
        lexicon = self._lexicon(guess)
        if lang:  # that language's lexicon alone
            lexicon = self._merged_lexicon(frozenset({lang, "*"}))
        tokens, occurrences, _roles = self._concepts(norm.text, tokens, lexicon)
        found: dict[str, list[str]] = {}
        for concept, matches in occurrences.items():
            for m in matches:
                start, end = norm.to_original(tokens[m.first].start, tokens[m.last].end)
                found.setdefault(concept, []).append(text[start:end])
        return found

    # -- steps ------------------------------------------------------------------------
    def _lexicon(self, guess: LanguageGuess) -> _Lexicons:
        """The lexicons for a listing: its language's, English (cue words in English count
        everywhere) and any other language with substantial evidence; for an undetermined
        language, those of every candidate, or all when there is no evidence at all."""
        if guess.lang in self.lexicons and guess.lang != "*":
            langs = {guess.lang, "en", *guess.also}
        elif guess.also:
            langs = {"en", *guess.also}
        else:
            langs = set(SUPPORTED)
        return self._merged_lexicon(
            frozenset(lang for lang in langs if lang in self.lexicons) | {"*"})

    def _merged_lexicon(self, langs: frozenset[str]) -> _Lexicons:
        view = self._merged.get(langs)
        if view is None:
            parts = []
            for lang in sorted(langs):
                if lang not in self.lexicons:
                    continue
                part = self._built.get(lang)
                if part is None:
                    part = self._built[lang] = _Lexicon([self.lexicons[lang]])
                parts.append(part)
            view = self._merged[langs] = _Lexicons(parts)
        return view

    def _concepts(self, text: str, tokens: list[Token], lexicon: _Lexicons):
        tokens = _join_spaced_letters(text, tokens, lexicon)  # a new list
        occurrences: dict[str, list[_Match]] = defaultdict(list)
        n = len(tokens)
        for i, tok in enumerate(tokens):  # leetspeak ("f33", "n0"), when the lexicon knows it
            key = tok.key
            if tok.is_word and not tok.is_number and not key.isalpha() \
                    and any(c in _LEET_CHARS for c in key) and not lexicon.knows(key):
                unleet = key.translate(_LEET)
                if any("\u0400" <= c <= "\u04ff" for c in key):  # "п@спорт" -> "паспорт"
                    unleet = unleet.translate(_LATIN_TO_CYRILLIC)
                if unleet != key and lexicon.knows(unleet):
                    tokens[i] = replace(tok, key=unleet)
        in_digit_group = _digit_groups(tokens)
        lookup, looked_up = lexicon.lookup, lexicon.looked_up
        for i, tok in enumerate(tokens):
            key = tok.key
            if in_digit_group[i]:
                continue  # "CVR 36 88 10 52", a phone number: not "10" of something
            concepts, tables = looked_up.get(key) or lookup(key)
            if concepts:
                match = _Match(i, i, ((i, i),))
                for concept in concepts:
                    occurrences[concept].append(match)
            for by_second in tables:
                j = i + 1 if i + 1 < n and not tokens[i + 1].is_word \
                    and tokens[i + 1].key in by_second else _next_word(tokens, i, n)
                if j is not None:
                    for concept, rest in by_second.get(tokens[j].key, ()):
                        last = _phrase_end(tokens, j, rest, n)
                        if last is not None:
                            occurrences[concept].append(_Match(i, last, ((i, last),)))
        for concept, rx in self.regexes:
            for m in rx.finditer(text):
                span = _token_range(tokens, m.start(), m.end())
                if span is not None:
                    occurrences[concept].append(_Match(span[0], span[1], (span,)))
        for name in [c for c in occurrences if c.startswith("!")]:  # exceptions
            covered = [(m.first, m.last) for m in occurrences.pop(name)]
            concept = name[1:]
            if concept in occurrences:
                occurrences[concept] = [m for m in occurrences[concept] if not any(
                    a <= m.first and m.last <= b for a, b in covered)]
        roles: list[Mapping[str, str]] = [_NO_ROLE] * n  # a dict only where there are roles
        for concept in sorted(occurrences):  # in a fixed order: a later role value wins
            matches = occurrences[concept]
            role = self.roles.get(concept)
            if role:
                for m in matches:
                    for k in range(m.first, m.last + 1):
                        roles[k] = {**roles[k], **role}
        for i, tok in enumerate(tokens):
            if tok.text == "+" and i + 1 < n and tokens[i + 1].is_number:
                roles[i] = {**roles[i], "contact": "plus"}
        return tokens, occurrences, roles

    def _kind(self, tokens: list[Token], occurrences: dict[str, list[_Match]]
              ) -> tuple[str, set[str] | None]:
        """The listing's kind, and the kinds its cues point to (None when no cue does: the
        kind reported is then the default and indicators are not held to their kinds)."""
        scores: dict[str, float] = {}
        for kind, spec in self.kinds.items():
            if not isinstance(spec, dict):
                continue  # "default", "min_score"
            score = 0.0
            for concept, weight in spec.get("cues", {}).items():
                count = len(occurrences.get(concept, ()))
                if count:
                    score += weight * min(count, int(spec.get("cap", 3)))
            if spec.get("hashtags"):
                score += spec["hashtags"] * min(3, sum(
                    1 for a, b in pairwise(tokens)
                    if a.text == "#" and b.start == a.end and b.is_word))
            if spec.get("questions"):
                score += spec["questions"] * min(2, sum(1 for t in tokens if t.text == "?"))
            scores[kind] = score
        minimum = float(self.kinds.get("min_score", 1.0))
        # a tie goes to the kind that asks most of the indicators (not to the data's order)
        best = max(scores.items(), key=lambda kv: (kv[1], -_KIND_ORDER.get(kv[0], 99)),
                   default=(None, 0.0))
        if best[0] is None or best[1] < minimum:
            return str(self.kinds.get("default", "classified")), None
        return best[0], {kind for kind, score in scores.items() if score >= minimum}

    def _assess(self, guess, kind, found, norm, combined, title_len, tokens, quantities):
        present = {ind["id"] for ind, _m in found}
        fired_rules = [r for r in self.rules if _rule_fires(r, present)]
        in_rules = {i for r in fired_rules for i in (*r["all_of"], *r["any_of"])}
        forms = {ind["category"] for ind, _m in found  # counter-evidence names no form
                 if ind["category"] in FORMS and ind["weight"] > 0
                 and not (ind.get("combination_only") and ind["id"] not in in_rules)}
        forms |= {r["category"] for r in fired_rules if r["category"] in FORMS}
        if kind == "escort" and any(ind["category"] == YOUTH and ind["weight"] > 0
                                    for ind, _m in found):
            forms.add("sexual_exploitation")  # youth wording in a sex ad is that form
        hits = []
        for ind, matches in found:
            counted = not (ind.get("combination_only") and ind["id"] not in in_rules)
            if ind["category"] not in FORMS and ind["weight"] > 0 and not forms:
                counted = False  # contact and youth signals aggravate a form, never alone
            if ind["category"] == "linking":
                counted = False
            pieces = tuple(sorted({(tokens[a].start, tokens[b].end)
                                   for m in matches for a, b in m.pieces}))
            spans = _spans(pieces, norm, combined, title_len)
            hits.append(Hit(ind["id"], ind["category"], float(ind["weight"]), ind["grade"],
                            ind["title"], spans, counted, pieces))
        rules = [Hit(r["id"], r["category"], float(r["weight"]), "rule", r["description"])
                 for r in fired_rules if r["category"] in FORMS or forms]
        total = sum(h.weight for h in hits if h.counted) + sum(r.weight for r in rules)
        evidence = 1.0 - math.exp(-max(0.0, total) / self.evidence_scale)
        possible_minor = bool(forms) and any(h.category == YOUTH and h.counted for h in hits)
        return Analysis(guess, kind, tuple(hits), tuple(rules), evidence, total,
                        tuple(sorted(forms)), possible_minor, norm, tokens, tuple(quantities))


class _Context:
    """One listing's concept occurrences, and the evaluation of expressions over them."""

    def __init__(self, tokens, occurrences, quantities, engine: Engine) -> None:
        self.tokens = tokens
        self.occurrences = occurrences
        self.quantities = quantities
        self.engine = engine
        self.negations = sorted(
            (m.first, m.last) for name in engine.negations for m in occurrences.get(name, ()))
        self._memo: dict[int, list[_Match]] = {}
        # In a warning notice ("if your employer keeps your passport, call us"), what follows
        # a condition in its clause is not a statement about the listing.
        self.hypotheticals: list[tuple[int, int]] = []
        warning = [m for name in engine.warnings for m in occurrences.get(name, ())]
        if warning and any(not self._negated(m) for m in warning):
            self.hypotheticals = sorted(
                (m.first, m.last) for name in engine.hypotheticals
                for m in occurrences.get(name, ()))

    def indicator_matches(self, ind: dict[str, Any], kind: str,
                          kinds_seen: set[str] | None) -> list[_Match]:
        """The matches of an indicator. An indicator with ``kinds`` applies when the
        listing's cues point to one of them (a job ad with escort cues gets the escort
        indicators too), or to no kind at all."""
        kinds = ind.get("kinds")
        if kinds_seen is not None and kinds and kinds_seen.isdisjoint(kinds):
            return []
        if kinds_seen is not None and kind in ind.get("not_kinds", ()):
            return []
        requires = ind.get("requires")
        required = self.evaluate(requires) if requires is not None else None
        if required is not None and not required:
            return []
        matches = self._positive(self.evaluate(ind["match"]))
        if required and not self._positive(required):
            # the context is negated, unless it is the object of the match itself
            # ("you may not leave the farm": "not" belongs to the match)
            matches = [m for m in matches if any(
                m.first <= r.first and r.last <= m.last for r in required)]
        unless = ind.get("unless")
        if matches and unless is not None:
            against = self._positive(self.evaluate(unless))
            if against:
                if ind.get("unless_scope") == "listing":
                    return []
                sentences = {self.tokens[k].sentence for m in against
                             for k in range(m.first, m.last + 1)}
                matches = [m for m in matches if self.tokens[m.first].sentence not in sentences]
        return matches

    def _positive(self, matches: list[_Match]) -> list[_Match]:
        return [m for m in matches if m.negation or not self._negated(m)]

    def _negated(self, m: _Match) -> bool:
        tokens = self.tokens
        first, last = tokens[m.first], tokens[m.last]
        for a, _b in getattr(self, "hypotheticals", ()):
            # in a warning notice a condition runs to the end of its sentence ("if they
            # keep your passport, do not pay or lock you in, call us")
            if a < m.first and tokens[a].sentence == first.sentence:
                return True
        if not self.negations:
            return False
        for a, b in self.negations:
            neg = tokens[a]
            if neg.clause != first.clause and neg.clause != last.clause:
                continue
            if any(p <= a and b <= q for p, q in m.pieces):
                continue  # a negation word inside a phrase the match is made of ("no questions")
            if a >= m.first and b <= m.last:
                return True
            if b < m.first and first.pos - neg.pos <= NEG_BEFORE:
                return True
            if a > m.last and neg.pos - last.pos <= 2 and _clause_ends_after(tokens, b):
                return True
        return False

    def evaluate(self, expr: Any) -> list[_Match]:
        memo = self._memo.get(id(expr))
        if memo is not None:
            return memo
        if isinstance(expr, str):
            found = self.occurrences.get(expr, [])
            if expr in self.engine.negations:
                found = [_Match(m.first, m.last, m.pieces, True) for m in found]
        elif "any" in expr:
            found = [m for sub in expr["any"] for m in self.evaluate(sub)]
        elif "all" in expr:
            found = self._all(expr)
        elif "at_least" in expr:
            distinct = {(m.first, m.last): m for m in self.evaluate(expr["of"])}
            found = list(distinct.values()) if len(distinct) >= int(expr["at_least"]) else []
        elif "quantity" in expr:
            found = self._quantity(expr)
        elif "detector" in expr:
            found = self.occurrences.get("@" + expr["detector"], [])
        else:
            raise ValueError(f"unknown expression {expr!r}")
        self._memo[id(expr)] = found
        return found

    def _all(self, expr: dict[str, Any]) -> list[_Match]:
        parts = [self.evaluate(sub) for sub in expr["all"]]
        if not all(parts):
            return []
        within = int(expr.get("within", DEFAULT_WITHIN))
        scope = expr.get("scope", "sentence")
        ordered = bool(expr.get("ordered"))
        tokens = self.tokens
        out = []
        for anchor in parts[0]:
            chosen = [anchor]
            lo, hi = anchor.first, anchor.last
            inner = tokens[anchor.last].pos - tokens[anchor.first].pos
            for part in parts[1:]:
                best = None
                best_width = None
                for m in part:
                    if ordered and m.first < chosen[-1].first:
                        continue  # may overlap: "без гумки" holds the NEG it follows
                    a, b = min(lo, m.first), max(hi, m.last)
                    # words between the parts: a phrase's own length does not count
                    width = tokens[b].pos - tokens[a].pos - inner \
                        - (tokens[m.last].pos - tokens[m.first].pos)
                    if width > within or not _same_scope(tokens, a, b, scope):
                        continue
                    if best_width is None or width < best_width:
                        best, best_width = m, width
                if best is None:
                    break
                chosen.append(best)
                lo, hi = min(lo, best.first), max(hi, best.last)
                inner += tokens[best.last].pos - tokens[best.first].pos
            else:
                pieces = tuple(sorted({p for m in chosen for p in m.pieces}))
                out.append(_Match(lo, hi, pieces, any(m.negation for m in chosen)))
        return out

    def _quantity(self, expr: dict[str, Any]) -> list[_Match]:
        name = expr["quantity"]
        out = []
        for q in self.quantities:
            if q.name != name:
                continue
            if "min" in expr and q.high < float(expr["min"]):
                continue
            if "max" in expr and q.low > float(expr["max"]):
                continue
            period = name.rsplit("_", 1)[-1]
            if expr.get("below_floor"):
                floor = self.engine.floors.get(q.currency or "", {}).get(period)
                if floor is None or q.high >= floor:
                    continue
            if expr.get("above_ceiling"):
                ceiling = self.engine.ceilings.get(q.currency or "", {}).get(period)
                if ceiling is None or q.low <= ceiling:
                    continue
            out.append(_Match(q.first, q.last, ((q.first, q.last),)))
        return out


def _conjunctions(expr: Any) -> list[frozenset[str]]:
    """The sets of names (concepts; quantities as "#name", detectors as "@name") one of
    which must be present in full for ``expr`` to be able to match: every part of an
    ``all``, one of an ``any`` (a necessary condition, not a sufficient one)."""
    if isinstance(expr, str):
        return [frozenset((expr,))]
    if "any" in expr:
        return [names for sub in expr["any"] for names in _conjunctions(sub)]
    if "all" in expr:
        out = [frozenset[str]()]
        for sub in expr["all"]:
            out = [a | b for a in out for b in _conjunctions(sub)]
        return out
    if "at_least" in expr:
        return _conjunctions(expr["of"])
    return [frozenset(("#" + expr["quantity"],) if "quantity" in expr
                      else ("@" + expr["detector"],))]


def _triggers(indicators: list[dict[str, Any]]) -> dict[str, list[tuple[frozenset[str], int]]]:
    """For each name, the indicators (by index) a listing with that name may match, with
    all the names each needs: every conjunction of an indicator (of ``match`` and
    ``requires``) filed under its rarest name, so a listing looks up only the names it has."""
    needed = set()
    for index, ind in enumerate(indicators):
        conjunctions = _conjunctions(ind["match"])
        if ind.get("requires") is not None:
            conjunctions = [a | b for a in conjunctions for b in _conjunctions(ind["requires"])]
        needed.update((names, index) for names in conjunctions)
    uses: dict[str, int] = defaultdict(int)
    for names, _index in needed:
        for name in names:
            uses[name] += 1
    triggers: dict[str, list[tuple[frozenset[str], int]]] = defaultdict(list)
    for names, index in sorted(needed, key=lambda entry: (entry[1], sorted(entry[0]))):
        triggers[min(names, key=lambda name: (uses[name], name))].append((names, index))
    return dict(triggers)


def _same_scope(tokens: list[Token], a: int, b: int, scope: str) -> bool:
    if scope == "sentence":
        return tokens[a].sentence == tokens[b].sentence
    if scope == "clause":
        return tokens[a].clause == tokens[b].clause
    return True


def _clause_ends_after(tokens: list[Token], k: int) -> bool:
    return k + 1 >= len(tokens) or tokens[k + 1].clause != tokens[k].clause \
        or not tokens[k + 1].is_word


def _rule_fires(rule: dict[str, Any], present: set[str]) -> bool:
    if not all(i in present for i in rule["all_of"]):
        return False
    if rule["any_of"]:
        return sum(1 for i in rule["any_of"] if i in present) >= int(rule.get("min", 1))
    return True


def _digit_groups(tokens: list[Token]) -> list[bool]:
    """Which tokens belong to a run of three or more numbers written with only spaces
    between them (an identifier, a phone number)."""
    out = [False] * len(tokens)
    start = 0
    n = len(tokens)
    numbers = [i for i, tok in enumerate(tokens) if tok.is_number]
    if not any(b - a == 2 for a, b in zip(numbers, numbers[2:], strict=False)):
        return out  # no three numbers in a row
    while start < n:
        end = start
        while end < n and tokens[end].is_number and (
                end == start or tokens[end].start - tokens[end - 1].end <= 1):
            end += 1
        if end - start >= 3:
            out[start:end] = [True] * (end - start)
        start = max(end, start + 1)
    return out


def _next_word(tokens: list[Token], i: int, n: int) -> int | None:
    """The next word token after ``i``, past joining punctuation ("no-fee", "whats-app")."""
    j = i + 1
    while j < n and not tokens[j].is_word and tokens[j].text in "-'’./":
        j += 1
    return j if j < n and tokens[j].is_word else None


def _phrase_end(tokens: list[Token], i: int, rest: tuple[frozenset[str], ...],
                n: int) -> int | None:
    """The index of the last token of a phrase whose word at ``i`` matched and whose
    further words are ``rest`` (sets of keys; a symbol such as "&" or "%" is a part too)."""
    j = i
    for keys in rest:
        if j + 1 < n and not tokens[j + 1].is_word and tokens[j + 1].key in keys:
            j += 1  # a symbol of the phrase ("room & board", "100 %")
            continue
        nxt = _next_word(tokens, j, n)
        if nxt is None or tokens[nxt].key not in keys:
            return None
        j = nxt
    return j


def _token_range(tokens: list[Token], start: int, end: int) -> tuple[int, int] | None:
    inside = [i for i, t in enumerate(tokens) if t.end > start and t.start < end]
    return (inside[0], inside[-1]) if inside else None


def _join_spaced_letters(text: str, tokens: list[Token], lexicon: _Lexicons) -> list[Token]:
    """Join letter-spaced or dotted words ("f e e", "p.a.s.s.p.o.r.t") into one token when
    the joined word is in the lexicon."""
    singles = [i for i, tok in enumerate(tokens) if len(tok.key) == 1 and tok.is_word]
    if not any(c - a <= 4 for a, c in zip(singles, singles[2:], strict=False)):
        return list(tokens)  # no three single letters close together
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        if tok.is_word and len(tok.key) == 1 and tok.key.isalpha():
            j, letters = i, [tok.key]
            while len(letters) < MAX_SPACED:  # bounded: "b b b ..." of a hostile listing
                k = j + 1
                if k < n and not tokens[k].is_word and tokens[k].text in ".-_*" \
                        and k + 1 < n:
                    k += 1
                if k < n and tokens[k].is_word and len(tokens[k].key) == 1 \
                        and tokens[k].key.isalpha() \
                        and text[tokens[j].end:tokens[k].start].strip(" ") in ("", ".", "-",
                                                                            "_", "*") \
                        and len(text[tokens[j].end:tokens[k].start]) <= 3:
                    letters.append(tokens[k].key)
                    j = k
                else:
                    break
            word = "".join(letters)
            if len(letters) >= 3 and lexicon.knows(word):
                out.append(Token(text[tok.start:tokens[j].end], word, tok.start,
                                 tokens[j].end, tok.pos, tok.sentence, tok.clause, True, False))
                i = j + 1
                continue
        out.append(tok)
        i += 1
    return out


def _spans(pieces: tuple[tuple[int, int], ...], norm: Normalised, combined: str,
           title_len: int) -> tuple[tuple[str, int, int, str], ...]:
    """Pieces of the normalised text as (field, start, end, text) of the original."""
    out = set()
    for a, b in pieces:
        start, end = norm.to_original(a, b)
        if title_len and start < title_len:
            end = min(end, title_len - 2)
            out.add(("title", start, end, combined[start:end]))
        else:
            out.add(("text", start - title_len, end - title_len, combined[start:end]))
    return tuple(sorted(out, key=lambda s: (s[0] != "title", s[1], s[2])))


DEFAULT_BANDS = {"medium": 0.3, "high": 0.5, "urgent": 0.8}


def band_of(score: float, bands: dict[str, float], *, urgent_minor: bool = False,
            form_named: bool = True) -> str:
    """The band of a score (lower bounds in ``bands``): "urgent" also for a flagged possible
    minor; without a form named, never above "medium" (such a listing is not flagged)."""
    if urgent_minor or score >= bands["urgent"]:
        band = "urgent"
    elif score >= bands["high"]:
        band = "high"
    elif score >= bands["medium"]:
        band = "medium"
    else:
        band = "low"
    if not form_named and band in ("high", "urgent"):
        band = "medium"
    return band


def score_of(engine: Engine, analysis: Analysis) -> dict[str, Any]:
    """The indicator-only result of a listing, in ``thbscan check``'s format: what a
    partner's reference matcher gives (``thbscan check --no-model``)."""
    score = min(1.0, max(0.0, analysis.evidence))
    flagged = score >= engine.threshold and bool(analysis.categories)
    return {
        "score": round(score, 4),
        "flagged": flagged,
        "band": band_of(score, engine.bands, urgent_minor=analysis.possible_minor and flagged,
                        form_named=bool(analysis.categories)),
        "categories": list(analysis.categories),
        "possible_minor": analysis.possible_minor,
        "indicators": [{**{k: v for k, v in _hit_dict(h).items() if k != "spans"},
                        "spans": [{"start": s, "end": e, "text": t, "field": f}
                                  for f, s, e, t in h.spans]}
                       for h in analysis.hits if h.counted and h.weight > 0
                       and h.grade != "counter"],
        "language": analysis.language.lang,
        "kind": analysis.kind,
        "rules": [h.id for h in analysis.rules],
    }


def combine(title: str, text: str) -> tuple[str, int]:
    """The text a listing is analysed as (title, blank line, body; both bounded) and the
    length of its title part (0 without a title)."""
    title = (title or "")[:MAX_TITLE]
    body = (text or "")[:MAX_CHARS]
    if not title:
        return body, 0
    return f"{title}\n\n{body}", len(title) + 2
