"""Phone numbers written to be hard to find: digits spelled as words, letters for digits,
single digits spaced apart or joined with letters, near a contact word."""

from __future__ import annotations

import re

from .tokens import Token

__all__ = ["HIDDEN_PHONE", "hidden_phone_tokens", "obfuscated_phones"]

# A stored text holds a phone number as a token (R09); one that was written to be hard to
# find keeps that fact in its token, "[hidden phone abcdefgh]", for the detector below.
HIDDEN_PHONE = "hidden phone"
_HIDDEN_TOKEN = re.compile(rf"\[{HIDDEN_PHONE} [a-p]{{8}}\]")

_LETTER_DIGITS = {"o": "0", "l": "1", "i": "1"}
_SEPARATORS = frozenset(" .-–—_*/|~x")
_BARE_O = frozenset(("o", "oo", "ooo"))


def obfuscated_phones(
    text: str, tokens: list[Token], numbers: dict[str, str], contact: list[bool]
) -> list[tuple[int, int]]:
    """Token ranges ``(first, last)`` of phone numbers written to be hard to find: 8 to 15
    digits in a run that spells digits as words (``numbers``: key -> digit), writes letters
    for digits (O for 0), splits single digits apart or joins them with letters ("2x0x5"),
    and that has phone context (``contact[i]``: token i is a contact word, or a "+").
    Versions and decimals ("7.1/6.2"), amounts and measures are not phone numbers."""
    runs: list[tuple[int, int]] = []
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        if not tok.is_word or (
            not tok.is_number and tok.key not in numbers and not _has_digit(tok.key)
        ):
            i += 1
            continue
        digits, tricks, singles, first, last = _run(text, tokens, numbers, i)
        if digits and first is not None and last is not None:
            if (
                8 <= digits <= 15
                and (tricks or singles >= 6)
                and _phone_context(tokens, contact, first, last)
                and not _versions(tokens, first, last)
            ):
                runs.append((first, last))
            i = last + 1
        else:
            i += 1
    return runs


def _has_digit(key: str) -> bool:
    return not key.isalpha() and any(c.isdigit() for c in key)


def _digits_of(tok: Token, numbers: dict[str, str]) -> tuple[str, bool] | None:
    """The digits a token stands for and whether it hides them; None if it is no digit."""
    if tok.is_number:
        digits = "".join(tok.text.split())
        return (digits, False) if digits.isdigit() else None
    if tok.key in numbers:
        return numbers[tok.key], True
    if tok.is_word and _has_digit(tok.key):
        out = []
        for ch in tok.key:
            if ch.isdigit():
                out.append(ch)
            elif ch in _LETTER_DIGITS:
                out.append(_LETTER_DIGITS[ch])
            elif ch != "x":
                return None
        return "".join(out), True
    if tok.key in _BARE_O:
        return "0" * len(tok.key), True
    return None


def _run(text: str, tokens: list[Token], numbers: dict[str, str], i: int):
    parts: list[tuple[int, str, bool]] = []  # (token, its digits, hidden)
    j = i
    while j < len(tokens):
        tok = tokens[j]
        got = _digits_of(tok, numbers)
        if got is not None:
            parts.append((j, *got))
            j += 1
            continue
        if tok.is_word or not parts:
            break
        gap = text[tokens[j - 1].end : tok.end] if j > 0 else ""
        if len(gap.strip()) > 1 or not set(gap) <= _SEPARATORS:
            break
        j += 1
    # A lone "o" at either end is a word ("28 64 19 03 o en mi web": Spanish "or"), not a 0.
    while parts and tokens[parts[-1][0]].key in _BARE_O:
        parts.pop()
    while parts and tokens[parts[0][0]].key in _BARE_O:
        parts.pop(0)
    if not parts:
        return 0, 0, 0, None, None
    digits = sum(len(value) for _, value, _ in parts)
    tricks = sum(hidden for _, _, hidden in parts)
    singles = sum(len(value) == 1 for _, value, _ in parts)
    return digits, tricks, singles, parts[0][0], parts[-1][0]


def _phone_context(tokens: list[Token], contact: list[bool], first: int, last: int) -> bool:
    if first > 0 and tokens[first - 1].text == "+":
        return True
    lo, hi = max(0, first - 8), min(len(tokens), last + 9)
    return any(contact[k] for k in range(lo, hi))


def _versions(tokens: list[Token], first: int, last: int) -> bool:
    """ "7.1/6.2/6.1": numbers with decimal points between single digits."""
    seps = [t.text for t in tokens[first : last + 1] if not t.is_word]
    return "." in seps and "/" in seps


def hidden_phone_tokens(text: str, tokens: list[Token]) -> list[tuple[int, int]]:
    """Token ranges ``(first, last)`` of the "[hidden phone ...]" tokens in ``text``."""
    out = []
    for m in _HIDDEN_TOKEN.finditer(text):
        inside = [i for i, t in enumerate(tokens) if t.start < m.end() and t.end > m.start()]
        if inside:
            out.append((inside[0], inside[-1]))
    return out
