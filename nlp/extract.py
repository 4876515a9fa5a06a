"""Extraction of identifiers and facts from listing text, with spans into the ORIGINAL text.

:func:`extract` returns :class:`Extracted` items of these kinds:

``phone``   E.164 value: digit-run candidates in the normalised text (so "+45 two 0 5 5 1 2 3
            4" and "2 0 5 5 - 1 2 3 4" are found) checked by ``phonenumbers`` (valid numbers
            only); deduplicated by value, keeping the first span.
``email``   lowercased address, also from "name (at) domain (dot) com".
``handle``  ``"<app>:@user"`` or ``"<app>:+4520551234"`` for WhatsApp, Telegram, Signal,
            Snapchat, Viber and Instagram.
``url``     http(s) URLs and bare domains; value with lowercase scheme and host
            (``http://`` added to bare domains).
``money``   ``"1500 DKK"``, ``"12.50 EUR"``, ``"1500-2000 DKK"`` (ISO currency codes).
``age``     stated ages 13-99, value the number as a string.

Work is bounded: input is cut at :data:`MAX_CHARS` characters and nothing raises on hostile
input. ``phonenumbers`` is called only on candidates of 8 to 15 digits.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers
from phonenumbers import PhoneNumberFormat

from nlp.casefold import PATTERN_FOLD_RE, ignorecase_lowers, lowered
from nlp.normalise import Normalised, normalise
from nlp.scan import PHONE_CORE_RE, digit_runs, phone_core

__all__ = ["KINDS", "MAX_CHARS", "Extracted", "extract"]


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` as a set."""
    return frozenset(text.split())


logger = logging.getLogger(__name__)

MAX_CHARS = 20_000
_PHONE_MAX_TRIES = 200
KINDS = ("phone", "email", "handle", "url", "money", "age")
_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Extracted:
    kind: str
    value: str
    start: int  # in the original text
    end: int  # exclusive
    text: str  # original[start:end]


# --- phone ---------------------------------------------------------------------------------

_DATE_RE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}[./-]\d{1,2}[./-]\d{1,2}")


# A phone candidate: an optional + or 00, then digits with the separators people use.
_PHONE_CANDIDATE_RE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d \t().\-/]{4,24}\d(?![\d])")
_NON_DIGITS_RE = re.compile(r"\D")
_CURRENCY_NEAR_RE = re.compile(
    r"^\s?(?:kr\b|kr\.|dkk|eur|€|lei|ron|zł|zl\b|pln|лв|bgn|usd|\$|£|%|,-)", re.IGNORECASE
)
_RANGE_RE = re.compile(r"^\d{3,6}\s?[-–]\s?\d{3,6}$")


# The part of a candidate from its first digit on is nlp.scan.PHONE_CORE_RE (found by a
# compiled scan where built); :func:`_phone_candidate_spans` adds the prefix and look-behind.
# What (?:\+|00)?\(? can match, in the order the regex engine tries it.
_PHONE_PREFIXES = ("+(", "+", "00(", "00", "(", "")


def _phone_match_at(text: str, start: int) -> int | None:
    """The end of ``_PHONE_CANDIDATE_RE.match(text, start)`` without its look-behind."""
    for prefix in _PHONE_PREFIXES:
        if text.startswith(prefix, start):
            m = PHONE_CORE_RE.match(text, start + len(prefix))
            if m is not None:
                return m.end()
    return None


def _phone_candidate_spans(text: str) -> Iterator[tuple[int, int]]:
    """The spans ``_PHONE_CANDIDATE_RE.finditer(text)`` gives, found about 2x faster.

    Every match holds a core match (:data:`PHONE_CORE_RE`) that starts at most two
    characters ("+(") after the match; "00" is digits, so the leftmost core starts at or
    before it. So for the leftmost core the three starts before and at it are tried in
    order, with the look-behind; when none matches, the search goes on from the next
    character, as the regex engine does: the same matches, leftmost first, none overlapping.
    """
    pos = 0
    n = len(text)
    while pos < n:
        found = phone_core(text, pos)  # PHONE_CORE_RE.search, compiled where built
        if found is None:
            return
        core = found[0]
        for start in range(max(pos, core - 2), core + 1):
            if start > 0 and (text[start - 1] in "+_" or text[start - 1].isalnum()):
                continue  # (?<![\w+])
            end = _phone_match_at(text, start)
            if end is not None:
                yield start, end
                pos = end
                break
        else:
            pos = core + 1


