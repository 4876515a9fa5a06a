"""Concepts in a listing's tokens: the lexicon of each language (word forms, phrases,
stems), looked up per token key; leetspeak ("f33", "n0") and letter-spaced words ("f e e")
read as the lexicon knows them; numbers in digit groups (a phone number) left out; and the
roles the concepts give their tokens (negation, units, currencies, contact words)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from .expressions import Match
from .tokens import Token

MAX_SPACED = 30  # letters of a letter-spaced word ("f e e"), at most
_NO_CONCEPTS: frozenset[str] = frozenset()
_NO_ROLE: Mapping[str, str] = MappingProxyType({})  # shared by tokens with no role
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LEET_CHARS = frozenset("013457@$")
_LATIN_TO_CYRILLIC = str.maketrans("aeiopcxy", "аеіорсху")
_CACHE_LIMIT = 100_000
_VIEW_CACHE_LIMIT = 20_000  # per set of languages, of which a long run meets dozens


class Lexicon:
    """The lexicon of one language (or of symbols), with a cache of looked-up keys."""

    def __init__(self, parts: list[dict[str, Any]]) -> None:
        self.words: dict[str, set[str]] = defaultdict(set)
        # phrases by their first and second word: {first: {second: [(concept, rest)]}}
        self.phrases: dict[str, dict[str, list[tuple[str, tuple[frozenset[str], ...]]]]] = (
            defaultdict(lambda: defaultdict(list))
        )
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
        self.infix_re = (
            re.compile("|".join(sorted(map(re.escape, infixes), key=len, reverse=True)))
            if infixes
            else None
        )
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


class Lexicons:
    """The lexicons of a set of languages, looked up one after the other (each language's
    is built once; merging them per set of languages would copy them for every set)."""

    def __init__(self, parts: list[Lexicon]) -> None:
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
        tables = tuple(
            by_second for part in self.parts if (by_second := part.phrases.get(key)) is not None
        )
        if len(self.looked_up) > _VIEW_CACHE_LIMIT:
            self.looked_up.clear()
        found = self.looked_up[key] = (concepts, tables)
        return found

    def knows(self, key: str) -> bool:
        return any(part.knows(key) for part in self.parts)


def find_occurrences(
    text: str,
    tokens: list[Token],
    lexicon: Lexicons,
    regexes: list[tuple[str, re.Pattern[str]]],
    roles_of: Mapping[str, Mapping[str, str]],
) -> tuple[list[Token], dict[str, list[Match]], list[Mapping[str, str]]]:
    """The concepts in ``tokens`` (of the normalised ``text``): each concept's matches, the
    tokens (letter-spaced words joined, leetspeak keys read), and the roles their concepts
    give each token (``roles_of``: concept -> roles)."""
    tokens = _join_spaced_letters(text, tokens, lexicon)  # a new list
    occurrences: dict[str, list[Match]] = defaultdict(list)
    n = len(tokens)
    for i, tok in enumerate(tokens):  # leetspeak ("f33", "n0"), when the lexicon knows it
        key = tok.key
        if (
            tok.is_word
            and not tok.is_number
            and not key.isalpha()
            and any(c in _LEET_CHARS for c in key)
            and not lexicon.knows(key)
        ):
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
            match = Match(i, i, ((i, i),))
            for concept in concepts:
                occurrences[concept].append(match)
        for by_second in tables:
            j = (
                i + 1
                if i + 1 < n and not tokens[i + 1].is_word and tokens[i + 1].key in by_second
                else _next_word(tokens, i, n)
            )
            if j is not None:
                for concept, rest in by_second.get(tokens[j].key, ()):
                    last = _phrase_end(tokens, j, rest, n)
                    if last is not None:
                        occurrences[concept].append(Match(i, last, ((i, last),)))
    for concept, rx in regexes:
        for found in rx.finditer(text):
            span = _token_range(tokens, found.start(), found.end())
            if span is not None:
                occurrences[concept].append(Match(span[0], span[1], (span,)))
    for name in [c for c in occurrences if c.startswith("!")]:  # exceptions
        covered = [(m.first, m.last) for m in occurrences.pop(name)]
        concept = name[1:]
        if concept in occurrences:
            occurrences[concept] = [
                m
                for m in occurrences[concept]
                if not any(a <= m.first and m.last <= b for a, b in covered)
            ]
    roles: list[Mapping[str, str]] = [_NO_ROLE] * n  # a dict only where there are roles
    for concept in sorted(occurrences):  # in a fixed order: a later role value wins
        matches = occurrences[concept]
        role = roles_of.get(concept)
        if role:
            for m in matches:
                for k in range(m.first, m.last + 1):
                    roles[k] = {**roles[k], **role}
    for i, tok in enumerate(tokens):
        if tok.text == "+" and i + 1 < n and tokens[i + 1].is_number:
            roles[i] = {**roles[i], "contact": "plus"}
    return tokens, occurrences, roles


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
        while (
            end < n
            and tokens[end].is_number
            and (end == start or tokens[end].start - tokens[end - 1].end <= 1)
        ):
            end += 1
        if end - start >= 3:
            out[start:end] = [True] * (end - start)
        start = max(end, start + 1)
    return out


def _next_word(tokens: list[Token], i: int, n: int) -> int | None:
    """The next word token after ``i``, past joining punctuation ("no-fee", "whats-app") and
    dashes, which in Russian and Ukrainian stand for "is" ("всё сверху — ваше")."""
    j = i + 1
    while j < n and not tokens[j].is_word and tokens[j].text in "-'’./–—":
        j += 1
    return j if j < n and tokens[j].is_word else None


def _phrase_end(
    tokens: list[Token], i: int, rest: tuple[frozenset[str], ...], n: int
) -> int | None:
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


def _join_spaced_letters(text: str, tokens: list[Token], lexicon: Lexicons) -> list[Token]:
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
                if k < n and not tokens[k].is_word and tokens[k].text in ".-_*" and k + 1 < n:
                    k += 1
                if (
                    k < n
                    and tokens[k].is_word
                    and len(tokens[k].key) == 1
                    and tokens[k].key.isalpha()
                    and text[tokens[j].end : tokens[k].start].strip(" ") in ("", ".", "-", "_", "*")
                    and len(text[tokens[j].end : tokens[k].start]) <= 3
                ):
                    letters.append(tokens[k].key)
                    j = k
                else:
                    break
            word = "".join(letters)
            if len(letters) >= 3 and lexicon.knows(word):
                out.append(
                    Token(
                        text[tok.start : tokens[j].end],
                        word,
                        tok.start,
                        tokens[j].end,
                        tok.pos,
                        tok.sentence,
                        tok.clause,
                        True,
                        False,
                    )
                )
                i = j + 1
                continue
        out.append(tok)
        i += 1
    return out
