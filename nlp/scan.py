"""Character scans of listing text that the scorer runs on every listing.

Each function is written here in plain Python (the reference) and, where the extension
``nlp._scan`` is built (``pip install`` builds it with Cython and a C compiler), replaced by
its compiled version, which gives exactly the same results (tests/unit/nlp compares them on
arbitrary text) 3-8 times faster. Without a compiler the install still succeeds and these
references run; :data:`COMPILED` says which is in use. ``THBSCAN_PURE_PYTHON_SCANS=1`` in the
environment makes the references run although the extension is built.
"""

from __future__ import annotations

import functools
import os
import re

__all__ = ["COMPILED", "EMOJI_RE", "ZERO_WIDTH", "char_counts", "control_positions", "digit_runs",
           "emoji_spans", "homoglyph_hint", "leet_hint", "letter_runs", "number_hint",
           "phone_core", "space_runs", "spaced_letters", "unit_run"]

_LETTERS_RE = re.compile(r"[^\W\d_]+")
_SPACED_DIGITS_RE = re.compile(r"\d[ \t.\-/]{1,3}\d(?!\d)")
_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SPACED_LETTERS_RE = re.compile(r"[ .\-][^\W\d_][ .\-][^\W\d_][ .\-]")
_SPACE_RUN_RE = re.compile(r"\s(?:\s+|(?<=[^\S ]))")  # r"\s{2,}|[^\S ]", scanned faster
_LEET_RE = re.compile(r"[013457@$](?:(?<=[^\W\d_].)(?=[^\W\d_])|(?<=\$)(?=[^\W\d_]{2}))")
_LATIN = "A-Za-z\u00c0-\u024f"
_DIGITS_RE = re.compile(r"\d+")
_PHONE_CORE_RE = re.compile(r"\d[\d \t().\-/]{4,24}\d(?![\d])")
ZERO_WIDTH = "\u200b\u200c\u2060\ufeff\u00ad\u180e"
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200d" + ZERO_WIDTH + "]")
EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff]"
    "(?:[\ufe0f\U0001f3fb-\U0001f3ff]|\u200d[\U0001f000-\U0001faff\u2600-\u27bf])*"
)


def letter_runs_py(text: str) -> list[str]:
    """The runs of letters in ``text``: ``re.findall(r"[^\\W\\d_]+", text)``."""
    return _LETTERS_RE.findall(text)


def number_hint_py(text: str, words: frozenset[str], min_len: int, max_len: int) -> bool:
    """True when ``text`` has single digits spaced apart ("2 0", "4/7") or a
    whitespace-separated word in ``words`` (whose lengths are ``min_len`` to ``max_len``)."""
    return _SPACED_DIGITS_RE.search(text) is not None or not words.isdisjoint(text.split())


def unit_run_py(text: str, units: frozenset[str], max_len: int) -> bool:
    """True when four consecutive word tokens of ``text`` (runs of letters and digits, two
    of them joined by an apostrophe) are, lowercased, in ``units`` (single ASCII digits and
    words of at most ``max_len`` characters)."""
    tokens = map(str.lower, _TOKEN_RE.findall(text))
    return b"\1\1\1\1" in bytes(map(units.__contains__, tokens))


def spaced_letters_py(text: str, pos: int) -> int:
    """Where the first " l e" pattern at or after ``pos`` starts (a separator " ", "." or
    "-", a letter, a separator, a letter, a separator), or -1."""
    m = _SPACED_LETTERS_RE.search(text, max(pos, 0))
    return -1 if m is None else m.start()


def space_runs_py(text: str) -> list[tuple[int, int]]:
    """The spans of ``re.finditer(r"\\s{2,}|[^\\S ]", text)``: runs of two or more whitespace
    characters, and single whitespace characters other than " "."""
    return [m.span() for m in _SPACE_RUN_RE.finditer(text)]


@functools.lru_cache(maxsize=16)
def _homoglyph_re(homoglyphs: str) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(homoglyphs)}](?:(?<=[{_LATIN}].)|(?=[{_LATIN}]))")


def homoglyph_hint_py(text: str, homoglyphs: str) -> bool:
    """True when a character of ``homoglyphs`` (all at or beyond U+0250) stands next to a
    Latin letter (A-Z, a-z, U+00C0-U+024F)."""
    return _homoglyph_re(homoglyphs).search(text) is not None


def leet_hint_py(text: str) -> bool:
    """True when one of "013457@$" stands between two letters ("y0ung"), or "$" before two
    letters ("$ex")."""
    return _LEET_RE.search(text) is not None


def digit_runs_py(text: str) -> list[tuple[int, int]]:
    """The spans of the runs of decimal digits (any script, as ``\\d``) in ``text``."""
    return [m.span() for m in _DIGITS_RE.finditer(text)]


def phone_core_py(text: str, pos: int) -> tuple[int, int] | None:
    """The first span at or after ``pos`` of a digit, 4 to 24 digits or separators
    (" ", tab, "(", ")", ".", "-", "/") and a digit that no digit follows; or None."""
    m = _PHONE_CORE_RE.search(text, max(pos, 0))
    return None if m is None else m.span()


def control_positions_py(text: str) -> list[int]:
    """The positions of control characters (but tab, line breaks, form feed) and of
    zero-width characters (:data:`ZERO_WIDTH`, and the joiner U+200D)."""
    return [m.start() for m in _CONTROL_RE.finditer(text)]


def emoji_spans_py(text: str) -> list[tuple[int, int]]:
    """The spans of :data:`EMOJI_RE`: an emoji with its variation selectors, skin tones and
    joined emoji."""
    return [m.span() for m in EMOJI_RE.finditer(text)]


def char_counts_py(text: str, chars: str) -> list[int]:
    """How often each character of ``chars`` (all beyond ASCII) occurs in ``text``."""
    return [text.count(ch) for ch in chars]


letter_runs = letter_runs_py
number_hint = number_hint_py
unit_run = unit_run_py
spaced_letters = spaced_letters_py
space_runs = space_runs_py
homoglyph_hint = homoglyph_hint_py
leet_hint = leet_hint_py
digit_runs = digit_runs_py
phone_core = phone_core_py
control_positions = control_positions_py
emoji_spans = emoji_spans_py
char_counts = char_counts_py
COMPILED = False
try:
    if os.environ.get("THBSCAN_PURE_PYTHON_SCANS") == "1":  # to compare, or to rule it out
        raise ImportError("THBSCAN_PURE_PYTHON_SCANS=1")
    from nlp._scan import (
        char_counts,
        control_positions,
        digit_runs,
        emoji_spans,
        homoglyph_hint,
        leet_hint,
        letter_runs,
        number_hint,
        phone_core,
        space_runs,
        spaced_letters,
        unit_run,
    )
    COMPILED = True
except ImportError:  # not built (no compiler at install): the references above run
    pass