def _phone_candidates(text: str) -> Iterator[tuple[str, int, int]]:
    """Digit runs that may be phone numbers, checked cheaply before ``phonenumbers``."""
    for start, end in _phone_candidate_spans(text):
        raw = text[start:end]
        while raw and raw[0] in "(":
            raw, start = raw[1:], start + 1
        digits = _NON_DIGITS_RE.sub("", raw)
        if not 8 <= len(digits) <= 15 or _DATE_RE.fullmatch(raw.strip()):
            continue
        if _RANGE_RE.match(raw) or _CURRENCY_NEAR_RE.match(text[end : end + 5]):
            continue  # "2000-3000", "15000 kr": amounts, not numbers
        if start > 0 and text[start - 1] in "$€£":
            continue
        yield raw, start, end


def _phones(original: str, norm: Normalised, region: str) -> list[tuple[str, int, int]]:
    """Phone numbers in the normalised text (obfuscations already undone), mapped back.

    A cheap candidate regex first; ``phonenumbers.parse`` and ``is_valid_number`` only on
    the candidates (the library's PhoneNumberMatcher costs about 1 ms per listing).
    """
    text = norm.text
    found: list[tuple[str, int, int]] = []
    for raw, start, end in _phone_candidates(text):
        if raw.startswith("00"):
            raw = "+" + raw[2:]
        # Valid numbers anywhere; merely possible ones (right length, unallocated range)
        # only in international form or right after a phone cue ("ring", "WhatsApp"):
        # ads use unallocated and foreign ranges, while a bare 8-digit run may be a CVR.
        lenient = raw.startswith("+") or bool(_PHONE_CUE_RE.search(text, max(0, start - 30), start))
        value = _phone_value(raw, region, lenient)
        if value is None:
            continue
        found.append((value, *norm.to_original(start, end)))
    return found


_PHONE_CUE_RE = re.compile(
    r"(?i:\b(?:call|ring|phone|tel|tlf|telefon|mobil|mobile|sms|text|whats\s?app|telegram|"
    r"signal|viber|number|nummer|numer|număr|numar|sună|suna|sunați|sunati|zadzwoń|"
    r"zadzwon|обади|телефон|kontakt|contact)\b)[^\d\n]{0,20}$"
)


# --- email ---------------------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]{0,63})@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*"
    r"\.[A-Za-z]{2,24})(?![\w-])"
)
_AT = r"(?:\s*[\(\[\{<]\s*(?:at|snabel-?a)\s*[\)\]\}>]\s*|\s+(?:at|snabel-?a)\s+)"
_DOT = r"(?:\s*[\(\[\{<]\s*(?:dot|punktum|punkt|kropka|punct)\s*[\)\]\}>]\s*|\s+dot\s+|\.)"
_EMAIL_OBFUSCATED_RE = re.compile(
    rf"(?<![\w.])([A-Za-z0-9][A-Za-z0-9._+-]{{0,63}}){_AT}"
    rf"([A-Za-z0-9-]{{1,63}}(?:{_DOT}[A-Za-z0-9-]{{1,63}})*){_DOT}([A-Za-z]{{2,24}})(?!\w)",
    re.IGNORECASE,
)
_DOT_SPLIT_RE = re.compile(_DOT, re.IGNORECASE)
_OBFUSCATION_HINTS = ("at)", "at]", "at}", "at>", " dot ", "dot)", "dot]", "snabel")
_BRACKET_RE = re.compile(r"[\(\[\{<]")
_COMMON_TLDS = _words(
    "com dk net org eu ro pl bg ua es uk de se no info biz io me co app online site xyz ru fr it "
    "nl be at ch cz hu gr tr us ca"
)


