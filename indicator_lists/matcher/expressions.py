"""Evaluating the catalogue's expressions over a listing's concept occurrences: ``all``
within a distance and a scope, ``any``, ``at_least``, quantities against their bounds and
the pay floors, detectors; negation and counter-evidence scoped to the clause; and which
indicators a listing can match at all (:func:`triggers`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from .tokens import Token

DEFAULT_WITHIN = 8
NEG_BEFORE = 3  # words before a match that a negation reaches
# Quotation marks: each opening mark with the marks that may close it (»Danish« too).
QUOTES = {
    "«": "»",
    "»": "«",
    "„": '“”"',
    "“": '”"',
    "”": "”",
    '"': '"',
    "‚": "‘’'",
    "‘": "’'",
    "'": "'",
}
MAX_QUOTE = 60  # tokens: an opening mark left unclosed this long quotes nothing


# A match: the token ranges that make it, and whether it holds a negation it asked for.
# (Never changed once made; not frozen, which would make it slower to create.)
@dataclass(slots=True)
class Match:
    first: int
    last: int
    pieces: tuple[tuple[int, int], ...]
    negation: bool = False


class Context:
    """One listing's concept occurrences, and the evaluation of expressions over them."""

    def __init__(self, tokens, occurrences, quantities, engine: Any) -> None:  # the Engine
        self.tokens = tokens
        self.occurrences = occurrences
        self.quantities = quantities
        self.engine = engine
        self.negations = sorted(
            (m.first, m.last) for name in engine.negations for m in occurrences.get(name, ())
        )
        self._memo: dict[int, list[Match]] = {}
        self._settled: set[tuple[int, int]] = set()  # spans no condition or quote cancels
        # In a warning notice ("if your employer keeps your passport, call us"), what follows
        # a condition in its clause is not a statement about the listing.
        # Nor is what it quotes ("offers like «the trip is on us, you pay it back from your
        # wages»"): the words of a scam, not of this listing.
        self.hypotheticals: list[tuple[int, int]] = []
        self.quoted: list[tuple[int, int]] = []
        warning = [m for name in engine.warnings for m in occurrences.get(name, ())]
        if warning and any(not self._negated(m) for m in warning):
            self.hypotheticals = sorted(
                (m.first, m.last)
                for name in engine.hypotheticals
                for m in occurrences.get(name, ())
            )
            self.quoted = quoted_spans(tokens)

    def indicator_matches(
        self, ind: dict[str, Any], kind: str, kinds_seen: set[str] | None
    ) -> list[Match]:
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
            matches = [
                m for m in matches if any(m.first <= r.first and r.last <= m.last for r in required)
            ]
        unless = ind.get("unless")
        if matches and unless is not None:
            against = self._positive(self.evaluate(unless))
            if against:
                if ind.get("unless_scope") == "listing":
                    return []
                sentences = {
                    self.tokens[k].sentence for m in against for k in range(m.first, m.last + 1)
                }
                matches = [m for m in matches if self.tokens[m.first].sentence not in sentences]
        return matches

    def _cancelled(self, m: Match) -> bool:
        return not m.negation and (m.first, m.last) not in self._settled and self._negated(m)

    def _positive(self, matches: list[Match]) -> list[Match]:
        return [m for m in matches if not self._cancelled(m)]

    def _negated(self, m: Match, *, conditions: bool = True) -> bool:
        tokens = self.tokens
        first, last = tokens[m.first], tokens[m.last]
        for a, b in getattr(self, "quoted", ()) if conditions else ():
            if a < m.first and m.last < b:
                return True
        for a, _b in getattr(self, "hypotheticals", ()) if conditions else ():
            # in a warning notice a condition runs to the end of its sentence ("if they
            # keep your passport, do not pay or lock you in, call us")
            if a < m.first and tokens[a].sentence == first.sentence:
                return True
        if not self.negations:
            return False
        inner = [(p, q) for p, q in m.pieces if any(p <= a and b <= q for a, b in self.negations)]
        for a, b in self.negations:
            neg = tokens[a]
            if neg.clause != first.clause and neg.clause != last.clause:
                continue
            if any(p <= a and b <= q for p, q in inner):
                continue  # a negation word inside a phrase the match is made of ("no questions")
            # A phrase that is a negation itself is not negated again by its neighbour
            # ("sin abrirla ni preguntar", "no ID, no questions"): one negation continues
            # the other.
            if any(
                (b < p and tokens[p].pos - neg.pos <= NEG_BEFORE)
                or (q < a and neg.pos - tokens[q].pos <= 2)
                for p, q in inner
            ):
                continue
            if a >= m.first and b <= m.last:
                return True
            if b < m.first and first.pos - neg.pos <= NEG_BEFORE:
                return True
            if a > m.last and neg.pos - last.pos <= 2 and _clause_ends_after(tokens, b):
                return True
        return False

    def evaluate(self, expr: Any) -> list[Match]:
        memo = self._memo.get(id(expr))
        if memo is not None:
            return memo
        if isinstance(expr, str):
            found = self.occurrences.get(expr, [])
            if expr in self.engine.negations:
                found = [Match(m.first, m.last, m.pieces, True) for m in found]
            elif expr in self.engine.warnings:
                # A warning's own words still warn inside the conditions and quotes they
                # open ("if someone offers work in our name, they are scammers"): checked
                # against real negations only, then settled.
                found = [m for m in found if not self._negated(m, conditions=False)]
                self._settled.update((m.first, m.last) for m in found)
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

    def _all(self, expr: dict[str, Any]) -> list[Match]:
        parts = [self.evaluate(sub) for sub in expr["all"]]
        if not all(parts):
            return []
        within = int(expr.get("within", DEFAULT_WITHIN))
        scope = expr.get("scope", "sentence")
        ordered = bool(expr.get("ordered"))
        tokens = self.tokens
        # the nearest match of each part that no negation cancels, before any cancelled one
        # ("never pay upfront: the fee is 500 euro": the amount)
        ranked = [
            sorted(((self._cancelled(m), m) for m in part), key=lambda pair: pair[0])
            for part in parts[1:]
        ]
        out = []
        for anchor in parts[0]:
            chosen = [anchor]
            lo, hi = anchor.first, anchor.last
            inner = tokens[anchor.last].pos - tokens[anchor.first].pos
            for part in ranked:
                best = None
                best_width = None
                best_cancelled = False
                for cancelled, m in part:
                    if ordered and m.first < chosen[-1].first:
                        continue  # may overlap: "без гумки" holds the NEG it follows
                    a, b = min(lo, m.first), max(hi, m.last)
                    # words between the parts: a phrase's own length does not count
                    width = (
                        tokens[b].pos
                        - tokens[a].pos
                        - inner
                        - (tokens[m.last].pos - tokens[m.first].pos)
                    )
                    if width > within or not _same_scope(tokens, a, b, scope):
                        continue
                    if best is not None and cancelled and not best_cancelled:
                        break
                    if best_width is None or width < best_width:
                        best, best_width, best_cancelled = m, width, cancelled
                if best is None:
                    break
                chosen.append(best)
                lo, hi = min(lo, best.first), max(hi, best.last)
                inner += tokens[best.last].pos - tokens[best.first].pos
            else:
                pieces = tuple(sorted({p for m in chosen for p in m.pieces}))
                out.append(Match(lo, hi, pieces, any(m.negation for m in chosen)))
        return out

    def _quantity(self, expr: dict[str, Any]) -> list[Match]:
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
            out.append(Match(q.first, q.last, ((q.first, q.last),)))
        return out


