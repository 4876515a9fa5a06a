"""The text identifiers are read from: letter-spaced words joined ("w h a t s a p p" ->
"whatsapp") and digits written as words read as digits ("to nul fem fem en to tre fire" ->
"20551234"), over the matcher's normalisation (which has already undone look-alike
letters, full-width and keycap digits, entities and hidden characters)."""

from __future__ import annotations

import re

from indicator_lists.matcher.normalise import Normalised, rewrite

__all__ = ["spelled_out"]

# Two letters with a space, "." or "-" on each side: where a letter-spaced word may be.
_SPACED_HINT_RE = re.compile(r"[ .\-][^\W\d_][ .\-][^\W\d_][ .\-]")
_SPACED_RE = re.compile(r"(?<![\w.\-])(?:[^\W\d_][ .\-]){3,}[^\W\d_](?![\w])")

# Digits as words in the supported languages.
_DIGIT_WORDS = {
    "0": "zero oh nul cero нула нуль",
    "1": "one en et unu jeden uno едно один",
    "2": "two to doi dwa dos две два",
    "3": "three tre trei trzy tres три",
    "4": "four fire patru cztery cuatro четири чотири",
    "5": "five fem cinci pięć cinco пет п'ять п’ять",
    "6": "six seks șase sześć seis шест шість",
    "7": "seven syv șapte siedem siete седем сім",
    "8": "eight otte opt osiem ocho осем вісім",
    "9": "nine ni nouă dziewięć nueve девет дев'ять дев’ять",
}
_NUMBER_WORDS = {word: d for d, words in _DIGIT_WORDS.items() for word in words.split()}
# Number words that are also frequent ordinary words in a supported language.
_AMBIGUOUS = frozenset({"en", "et", "to", "ni", "oh", "one", "fire", "opt", "dos", "ocho"})


_UNAMBIGUOUS = frozenset(_NUMBER_WORDS) - _AMBIGUOUS
_UNITS = frozenset(_NUMBER_WORDS) | frozenset("0123456789")
_PUNCTUATION = ".,;:!?()[]\"'"
_UNIT = "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True))
# Four or more single digits or number words, apart by a space, "-", "." or "/"; not after
# a "+" (a country code starts the number, it is not part of it).
_RUN_RE = re.compile(
    rf"(?<![\w+])(?:\d|{_UNIT})(?:(?:[ \t]?[-./][ \t]?|[ \t])(?:\d|{_UNIT})){{3,}}(?!\w)",
    re.IGNORECASE,
)
_AFTER_NUMBER_RE = re.compile(r"(?<![\d+])\d{2,4}(?:[ \t]?[-./][ \t]?|[ \t])$")
_UNIT_SPLIT_RE = re.compile(r"[ \t.\-/]+")


def spelled_out(norm: Normalised) -> Normalised:
    """``norm`` with letter-spaced words joined and digits written as words read."""
    if _SPACED_HINT_RE.search(norm.text):
        spaced = [(m.start(), m.end(), m.group()[::2]) for m in _SPACED_RE.finditer(norm.text)]
        norm = rewrite(norm, spaced) if spaced else norm
    if not _spelled_digits_possible(norm.text):
        return norm
    edits = []
    for m in _RUN_RE.finditer(norm.text):
        if _AFTER_NUMBER_RE.search(norm.text, max(0, m.start() - 10), m.start()):
            continue  # it goes on from a number ("963. five 7 4"): numbers in prose
        units = _UNIT_SPLIT_RE.split(m.group())
        ambiguous = sum(1 for u in units if u.lower() in _AMBIGUOUS)
        if len(units) < 8 and 2 * ambiguous >= len(units):
            continue  # "9 to 5 one day": ordinary prose, not a hidden number
        digits = "".join(u if u.isdigit() else _NUMBER_WORDS[u.lower()] for u in units)
        edits.append((m.start(), m.end(), digits))
    return rewrite(norm, edits) if edits else norm


def _spelled_digits_possible(text: str) -> bool:
    """Whether a run may be there: four digits or number words in a row (separators
    apart), one of them a number word that is not also an ordinary word or all digits."""
    in_row = 0
    unambiguous = False
    for word in text.lower().split():
        word = word.strip(_PUNCTUATION)
        if word in _UNITS:
            in_row += 1
            unambiguous = unambiguous or word in _UNAMBIGUOUS or word.isdigit()
            if in_row >= 4 and unambiguous:
                return True
        elif word.strip("-./"):
            in_row, unambiguous = 0, False
    return False