_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_LOCAL_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _email_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_EMAIL_RE.finditer(text)``, found from each "@" (about 5x faster).

    A match's local part ends right before an "@" and holds no "@", so the matches of one
    "@" start after the previous "@": taking the "@"s in order and, for each, the starts
    in its local part from the left (where the look-behind can hold: after a character
    outside the local part, or after "%"), gives the regex's leftmost, non-overlapping
    matches. Each start is checked with the regex itself.
    """
    pos = 0
    while (at := text.find("@", pos)) != -1:
        lowest = max(at - 64, pos)
        start = at
        while start > lowest and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        found = None
        for p in range(start, at):
            if text[p] in _LOCAL_FIRST and (p == start or text[p - 1] == "%"):
                found = _EMAIL_RE.match(text, p)
                if found is not None:
                    break
        if found is None:
            pos = at + 1
            continue
        yield found
        pos = found.end()


def _obfuscation_hinted(original: str, low: str) -> bool:
    """``any(hint in low for hint in _OBFUSCATION_HINTS)`` for ``low = original.lower()``.

    Every hint but " dot " and "snabel" holds a bracket, which lowercasing keeps as it is:
    four one-character searches usually rule six of the eight hints out.
    """
    if any(bracket in original for bracket in ")]}>"):
        return any(hint in low for hint in _OBFUSCATION_HINTS)
    return " dot " in low or "snabel" in low


def _emails(original: str, low: str | None = None) -> Iterator[tuple[str, int, int]]:
    if "@" in original:
        for m in _email_matches(original):
            yield f"{m.group(1)}@{m.group(2)}".lower(), m.start(), m.end()
    if not _obfuscation_hinted(original, original.lower() if low is None else low):
        return
    for m in _EMAIL_OBFUSCATED_RE.finditer(original):
        matched = m.group()
        if "@" in matched:
            continue
        if not _BRACKET_RE.search(matched) and "dot" not in matched.lower():
            continue  # "look at www.site.com" is prose, not an address
        tld = m.group(3).lower()
        if tld not in _COMMON_TLDS:
            continue
        labels = [p for p in _DOT_SPLIT_RE.split(m.group(2)) if p]
        domain = ".".join([*labels, tld])
        yield f"{m.group(1)}@{domain}".lower(), m.start(), m.end()


# --- url -----------------------------------------------------------------------------------

# Bare domains need a TLD that is not also a short word ("work.It is", "go.to").
_BARE_TLDS = _COMMON_TLDS - {"me", "no", "at", "be", "it", "us", "co", "to", "in", "do", "es"}
_TLD_ALT = "|".join(sorted(_BARE_TLDS, key=len, reverse=True))
_URL_RE = re.compile(
    r"\b(https?)://([A-Za-z0-9.-]{1,253}(?::\d{1,5})?)([/?#][^\s<>\"'`]*)?"
    rf"|(?<![@\w.-])((?:www\.)?(?:[A-Za-z0-9-]{{1,63}}\.)+(?-i:{_TLD_ALT}))\b"
    r"((?:/[^\s<>\"'`]*)?)",
    re.IGNORECASE,
)
_URL_HINT_RE = re.compile(rf"://|\.(?:{_TLD_ALT})\b")
_TRAILING_PUNCT = ".,;:!?)]}'\""


def _urls(original: str) -> Iterator[tuple[str, int, int]]:
    if not _URL_HINT_RE.search(original):
        return
    for m in _URL_RE.finditer(original):
        if m.group(1):
            scheme, host, path = m.group(1).lower(), m.group(2).lower(), m.group(3) or ""
        else:
            scheme, host, path = "http", m.group(4).lower(), m.group(5) or ""
            if host.split(".")[0].isdigit():
                continue
        start, end = m.start(), m.end()
        while path and path[-1] in _TRAILING_PUNCT:
            path = path[:-1]
            end -= 1
        host = host.rstrip(".")
        if not host or "." not in host:
            continue
        yield f"{scheme}://{host}{path}", start, end


# --- handles -------------------------------------------------------------------------------

_APPS = {
    "whatsapp": "whatsapp",
    "whats app": "whatsapp",
    "wa": "whatsapp",
    "watsapp": "whatsapp",
    "telegram": "telegram",
    "tg": "telegram",
    "telegramm": "telegram",
    "signal": "signal",
    "snapchat": "snapchat",
    "snap": "snapchat",
    "sc": "snapchat",
    "viber": "viber",
    "instagram": "instagram",
    "insta": "instagram",
    "ig": "instagram",
}
# r"\b(?:wa|tg|sc|ig)\s?[:=@]", written to start with the separator (":" of clock times
# and "@" of addresses are common, the names before them rare): found or not exactly when
# that regex is, in a quarter of the time.
_SHORT_APP_HINT_RE = re.compile(
    r"[:=@](?:(?<=\b(?:wa|tg|sc|ig)[:=@])|(?<=\b(?:wa|tg|sc|ig)\s[:=@]))"
)
_SHORT_APPS = frozenset({"wa", "tg", "sc", "ig", "snap", "signal", "insta"})
# Run on lowercased text; the boundary before the name is checked in Python (a leading
# look-behind would stop the regex engine from scanning quickly for the first letters).
_APP_RE = re.compile(
    "(" + "|".join(sorted(map(re.escape, _APPS), key=len, reverse=True)) + r")(?!\w)"
)
_LONG_APP_NAMES = tuple(name for name in _APPS if name not in ("wa", "tg", "sc", "ig"))
# The same pre-check with fewer str.find calls: each name holds one of these (a text may
# hold "whats" and no name: the pre-check then lets _APP_RE look, which finds nothing).
_LONG_APP_HINTS = ("whats", "watsapp", "telegram", "signal", "snap", "viber", "insta")
_HANDLE_AFTER_RE = re.compile(
    r"(?P<sep>[ \t]*(?:[:=\-–>]+|\b(?:on|på|pe|na|en|id|user(?:name)?)\b)?[ \t]*)"
    r"(?P<user>@?[A-Za-z][A-Za-z0-9_.]{2,31})(?![\w@])",
    re.IGNORECASE,
)
_HANDLE_URL_RE = re.compile(
    r"(?:https?://)?(?:www\.)?(?P<site>t\.me|telegram\.me|wa\.me|instagram\.com|"
    r"snapchat\.com/add|signal\.me/#p)/(?P<user>\+?[A-Za-z0-9_.]{3,32})",
    re.IGNORECASE,
)
_USER_RE = re.compile(r"@?[A-Za-z][A-Za-z0-9_.]{2,31}")
_SITE_APP = {
    "t.me": "telegram",
    "telegram.me": "telegram",
    "wa.me": "whatsapp",
    "instagram.com": "instagram",
    "snapchat.com/add": "snapchat",
    "signal.me/#p": "signal",
}
_NOT_HANDLES = _words(
    "me and or og eller me or for the and at to på pe na ved via app number nummer nr tlf phone "
    "telefon contact kontakt only kun"
)
_PHONE_WINDOW = 40
# Words allowed between an app name and its phone number ("WhatsApp or Viber on +45 ...").
_CONNECTORS = _words(
    "or eller og and on på pe na sau și si lub i o y или або nr no number nummer numer tlf tel "
    "phone telefon me us at via"
)
_LETTERS_RE = re.compile(r"[^\W\d_]+")


def _handles(
    original: str, norm: Normalised, phones: list[tuple[str, int, int]], region: str
) -> Iterator[tuple[str, int, int]]:
    text = norm.text
    low = text.lower()
    if len(low) != len(text):  # a few characters lowercase to two ("İ")
        low = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    if "/" in original and ("t.me" in low or ".com" in low or "wa.me" in low or "signal.me" in low):
        yield from _handle_urls(original, region)
    if not (
        any(hint in low for hint in _LONG_APP_HINTS)
        or ((":" in low or "@" in low or "=" in low) and _SHORT_APP_HINT_RE.search(low))
    ):
        return
    for m in _APP_RE.finditer(low):
        if m.start() > 0 and (low[m.start() - 1].isalnum() or low[m.start() - 1] in "_@/."):
            continue
        name = m.group(1)
        app = _APPS[name]
        a_start, a_end = norm.to_original(m.start(), m.end())
        # A phone number right after the app name ("WhatsApp: +45 20 55 12 34").
        near = [
            p
            for p in phones
            if a_end <= p[1] <= a_end + _PHONE_WINDOW and _only_connectors(original[a_end : p[1]])
        ]
        if near:
            value, _, p_end = min(near, key=lambda p: p[1])
            yield f"{app}:{value}", a_start, p_end
            continue
        after = _HANDLE_AFTER_RE.match(text, m.end())
        if after is None:
            continue
        user = after.group("user").rstrip(".")
        sep = after.group("sep").strip()
        if user.lower().lstrip("@") in _NOT_HANDLES or user.lower().lstrip("@") in _APPS:
            continue
        if not user.startswith("@") and not sep:
            continue  # "signal strength": an ordinary word after the app name
        if name in _SHORT_APPS and not (user.startswith("@") or sep in (":", "=")):
            continue
        u_start = after.start("user")
        o_start, u_end = norm.to_original(u_start, u_start + len(user))
        original_user = original[o_start:u_end]
        if _USER_RE.fullmatch(original_user):
            user = original_user
        yield f"{app}:@{user.lstrip('@').lower()}", a_start, u_end


def _handle_urls(original: str, region: str) -> Iterator[tuple[str, int, int]]:
    for m in _HANDLE_URL_RE.finditer(original):
        app = _SITE_APP[m.group("site").lower()]
        user = m.group("user").rstrip(".")
        if user.startswith("+") or user.isdigit():
            value = _phone_value(user, region, True)  # a messenger link names a phone
            if value is None:
                continue
            yield f"{app}:{value}", m.start(), m.start("user") + len(user)
        else:
            yield f"{app}:@{user.lower()}", m.start(), m.start("user") + len(user)


def _only_connectors(between: str) -> bool:
    return all(w.lower() in _CONNECTORS or w.lower() in _APPS for w in _LETTERS_RE.findall(between))


_DK_SEPARATORS = str.maketrans("", "", " \t().-/")


def _danish_number(raw: str) -> phonenumbers.PhoneNumber | None:
    """``phonenumbers.parse(raw, "DK")`` for "+45" and eight digits, or eight digits not
    starting with 0, written with the candidate separators; None for anything else."""
    digits = raw.translate(_DK_SEPARATORS)
    if digits.startswith("+45"):
        digits = digits[3:]
    elif digits.startswith("+"):
        return None
    if len(digits) != 8 or not digits.isascii() or not digits.isdigit() or digits[0] == "0":
        return None
    return phonenumbers.PhoneNumber(country_code=45, national_number=int(digits))


def _danish_validity() -> re.Pattern[str] | None:
    """One regex that fully matches exactly the valid Danish national numbers, built from
    phonenumbers' own metadata: the general pattern and any number type's. None (use
    phonenumbers) unless every pattern is for eight digits, as _danish_number gives."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("DK")
    if metadata is None:  # pragma: no cover - a phonenumbers without Denmark
        return None
    types = [
        getattr(metadata, name, None)
        for name in (
            "premium_rate",
            "toll_free",
            "shared_cost",
            "voip",
            "personal_number",
            "pager",
            "uan",
            "voicemail",
            "fixed_line",
            "mobile",
        )
    ]
    descs = [d for d in types if d is not None and d.national_number_pattern]
    general = metadata.general_desc
    if (
        general is None
        or not descs
        or any(tuple(d.possible_length) not in ((), (8,)) for d in (general, *descs))
    ):
        return None  # pragma: no cover - metadata of another shape
    alternatives = "|".join(f"(?:{d.national_number_pattern})" for d in descs)
    return re.compile(f"(?=(?:{general.national_number_pattern})$)(?:{alternatives})")


