"""Undo the ways listings hide characters from filters, keeping a map to the original offsets.

Steps: HTML entities are decoded (``&#48;`` -> ``0``); keycap emoji become their digit
(``1️⃣`` -> ``1``); zero-width characters are dropped and control characters become spaces;
NFKC folds full-width, circled and styled letters and digits (``①``, ``ｆｅｅ``, ``𝐟𝐞𝐞``);
combining marks that compose with nothing (``p̲a̲s̲s̲``) are dropped; look-alike letters of
another script inside a word are folded to the word's script (``pаssport`` with a Cyrillic
``а``, ``пacпорт`` with Latin ``a`` and ``c``).

Word-level tricks (leetspeak, letter-spaced words, digits written as words) are undone by
the tokenizer and the matcher, which check the result against the lexicon.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Normalised", "normalise", "rewrite"]

_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_KEYCAP_RE = re.compile("([0-9#*])\ufe0f?\u20e3")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\ufe0e\ufe0f"
_HIDDEN_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f" + _ZERO_WIDTH + "]")
_CONTROL_KEEP = "\t\n\r\x0c"
_NON_ASCII_RUN_RE = re.compile(r"[^\x00-\x7f]+")
# Kept as they are: ordinal indicators ("Nº 5" must not read "No 5") and the degree sign.
_KEEP = frozenset("ºª°")
_LATIN_CHARS = "A-Za-z\u00c0-\u024f"
_OTHER_CHARS = "\u0370-\u03ff\u0400-\u04ff"
# Where a Latin letter touches a Cyrillic or Greek one.
_MIXED_RE = re.compile(rf"[{_LATIN_CHARS}][{_OTHER_CHARS}]|[{_OTHER_CHARS}][{_LATIN_CHARS}]")
_OTHER_RE = re.compile(rf"[{_OTHER_CHARS}]")

# Letters that look alike across Latin, Cyrillic and Greek.
_CYR_TO_LAT = dict(
    zip(
        "авекмнорстухіјѕһԁԛԝӏАВЕКМНОРСТУХІЈЅҺԀԚԜӀҮ",
        "abekmhopctyxijshdqwlABEKMHOPCTYXIJSHDQWIY",
        strict=True,
    )
)
_GRE_TO_LAT = dict(zip("αβειкνορτυχγΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "abeikvoptuxyABEZHIKMNOPTYX", strict=True))
_LAT_TO_CYR = dict(zip("aeopcyxiABEKMHOPCTXI", "аеорсухіАВЕКМНОРСТХІ", strict=True))
_TO_LATIN = str.maketrans({**_CYR_TO_LAT, **_GRE_TO_LAT})
_TO_CYRILLIC = str.maketrans(_LAT_TO_CYR)


@dataclass(frozen=True, slots=True)
class Normalised:
    """The normalised text; ``starts[i]``/``ends[i]`` give the original span of ``text[i]``
    (``None``: the text is unchanged and offsets are the identity)."""

    text: str
    starts: list[int] | None = None
    ends: list[int] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map ``text[start:end]`` to ``(start, end)`` in the original text."""
        if self.starts is None or self.ends is None:
            return start, end
        if start >= end:
            pos = (
                self.starts[start]
                if start < len(self.starts)
                else (self.ends[-1] if self.ends else 0)
            )
            return pos, pos
        return self.starts[start], max(self.starts[start], self.ends[end - 1])


def _script(ch: str) -> str:
    if "a" <= ch.lower() <= "z" or "\u00c0" <= ch <= "\u024f":
        return "latin"
    if "\u0400" <= ch <= "\u04ff":
        return "cyrillic"
    if "\u0370" <= ch <= "\u03ff":
        return "greek"
    return "other"


