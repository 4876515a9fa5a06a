"""Phone numbers: digit runs with the separators people use, checked by ``phonenumbers``."""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import PhoneNumberFormat

__all__ = ["phone_numbers", "phone_value"]

# Digits with the separators people use; a "+" or "(" before them is taken in too. (The
# pattern starts with a digit, which the regex engine looks for quickly.)
_CANDIDATE_RE = re.compile(r"\d[\d \t().\-/]{4,24}\d(?!\d)")
_NON_DIGITS_RE = re.compile(r"\D")
_DATE_RE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}[./-]\d{1,2}[./-]\d{1,2}")
_CURRENCY_NEAR_RE = re.compile(
    r"^\s?(?:kr\b|kr\.|dkk|eur|€|lei|ron|zł|zl\b|pln|лв|bgn|usd|\$|£|%|,-)", re.IGNORECASE
)
_RANGE_RE = re.compile(r"^\d{3,6}\s?[-–]\s?\d{3,6}$")
_CUE_RE = re.compile(
    r"(?i:\b(?:call|ring|phone|tel|tlf|telefon|mobil|mobile|sms|text|whats\s?app|telegram|"
    r"signal|viber|number|nummer|numer|număr|numar|sună|suna|sunați|sunati|zadzwoń|"
    r"zadzwon|обади|телефон|kontakt|contact)\b)[^\d\n]{0,20}$"
)


def phone_numbers(text: str, region: str) -> list[tuple[str, int, int]]:
    """``(E.164 value, start, end)`` of the phone numbers in ``text``.

    Valid numbers anywhere; merely possible ones (right length, unallocated range) only in
    international form or right after a phone cue ("ring", "WhatsApp"): ads use unallocated
    and foreign ranges, while a bare 8-digit run may be a company number. A run that is no
    number as a whole is tried again in the pieces a full stop or slash with a space leaves
    ("20551234. 20551234" is the same number twice).
    """
    found = []
    for m in _CANDIDATE_RE.finditer(text):
        judged = _judge(text, *m.span(), region)
        if judged is not None:
            found.append(judged)
            continue
        for piece in _PIECE_RE.finditer(text, *m.span()):
            judged = _judge(text, *piece.span(), region)
            if judged is not None and piece.span() != m.span():
                found.append(judged)
    return found


# The pieces of a candidate between "." or "/" followed by a space.
_PIECE_RE = re.compile(r"\d(?:[\d \t()\-]|[./](?!\s))*\d")


def _judge(text: str, start: int, end: int, region: str) -> tuple[str, int, int] | None:
    if text[start - 1 : start] == "(":
        start -= 1
    if text[start - 1 : start] == "+":
        start -= 1
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "+_"):
        return None
    raw = text[start:end].lstrip("(")
    start = end - len(raw)
    digits = _NON_DIGITS_RE.sub("", raw)
    if not 8 <= len(digits) <= 15 or _DATE_RE.fullmatch(raw.strip()):
        return None
    if _RANGE_RE.match(raw) or _CURRENCY_NEAR_RE.match(text[end : end + 5]):
        return None  # "2000-3000", "15000 kr": amounts, not numbers
    if start > 0 and text[start - 1] in "$€£":
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    lenient = raw.startswith("+") or bool(_CUE_RE.search(text, max(0, start - 30), start))
    value = phone_value(raw, region, lenient)
    return None if value is None else (value, start, end)


@functools.lru_cache(maxsize=8192)
def phone_value(raw: str, region: str, lenient: bool = False) -> str | None:
    """E.164 form of a valid number (or, ``lenient``, a possible one), else None. Cached:
    a network reuses its numbers."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    ok = phonenumbers.is_valid_number(number) or (
        lenient and phonenumbers.is_possible_number(number)
    )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164) if ok else None
