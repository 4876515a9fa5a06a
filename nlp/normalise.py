"""Normalisation of listing text for matching, with a map back to the original offsets.

:func:`normalise` undoes the usual ways of hiding words and numbers from keyword filters,
while keeping, for every character of the result, the span of the original text it came
from. A span found in the normalised text maps back with :meth:`Normalised.to_original`.

Steps, in order:

1. NFKC per character cluster (full-width letters, ligatures, superscripts); zero-width
   characters are removed and control characters become spaces.
2. Homoglyph folding: Cyrillic/Greek look-alikes inside mostly-Latin words become Latin
   (``whаtsapp`` with a Cyrillic ``а``). Words written in Cyrillic are left alone.
3. Leetspeak inside words that are mostly letters (``y0ung`` -> ``young``). Numbers,
   prices, times and phone digits are not touched.
4. De-spacing of letter-spaced words: four or more single letters separated by single
   spaces, dots or dashes (``w h a t s a p p`` -> ``whatsapp``).
5. Digit sequences written with words or single spaced digits (``two 0 five 5 1 2 3 4``,
   ``to nul fem fem``) become digit runs when at least four digit tokens follow each other.
6. Emoji become separate tokens (surrounded by spaces).
7. Runs of whitespace collapse to one space (one newline if the run had a newline), and the
   text is stripped.

Case is kept: matchers compare on lowercase themselves.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nlp.errors import InputError
from nlp.scan import (
    LEET_HINT_RE,
    WORD_TOKEN_RE,
    ZERO_WIDTH,
    collapse_whitespace,
    control_positions,
    emoji_spans,
    homoglyph_hint,
    leet_hint,
    number_hint,
    spaced_letters,
    unit_run,
)

__all__ = ["Normalised", "normalise", "normalise_many"]


@dataclass(frozen=True, slots=True)
class Normalised:
    """Normalised text plus, for each of its characters, the original span it came from.

    ``offsets[i]`` is the original index of the first original character behind
    ``text[i]``; ``ends[i]`` is the (exclusive) end of that original span. Characters
    inserted by normalisation (spaces around emoji) have an empty span.
    """

    text: str
    offsets: Sequence[int]
    ends: Sequence[int]
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map ``text[start:end]`` to ``(start, end)`` in the original text (end exclusive)."""
        n = len(self.text)
        if not 0 <= start <= end <= n:
            raise InputError(f"span ({start}, {end}) is outside the normalised text (0, {n})")
        if start == end:
            pos = self.offsets[start] if start < n else (self.ends[n - 1] if n else 0)
            return pos, pos
        return self.offsets[start], max(self.offsets[start], self.ends[end - 1])


# Edits are (start, end, replacement, replacement starts, replacement ends).
_Edit = tuple[int, int, str, Sequence[int], Sequence[int]]


# Offsets are kept as arrays of machine integers: building a list of Python ints for every
# character cost about 40 µs per listing. 0, 1, 2, ... is sliced from one shared array.
_IOTA = array("q", range(1 << 15))


def _as_array(seq: Sequence[int]) -> array:
    if isinstance(seq, array):
        return seq
    if isinstance(seq, range) and seq.step == 1 and 0 <= seq.start <= seq.stop <= len(_IOTA):
        return _IOTA[seq.start : seq.stop]
    return array("q", seq)


def _apply(
    text: str, starts: Sequence[int], ends: Sequence[int], edits: list[_Edit]
) -> tuple[str, array, array]:
    starts = _as_array(starts)
    ends = _as_array(ends)
    out: list[str] = []
    out_starts = array("q")
    out_ends = array("q")
    pos = 0
    for a, b, new, new_starts, new_ends in edits:
        out.append(text[pos:a])
        out_starts.extend(starts[pos:a])
        out_ends.extend(ends[pos:a])
        out.append(new)
        out_starts.extend(new_starts)
        out_ends.extend(new_ends)
        pos = b
    out.append(text[pos:])
    out_starts.extend(starts[pos:])
    out_ends.extend(ends[pos:])
    return "".join(out), out_starts, out_ends