class _Builder:
    """Applies non-overlapping edits ``(start, end, replacement)`` and composes offset maps."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] | None = None
        self.ends: list[int] | None = None

    def apply(self, edits: list[tuple[int, int, str]]) -> None:
        if not edits:
            return
        text = self.text
        starts = self.starts if self.starts is not None else list(range(len(text)))
        ends = self.ends if self.ends is not None else list(range(1, len(text) + 1))
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        pos = 0
        for a, b, new in sorted(edits):
            out.append(text[pos:a])
            new_starts.extend(starts[pos:a])
            new_ends.extend(ends[pos:a])
            out.append(new)
            first = starts[a] if a < len(starts) else (ends[-1] if ends else 0)
            last = ends[b - 1] if b > a else first
            new_starts.extend([first] * len(new))
            new_ends.extend([last] * len(new))
            pos = b
        out.append(text[pos:])
        new_starts.extend(starts[pos:])
        new_ends.extend(ends[pos:])
        self.text, self.starts, self.ends = "".join(out), new_starts, new_ends


def _entities(text: str) -> list[tuple[int, int, str]]:
    edits = []
    for m in _ENTITY_RE.finditer(text):
        decoded = html.unescape(m.group())
        if decoded != m.group():
            edits.append((m.start(), m.end(), decoded))
    return edits


def _hidden(text: str) -> list[tuple[int, int, str]]:
    edits = [(m.start(), m.end(), m.group(1)) for m in _KEYCAP_RE.finditer(text)]
    taken = {i for a, b, _ in edits for i in range(a, b)}
    for m in _HIDDEN_RE.finditer(text):
        if m.start() in taken:
            continue
        ch = m.group()
        if ch in _CONTROL_KEEP:
            continue
        edits.append((m.start(), m.end(), "" if ch in _ZERO_WIDTH else " "))
    return edits


def _unicode(text: str) -> list[tuple[int, int, str]]:
    edits = []
    for m in _NON_ASCII_RUN_RE.finditer(text):
        a, b = m.span()
        if a > 0 and unicodedata.combining(text[a]):
            a -= 1  # a combining mark on an ASCII letter
        i = a
        while i < b:
            j = i + 1
            while j < b and unicodedata.combining(text[j]):
                j += 1
            cluster = text[i:j]
            if cluster in _KEEP:
                i = j
                continue
            folded = unicodedata.normalize("NFKC", cluster)
            if (
                len(folded) > 1
                and unicodedata.combining(folded[-1])
                and _script(folded[0]) != "other"
            ):
                # marks that compose with nothing, on a letter or digit: decoration
                folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
            if folded != cluster:
                edits.append((i, j, folded))
            i = j
    return edits


def _mixed_words(text: str) -> list[tuple[int, int]]:
    """The spans of the words in which a Latin letter touches a Cyrillic or Greek one."""
    spans: list[tuple[int, int]] = []
    if _OTHER_RE.search(text) is None:
        return spans
    for m in _MIXED_RE.finditer(text):
        if spans and m.start() < spans[-1][1]:
            continue
        a, b = m.start(), m.end()
        while a > 0 and text[a - 1].isalpha():
            a -= 1
        while b < len(text) and text[b].isalpha():
            b += 1
        spans.append((a, b))
    return spans


def _homoglyphs(text: str) -> list[tuple[int, int, str]]:
    edits = []
    for start, end in _mixed_words(text):
        word = text[start:end]
        scripts = [_script(ch) for ch in word]
        latin, cyrillic = scripts.count("latin"), scripts.count("cyrillic")
        greek = scripts.count("greek")
        if latin and (cyrillic or greek):
            if latin >= cyrillic + greek:
                folded = word.translate(_TO_LATIN)
            else:
                folded = word.translate(_TO_CYRILLIC)
            if folded != word:
                edits.append((start, end, folded))
    return edits


def normalise(text: str) -> Normalised:
    """Normalise ``text`` (see the module documentation); never raises on a ``str``."""
    if not isinstance(text, str):
        raise TypeError(f"normalise() expects str, not {type(text).__name__}")
    builder = _Builder(text)
    if "&" in text:
        builder.apply(_entities(builder.text))
    if not builder.text.isascii() or _HIDDEN_RE.search(builder.text):
        builder.apply(_hidden(builder.text))
    if not builder.text.isascii():
        if not unicodedata.is_normalized("NFKC", builder.text):
            builder.apply(_unicode(builder.text))
        builder.apply(_homoglyphs(builder.text))
    return Normalised(builder.text, builder.starts, builder.ends)


def rewrite(norm: Normalised, edits: list[tuple[int, int, str]]) -> Normalised:
    """``norm`` with the non-overlapping ``edits`` ``(start, end, replacement)`` of its text
    made; a replacement maps to the original span of the text it replaces."""
    builder = _Builder(norm.text)
    builder.starts, builder.ends = norm.starts, norm.ends
    builder.apply(edits)
    return Normalised(builder.text, builder.starts, builder.ends)
