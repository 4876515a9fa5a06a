"""Fast, bounded language identification for the supported languages.

Strategy, cheapest first (langdetect alone manages only a few hundred texts per second):

1. Script: Cyrillic text is Bulgarian or Ukrainian, told apart by letters (ї є і ґ are
   Ukrainian; ъ and the word и are Bulgarian) and a few frequent words.
2. Stop words and diacritics on a bounded prefix: when one language clearly wins it is
   returned with method ``"stopwords"``.
3. Otherwise langdetect, restricted to :data:`SUPPORTED`, on the same prefix (profiles loaded
   once, seed 0 so results repeat), method ``"langdetect"``.
4. ``default`` with method ``"fallback"`` when nothing can be decided (empty text, digits,
   emoji only).

``mixed`` names other languages with substantial evidence, from the start and the end of the
text (for example a Danish advert with an English paragraph).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nlp.scan import script_evidence

__all__ = ["SUPPORTED", "LanguageGuess", "detect_language", "detect_many"]


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` as a set."""
    return frozenset(text.split())


SUPPORTED: tuple[str, ...] = ("da", "en", "ro", "pl", "bg", "uk", "es")

PREFIX_CHARS = 400
_MIN_SCORE = 2.0
_MARGIN = 1.6
_MIXED_MIN_SCORE = 4.0
_MIXED_RATIO = 0.3
_MIXED_MIN_WORDS = 8


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    lang: str
    confidence: float
    method: str  # "script", "stopwords", "langdetect" or "fallback"
    mixed: tuple[str, ...] = ()


# Small stop-word sets (function words), used only for language identification.
_STOPWORDS: dict[str, frozenset[str]] = {
    "da": _words(
        "og er til med vi det ikke for på af en et at som har du den de der jeg kan vil skal "
        "eller fra om hos os din dit dine man meget også men så efter efter hvis når her bliver "
        "blev være været sig sin sit vores jer jeres hun han dig mig mit min søger arbejde løn "
        "timer ingen godt gode nye ny"
    ),
    "en": _words(
        "the and to of for with you we is are a an in on at be our your will have has this that "
        "it as or from by not no can all who work job looking per hour hours they us do if any "
        "new must experience apply contact"
    ),
    "ro": _words(
        "și si pentru este cu din la care de în în un o să sa nu pe ce mai sunt fi ai am avem "
        "căutăm cautam lucru salariu fără fara după dupa sau prin acest această aceasta vă va "
        "vei oferim"
    ),
    "pl": _words(
        "i w nie się sie na z do jest dla to że ze od po jak przez lub oraz ale tak być jesteś "
        "jestem są mamy oferujemy praca pracy szukamy bez wynagrodzenie tylko czy już juz który "
        "która które ich nas dla"
    ),
    "es": _words(
        "el la de que y en los las para con un una por del al es se no su sus más mas como "
        "trabajo buscamos ofrecemos sin pero o si muy ya está esta este tu te"
    ),
}
# Lowercase characters that (among the supported Latin-script languages) point to one language.
_DIACRITICS: dict[str, str] = {"da": "æøå", "ro": "ăâîșşțţ", "pl": "ąęłśżźćń", "es": "ñ¿¡áéíú"}
_DIACRITIC_WEIGHT = 0.75
_DIACRITIC_LANG = {ch: lang for lang, chars in _DIACRITICS.items() for ch in chars}
_DIACRITIC_CHARS = "".join(sorted(_DIACRITIC_LANG))

_UK_LETTERS = "їєіґ"
_BG_LETTERS = "ъѝ"
_UK_WORDS = _words("і та що для це від ми не ви як або також який яка які ще є")
_BG_WORDS = _words("и е са от със като който която които ще се за да но това")
_RU_ONLY = "ыэё"


# word -> list of (language, weight); a word shared by k languages gives each 1/k.
_WORD_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {}
for _word in {w for words in _STOPWORDS.values() for w in words}:
    _langs = [lang for lang, words in _STOPWORDS.items() if _word in words]
    _WORD_WEIGHTS[_word] = tuple((lang, 1.0 / len(_langs)) for lang in _langs)


@dataclass(frozen=True, slots=True)
class _Evidence:
    cyrillic_words: int
    latin_words: int
    latin: dict[str, float]
    cyrillic: dict[str, float]
    russian: bool

    @property
    def is_cyrillic(self) -> bool:
        return self.cyrillic_words > self.latin_words


def _evidence(window: str) -> _Evidence:
    """Stop words, diacritics and Cyrillic letters of ``window``, in one pass over it
    (nlp.scan.script_evidence, compiled where built)."""
    n_cyr, n_lat, scores, uk, bg, russian = script_evidence(
        window.lower(), _WORD_WEIGHT_INDEX, len(_LATIN_LANGS), _DIACRITIC_CHARS,
        _DIACRITIC_INDEX, _DIACRITIC_WEIGHT, _UK_LETTERS, _BG_LETTERS, _RU_ONLY, _UK_WORDS,
        _BG_WORDS)
    return _Evidence(n_cyr, n_lat, dict(zip(_LATIN_LANGS, scores, strict=True)),
                     {"uk": uk, "bg": bg}, russian)


# The same tables for script_evidence: languages by index.
_LATIN_LANGS = tuple(_STOPWORDS)
_WORD_WEIGHT_INDEX = {
    word: tuple((_LATIN_LANGS.index(lang), weight) for lang, weight in pairs)
    for word, pairs in _WORD_WEIGHTS.items()
}
_DIACRITIC_INDEX = tuple(_LATIN_LANGS.index(_DIACRITIC_LANG[ch]) for ch in _DIACRITIC_CHARS)

_ORDER = {lang: i for i, lang in enumerate(SUPPORTED)}  # ties go to the earlier language


