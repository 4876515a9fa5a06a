"""The language of a listing.

The reference matcher identifies languages from scripts, letters and function words
(:mod:`indicator_lists.matcher.language`): every language it knows by its own ISO 639-1
code, a supported one only when the evidence clearly beats every neighbour, and ``und``
when it cannot tell. For ``und`` this module asks langdetect (all its 55 languages,
seeded, so results repeat) for a name, and keeps it only when langdetect is sure and the
language is not a supported one: a supported language would have shown in the matcher's
evidence, so naming it here could give a text a supported language it is not in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from indicator_lists.matcher import SUPPORTED, LanguageGuess, identify, normalise, tokenize

__all__ = ["SUPPORTED", "Language", "detect_language", "name_language"]

UNDETERMINED = "und"
LANGDETECT_MIN_PROBABILITY = 0.9
_MIN_CHARS = 20
_PREFIX_CHARS = 1_000
_lock = threading.Lock()
_factory_ready = False


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1, or "und"
    supported: bool  # one of SUPPORTED: the catalogue has full lexicons for it
    confidence: float


def name_language(guess: LanguageGuess, text: str) -> Language:
    """The reported language for the matcher's ``guess`` on ``text``."""
    code = guess.lang
    # langdetect names only what the matcher has no evidence for at all: where a supported
    # language has some, its answer for a short text is as likely wrong ("fr" for English)
    if code == UNDETERMINED and not guess.also and len(text) >= _MIN_CHARS:
        named = _langdetect(text[:_PREFIX_CHARS])
        if named is not None and named[0] not in SUPPORTED:
            return Language(named[0], False, named[1])
    return Language(code, code in SUPPORTED, guess.confidence)


def detect_language(text: str) -> Language:
    """The language of a text on its own (normalised and tokenized as the matcher does)."""
    words = [t.text.lower() for t in tokenize(normalise(text).text) if t.is_word]
    return name_language(identify(words), text)


def _langdetect(text: str) -> tuple[str, float] | None:
    global _factory_ready
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    with _lock:
        if not _factory_ready:
            DetectorFactory.seed = 0
            _factory_ready = True
    try:
        found = detect_langs(text)
    except LangDetectException:
        return None
    if not found or found[0].prob < LANGDETECT_MIN_PROBABILITY:
        return None
    return found[0].lang.split("-")[0], round(float(found[0].prob), 3)
