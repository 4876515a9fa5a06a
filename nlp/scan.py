"""Character scans of listing text that identifier extraction (:mod:`nlp.normalise`,
:mod:`nlp.extract`) runs on every listing."""

from __future__ import annotations

import functools
import re
from array import array

__all__ = [
    "EMOJI_RE",
    "LEET_HINT_RE",
    "ODD_SPACES",
    "PHONE_CORE_RE",
    "WORD_TOKEN_RE",
    "ZERO_WIDTH",
    "collapse_whitespace",
    "control_positions",
    "digit_runs",
    "emoji_spans",
    "homoglyph_hint",
    "leet_hint",
    "number_hint",
    "phone_core",
    "spaced_letters",
    "unit_run",
]

_SPACED_DIGITS_RE = re.compile(r"\d[ \t.\-/]{1,3}\d(?!\d)")
# Word tokens: runs of letters and digits, two of them joined by an apostrophe ("п'ять").
WORD_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SPACED_LETTERS_RE = re.compile(r"[ .\-][^\W\d_][ .\-][^\W\d_][ .\-]")
_SPACE_RUN_RE = re.compile(r"\s(?:\s+|(?<=[^\S ]))")  # r"\s{2,}|[^\S ]", scanned faster
# A leet character inside a word ("y0ung"), or "$" before two letters.
LEET_HINT_RE = re.compile(r"[013457@$](?:(?<=[^\W\d_].)(?=[^\W\d_])|(?<=\$)(?=[^\W\d_]{2}))")
_LATIN = "A-Za-z\u00c0-\u024f"
_DIGITS_RE = re.compile(r"\d+")
# The core of a phone number: a digit, 4-24 digits or separators, a digit ending its run.
PHONE_CORE_RE = re.compile(r"\d[\d \t().\-/]{4,24}\d(?![\d])")
ZERO_WIDTH = "\u200b\u200c\u2060\ufeff\u00ad\u180e"
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200d" + ZERO_WIDTH + "]")
EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff]"
    "(?:[\ufe0f\U0001f3fb-\U0001f3ff]|\u200d[\U0001f000-\U0001faff\u2600-\u27bf])*"
)


def number_hint(text: str, words: frozenset[str], min_len: int, max_len: int) -> bool:
    """True when ``text`` has single digits spaced apart ("2 0", "4/7") or a
    whitespace-separated word in ``words`` (whose lengths are ``min_len`` to ``max_len``)."""
    return _SPACED_DIGITS_RE.search(text) is not None or not words.isdisjoint(text.split())


def unit_run(text: str, units: frozenset[str], max_len: int) -> bool:
    """True when four consecutive word tokens of ``text`` (runs of letters and digits, two
    of them joined by an apostrophe) are, lowercased, in ``units`` (single ASCII digits and
    words of at most ``max_len`` characters)."""
    tokens = map(str.lower, WORD_TOKEN_RE.findall(text))
    return b"\1\1\1\1" in bytes(map(units.__contains__, tokens))


def spaced_letters(text: str, pos: int) -> int:
    """Where the first " l e" pattern at or after ``pos`` starts (a separator " ", "." or
    "-", a letter, a separator, a letter, a separator), or -1."""
    m = _SPACED_LETTERS_RE.search(text, max(pos, 0))
    return -1 if m is None else m.start()


def _space_runs(text: str) -> list[tuple[int, int]]:
    """The spans of ``re.finditer(r"\\s{2,}|[^\\S ]", text)``: runs of two or more whitespace
    characters, and single whitespace characters other than " "."""
    return [m.span() for m in _SPACE_RUN_RE.finditer(text)]


@functools.lru_cache(maxsize=16)
def _homoglyph_re(homoglyphs: str) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(homoglyphs)}](?:(?<=[{_LATIN}].)|(?=[{_LATIN}]))")


def homoglyph_hint(text: str, homoglyphs: str) -> bool:
    """True when a character of ``homoglyphs`` (all at or beyond U+0250) stands next to a
    Latin letter (A-Z, a-z, U+00C0-U+024F)."""
    return _homoglyph_re(homoglyphs).search(text) is not None


def leet_hint(text: str) -> bool:
    """True when one of "013457@$" stands between two letters ("y0ung"), or "$" before two
    letters ("$ex")."""
    return LEET_HINT_RE.search(text) is not None


def digit_runs(text: str) -> list[tuple[int, int]]:
    """The spans of the runs of decimal digits (any script, as ``\\d``) in ``text``."""
    return [m.span() for m in _DIGITS_RE.finditer(text)]


def phone_core(text: str, pos: int) -> tuple[int, int] | None:
    """The first span at or after ``pos`` of a digit, 4 to 24 digits or separators
    (" ", tab, "(", ")", ".", "-", "/") and a digit that no digit follows; or None."""
    m = PHONE_CORE_RE.search(text, max(pos, 0))
    return None if m is None else m.span()


def control_positions(text: str) -> list[int]:
    """The positions of control characters (but tab, line breaks, form feed) and of
    zero-width characters (:data:`ZERO_WIDTH`, and the joiner U+200D)."""
    return [m.start() for m in _CONTROL_RE.finditer(text)]


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """The spans of :data:`EMOJI_RE`: an emoji with its variation selectors, skin tones and
    joined emoji."""
    return [m.span() for m in EMOJI_RE.finditer(text)]


# Whitespace other than single spaces that can remain after NFKC (nlp/normalise.py step 1:
# NFKC turns most Unicode spaces into " ", and control characters have become " ").
ODD_SPACES = ("  ", "\n", "\t", "\r", "\x0b", "\x0c", "\u1680", "\u2028", "\u2029")


def collapse_whitespace(text: str, starts: array, ends: array) -> tuple[str, array, array]:
    """Runs of whitespace collapsed to one space, or one line break if the run had one, a
    lone line break kept, runs at either end dropped, then one leading and one trailing
    space dropped; ``starts`` and ``ends`` (arrays of "q", not changed) edited alike: a
    collapsed run keeps its first start and its last end. Texts without :data:`ODD_SPACES`
    are only stripped. The inputs come back when nothing changes."""
    n = len(text)
    if any(odd in text for odd in ODD_SPACES):
        pieces: list[str] = []
        cuts: list[tuple[int, int, bool]] = []
        pos = 0
        for a, b in _space_runs(text):
            if a == 0 or b == n:
                new = ""
            else:
                run = text[a:b]
                new = "\n" if "\n" in run else " "
                if run == new:
                    continue  # a lone line break stays as it is
            pieces.append(text[pos:a])
            pieces.append(new)
            pos = b
            cuts.append((a, b, bool(new)))
        if cuts:
            pieces.append(text[pos:])
            text = "".join(pieces)
            starts, ends = starts[:], ends[:]
            for a, b, keep in reversed(cuts):
                if keep:  # the run's first start and last end
                    del starts[a + 1 : b]
                    del ends[a : b - 1]
                else:
                    del starts[a:b]
                    del ends[a:b]
    n = len(text)
    if n and (text[0] == " " or text[-1] == " "):
        lead = 1 if text[0] == " " else 0
        trail = n - 1 if text[-1] == " " and n - 1 >= lead else n
        text, starts, ends = text[lead:trail], starts[lead:trail], ends[lead:trail]
    return text, starts, ends