def _ranked(scores: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda kv: (-kv[1], _ORDER[kv[0]]))


# --- langdetect, restricted to the supported languages -------------------------------------

_factory = None
_factory_lock = threading.Lock()


def _get_factory():
    global _factory
    if _factory is None:
        with _factory_lock:
            if _factory is None:
                from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

                DetectorFactory.seed = 0
                factory = DetectorFactory()
                profiles = [
                    (Path(PROFILES_DIRECTORY) / lang).read_text(encoding="utf-8")
                    for lang in SUPPORTED
                ]
                factory.load_json_profile(profiles)
                factory.set_seed(0)
                _factory = factory
    return _factory


def _langdetect(window: str, allowed: tuple[str, ...]) -> tuple[str, float] | None:
    from langdetect.lang_detect_exception import LangDetectException

    detector = _get_factory().create()
    detector.set_max_text_length(PREFIX_CHARS)
    if len(allowed) < len(SUPPORTED):
        detector.set_prior_map({lang: (1.0 if lang in allowed else 0.0) for lang in SUPPORTED})
    try:
        detector.append(window)
        probabilities = detector.get_probabilities()
    except LangDetectException:
        return None
    for item in probabilities:
        if item.lang in allowed:
            return item.lang, round(float(item.prob), 4)
    return None


# --- public API ----------------------------------------------------------------------------


def _decide(ev: _Evidence) -> tuple[str, float, str] | None:
    """Decide from script, stop words and diacritics alone; None when undecided."""
    if ev.cyrillic_words + ev.latin_words == 0:
        return None
    if ev.is_cyrillic:
        (top, s1), (_, s2) = _ranked(ev.cyrillic)
        if s1 > 0 and s1 >= _MARGIN * s2 and not ev.russian:
            return top, round(s1 / (s1 + s2), 4), "script"
        return None
    (top, s1), (_, s2) = _ranked(ev.latin)[:2]
    if s1 >= _MIN_SCORE and s1 >= _MARGIN * s2 + 0.5:
        return top, round(s1 / (s1 + s2), 4), "stopwords"
    return None


def detect_language(text: str, *, default: str = "en", mixed: bool = True) -> LanguageGuess:
    """Guess the language of ``text`` among :data:`SUPPORTED`; bounded work per text.

    With ``mixed=False`` the guess has no ``mixed`` languages, and the end of the text is
    read only when its start has no words: ``lang``, ``confidence`` and ``method`` are the
    same, in about half the time (the scorer needs only ``lang``).
    """
    if not isinstance(text, str) or not text:
        return LanguageGuess(default, 0.0, "fallback")
    head = text[:PREFIX_CHARS]
    tail = text[-PREFIX_CHARS:] if len(text) > 2 * PREFIX_CHARS else text[PREFIX_CHARS:]
    head_ev = _evidence(head)
    head_has_words = head_ev.cyrillic_words + head_ev.latin_words > 0
    tail_ev = _evidence(tail) if tail and (mixed or not head_has_words) else None
    decided = _decide(head_ev)
    if decided is None and not head_has_words:
        decided = _decide(tail_ev) if tail_ev is not None else None
        if decided is None:
            return LanguageGuess(default, 0.0, "fallback")
        return LanguageGuess(*decided)
    if decided is None:
        if head_ev.is_cyrillic:
            allowed: tuple[str, ...] = ("bg", "uk")
        else:
            allowed = tuple(lang for lang in SUPPORTED if lang not in ("bg", "uk"))
        found = _langdetect(head, allowed)
        if found is None:
            return LanguageGuess(default, 0.0, "fallback")
        decided = (found[0], found[1], "langdetect")
    lang, confidence, method = decided
    if not mixed:
        return LanguageGuess(lang, confidence, method)
    return LanguageGuess(lang, confidence, method, _mixed(lang, head_ev, tail_ev))


def _mixed(lang: str, head: _Evidence, tail: _Evidence | None) -> tuple[str, ...]:
    others: list[str] = []
    totals = {**head.latin, **head.cyrillic}
    cyr, lat = head.cyrillic_words, head.latin_words
    if tail is not None:
        tail_decided = _decide(tail)
        if tail_decided is not None and tail_decided[0] != lang:
            others.append(tail_decided[0])
        cyr += tail.cyrillic_words
        lat += tail.latin_words
        for key, value in {**tail.latin, **tail.cyrillic}.items():
            totals[key] += value
    cyrillic_lang = lang in ("bg", "uk")
    top = totals.get(lang, 0.0)
    for other, score in _ranked(totals):
        if other == lang or other in others or (other in ("bg", "uk")) != cyrillic_lang:
            continue
        if score >= _MIXED_MIN_SCORE and score >= _MIXED_RATIO * max(top, 1.0):
            others.append(other)
    # Two scripts with substantial text each: name the other script's language too.
    has_latin_other = any(o not in ("bg", "uk") for o in others)
    has_cyrillic_other = any(o in ("bg", "uk") for o in others)
    if cyrillic_lang and lat >= _MIXED_MIN_WORDS and not has_latin_other:
        best = _ranked({k: v for k, v in totals.items() if k not in ("bg", "uk")})[0]
        if best[1] >= _MIN_SCORE:
            others.append(best[0])
    elif not cyrillic_lang and cyr >= _MIXED_MIN_WORDS and not has_cyrillic_other:
        best = _ranked({"uk": totals["uk"], "bg": totals["bg"]})[0]
        others.append(best[0] if best[1] > 0 else "bg")
    return tuple(others[:2])


def detect_many(texts: Iterable[str], *, default: str = "en") -> list[LanguageGuess]:
    """:func:`detect_language` for each text."""
    return [detect_language(t, default=default) for t in texts]
