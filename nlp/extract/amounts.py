"""Amounts of money with their currency: "1.500,00 kr" -> "1500 DKK", "120-150 kr/t" ->
"120-150 DKK", "€50" -> "50 EUR"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

__all__ = ["amounts"]

_CURRENCIES = {
    "kr": "DKK",
    "kr.": "DKK",
    "kroner": "DKK",
    "dkk": "DKK",
    "eur": "EUR",
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "lei": "RON",
    "ron": "RON",
    "leu": "RON",
    "zł": "PLN",
    "zl": "PLN",
    "pln": "PLN",
    "złotych": "PLN",
    "лв": "BGN",
    "лв.": "BGN",
    "bgn": "BGN",
    "лева": "BGN",
    "usd": "USD",
    "$": "USD",
    "dollars": "USD",
    "£": "GBP",
    "gbp": "GBP",
    "uah": "UAH",
    "грн": "UAH",
}
_CUR_ALT = "|".join(sorted((re.escape(c) for c in _CURRENCIES), key=len, reverse=True))
_NUM = (
    r"\d{1,3}(?:[.\u00a0 ]\d{3})+(?:,\d{1,2})?"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?"
    r"|\d+(?:[.,]\d{1,2})?"
)
# The amount's alternatives with the first digit in front: the regex engine then looks for
# a digit before it tries them (several times faster).
_NUM_LEAD = (
    r"\d(?:\d{0,2}(?:[.\u00a0 ]\d{3})+(?:,\d{1,2})?"
    r"|\d{0,2}(?:,\d{3})+(?:\.\d{1,2})?"
    r"|\d*(?:[.,]\d{1,2})?)"
)
_AMOUNT_RE = re.compile(
    rf"(?P<a>{_NUM_LEAD})(?:\s*(?:-|–|—|(?i:to|til|до|do|a|până la))\s*(?P<b>{_NUM}))?(?!\d)"
)
_CUR_AFTER_RE = re.compile(rf"\s?(?P<cur>{_CUR_ALT})(?!\w)", re.IGNORECASE)
_CUR_BEFORE_RE = re.compile(rf"(?<!\w)(?P<cur>{_CUR_ALT})\s?$", re.IGNORECASE)


def amounts(text: str) -> Iterator[tuple[str, int, int]]:
    """``(value, start, end)`` of the amounts with a currency right before or after them."""
    for m in _AMOUNT_RE.finditer(text):
        a, b = m.span()
        if a > 0 and (text[a - 1].isalnum() or text[a - 1] in ".,"):
            continue
        start, end = a, b
        after = _CUR_AFTER_RE.match(text, b)
        if after is not None:
            cur, end = after.group("cur"), after.end()
        else:
            before = _CUR_BEFORE_RE.search(text, max(0, a - 9), a)
            if before is None:
                continue
            cur, start = before.group("cur"), before.start()
        code = _CURRENCIES.get(cur.lower())
        amount = _parse(m.group("a"))
        if code is None or amount is None:
            continue
        value = _format(amount)
        if m.group("b"):
            upper = _parse(m.group("b"))
            if upper is not None:
                value = f"{value}-{_format(upper)}"
        yield f"{value} {code}", start, end


def _parse(raw: str) -> Decimal | None:
    raw = raw.replace("\u00a0", "").replace(" ", "")
    if "," in raw and "." in raw:
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif "," in raw:
        head, _, tail = raw.rpartition(",")
        raw = raw.replace(",", "") if len(tail) == 3 else f"{head.replace(',', '')}.{tail}"
    elif "." in raw:
        head, _, tail = raw.rpartition(".")
        raw = raw.replace(".", "") if len(tail) == 3 else f"{head.replace('.', '')}.{tail}"
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _format(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value:.2f}"