def conjunctions(expr: Any) -> list[frozenset[str]]:
    """The sets of names (concepts; quantities as "#name", detectors as "@name") one of
    which must be present in full for ``expr`` to be able to match: every part of an
    ``all``, one of an ``any`` (a necessary condition, not a sufficient one)."""
    if isinstance(expr, str):
        return [frozenset((expr,))]
    if "any" in expr:
        return [names for sub in expr["any"] for names in conjunctions(sub)]
    if "all" in expr:
        out = [frozenset[str]()]
        for sub in expr["all"]:
            out = [a | b for a in out for b in conjunctions(sub)]
        return out
    if "at_least" in expr:
        return conjunctions(expr["of"])
    return [
        frozenset(("#" + expr["quantity"],) if "quantity" in expr else ("@" + expr["detector"],))
    ]


def triggers(indicators: list[dict[str, Any]]) -> dict[str, list[tuple[frozenset[str], int]]]:
    """For each name, the indicators (by index) a listing with that name may match, with
    all the names each needs: every conjunction of an indicator (of ``match`` and
    ``requires``) filed under its rarest name, so a listing looks up only the names it has."""
    needed: set[tuple[frozenset[str], int]] = set()
    for index, ind in enumerate(indicators):
        sets = conjunctions(ind["match"])
        if ind.get("requires") is not None:
            sets = [a | b for a in sets for b in conjunctions(ind["requires"])]
        needed.update((names, index) for names in sets)
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
    return (
        k + 1 >= len(tokens)
        or tokens[k + 1].clause != tokens[k].clause
        or not tokens[k + 1].is_word
    )


def quoted_spans(tokens: list[Token]) -> list[tuple[int, int]]:
    """The token ranges (opening mark, closing mark) of quotations in a text."""
    spans: list[tuple[int, int]] = []
    opened, closers = -1, ""
    for i, token in enumerate(tokens):
        text = token.text
        if opened >= 0 and text in closers:
            spans.append((opened, i))
            opened = -1
        elif opened >= 0 and i - opened > MAX_QUOTE:
            opened = -1
        elif opened < 0 and text in QUOTES:
            opened, closers = i, QUOTES[text]
    return spans