# phonenumbers.is_valid_number for a Danish number is this fullmatch (about 5 µs less a
# number; tests/unit/nlp compares them on numbers of every prefix).
_DK_VALID = _danish_validity()


@functools.lru_cache(maxsize=8192)
def _phone_value(raw: str, region: str, lenient: bool = False) -> str | None:
    """E.164 form of a valid number (or, ``lenient``, a possible one), else None.

    Cached: a network reuses its numbers. Danish numbers (eight digits, alone or after +45)
    skip ``phonenumbers.parse``, which would give the same number (tests/unit/nlp checks it),
    and, when valid, its validation too.
    """
    number = _danish_number(raw) if region == "DK" else None
    if number is not None and _DK_VALID is not None:
        national = str(number.national_number)
        if _DK_VALID.fullmatch(national):
            return "+45" + national
        if not (lenient and phonenumbers.is_possible_number(number)):
            return None  # not valid (the regex is is_valid_number), and not let pass
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if number is None:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            return None
    ok = phonenumbers.is_valid_number(number) or (
        lenient and phonenumbers.is_possible_number(number)
    )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164) if ok else None


# --- money ---------------------------------------------------------------------------------

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
# The same alternatives with their first digit factored out: a pattern that starts with a
# character set lets the regex engine scan quickly for it (about 3x faster here).
_NUM_LEAD = (
    r"\d(?:\d{0,2}(?:[.\u00a0 ]\d{3})+(?:,\d{1,2})?"
    r"|\d{0,2}(?:,\d{3})+(?:\.\d{1,2})?"
    r"|\d*(?:[.,]\d{1,2})?)"
)
# Amounts are found first (the pattern starts with a digit, which the regex engine scans for
# quickly); a currency is then looked for right after or right before the amount.
_AMOUNT_RE = re.compile(
    rf"(?P<a>{_NUM_LEAD})(?:\s*(?:-|–|—|(?i:to|til|до|do|a|până la))\s*(?P<b>{_NUM}))?(?!\d)"
)
_CUR_AFTER_RE = re.compile(rf"\s?(?P<cur>{_CUR_ALT})(?!\w)", re.IGNORECASE)
_CUR_BEFORE_RE = re.compile(rf"(?<!\w)(?P<cur>{_CUR_ALT})\s?$", re.IGNORECASE)
# Pre-checks of a few characters (most amounts have no currency next to them: times, phone
# digit groups): _CUR_AFTER_RE can match only where a currency's first character follows
# the amount (after at most one whitespace), _CUR_BEFORE_RE only where a currency's last
# character is among the three characters before it ("kr. 150"; "kr.\n 150", as "\s?$"
# also matches before a final newline).
_CUR_FIRST = ignorecase_lowers(cur[0] for cur in _CURRENCIES)
_CUR_LAST = ignorecase_lowers(cur[-1] for cur in _CURRENCIES)


