"""The reference matcher: the code that finds indicators in a listing.

Standard library only: thbscan runs it, and partner exports ship it beside the compiled
catalogue, so a partner gets exactly thbscan's indicator results without installing
thbscan (``python -m thbscan_matcher`` in an export).
"""

from .engine import FORMS, MAX_CHARS, Analysis, Engine, Hit, band_of, combine, score_of
from .language import SUPPORTED, LanguageGuess, identify
from .normalise import Normalised, normalise
from .tokens import Token, fold, tokenize

__all__ = [
    "FORMS",
    "MAX_CHARS",
    "SUPPORTED",
    "Analysis",
    "Engine",
    "Hit",
    "LanguageGuess",
    "Normalised",
    "Token",
    "band_of",
    "combine",
    "fold",
    "identify",
    "normalise",
    "score_of",
    "tokenize",
]
