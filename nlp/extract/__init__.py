"""Extraction of identifiers and facts from listing text, with spans into the ORIGINAL text.

:func:`extract` returns :class:`Extracted` items of these kinds:

``phone``   E.164 value: digit runs (also "+45 two 0 5 5 1 2 3 4", "2 0 5 5 - 1 2 3 4")
            checked by ``phonenumbers``; deduplicated by value, keeping the first span.
``email``   lowercased address, also from "name (at) domain (dot) com".
``handle``  ``"<app>:@user"`` or ``"<app>:+4520551234"`` for WhatsApp, Telegram, Signal,
            Snapchat, Viber and Instagram.
``url``     http(s) URLs and bare domains; value with lowercase scheme and host
            (``http://`` added to bare domains).
``money``   ``"1500 DKK"``, ``"12.50 EUR"``, ``"1500-2000 DKK"`` (ISO currency codes).
``age``     stated ages 13-99, value the number as a string.

Phones, handles, money and ages are read from the matcher's normalisation of the text
(:mod:`indicator_lists.matcher.normalise`) with spelled digits and letter-spaced words
undone (:mod:`.spelled`); e-mail addresses and URLs from the text as it is. Work is bounded:
input is cut at :data:`MAX_CHARS` characters, and nothing raises on hostile input.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from indicator_lists.matcher.normalise import Normalised, normalise

from .ages import ages
from .amounts import amounts
from .messaging import emails, handles, urls
from .phone_numbers import phone_numbers
from .spelled import spelled_out

__all__ = ["KINDS", "MAX_CHARS", "Extracted", "extract"]

logger = logging.getLogger(__name__)

MAX_CHARS = 20_000
KINDS = ("phone", "email", "handle", "url", "money", "age")
_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Extracted:
    kind: str
    value: str
    start: int  # in the original text
    end: int  # exclusive
    text: str  # original[start:end]


def _safe(kind: str, produce: Callable[[], Iterable[tuple[str, int, int]]]) -> list:
    try:
        return list(produce())
    except Exception:  # hostile input must never stop a scoring batch (R14)
        logger.warning("extraction of %s failed on one text; skipped", kind, exc_info=True)
        return []


def extract(
    text: str, *, region: str = "DK", normalised: Normalised | None = None
) -> list[Extracted]:
    """Phones, e-mails, handles, URLs, money and ages, ordered by start offset.

    ``normalised`` may pass the matcher's ``normalise(text)`` when the caller has it.
    """
    if not isinstance(text, str) or not text:
        return []
    original = text[:MAX_CHARS]
    region = (region or "DK").upper()
    try:
        norm = normalised if normalised is not None and len(text) <= MAX_CHARS else None
        view = spelled_out(norm or normalise(original))
    except Exception:
        logger.warning("normalisation failed on one text; using the raw text", exc_info=True)
        view = Normalised(original)

    def mapped(found: Iterable[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
        return [(value, *view.to_original(start, end)) for value, start, end in found]

    phones = _safe("phone", lambda: mapped(phone_numbers(view.text, region)))
    results: list[Extracted] = []
    seen_phones: set[str] = set()
    for value, start, end in sorted(phones, key=lambda p: (p[1], p[2])):
        if value not in seen_phones:
            seen_phones.add(value)
            results.append(Extracted("phone", value, start, end, original[start:end]))
    other = [
        ("email", _safe("email", lambda: emails(original))),
        ("handle", _safe("handle", lambda: handles(original, view, phones, region))),
        ("url", _safe("url", lambda: urls(original))),
        ("money", _safe("money", lambda: mapped(amounts(view.text)))),
        ("age", _safe("age", lambda: mapped(ages(view.text)))),
    ]
    seen: set[tuple[str, str, int]] = set()
    for kind, items in other:
        for value, start, end in sorted(items, key=lambda item: (item[1], -item[2])):
            key = (kind, value, start)
            if key in seen or not 0 <= start <= end <= len(original):
                continue
            seen.add(key)
            results.append(Extracted(kind, value, start, end, original[start:end]))
    results.sort(key=lambda r: (r.start, r.end, _KIND_ORDER[r.kind]))
    return results
