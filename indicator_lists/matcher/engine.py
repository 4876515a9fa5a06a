"""Find concepts in a listing and evaluate the catalogue's indicators over them.

The engine reads a *compiled catalogue* (plain JSON, made by ``indicator_lists.compile``):
per language a lexicon (word forms, phrases, stems), the concepts' roles (negation, units,
currencies, contact words), how listing kinds are recognised, the indicators as expressions
over concepts, and the combination rules. It needs nothing beyond Python's standard library,
so partners run the very code thbscan runs.

A listing goes through: normalisation (:mod:`.normalise`), tokens (:mod:`.tokens`), its
language (:mod:`.language`), its concepts (:mod:`.concepts`), quantities
(:mod:`.quantities`) and hidden phone numbers (:mod:`.phones`), its kind, the indicators
(:mod:`.expressions`), the rules and the evidence (here).

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
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from .concepts import Lexicon, Lexicons, find_occurrences
from .expressions import Context, Match, triggers
from .language import SUPPORTED, LanguageGuess, identify
from .normalise import Normalised, normalise
from .phones import hidden_phone_tokens, obfuscated_phones
from .quantities import Quantity, find_quantities
from .tokens import Token, tokenize
from .translit import LANGUAGES as TRANSLITERATED
from .translit import read_transliterated

__all__ = ["FORMS", "MAX_CHARS", "Analysis", "Engine", "Hit", "band_of", "combine", "score_of"]

FORMS = ("sexual_exploitation", "forced_labour", "forced_criminality", "slavery_like_practices")
YOUTH = "possible_minor"
_KIND_ORDER = {"escort": 0, "job": 1, "social": 2, "classified": 3}  # ties between kinds
MAX_CHARS = 20_000  # text-length cap before matching (R13)
MAX_TITLE = 1_000


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
    return {
        "id": hit.id,
        "category": hit.category,
        "weight": hit.weight,
        "grade": hit.grade,
        "title": hit.title,
        "spans": [{"field": f, "start": s, "end": e, "text": t} for f, s, e, t in hit.spans],
    }


class Engine:
    """Matches listings against a compiled catalogue (see the module documentation)."""

    def __init__(self, compiled: dict[str, Any]) -> None:
        fmt = compiled.get("format")
        if fmt != "thbscan-matcher/1":
            raise ValueError(
                f"compiled catalogue format {fmt!r} is not 'thbscan-matcher/1'; "
                "compile it with this version of thbscan"
            )
        self.compiled = compiled
        self.versions: dict[str, str] = dict(compiled.get("versions", {}))
        self.fingerprint: str = compiled.get("fingerprint", "")
        self.roles: dict[str, dict[str, str]] = {
            name: dict(spec.get("roles", {})) for name, spec in compiled["concepts"].items()
        }
        self.negations = frozenset(n for n, r in self.roles.items() if r.get("negation"))
        self.hypotheticals = frozenset(n for n, r in self.roles.items() if r.get("hypothetical"))
        self.warnings = frozenset(n for n, r in self.roles.items() if r.get("warning"))
        self.lexicons: dict[str, dict[str, Any]] = compiled["lexicons"]
        self.regexes = [
            (concept, re.compile(pattern, re.IGNORECASE))
            for concept, pattern in compiled.get("regexes", [])
        ]
        self.kinds: dict[str, Any] = compiled["kinds"]
        self.floors: dict[str, dict[str, float]] = compiled.get("pay_floors", {})
        self.ceilings: dict[str, dict[str, float]] = compiled.get("pay_ceilings", {})
        self.indicators: list[dict[str, Any]] = compiled["indicators"]
        self._triggers = triggers(self.indicators)
        self.rules: list[dict[str, Any]] = compiled["rules"]
        self.evidence_scale = float(compiled.get("evidence_scale", 3.0))
        self.threshold = float(compiled.get("threshold", 0.5))
        self.bands: dict[str, float] = dict(compiled.get("bands", DEFAULT_BANDS))
        self._built: dict[str, Lexicon] = {}  # one per language
        self._merged: dict[frozenset[str], Lexicons] = {}

    # -- public -----------------------------------------------------------------------
    def analyse(self, title: str, text: str, lang: str | None = None) -> Analysis:
        """Analyse one listing. ``lang`` overrides language identification."""
        combined, title_len = combine(title, text)
        return self.analyse_text(combined, title_len, lang)

    def analyse_text(
        self,
        combined: str,
        title_len: int,
        lang: str | None = None,
        *,
        norm: Normalised | None = None,
        tokens: list[Token] | None = None,
    ) -> Analysis:
        """Analyse ``combined`` (see :func:`combine`), given its normalisation and tokens
        when they are already made (a spaCy doc of the scorer has them)."""
        if norm is None:
            norm = normalise(combined)
        if tokens is None:
            tokens = tokenize(norm.text)
        if lang:
            guess = identify([t.text.lower() for t in tokens if t.is_word])
            guess = LanguageGuess(lang, 1.0, guess.also)
        else:
            guess, tokens = self._language(tokens)
        lexicon = self._lexicon(guess)
        tokens, occurrences, roles = find_occurrences(
            norm.text, tokens, lexicon, self.regexes, self.roles
        )
        quantities = find_quantities(tokens, roles)
        for q in quantities:  # present, for the indicators' conjunctions
            occurrences.setdefault("#" + q.name, [Match(0, 0, ())])
        for q in quantities:
            if q.name == "amount":
                occurrences["AMOUNT"].append(Match(q.first, q.last, ((q.first, q.last),)))
        contact = [bool(r.get("contact")) for r in roles]
        hidden = obfuscated_phones(norm.text, tokens, lexicon.numbers, contact)
        for first, last in hidden + hidden_phone_tokens(norm.text, tokens):
            occurrences["@obfuscated_phone"].append(Match(first, last, ((first, last),)))
        kind, kinds_seen = self._kind(tokens, occurrences)
        context = Context(tokens, occurrences, quantities, self)
        hits = []
        present = {name for name, found in occurrences.items() if found}
        candidates = {
            index
            for name in present
            for names, index in self._triggers.get(name, ())
            if names <= present
        }  # the others lack a concept they cannot do without
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
        if lang:  # that language's lexicon alone
            lexicon = self._merged_lexicon(frozenset({lang, "*"}))
        else:
            guess, tokens = self._language(tokens)
            lexicon = self._lexicon(guess)
        tokens, occurrences, _roles = find_occurrences(
            norm.text, tokens, lexicon, self.regexes, self.roles
        )
        found: dict[str, list[str]] = {}
        for concept, matches in occurrences.items():
            for m in matches:
                start, end = norm.to_original(tokens[m.first].start, tokens[m.last].end)
                found.setdefault(concept, []).append(text[start:end])
        return found

    # -- steps ------------------------------------------------------------------------
    def _language(self, tokens: list[Token]) -> tuple[LanguageGuess, list[Token]]:
        """The listing's language, and its tokens (keyed in Cyrillic when it is Russian,
        Ukrainian or Bulgarian written in Latin letters: :mod:`.translit`)."""
        guess = identify([t.text.lower() for t in tokens if t.is_word])
        # any listing not identified as Russian, Ukrainian or Bulgarian may be one of them
        # typed in Latin letters (Ukrainian typed so reads much like Polish to the identifier)
        if guess.lang not in TRANSLITERATED:
            english = self._merged_lexicon(frozenset({"en"}))
            read = read_transliterated(tokens, english.knows, identified=guess.supported)
            if read is not None:
                tokens, guess = read
        return guess, tokens

    def _lexicon(self, guess: LanguageGuess) -> Lexicons:
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
            frozenset(lang for lang in langs if lang in self.lexicons) | {"*"}
        )

    def _merged_lexicon(self, langs: frozenset[str]) -> Lexicons:
        view = self._merged.get(langs)
        if view is None:
            parts = []
            for lang in sorted(langs):
                if lang not in self.lexicons:
                    continue
                part = self._built.get(lang)
                if part is None:
                    part = self._built[lang] = Lexicon([self.lexicons[lang]])
                parts.append(part)
            view = self._merged[langs] = Lexicons(parts)
        return view

    def _kind(
        self, tokens: list[Token], occurrences: dict[str, list[Match]]
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
                score += spec["hashtags"] * min(
                    3,
                    sum(
                        1
                        for a, b in pairwise(tokens)
                        if a.text == "#" and b.start == a.end and b.is_word
                    ),
                )
            if spec.get("questions"):
                score += spec["questions"] * min(2, sum(1 for t in tokens if t.text == "?"))
            scores[kind] = score
        minimum = float(self.kinds.get("min_score", 1.0))
        # a tie goes to the kind that asks most of the indicators (not to the data's order)
        best = max(
            scores.items(), key=lambda kv: (kv[1], -_KIND_ORDER.get(kv[0], 99)), default=(None, 0.0)
        )
        if best[0] is None or best[1] < minimum:
            return str(self.kinds.get("default", "classified")), None
        return best[0], {kind for kind, score in scores.items() if score >= minimum}

    def _assess(self, guess, kind, found, norm, combined, title_len, tokens, quantities):
        present = {ind["id"] for ind, _m in found}
        fired_rules = [r for r in self.rules if _rule_fires(r, present)]
        in_rules = {i for r in fired_rules for i in (*r["all_of"], *r["any_of"])}
        forms = {
            ind["category"]
            for ind, _m in found  # counter-evidence names no form
            if ind["category"] in FORMS
            and ind["weight"] > 0
            and not (ind.get("combination_only") and ind["id"] not in in_rules)
        }
        forms |= {r["category"] for r in fired_rules if r["category"] in FORMS}
        if kind == "escort" and any(
            ind["category"] == YOUTH and ind["weight"] > 0 for ind, _m in found
        ):
            forms.add("sexual_exploitation")  # youth wording in a sex ad is that form
        hits = []
        for ind, matches in found:
            counted = not (ind.get("combination_only") and ind["id"] not in in_rules)
            if ind["category"] not in FORMS and ind["weight"] > 0 and not forms:
                counted = False  # contact and youth signals aggravate a form, never alone
            if ind["category"] == "linking":
                counted = False
            pieces = tuple(
                sorted({(tokens[a].start, tokens[b].end) for m in matches for a, b in m.pieces})
            )
            spans = _spans(pieces, norm, combined, title_len)
            hits.append(
                Hit(
                    ind["id"],
                    ind["category"],
                    float(ind["weight"]),
                    ind["grade"],
                    ind["title"],
                    spans,
                    counted,
                    pieces,
                )
            )
        rules = [
            Hit(r["id"], r["category"], float(r["weight"]), "rule", r["description"])
            for r in fired_rules
            if r["category"] in FORMS or forms
        ]
        total = sum(h.weight for h in hits if h.counted) + sum(r.weight for r in rules)
        evidence = 1.0 - math.exp(-max(0.0, total) / self.evidence_scale)
        possible_minor = bool(forms) and any(h.category == YOUTH and h.counted for h in hits)
        return Analysis(
            guess,
            kind,
            tuple(hits),
            tuple(rules),
            evidence,
            total,
            tuple(sorted(forms)),
            possible_minor,
            norm,
            tokens,
            tuple(quantities),
        )


def _rule_fires(rule: dict[str, Any], present: set[str]) -> bool:
    if not all(i in present for i in rule["all_of"]):
        return False
    if rule["any_of"]:
        return sum(1 for i in rule["any_of"] if i in present) >= int(rule.get("min", 1))
    return True


def _spans(
    pieces: tuple[tuple[int, int], ...], norm: Normalised, combined: str, title_len: int
) -> tuple[tuple[str, int, int, str], ...]:
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


def band_of(
    score: float, bands: dict[str, float], *, urgent_minor: bool = False, form_named: bool = True
) -> str:
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
        "band": band_of(
            score,
            engine.bands,
            urgent_minor=analysis.possible_minor and flagged,
            form_named=bool(analysis.categories),
        ),
        "categories": list(analysis.categories),
        "possible_minor": analysis.possible_minor,
        "indicators": [
            {
                **{k: v for k, v in _hit_dict(h).items() if k != "spans"},
                "spans": [{"start": s, "end": e, "text": t, "field": f} for f, s, e, t in h.spans],
            }
            for h in analysis.hits
            if h.counted and h.weight > 0 and h.grade != "counter"
        ],
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
