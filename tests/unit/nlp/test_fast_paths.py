"""The scorer's fast paths give exactly what the plain versions give.

Each fast path (a cheap pre-check that skips work, or a regex rewritten so the engine can
scan for its first character) is compared with the plain version on random texts built from
the characters and words that matter to it.
"""

from __future__ import annotations

import re

import pytest
from budget import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

import nlp.extract as extract_mod
import nlp.normalise as normalise_mod
import nlp.scan as scan_mod
from nlp.extract import extract
from nlp.normalise import normalise

# Pieces that exercise number words, digits, separators, whitespace, emoji and look-alikes.
PIECES = [
    "to",
    "en",
    "et",
    "two",
    "five",
    "fem",
    "nul",
    "trei",
    "dwa",
    "пет",
    "п'ять",
    "Seven",
    "FIRE",
    "0",
    "1",
    "5",
    "12",
    "345",
    "2024",
    "-",
    ".",
    "/",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    " - ",
    "+45",
    "kr",
    "DKK",
    "år",
    "years old",
    "age",
    "i am",
    "y0ung",
    "w h a t s",
    "🔥",
    "а",
    "x",
    "Anna",
    "1.500,00",
    "24/7",
    "kl.",
    "\u00a0",
    "\u2028",
    "\x0b",
    "_",
    "'",
]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join) | st.text(max_size=200)


@settings(max_examples=examples(400), deadline=None)
@given(texts)
def test_number_word_precheck_changes_nothing(text):
    fast = normalise(text)
    original = normalise_mod._has_unit_run
    normalise_mod._has_unit_run = lambda _text: True  # always take the full scan
    try:
        slow = normalise(text)
    finally:
        normalise_mod._has_unit_run = original
    assert fast.text == slow.text
    assert list(fast.offsets) == list(slow.offsets)
    assert list(fast.ends) == list(slow.ends)


@settings(max_examples=examples(400), deadline=None)
@given(texts)
def test_whitespace_regex_is_the_plain_one(text):
    plain = re.compile(r"\s{2,}|[^\S ]")
    assert scan_mod._space_runs(text) == [m.span() for m in plain.finditer(text)]