# --- 1. Unicode clean-up -------------------------------------------------------------------

_NON_ASCII_RUN_RE = re.compile(r"[^\x00-\x7f]+")


def _step_unicode(text: str, starts: Sequence[int], ends: Sequence[int]):
    edits: list[_Edit] = []
    for a in control_positions(text):  # control and zero-width characters (nlp.scan)
        ch = text[a]
        if ch == "\u200d":  # zero-width joiner: keep it inside emoji sequences
            if 0 < a < len(text) - 1 and text[a - 1].isalnum() and text[a + 1].isalnum():
                edits.append((a, a + 1, "", (), ()))
        elif ch in ZERO_WIDTH:
            edits.append((a, a + 1, "", (), ()))
        else:
            edits.append((a, a + 1, " ", starts[a : a + 1], ends[a : a + 1]))
    if edits:
        text, starts, ends = _apply(text, starts, ends, edits)
        edits = []
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text, starts, ends
    for m in _NON_ASCII_RUN_RE.finditer(text):
        a, b = m.span()
        if a > 0 and unicodedata.combining(text[a]):
            a -= 1  # combining mark on an ASCII base letter
        run = text[a:b]
        if unicodedata.is_normalized("NFKC", run):
            continue
        # Split into clusters: a base character plus its combining marks.
        i = a
        while i < b:
            j = i + 1
            while j < b and unicodedata.combining(text[j]):
                j += 1
            cluster = text[i:j]
            folded = unicodedata.normalize("NFKC", cluster)
            if folded != cluster:
                if len(folded) == j - i:
                    edits.append((i, j, folded, starts[i:j], ends[i:j]))
                else:
                    s, e = starts[i], ends[j - 1]
                    edits.append((i, j, folded, [s] * len(folded), [e] * len(folded)))
            i = j
    if edits:
        edits.sort(key=lambda edit: edit[0])
        text, starts, ends = _apply(text, starts, ends, edits)
    return text, starts, ends


# --- 2. Homoglyphs -------------------------------------------------------------------------

_HOMOGLYPHS = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "һ": "h",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "ӏ": "l",
    "ь": "b",
    "ѡ": "w",
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "У": "Y",
    "Х": "X",
    "І": "I",
    "Ј": "J",
    "Ѕ": "S",
    "Һ": "H",
    "Ԁ": "D",
    "Ԛ": "Q",
    "Ԝ": "W",
    "Ӏ": "I",
    "Ү": "Y",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "γ": "y",
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
}
_HOMOGLYPH_TABLE = str.maketrans(_HOMOGLYPHS)
_HOMOGLYPH_CHARS = "".join(_HOMOGLYPHS)
_HOMOGLYPH_WORD_RE = re.compile(r"\w*[" + "".join(_HOMOGLYPHS) + r"]\w*")


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and ord(ch) < 0x250


def _step_homoglyphs(text: str, starts: Sequence[int], ends: Sequence[int]):
    # A look-alike next to a Latin letter: the only case worth a closer look (nlp.scan).
    if not homoglyph_hint(text, _HOMOGLYPH_CHARS):
        return text, starts, ends
    edits: list[_Edit] = []
    for m in _HOMOGLYPH_WORD_RE.finditer(text):
        word = m.group()
        latin = sum(1 for ch in word if _is_latin_letter(ch))
        if not latin:
            continue  # a genuinely Cyrillic or Greek word
        other = [ch for ch in word if ch.isalpha() and ord(ch) >= 0x250]
        all_foldable = all(ch in _HOMOGLYPHS for ch in other)
        if not (all_foldable or latin > len(other)):
            continue
        folded = word.translate(_HOMOGLYPH_TABLE)
        if folded != word:
            a, b = m.span()
            edits.append((a, b, folded, starts[a:b], ends[a:b]))
    if edits:
        return _apply(text, starts, ends, edits)
    return text, starts, ends