def _currency_after(text: str, end: int) -> re.Match[str] | None:
    first = end + 1 if text[end : end + 1].isspace() else end
    if _CUR_FIRST is not None and _CUR_FIRST.isdisjoint(text[first : first + 1].lower()):
        return None
    return _CUR_AFTER_RE.match(text, end)


def _currency_before(text: str, start: int) -> re.Match[str] | None:
    if _CUR_LAST is not None and _CUR_LAST.isdisjoint(text[max(0, start - 3) : start].lower()):
        return None
    return _CUR_BEFORE_RE.search(text, max(0, start - 9), start)


def _parse_amount(raw: str) -> Decimal | None:
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


def _format_amount(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value:.2f}"


def _amounts(text: str, runs: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """``_AMOUNT_RE.finditer(text)`` given the runs of digits of ``text``.

    A match ends before a non-digit ("(?!\\d)"), so the next one starts at the first digit
    of a later run; and every run's first digit starts a match (the last alternative of
    the amount takes the whole run). So the matches are those at the first runs not inside
    the previous match; the regex engine's scan for digits is done once for all extractors.
    """
    end = 0
    for start, _ in runs:
        if start >= end:
            m = _AMOUNT_RE.match(text, start)
            if m is not None:
                end = m.end()
                yield m


def _money(
    norm: Normalised, runs: list[tuple[int, int]] | None = None
) -> Iterator[tuple[str, int, int]]:
    text = norm.text
    for m in _amounts(text, digit_runs(text) if runs is None else runs):
        a, b = m.span()
        if a > 0 and (text[a - 1].isalnum() or text[a - 1] in ".,"):
            continue
        start, end = a, b
        after = _currency_after(text, b)
        if after is not None:
            cur, end = after.group("cur"), after.end()
        else:
            before = _currency_before(text, a)
            if before is None:
                continue
            cur, start = before.group("cur"), before.start()
        code = _CURRENCIES.get(cur.lower())
        amount = _parse_amount(m.group("a"))
        if code is None or amount is None:
            continue
        value = _format_amount(amount)
        if m.group("b"):
            upper = _parse_amount(m.group("b"))
            if upper is not None:
                value = f"{value}-{_format_amount(upper)}"
        o_start, o_end = norm.to_original(start, end)
        yield f"{value} {code}", o_start, o_end


# --- age -----------------------------------------------------------------------------------

# Two-digit numbers: "(?<!\d)\d{2}(?![\d.,]\d)(?!\d)"; the extractor finds its matches from
# the runs of digits (_two_digit_numbers; tests/unit/nlp checks they are the same).
_TWO_DIGITS_RE = re.compile(r"\d(?<!\d\d)\d(?![\d.,]\d)(?!\d)")
_EXPERIENCE = r"(?!\s*(?:de\s+)?(?:experien|erfaring|doświad|досвід|опит|стаж|exp\b))"
# (text before the number, text after it): both must match around a two-digit number.
_AGE_RULES = [
    (None, r"\s*(?:-\s*)?(?:years?|yrs?)[\s-]*old\b"),
    (None, r"\s*(?:y\.?o\.?|yo)(?!\w)"),
    (r"\b(?:age|aged|alder|edad|wiek|vârsta|varsta|vârstă|възраст|вік|ani|lat)\s*[:=]?\s*$", ""),
    (r"\b(?:i\s+am|i'm|im|am|jeg\s+er|tengo|mam|мені)\s+$", r"(?!\s*(?:kr|%|h\b|:|\.\d))"),
    (None, r"\s*år\b" + _EXPERIENCE),
    (None, r"\s*(?:de\s+)?ani\b" + _EXPERIENCE),
    (None, r"\s*lata?\b" + _EXPERIENCE),
    (r"\bна\s+$", r"\s*(?:години|год\.?|г\.)"),
    (None, r"\s*-?\s*(?:годишна|годишен|річна|річний)\b"),
    (None, r"\s*(?:років|роки)\b" + _EXPERIENCE),
    (None, r"\s*años\b" + _EXPERIENCE),
]
_AGE_COMPILED = [
    (
        re.compile(before, re.IGNORECASE) if before else None,
        re.compile(after, re.IGNORECASE) if after else None,
    )
    for before, after in _AGE_RULES
]
# Necessary conditions of the rules above, each one regex: a number that neither is followed
# by any rule's "after" text nor preceded by any rule's "before" text is not an age.
_AGE_ANY_AFTER_RE = re.compile(
    "|".join(f"(?:{after})" for before, after in _AGE_RULES if before is None), re.IGNORECASE
)
_AGE_ANY_BEFORE_RE = re.compile(
    "|".join(f"(?:{before})" for before, _ in _AGE_RULES if before), re.IGNORECASE
)
# The last word of every rule's "before" text. Before ASCII text, which re.IGNORECASE matches
# like its lowercase, a "before" text can match only where one of these ends the window
# (trailing whitespace, ":" and "=" aside); tests/unit/nlp checks it against the regex.
_AGE_BEFORE_LAST_WORDS = (
    "age",
    "aged",
    "alder",
    "edad",
    "wiek",
    "vârsta",
    "varsta",
    "vârstă",
    "възраст",
    "вік",
    "ani",
    "lat",
    "am",
    "i'm",
    "im",
    "er",
    "tengo",
    "mam",
    "мені",
    "на",
)


def _age_before_possible(text: str, start: int, end: int) -> bool:
    """False only when no rule's "before" text can end at ``end`` (a cheap pre-check).

    Lowercasing stands in for re.IGNORECASE on ASCII text, and on other text without the
    characters re.IGNORECASE matches to more than their lowercase ("ı", "ſ", "ᲀ" for "в").
    """
    window = text[start:end]
    if window.isascii():
        low: str | None = window.lower()
    else:
        low = lowered(window)
        if low is None or PATTERN_FOLD_RE is None or PATTERN_FOLD_RE.search(low):
            return True
    assert low is not None
    return low.rstrip().rstrip(":=").rstrip().endswith(_AGE_BEFORE_LAST_WORDS)


# The first character, after whitespace, of every rule's "after" text when it has no
# "before" text (years, yrs, y.o., yo, år, de ani, ani, lat, -годишна, річна, років,
# años): no other character can start a match of _AGE_ANY_AFTER_RE (tests/unit/nlp checks).
_AGE_AFTER_FIRST = ignorecase_lowers("-yådalгр")


def _age_after_possible(text: str, end: int) -> bool:
    """False only when _AGE_ANY_AFTER_RE cannot match at ``end`` (a cheap pre-check)."""
    if _AGE_AFTER_FIRST is None:
        return True
    first = text[end : end + _AGE_CONTEXT].lstrip()[:1]
    return not _AGE_AFTER_FIRST.isdisjoint(first.lower())


# "i 10 år", "for 10 år": a duration, not an age.
_NOT_AGE_BEFORE_RE = re.compile(r"\b(?:i|for|over|efter|under|på)\s+$", re.IGNORECASE)
_AGE_CONTEXT = 24


def _two_digit_numbers(text: str, runs: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The spans of ``_TWO_DIGITS_RE.finditer(text)`` given the runs of digits of ``text``:
    runs of two digits not followed by "." or "," and a digit."""
    for a, b in runs:
        if b - a == 2 and not (text[b : b + 1] in (".", ",") and text[b + 1 : b + 2].isdecimal()):
            yield a, b


def _ages(
    norm: Normalised, runs: list[tuple[int, int]] | None = None
) -> Iterator[tuple[str, int, int]]:
    text = norm.text
    for a, b in _two_digit_numbers(text, digit_runs(text) if runs is None else runs):
        age = int(text[a:b])
        if not 13 <= age <= 99:
            continue
        context_start = max(0, a - _AGE_CONTEXT)
        if (
            not _age_after_possible(text, b)
            or _AGE_ANY_AFTER_RE.match(text, b, b + _AGE_CONTEXT) is None
        ) and (
            not _age_before_possible(text, context_start, a)
            or _AGE_ANY_BEFORE_RE.search(text, context_start, a) is None
        ):
            continue
        for before_re, after_re in _AGE_COMPILED:
            start, end = a, b
            if before_re is not None:
                before = before_re.search(text, context_start, a)
                if before is None:
                    continue
                start = before.start()
            elif _NOT_AGE_BEFORE_RE.search(text, context_start, a):
                continue
            if after_re is not None:
                after = after_re.match(text, b, b + _AGE_CONTEXT)
                if after is None:
                    continue
                end = max(b, after.end())
            o_start, o_end = norm.to_original(start, end)
            yield str(age), o_start, o_end
            break


# --- public API ----------------------------------------------------------------------------


def _safe(kind: str, produce: Callable[[], Iterator[tuple[str, int, int]] | list]) -> list:
    try:
        return list(produce())
    except Exception:  # hostile input must never stop a scoring batch (R14)
        logger.warning("extraction of %s failed on one text; skipped", kind, exc_info=True)
        return []


def extract(
    text: str,
    *,
    region: str = "DK",
    normalised: Normalised | None = None,
    lowered: str | None = None,
) -> list[Extracted]:
    """Extract phones, e-mails, handles, URLs, money and ages, ordered by start offset.

    ``normalised`` may pass ``normalise(text)`` and ``lowered`` ``text[:MAX_CHARS].lower()``
    when the caller has them already.
    """
    if not isinstance(text, str) or not text:
        return []
    original = text[:MAX_CHARS]
    try:
        norm = (
            normalised if normalised is not None and len(text) <= MAX_CHARS else normalise(original)
        )
    except Exception:
        logger.warning("normalisation failed on one text; using the raw text", exc_info=True)
        n = len(original)
        norm = Normalised(original, range(n), range(1, n + 1), n)
    region = (region or "DK").upper()

    low = lowered if lowered is not None and len(lowered) == len(original) else None
    runs = _safe("digit", lambda: digit_runs(norm.text))  # for amounts and ages
    phones = _safe("phone", lambda: _phones(original, norm, region))
    results: list[Extracted] = []
    seen_phones: set[str] = set()
    for value, start, end in sorted(phones, key=lambda p: (p[1], p[2])) if phones else ():
        if value not in seen_phones:
            seen_phones.add(value)
            results.append(Extracted("phone", value, start, end, original[start:end]))

    other: list[tuple[str, list[tuple[str, int, int]]]] = [
        ("email", _safe("email", lambda: _emails(original, low))),
        ("handle", _safe("handle", lambda: _handles(original, norm, phones, region))),
        ("url", _safe("url", lambda: _urls(original))),
        ("money", _safe("money", lambda: _money(norm, runs))),
        ("age", _safe("age", lambda: _ages(norm, runs))),
    ]
    seen: set[tuple[str, str, int]] = set()
    for kind, items in other:
        if not items:
            continue
        for value, start, end in sorted(items, key=lambda item: (item[1], -item[2])):
            key = (kind, value, start)
            if key in seen or not 0 <= start <= end <= len(original):
                continue
            seen.add(key)
            results.append(Extracted(kind, value, start, end, original[start:end]))
    if len(results) > 1:
        results.sort(key=lambda r: (r.start, r.end, _KIND_ORDER[r.kind]))
    return results