PLAIN_NUM = (
    r"\d{1,3}(?:[.\u00a0 ]\d{3})+(?:,\d{1,2})?"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?"
    r"|\d+(?:[.,]\d{1,2})?"
)
numbers = st.lists(
    st.sampled_from(
        [
            "1",
            "12",
            "123",
            "1234",
            "12345",
            ".",
            ",",
            " ",
            "\u00a0",
            "-",
            "kr",
            "to",
            "år",
            "a",
            "€",
            "٣",
            "٣٤",
            "—",
            " til ",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=examples(400), deadline=None)
@given(numbers | texts)
def test_extract_regexes_are_the_plain_ones(text):
    plain_amount = re.compile(
        rf"(?P<a>{PLAIN_NUM})(?:\s*(?:-|–|—|(?i:to|til|до|do|a|până la))\s*(?P<b>{PLAIN_NUM}))?"
        r"(?!\d)"
    )
    plain_two = re.compile(r"(?<!\d)\d{2}(?![\d.,]\d)(?!\d)")
    assert [m.groups() + m.span() for m in extract_mod._AMOUNT_RE.finditer(text)] == [
        m.groups() + m.span() for m in plain_amount.finditer(text)
    ]
    assert [m.span() for m in extract_mod._TWO_DIGITS_RE.finditer(text)] == [
        m.span() for m in plain_two.finditer(text)
    ]
    # What the extractors run: the same matches from the runs of digits.
    for runs in (scan_mod.digit_runs(text),):
        assert [m.groups() + m.span() for m in extract_mod._amounts(text, runs)] == [
            m.groups() + m.span() for m in plain_amount.finditer(text)
        ]
        assert list(extract_mod._two_digit_numbers(text, runs)) == [
            m.span() for m in plain_two.finditer(text)
        ]


@settings(max_examples=examples(300), deadline=None)
@given(numbers | texts)
def test_age_precheck_changes_nothing(text):
    norm = normalise(text)
    fast = list(extract_mod._ages(norm))
    after, first = extract_mod._AGE_ANY_AFTER_RE, extract_mod._AGE_AFTER_FIRST
    extract_mod._AGE_ANY_AFTER_RE = re.compile("")  # matches everywhere: no pre-check
    extract_mod._AGE_AFTER_FIRST = None
    try:
        slow = list(extract_mod._ages(norm))
    finally:
        extract_mod._AGE_ANY_AFTER_RE, extract_mod._AGE_AFTER_FIRST = after, first
    assert fast == slow


@pytest.mark.parametrize("which", ["first", "last"])
def test_currency_character_prechecks_cover_every_character_ignorecase_matches(which):
    chars = {cur[0] if which == "first" else cur[-1] for cur in extract_mod._CURRENCIES}
    precheck = extract_mod._CUR_FIRST if which == "first" else extract_mod._CUR_LAST
    charset = re.compile("[" + "".join(map(re.escape, sorted(chars))) + "]", re.IGNORECASE)
    missed = [
        hex(i)
        for i in range(0x110000)
        if charset.match(chr(i)) and precheck.isdisjoint(chr(i).lower())
    ]
    assert missed == []


MONEY_PIECES = [
    "150",
    "1.500",
    "2 000",
    "12,50",
    " ",
    "  ",
    "\n",
    "-",
    " til ",
    "kr",
    "Kr.",
    "KR",
    "DKK",
    "€",
    "$",
    "£",
    "lei",
    "zł",
    "ZŁ",
    "лв.",
    "ЛВ",
    "грн",
    "Euro",
    "x",
    "ı",
    "ſ",
    "İ",
    "\u212a",
    "Ron",
    "a",
    "(",
    ":",
]


@settings(max_examples=examples(800), deadline=None)
@given(st.lists(st.sampled_from(MONEY_PIECES), max_size=14).map("".join) | numbers | texts)
@example("kr. \n150")  # "\s?$" before a final newline: the currency ends three back
@example("150 \u212ar")  # the Kelvin sign is "k" to re.IGNORECASE
def test_currency_prechecks_never_hide_a_currency(text):
    for m in extract_mod._AMOUNT_RE.finditer(text):
        a, b = m.span()
        plain_after = extract_mod._CUR_AFTER_RE.match(text, b)
        plain_before = extract_mod._CUR_BEFORE_RE.search(text, max(0, a - 9), a)
        assert _span(extract_mod._currency_after(text, b)) == _span(plain_after)
        assert _span(extract_mod._currency_before(text, a)) == _span(plain_before)


def _span(match):
    return None if match is None else match.span("cur")


HANDLE_PIECES = [
    "wa",
    "tg",
    "sc",
    "ig",
    "xwa",
    "_tg",
    ":",
    "=",
    "@",
    " ",
    "\t",
    "\n",
    "  ",
    "a",
    "1",
    "é",
    "08:00",
    "sc @",
    "ig=",
    "wa\u00a0:",
]


@settings(max_examples=examples(800), deadline=None)
@given(st.lists(st.sampled_from(HANDLE_PIECES), max_size=12).map("".join) | texts)
@example("wa :")
@example("xwa:")
def test_short_app_hint_is_found_exactly_when_the_plain_regex_is(text):
    plain = re.compile(r"\b(?:wa|tg|sc|ig)\s?[:=@]")
    assert bool(extract_mod._SHORT_APP_HINT_RE.search(text)) == bool(plain.search(text))


def test_every_long_app_name_holds_a_hint():
    for name in extract_mod._LONG_APP_NAMES:
        assert any(hint in name for hint in extract_mod._LONG_APP_HINTS), name


def test_extract_with_a_normalised_text_is_the_same():
    text = "Anna, 22 år. Ring 2 0 5 5 1 2 3 4 eller +45 20 55 12 34, løn 1.500,00 kr."
    assert extract(text, normalised=normalise(text)) == extract(text)


PHONE_PIECES = [
    "0",
    "00",
    "1",
    "2",
    "45",
    "12345678",
    "+",
    "+45",
    "(",
    ")",
    "+(",
    "00(",
    " ",
    "-",
    ".",
    "/",
    "\t",
    "a",
    "_",
    "é",
    "²",
    "٣",
    "\n",
    "kr",
]
phone_texts = st.lists(st.sampled_from(PHONE_PIECES), max_size=30).map("".join)


@settings(max_examples=examples(600), deadline=None)
@given(phone_texts | numbers | texts)
def test_phone_candidate_scan_is_the_plain_regex(text):
    assert list(extract_mod._phone_candidate_spans(text)) == [
        m.span() for m in extract_mod._PHONE_CANDIDATE_RE.finditer(text)
    ]


@settings(max_examples=examples(600), deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "+45",
                "+46",
                "+",
                "(",
                ")",
                " ",
                "-",
                ".",
                "/",
                "0",
                "2",
                "3",
                "4",
                "5",
                "6",
                "7",
                "8",
                "9",
                "1",
                "20",
                "55",
                "12",
                "34",
                "(+45)",
            ]
        ),
        max_size=14,
    ).map("".join),
    st.booleans(),
)
def test_danish_numbers_without_parse_are_what_parse_gives(raw, lenient):
    import phonenumbers

    extract_mod._phone_value.cache_clear()
    try:
        number = phonenumbers.parse(raw, "DK")
        ok = phonenumbers.is_valid_number(number) or (
            lenient and phonenumbers.is_possible_number(number)
        )
        expected = (
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if ok else None
        )
    except phonenumbers.NumberParseException:
        expected = None
    assert extract_mod._phone_value(raw, "DK", lenient) == expected