# --- 3. Leetspeak --------------------------------------------------------------------------

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
# Written to start with a character set, which the regex engine scans for quickly.
_VOWELS = frozenset("aeiouyæøåąęóAEIOUYÆØÅ")


def _leet_token(token: str) -> str | None:
    letters = digits = leet = 0
    for ch in token:
        if ch.isalpha():
            letters += 1
        elif ch in _LEET:
            leet += 1
        elif ch.isdigit():
            digits += 1
    if digits or letters < 2 or letters <= leet:
        return None
    last = len(token) - 1
    interior = False
    for i, ch in enumerate(token):
        if ch in _LEET:
            if 0 < i < last and token[i - 1].isalpha() and token[i + 1].isalpha():
                interior = True
                break
            if ch == "$" and i == 0 and last >= 2 and token[1].isalpha():
                interior = True
                break
    if not interior:
        return None
    out = []
    for i, ch in enumerate(token):
        if ch not in _LEET or (ch == "@" and i == 0):
            out.append(ch)
            continue
        prev = token[i - 1] if i else ""
        nxt = token[i + 1] if i < last else ""
        rep = _LEET[ch]
        if ch == "1" and (
            i == 0 or prev in "lL1" or nxt in "lL1" or (prev in _VOWELS and nxt in _VOWELS)
        ):
            rep = "l"
        if prev.isupper() and (not nxt or nxt.isupper()):
            rep = rep.upper()
        out.append(rep)
    return "".join(out)


def _is_token_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_@$"


def _step_leet(text: str, starts: Sequence[int], ends: Sequence[int]):
    edits: list[_Edit] = []
    n = len(text)
    last_end = -1
    for hint in LEET_HINT_RE.finditer(text):
        if hint.start() < last_end:
            continue
        a = hint.start()
        while a > 0 and _is_token_char(text[a - 1]):
            a -= 1
        b = hint.end()
        while b < n and _is_token_char(text[b]):
            b += 1
        last_end = b
        token = text[a:b]
        if "@" in token[1:] and b + 1 < len(text) and text[b] == "." and text[b + 1].isalnum():
            continue  # an e-mail address
        if "@" in token[1:] and a > 0 and text[a - 1] == ".":
            continue
        folded = _leet_token(token)
        if folded is not None and folded != token:
            edits.append((a, b, folded, starts[a:b], ends[a:b]))
    if edits:
        return _apply(text, starts, ends, edits)
    return text, starts, ends


# --- 4. Letter-spaced words ----------------------------------------------------------------

_SPACED_RE = re.compile(r"(?<![\w.\-])(?:[^\W\d_][ .\-]){3,}[^\W\d_](?![\w])")


def _step_despace(text: str, starts: Sequence[int], ends: Sequence[int]):
    edits: list[_Edit] = []
    pos = 0
    while True:
        hint = spaced_letters(text, pos)  # " w h": separator, letter, separator, letter, ...
        if hint < 0:
            break
        # The hint covers the second and third letters: a run starts one character earlier.
        m = _SPACED_RE.match(text, max(hint - 1, 0))
        if m is None:
            pos = hint + 1
            continue
        a, b = m.span()
        idx = range(a, b, 2)
        edits.append((a, b, text[a:b:2], [starts[i] for i in idx], [ends[i] for i in idx]))
        pos = b
    if edits:
        return _apply(text, starts, ends, edits)
    return text, starts, ends


# --- 5. Digits written as words ------------------------------------------------------------

