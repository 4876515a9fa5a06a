"""Russian, Ukrainian and Bulgarian written in Latin letters ("Rabota v Danii, zhilyo
dayom", "Shukayemo lyudej", "rabotqt samo prez men").

Posters without a Cyrillic keyboard, and posters who want to slip past filters, write
these languages in Latin letters by ear. Such a listing is identified as no language (or
as a Latin-script neighbour such as Croatian), and no lexicon knows its words. Here each of
its words is read back into Cyrillic by the informal spellings of each of the three
languages (``zh`` ж, ``shch`` щ, ``ya`` я; Ukrainian ``y`` и and ``i`` і; Bulgarian chat
``q`` я, ``4`` ч, ``6`` ш), and the reading whose words are most often that language's
function words is kept, if it has two more than the listing has as it is written (Czech,
Slovak or Croatian share some short words with a reading, never that many more). The
tokens keep their text and offsets; only their keys, on which the lexicon is matched,
become the reading's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

from .language import LanguageGuess, function_words, most_function_words
from .tokens import Token, fold

__all__ = ["read_transliterated"]

LANGUAGES = ("ru", "uk", "bg")
MIN_WORDS = 4  # Latin words a listing needs before it is read
MIN_HITS = 3  # function words the reading needs
MIN_LEAD = 2  # ... more than the listing has as written, in the language with the most
MIN_ENGLISH = 3  # English words of substance that make a listing mixed
MIN_LATIN = 0.85  # share of the letters that are ASCII ("á", "ł": not)
_VOWELS = frozenset("aeiouy")

_COMMON = {
    "shch": "щ",
    "sch": "щ",
    "sh": "ш",
    "ch": "ч",
    "zh": "ж",
    "kh": "х",
    "ts": "ц",
    "tz": "ц",
    "yu": "ю",
    "ju": "ю",
    "ya": "я",
    "ja": "я",
    "a": "а",
    "b": "б",
    "v": "в",
    "w": "в",
    "g": "г",
    "d": "д",
    "e": "е",
    "z": "з",
    "i": "и",
    "j": "й",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "f": "ф",
    "h": "х",
    "c": "ц",
    "x": "кс",
    "q": "к",
    "'": "ь",
}
_TABLES = {
    "ru": {**_COMMON, "yo": "ё", "jo": "ё", "y": "ы"},
    "uk": {
        **_COMMON,
        "yi": "ї",
        "ji": "ї",
        "ye": "є",
        "je": "є",
        "y": "и",
        "i": "і",
        "h": "г",
        "'": "'",
    },
    "bg": {**_COMMON, "sht": "щ", "q": "я", "4": "ч", "6": "ш", "j": "ж", "y": "ъ", "x": "х"},
}
_PATTERNS = {
    lang: re.compile("|".join(sorted(map(re.escape, table), key=len, reverse=True)) + "|.")
    for lang, table in _TABLES.items()
}


@lru_cache(maxsize=100_000)
def read_word(word: str, lang: str) -> str:
    """``word`` (lowercase Latin) read in ``lang``'s Cyrillic; a "y" after a vowel is "й"
    in Russian ("priyatnoy")."""
    table = _TABLES[lang]
    out: list[str] = []
    for m in _PATTERNS[lang].finditer(word):
        piece = m.group()
        if piece == "y" and lang == "ru" and out and m.start() and word[m.start() - 1] in _VOWELS:
            out.append("й")
        else:
            out.append(table.get(piece, piece))
    return "".join(out)


def _hard(word: str) -> str:
    return word.replace("ь", "").replace("'", "")


@lru_cache(maxsize=len(LANGUAGES))
def _without_soft_signs(lang: str) -> frozenset[str]:
    """``lang``'s function words as Latin spellings by ear often read back: without the
    soft sign and the apostrophe ("tilky", "til'ky": тільки; "pyshit": пишіть)."""
    return frozenset(_hard(w) for w in function_words(lang))


def _latin_share(words: list[str]) -> float:
    letters = [c for w in words for c in w if c.isalpha()]
    return sum(c.isascii() for c in letters) / len(letters) if letters else 0.0


def read_transliterated(
    tokens: list[Token],
    keep: Callable[[str], bool] = lambda key: False,
    *,
    identified: bool = False,
) -> tuple[list[Token], LanguageGuess] | None:
    """The tokens with Cyrillic keys and the language they are in, when ``tokens`` read as
    Russian, Ukrainian or Bulgarian written in Latin letters; None otherwise. Words for
    which ``keep`` is true (English words the lexicon knows, in a listing that mixes both)
    keep their keys. ``identified``: the listing was identified as a supported language
    written in Latin letters (Ukrainian typed so often reads as Polish), and the reading
    must be plainer: ASCII letters only, and twice the function words as written."""
    words = [t.key for t in tokens if t.is_word and not t.is_number]
    latin = _latin_share([t.text for t in tokens if t.is_word])
    if len(words) < MIN_WORDS or latin < (1.0 if identified else MIN_LATIN):
        return None
    as_written = most_function_words([t.text.lower() for t in tokens if t.is_word])
    needed = max(MIN_HITS, as_written + MIN_LEAD, 2 * as_written if identified else 0)
    best, best_hits = None, needed - 1
    for lang in LANGUAGES:
        known = _without_soft_signs(lang)
        hits = sum(_hard(read_word(w, lang)) in known for w in words if w.isascii())
        if hits > best_hits:
            best, best_hits = lang, hits
    if best is None:
        return None
    # An English word the lexicon knows keeps its key, unless it reads as a function word
    # ("ne", "i" are не, и here); English function words ("no", "my") stay English only in
    # a listing that mixes in English words of substance.
    function, english = _without_soft_signs(best), function_words("en")
    english_words = sum(
        keep(w) and w not in english and _hard(read_word(w, best)) not in function for w in words
    )

    def kept(key: str) -> bool:
        if not keep(key):
            return False
        if _hard(read_word(key, best)) not in function:
            return True
        return key in english and english_words >= MIN_ENGLISH

    read = [
        replace(t, key=fold(read_word(t.key, best)))
        if t.is_word and not t.is_number and t.key.isascii() and not kept(t.key)
        else t
        for t in tokens
    ]
    return read, LanguageGuess(best, round(best_hits / len(words), 3))