def test_danish_validity_regex_is_phonenumbers_validation():
    import random

    import phonenumbers

    rng = random.Random(4)
    checked = 0
    for prefix in range(10, 100):  # every two-digit prefix, with three-digit ones inside
        for third in range(10):
            for _ in range(3):
                national = f"{prefix}{third}{rng.randrange(10**5):05d}"
                number = phonenumbers.PhoneNumber(country_code=45, national_number=int(national))
                expected = phonenumbers.is_valid_number(number)
                assert bool(extract_mod._DK_VALID.fullmatch(national)) == expected, national
                checked += 1
    assert checked == 2700


EMAIL_PIECES = [
    "a",
    "b",
    "Z",
    "9",
    "_",
    ".",
    "%",
    "+",
    "-",
    "@",
    "x.com",
    "dk",
    "co",
    "@@",
    " ",
    "é",
    "a" * 30,
    "(at)",
    "ø",
    "\n",
    "mail.dk",
    "ab_c",
]


@settings(max_examples=examples(600), deadline=None)
@given(st.lists(st.sampled_from(EMAIL_PIECES), max_size=30).map("".join) | texts)
@example("é%a@x.com")  # the look-behind holds after "%" inside a local part
@example("_%b@mail.dk x-%c@x.com")
def test_email_scan_from_each_at_sign_is_the_plain_regex(text):
    assert [m.span() for m in extract_mod._email_matches(text)] == [
        m.span() for m in extract_mod._EMAIL_RE.finditer(text)
    ]


@settings(max_examples=examples(800), deadline=None)
@given(
    st.lists(
        st.sampled_from([*EMAIL_PIECES, "AT)", "(at]", " DOT ", "Dot]", "SNABEL", "at>", "}", "İ"]),
        max_size=20,
    ).map("".join)
    | texts
)
def test_obfuscation_hint_precheck_is_the_plain_one(text):
    low = text.lower()
    plain = any(hint in low for hint in extract_mod._OBFUSCATION_HINTS)
    assert extract_mod._obfuscation_hinted(text, low) == plain
    assert all(
        hint in (" dot ", "snabel") or any(b in hint for b in ")]}>")
        for hint in extract_mod._OBFUSCATION_HINTS
    )