_NUMBER_WORDS = {
    # English
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    # Danish
    "nul": "0",
    "en": "1",
    "et": "1",
    "to": "2",
    "tre": "3",
    "fire": "4",
    "fem": "5",
    "seks": "6",
    "syv": "7",
    "otte": "8",
    "ni": "9",
    # Romanian
    "unu": "1",
    "doi": "2",
    "trei": "3",
    "patru": "4",
    "cinci": "5",
    "șase": "6",
    "șapte": "7",
    "opt": "8",
    "nouă": "9",
    # Polish
    "jeden": "1",
    "dwa": "2",
    "trzy": "3",
    "cztery": "4",
    "pięć": "5",
    "sześć": "6",
    "siedem": "7",
    "osiem": "8",
    "dziewięć": "9",
    # Spanish
    "cero": "0",
    "uno": "1",
    "dos": "2",
    "tres": "3",
    "cuatro": "4",
    "cinco": "5",
    "seis": "6",
    "siete": "7",
    "ocho": "8",
    "nueve": "9",
    # Bulgarian
    "нула": "0",
    "едно": "1",
    "две": "2",
    "три": "3",
    "четири": "4",
    "пет": "5",
    "шест": "6",
    "седем": "7",
    "осем": "8",
    "девет": "9",
    # Ukrainian
    "нуль": "0",
    "один": "1",
    "два": "2",
    "чотири": "4",
    "п'ять": "5",
    "п’ять": "5",
    "шість": "6",
    "сім": "7",
    "вісім": "8",
    "дев'ять": "9",
    "дев’ять": "9",
}
_NUM_GAP_RE = re.compile(r"[ \t]?[-./]?[ \t]?")
# Number words that are also frequent ordinary words in a supported language.
_AMBIGUOUS_WORDS = frozenset({"en", "et", "to", "ni", "oh", "one", "fire", "opt", "dos", "ocho"})
_UNAMBIGUOUS_WORDS = frozenset(
    form
    for word in _NUMBER_WORDS
    if word not in _AMBIGUOUS_WORDS
    for form in (word, word.capitalize(), word.upper())
)


# Tokens that can be part of an edited run: a single ASCII digit or a number word. A run is
# edited only when it has at least four tokens and all its digit tokens are single digits.
_UNIT_TOKENS = frozenset(_NUMBER_WORDS) | frozenset("0123456789")
_UNIT_MAX_LEN = max(map(len, _UNIT_TOKENS))
_UNAMBIGUOUS_LENGTHS = (min(map(len, _UNAMBIGUOUS_WORDS)), max(map(len, _UNAMBIGUOUS_WORDS)))


def _has_unit_run(text: str) -> bool:
    """Necessary condition for step 5 to edit: four consecutive unit tokens (tokens of
    WORD_TOKEN_RE that are, lowercased, in _UNIT_TOKENS)."""
    return unit_run(text, _UNIT_TOKENS, _UNIT_MAX_LEN)


def _number_value(token: str) -> str | None:
    if token.isdigit():
        return token if len(token) <= 4 and token.isascii() else None
    return _NUMBER_WORDS.get(token.lower())


