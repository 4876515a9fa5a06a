"""Stated ages, 13 to 99: "22 years old", "age 20", "Jeg er 23 år", "момиче на 19 години";
not durations ("10 år erfaring", "i 15 år")."""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["ages"]

_TWO_DIGITS_RE = re.compile(r"\d(?<!\d\d)\d(?![\d.,]\d)(?!\d)")  # a digit first: fast
_EXPERIENCE = r"(?!\s*(?:de\s+)?(?:experien|erfaring|doświad|досвід|опит|стаж|exp\b))"
# (text before the number, text after it): both must match around a two-digit number.
_RULES = [
    (None, r"\s*(?:-\s*)?(?:years?|yrs?)[\s-]*old\b"),
    (None, r"\s*(?:y\.?o\.?|yo)(?!\w)"),
    (r"\b(?:age|aged|alder|edad|wiek|vârsta|varsta|vârstă|възраст|вік|ani|lat)\s*[:=]?\s*$", ""),
    (r"\b(?:i\s+am|i'm|im|am|jeg\s+er|tengo|mam|мені)\s+$", r"(?!\s*(?:kr|%|h\b|:|\.\d))"),
    (None, r"\s*år\b" + _EXPERIENCE),
    (None, r"\s*(?:de\s+)?ani\b" + _EXPERIENCE),
    (None, r"\s*lata?\b" + _EXPERIENCE),
    (r"\bна\s+$", r"\s*(?:години|год\.?|г\.)"),
    (None, r"\s*-?\s*(?:годишна|годишен|річна|річний)\b"),
    (None, r"\s*(?:років|роки)\b" + _EXPERIENCE),
    (None, r"\s*años\b" + _EXPERIENCE),
]
_COMPILED = [
    (
        re.compile(before, re.IGNORECASE) if before else None,
        re.compile(after, re.IGNORECASE) if after else None,
    )
    for before, after in _RULES
]
# Any rule's text after or before the number: without either, no rule can match.
_ANY_AFTER_RE = re.compile("|".join(f"(?:{a})" for b, a in _RULES if b is None), re.IGNORECASE)
_ANY_BEFORE_RE = re.compile("|".join(f"(?:{b})" for b, _ in _RULES if b), re.IGNORECASE)
# "i 10 år", "for 10 år": a duration, not an age.
_NOT_AGE_BEFORE_RE = re.compile(r"\b(?:i|for|over|efter|under|på)\s+$", re.IGNORECASE)
_CONTEXT = 24


def ages(text: str) -> Iterator[tuple[str, int, int]]:
    """``(age, start, end)`` of the stated ages, the span with the words that state it."""
    for m in _TWO_DIGITS_RE.finditer(text):
        a, b = m.span()
        age = int(m.group())
        if not 13 <= age <= 99:
            continue
        context_start = max(0, a - _CONTEXT)
        if not _ANY_AFTER_RE.match(text, b, b + _CONTEXT) and not _ANY_BEFORE_RE.search(
            text, context_start, a
        ):
            continue
        for before_re, after_re in _COMPILED:
            start, end = a, b
            if before_re is not None:
                before = before_re.search(text, context_start, a)
                if before is None:
                    continue
                start = before.start()
            elif _NOT_AGE_BEFORE_RE.search(text, context_start, a):
                continue
            if after_re is not None:
                after = after_re.match(text, b, b + _CONTEXT)
                if after is None:
                    continue
                end = max(b, after.end())
            yield str(age), start, end
            break
