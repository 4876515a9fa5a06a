"""Tokens, sentences and clauses of a normalised listing.

A token is a run of letters and digits (two runs joined by an apostrophe count as one:
"don't", "п'ять"), a number with thousands or decimal separators ("25.000", "7,5"), or one
other visible character (punctuation, symbols, emoji). Every token carries its key: the
lowercase text without accents ("Gebyret" -> "gebyret", "taxă" -> "taxa", "opłatę" ->
"oplate"), on which the lexicon is matched, and its position counted in words (letters and
numbers only), on which distances are measured.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Token", "fold", "tokenize"]

_TOKEN_RE = re.compile(
    r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,]?\d)(?![^\W_])"  # 90 000  1 500 000
    r"|\d+(?:[.,]\d+)+(?![^\W_])"  # 25.000  7,5  1.500,00
    r"|[^\W_]+(?:['’@$][^\W_]+)*"  # words, letters mixed with digits, "п@спорт"
    r"|[^\w\s]"  # any other visible character
)
_SENTENCE_END = frozenset("!?…")
_CLAUSE_END = frozenset(",;:()[]{}–—|•·")  # quotation marks do not end a clause
# Danish and Norwegian æ, ø and å stay letters of their own: folded, "før" would be "for",
# "får" "far" and "bør" "bor". (æ and ø do not decompose; å is kept by a placeholder.)
_FOLD_EXTRA = str.maketrans(
    {"ł": "l", "đ": "d", "ß": "ss", "ı": "i", "ё": "е", "’": "'", "ʼ": "'", "å": "\ue000"}
)
# Abbreviations after which "." does not end a sentence (lowercase keys).
_ABBREVIATIONS = frozenset(
    {
        "kr",
        "ca",
        "fx",
        "evt",
        "inkl",
        "ekskl",
        "bl",
        "mr",
        "mrs",
        "dr",
        "st",
        "nr",
        "tlf",
        "mob",
        "max",
        "min",
        "osv",
        "etc",
        "vs",
        "approx",
        "incl",
        "jr",
        "sr",
        "tel",
        "str",
        "ul",
        "pl",
        "np",
        "tj",
        "itd",
        "ok",
        "ст",
        "тел",
        "грн",
        "руб",
        "лв",
        "бул",
        "ул",
        "др",
        "напр",
        "т.е",
        "сл",
    }
)
_UNIT_ABBREVIATIONS = frozenset({"kr", "грн", "руб", "лв", "min", "max", "etc", "osv"})


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lowercase ``word`` and strip its accents: the key the lexicon is matched on."""
    low = word.lower().translate(_FOLD_EXTRA)
    if low.isascii():
        return low
    decomposed = unicodedata.normalize("NFD", low)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Cyrillic й and ї lose their marks too: й -> и, ї -> і, consistently on both sides.
    return unicodedata.normalize("NFC", stripped).replace("\ue000", "å")


@dataclass(slots=True)
class Token:
    text: str
    key: str
    start: int  # character offsets in the normalised text
    end: int
    pos: int  # position among word tokens (punctuation shares its left neighbour's)
    sentence: int
    clause: int
    is_word: bool  # letters or digits
    is_number: bool  # digits (and separators) only


def _ends_sentence(text: str, prev: Token | None, end: int) -> bool:
    """Whether a "." ending at ``end`` ends a sentence: not after an abbreviation or a single
    letter (after a currency such as "kr." only before a capital), and followed by a
    capital, a digit, a line break or the end of the text."""
    rest = text[end : end + 3].lstrip(" \t")
    if prev is not None and prev.key in _UNIT_ABBREVIATIONS:
        return bool(rest) and rest[0].isupper()
    if prev is not None and (
        prev.key in _ABBREVIATIONS or (len(prev.key) == 1 and prev.key.isalpha())
    ):
        return False
    return (
        not rest
        or rest[0] == "\n"
        or rest[0].isupper()
        or rest[0].isdigit()
        or not rest[0].isalnum()
    )


def _ends_clause(prev: Token | None) -> bool:
    """Whether a "." that does not end a sentence (a small letter follows) still ends a
    clause: "sin experiencia. salimos el lunes" is careless writing, "ca. 30" is not."""
    return (
        prev is not None
        and prev.is_word
        and not prev.is_number
        and len(prev.key) > 2
        and prev.key not in _ABBREVIATIONS
    )


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` with their sentence and clause numbers."""
    tokens: list[Token] = []
    append = tokens.append
    keys = _KEYS
    pos = -1
    sentence = clause = 0
    newline = text.find("\n")
    for m in _TOKEN_RE.finditer(text):
        start, end = m.span()
        if newline != -1 and newline < start:
            if tokens:
                sentence += 1
                clause += 1
            newline = text.find("\n", start)
        word = m.group()
        if word[0].isalnum():
            pos += 1
            key = keys.get(word)
            if key is None:
                key = fold(word)
                if len(keys) < _KEYS_LIMIT:
                    keys[word] = key
            number = word.isdigit() or (
                word[0].isdigit() and not key.isalnum() and not any(ch.isalpha() for ch in key)
            )
            append(Token(word, key, start, end, pos, sentence, clause, True, number))
            continue
        append(Token(word, word, start, end, max(pos, 0), sentence, clause, False, False))
        if word in _SENTENCE_END or (
            word == "." and _ends_sentence(text, tokens[-2] if len(tokens) > 1 else None, end)
        ):
            sentence += 1
            clause += 1
        elif (
            word in _CLAUSE_END
            or (word == "-" and text[start - 1 : start] == " ")
            or (word == "." and _ends_clause(tokens[-2] if len(tokens) > 1 else None))
        ):
            clause += 1
    return tokens


_KEYS: dict[str, str] = {}  # word -> key, the words met so far
_KEYS_LIMIT = 200_000