def _step_number_words(text: str, starts: Sequence[int], ends: Sequence[int]):
    # Cheap pre-checks: spaced single digits (r"\d[ \t.\-/]{1,3}\d(?!\d)") or a number word
    # that is not also common prose (a whitespace-separated word in _UNAMBIGUOUS_WORDS): one
    # compiled scan where built (nlp.scan).
    if not number_hint(text, _UNAMBIGUOUS_WORDS, *_UNAMBIGUOUS_LENGTHS):
        return text, starts, ends
    if not _has_unit_run(text):
        return text, starts, ends
    # Runs of consecutive number tokens separated by at most " - " / "." / "/".
    runs: list[list[tuple[int, int, str, bool]]] = []
    run: list[tuple[int, int, str, bool]] = []
    for m in WORD_TOKEN_RE.finditer(text):
        a, b = m.span()
        token = m.group()
        value = _number_value(token)
        if value is None:
            if len(run) >= 4:
                runs.append(run)
            run = []
            continue
        if run and not _NUM_GAP_RE.fullmatch(text, run[-1][1], a):
            if len(run) >= 4:
                runs.append(run)
            run = []
        if not run and a > 0 and text[a - 1] in "+":
            continue  # a country code such as "+45" starts the number, it is not part of it
        run.append((a, b, value, token[0].isdigit()))
    if len(run) >= 4:
        runs.append(run)
    edits: list[_Edit] = []
    for tokens in runs:
        has_word = any(not is_digit for _, _, _, is_digit in tokens)
        all_single = all(len(value) == 1 for _, _, value, is_digit in tokens if is_digit)
        if not (has_word or all_single):
            continue  # grouped digits ("20 55 12 34") are already a phone number's form
        if has_word and not all_single:
            continue  # "18 to 25": numbers in prose
        ambiguous = sum(1 for a, b, _, _ in tokens if text[a:b].lower() in _AMBIGUOUS_WORDS)
        if len(tokens) < 8 and 2 * ambiguous >= len(tokens):
            continue  # "9 to 5 one day": ordinary prose, not a hidden number
        new_starts: list[int] = []
        new_ends: list[int] = []
        for a, b, _, is_digit in tokens:
            if is_digit:
                new_starts.extend(starts[a:b])
                new_ends.extend(ends[a:b])
            else:
                new_starts.append(starts[a])
                new_ends.append(ends[b - 1])
        digits = "".join(value for _, _, value, _ in tokens)
        edits.append((tokens[0][0], tokens[-1][1], digits, new_starts, new_ends))
    if edits:
        return _apply(text, starts, ends, edits)
    return text, starts, ends


# --- 6. Emoji ------------------------------------------------------------------------------


def _step_emoji(text: str, starts: Sequence[int], ends: Sequence[int]):
    edits: list[_Edit] = []
    n = len(text)
    for a, b in emoji_spans(text):  # nlp.scan.EMOJI_RE
        before = a > 0 and not text[a - 1].isspace()
        after = b < n and not text[b].isspace()
        if not (before or after):
            continue
        new = (" " if before else "") + text[a:b] + (" " if after else "")
        new_starts = ([starts[a]] if before else []) + list(starts[a:b])
        new_ends = ([starts[a]] if before else []) + list(ends[a:b])
        if after:
            new_starts.append(ends[b - 1])
            new_ends.append(ends[b - 1])
        edits.append((a, b, new, new_starts, new_ends))
    if edits:
        return _apply(text, starts, ends, edits)
    return text, starts, ends


# --- 7. Whitespace -------------------------------------------------------------------------


def _step_whitespace(text: str, starts: Sequence[int], ends: Sequence[int]):
    """Runs of whitespace collapse to one space (one line break if the run had one), and
    the text is stripped (nlp.scan.collapse_whitespace, compiled where built)."""
    return collapse_whitespace(text, _as_array(starts), _as_array(ends))


def normalise(text: str) -> Normalised:
    """Normalise ``text`` for matching; see the module documentation for the steps."""
    if not isinstance(text, str):
        raise InputError(f"normalise() expects str, not {type(text).__name__}")
    n = len(text)
    starts: Sequence[int] = range(n)
    ends: Sequence[int] = range(1, n + 1)
    t = text
    ascii_only = t.isascii()
    t, starts, ends = _step_unicode(t, starts, ends)
    if not ascii_only:
        t, starts, ends = _step_homoglyphs(t, starts, ends)
    if leet_hint(t):  # LEET_HINT_RE finds something (nlp.scan)
        t, starts, ends = _step_leet(t, starts, ends)
    t, starts, ends = _step_despace(t, starts, ends)
    t, starts, ends = _step_number_words(t, starts, ends)
    if not ascii_only:
        t, starts, ends = _step_emoji(t, starts, ends)
    t, starts, ends = _step_whitespace(t, starts, ends)
    return Normalised(t, starts, ends, n)


def normalise_many(texts: Iterable[str]) -> list[Normalised]:
    """Normalise each text in ``texts``."""
    return [normalise(t) for t in texts]