AGE_PIECES = [
    "Age",
    "AGED",
    "age",
    "alder",
    "ALDER",
    "I AM",
    "i am",
    "I'm",
    "im",
    "Jeg er",
    "jeg  er",
    "TENGO",
    "mam",
    "на",
    "НА",
    "вік",
    "ВІК",
    "мені",
    "vârsta",
    "VARSTA",
    "lat",
    "ani",
    ":",
    "=",
    " ",
    "  ",
    "\n",
    "\t",
    "12",
    "x",
    "ı",
    "ſ",
    "wiek",
    "edad",
    "stage",
    "camera",
    "er",
    "Am",
    "\u00a0",
    "\u2028",
    "ᲀік",
    "ВІК",
    "ø",
    "ă",
]


ASCII_AGE_PIECES = [p for p in AGE_PIECES if p.isascii()]


@settings(max_examples=examples(1000), deadline=None)
@given(
    st.lists(st.sampled_from(ASCII_AGE_PIECES), max_size=8).map("".join)
    | st.lists(st.sampled_from(AGE_PIECES), max_size=12).map("".join)
)
def test_age_before_precheck_never_hides_a_match(window):
    if not extract_mod._age_before_possible(window, 0, len(window)):
        assert extract_mod._AGE_ANY_BEFORE_RE.search(window, 0, len(window)) is None


AFTER_PIECES = [
    "years old",
    "Years",
    "YRS",
    "y.o.",
    "yo",
    "år",
    "ÅR",
    "de ani",
    "ani",
    "lat",
    "lata",
    "-годишна",
    "річна",
    "років",
    "años",
    " ",
    "  ",
    "\t",
    "\n",
    "-",
    "x",
    "\u212b",
    "ı",
    "kr",
    "a",
    "d",
]


@settings(max_examples=examples(1500), deadline=None)
@given(st.lists(st.sampled_from(AFTER_PIECES), max_size=6).map("".join))
def test_age_after_precheck_never_hides_a_match(after):
    text = "25" + after
    if not extract_mod._age_after_possible(text, 2):
        assert extract_mod._AGE_ANY_AFTER_RE.match(text, 2, 2 + extract_mod._AGE_CONTEXT) is None


def _plain_step_whitespace(text, starts, ends):
    """The whitespace step written plainly: one _apply edit per run (after step 1, which
    leaves no whitespace but _ODD_SPACES and single spaces)."""
    edits = []
    n = len(text)
    has_odd = any(odd in text for odd in scan_mod.ODD_SPACES)
    for m in re.finditer(r"\s{2,}|[^\S ]", text) if has_odd else ():
        a, b = m.span()
        if a == 0 or b == n:
            edits.append((a, b, "", (), ()))
        else:
            new = "\n" if "\n" in m.group() else " "
            edits.append((a, b, new, (starts[a],), (ends[b - 1],)))
    if edits:
        text, starts, ends = normalise_mod._apply(text, starts, ends, edits)
    n = len(text)
    if n and (text[0] == " " or text[-1] == " "):  # one leading and one trailing space
        lead = 1 if text[0] == " " else 0
        trail = n - 1 if text[-1] == " " and n - 1 >= lead else n
        text, starts, ends = text[lead:trail], starts[lead:trail], ends[lead:trail]
    return text, starts, ends


@settings(max_examples=examples(400), deadline=None)
@given(texts, st.booleans())
def test_whitespace_step_deletes_like_the_plain_edits(text, as_array):
    n = len(text)
    starts = list(range(3, 3 * n + 3, 3))  # distinct, non-identity offsets
    ends = [s + 2 for s in starts]
    if as_array:
        from array import array

        starts, ends = array("q", starts), array("q", ends)
    given_starts, given_ends = list(starts), list(ends)
    fast = normalise_mod._step_whitespace(text, starts, ends)
    plain = _plain_step_whitespace(text, list(starts), list(ends))
    assert fast[0] == plain[0]
    assert list(fast[1]) == list(plain[1])
    assert list(fast[2]) == list(plain[2])
    assert list(starts) == given_starts and list(ends) == given_ends  # inputs untouched
