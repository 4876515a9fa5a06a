"""The scorer's fast paths give exactly what the plain versions give.

Each fast path (a cheap pre-check that skips work, or a regex rewritten so the engine can
scan for its first character) is compared with the plain version on random texts built from
the characters and words that matter to it.
"""

from __future__ import annotations

import functools
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import nlp.extract as extract_mod
import nlp.normalise as normalise_mod
import nlp.scan as scan_mod
from indicator_lists import load_catalogue
from nlp.extract import extract
from nlp.language import detect_language
from nlp.normalise import normalise
from nlp.pipeline import LEMMA_LANGS, _case_flags, _trie_pattern, blank, catalogue_patterns
from thbscan.fixture_site.generate import generate_listings

# Pieces that exercise number words, digits, separators, whitespace, emoji and look-alikes.
PIECES = [
    "to", "en", "et", "two", "five", "fem", "nul", "trei", "dwa", "пет", "п'ять", "Seven",
    "FIRE", "0", "1", "5", "12", "345", "2024", "-", ".", "/", " ", "  ", "\t", "\n", "\n\n",
    " - ", "+45", "kr", "DKK", "år", "years old", "age", "i am", "y0ung", "w h a t s", "🔥",
    "а", "x", "Anna", "1.500,00", "24/7", "kl.", "\u00a0", "\u2028", "\x0b", "_", "'",
]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join) | st.text(max_size=200)


@settings(max_examples=400, deadline=None)
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


@settings(max_examples=400, deadline=None)
@given(texts)
def test_whitespace_regex_is_the_plain_one(text):
    plain = re.compile(r"\s{2,}|[^\S ]")
    assert scan_mod._space_runs(text) == [
        m.span() for m in plain.finditer(text)
    ]


PLAIN_NUM = (
    r"\d{1,3}(?:[.\u00a0 ]\d{3})+(?:,\d{1,2})?"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?"
    r"|\d+(?:[.,]\d{1,2})?"
)
numbers = st.lists(
    st.sampled_from(["1", "12", "123", "1234", "12345", ".", ",", " ", "\u00a0", "-", "kr",
                     "to", "år", "a", "€", "٣", "٣٤", "—", " til "]),
    max_size=30,
).map("".join)


@settings(max_examples=400, deadline=None)
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
    for runs in (scan_mod.digit_runs(text), scan_mod.digit_runs_py(text)):
        assert [m.groups() + m.span() for m in extract_mod._amounts(text, runs)] == [
            m.groups() + m.span() for m in plain_amount.finditer(text)
        ]
        assert list(extract_mod._two_digit_numbers(text, runs)) == [
            m.span() for m in plain_two.finditer(text)
        ]


@settings(max_examples=300, deadline=None)
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
    missed = [hex(i) for i in range(0x110000)
              if charset.match(chr(i)) and precheck.isdisjoint(chr(i).lower())]
    assert missed == []


MONEY_PIECES = ["150", "1.500", "2 000", "12,50", " ", "  ", "\n", "-", " til ", "kr", "Kr.",
                "KR", "DKK", "€", "$", "£", "lei", "zł", "ZŁ", "лв.", "ЛВ", "грн", "Euro", "x",
                "ı", "ſ", "İ", "\u212a", "Ron", "a", "(", ":"]


@settings(max_examples=800, deadline=None)
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


HANDLE_PIECES = ["wa", "tg", "sc", "ig", "xwa", "_tg", ":", "=", "@", " ", "\t", "\n", "  ",
                 "a", "1", "é", "08:00", "sc @", "ig=", "wa\u00a0:"]


@settings(max_examples=800, deadline=None)
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


@settings(max_examples=300, deadline=None)
@given(texts)
def test_language_without_mixed_decides_the_same(text):
    full = detect_language(text)
    quick = detect_language(text, mixed=False)
    assert (quick.lang, quick.confidence, quick.method) == (full.lang, full.confidence,
                                                            full.method)
    assert quick.mixed == ()


@functools.cache
def _pipelines(lang):
    import spacy

    ours = blank(lang, lemmas=True)
    plain = spacy.blank(lang)
    moved = frozenset(plain.tokenizer.rules) - frozenset(ours.tokenizer.rules)
    return ours, plain, moved


SPECIAL_PIECES = ["kr.", "kl.", "A/S", "f.eks.", "bl.a.", "16.", "лв.", "тел.", "Mr.", "'s",
                  "(", ")", '"', ",", ".", "-", " ", "\n", "x", "5"]


@pytest.mark.parametrize("lang", ["da", "en", "ro", "pl", "bg", "uk", "es"])
@settings(max_examples=80, deadline=None)
@given(text=texts | st.lists(st.sampled_from(SPECIAL_PIECES), max_size=30).map("".join))
@example(text="Løn 180 kr. i timen, kl. 8-16 hos Rengøring A/S.")
@example(text="Цена 20 лв., тел. 0888")
def test_tokens_of_our_tokenizers_are_spacys(lang, text):
    """Whitespace special cases dropped and one-token special cases moved to token_match
    (nlp.pipeline): the same tokens, except for a moved special case inside a chunk (the
    documented "(kr." case, below)."""
    ours, plain, moved = _pipelines(lang)
    if any(key in chunk[1:] for chunk in text.split() for key in moved):
        return
    assert [(t.text, t.whitespace_) for t in ours.make_doc(text)] == [
        (t.text, t.whitespace_) for t in plain.make_doc(text)]


def test_tokens_of_the_fixture_listings_are_spacys():
    for listing in generate_listings():
        text = normalise(f"{listing.title}\n\n{listing.text}").text
        ours, plain, _ = _pipelines(detect_language(text, mixed=False).lang)
        assert [t.text for t in ours.make_doc(text)] == [t.text for t in plain.make_doc(text)]


def test_one_token_special_cases_move_to_token_match():
    ours, plain, moved = _pipelines("da")
    assert {"kr.", "kl.", "A/S"} <= moved and ours.tokenizer.token_match is not None
    assert ours.tokenizer.max_cache_size > plain.tokenizer.max_cache_size
    text = "Løn 180 kr. (kr.) kr., kl. 8 A/S"
    assert [t.text for t in ours.make_doc(text)] == [t.text for t in plain.make_doc(text)]
    # The one difference: a moved special case after a prefix, ending the chunk.
    assert [t.text for t in ours.make_doc("(kr.")] == ["(", "kr", "."]
    assert [t.text for t in plain.make_doc("(kr.")] == ["(", "kr."]


SUFFIX_PIECES = ["a", "Z", "1", "9", ".", "..", ",", "'s", "n't", "km", "kr", "%", "°", "C",
                 ")", "]", '"', "'", "€", "$", "²", "-", "ă", "лв", "…", "!", ":", "\n", " ",
                 "Karovikvej", "\u2028"]


@pytest.mark.parametrize("lang", ["da", "en", "ro", "pl", "bg", "uk", "es", "xx"])
@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(SUFFIX_PIECES), max_size=8).map("".join)
       | st.text(max_size=12))
@example(text="km°\n")
@example(text="x...")
def test_tail_suffix_search_finds_what_spacys_finds(lang, text):
    from nlp.pipeline import TailSuffixSearch

    ours, plain, _ = _pipelines(lang)
    fast = ours.tokenizer.suffix_search
    assert isinstance(fast, TailSuffixSearch)
    a, b = fast(text), plain.tokenizer.suffix_search(text)
    assert (a and a.span()) == (b and b.span())


SUFFIX_ALTERNATIVES = ["a$", "(?<=[0-9])km$", r"\.\.+$", "[a-c]$", r"\d$", "x*$", "(?:ab|cd)$",
                       "[^a]$", "é$", "(?<=°)[CF]$", ".$", "b+$", "(?=a)a$", r"\b'$", "(?:a|\\d)$"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SUFFIX_ALTERNATIVES), min_size=1, max_size=6, unique=True),
       st.lists(st.text(alphabet="abcdx.é°CF1'\n ", max_size=6), min_size=1, max_size=8))
def test_tail_suffix_search_of_any_suffix_regex_is_the_plain_search(alternatives, texts):
    from nlp.pipeline import TailSuffixSearch

    regex = re.compile("|".join(alternatives))
    fast = TailSuffixSearch(regex)
    for text in texts:
        a, b = fast(text), regex.search(text)
        assert (a and a.span()) == (b and b.span()), (regex.pattern, text)


def test_case_insensitive_suffix_regexes_keep_the_plain_search():
    from nlp.pipeline import TailSuffixSearch, _fast_suffix_search

    nlp = blank("da")
    nlp.tokenizer.suffix_search = re.compile("(?i)kr$").search
    _fast_suffix_search(nlp)
    assert not isinstance(nlp.tokenizer.suffix_search, TailSuffixSearch)


def test_tail_suffix_search_is_saved_as_spacys_pattern():
    ours, plain, _ = _pipelines("da")
    loaded = blank("da")
    loaded.tokenizer.from_bytes(ours.tokenizer.to_bytes())
    assert loaded.tokenizer.suffix_search.__self__.pattern == \
        plain.tokenizer.suffix_search.__self__.pattern
    text = "Løn 180 kr., (ca. 25 km²) ..."
    assert [t.text for t in loaded.make_doc(text)] == [t.text for t in ours.make_doc(text)]


@settings(max_examples=300, deadline=None)
@given(st.sets(st.text(alphabet="ab.1(\\", min_size=1, max_size=5), min_size=1, max_size=12),
       st.text(alphabet="ab.1(\\", max_size=6))
def test_trie_pattern_matches_exactly_its_words(words, other):
    pattern = re.compile(f"(?:{_trie_pattern(words)})\\Z")
    assert all(pattern.match(w) for w in words)
    assert bool(pattern.match(other)) == (other in words)


def test_case_flags_keep_ignorecase_whenever_letters_may_be_involved():
    assert _case_flags(r"(?<!\d)\d(?:[ .*_~|/-]{1,3}\d){7,}(?!\d)") == 0
    for pattern in [r"[a-z]", r"\x41", r"\u0041", r"(?i)x", r"(?P<n>\d)", r"\N{DIGIT ONE}",
                    r"(\d)\1", "nul|en"]:
        assert _case_flags(pattern) == re.IGNORECASE


@pytest.fixture(scope="module")
def caseless_regexes():
    patterns = catalogue_patterns(load_catalogue())["regex"].values()
    found = [re.compile(p) for ps in patterns for p in ps if _case_flags(p) == 0]
    assert found  # the obfuscated-phone digit pattern at least
    return found


def test_caseless_catalogue_regexes_match_the_same_without_ignorecase(caseless_regexes):
    @settings(max_examples=300, deadline=None)
    @given(texts)
    def check(text):
        for rx in caseless_regexes:
            with_flag = re.compile(rx.pattern, re.IGNORECASE)
            assert [m.span() for m in rx.finditer(text)] == [
                m.span() for m in with_flag.finditer(text)
            ]

    check()


# Characters for which lowercasing is not case-insensitive matching, and their neighbours.
FOLD_PIECES = ["ı", "İ", "I", "ſ", "S", "Σ", "ς", "σ", "K", "ẞ", "ß", "µ", "Μ", "ǅ", "FEM",
               "Fem", "ONE", "TWO", "One", "ek", "ix", "ſek", "ıx", "IX", "σας", "ΣΑΣ", "ςας",
               "в", "ᲀ", "В", "т", "ᲄ", "Т", "ДВА", "дᲁа"]
raw_texts = st.lists(st.sampled_from(PIECES + FOLD_PIECES), max_size=40).map("".join) | texts


def test_raw_pattern_shortcuts_find_what_the_plain_regexes_find():
    """Lowercased matching and the look-behind pre-check give the plain regexes' hits,
    for the catalogue's own regexes and for look-behind and case edge cases."""
    from nlp.pipeline import RawPatternScanner, _RawRegex

    patterns = catalogue_patterns(load_catalogue())
    extra = [r"(?<![\w+])\d{3}[ -]?\d{2}", r"(?<=kr)\s?\d+", "(?<!\\w)sek\\b", "σας", "ıx",
             r"(?<![a-z])five(?:\s+five)+", r"(?<!\w)(?:one|two)(?:[\s.]{0,3}(?:one|two|\d)){2,}",
             r"(?<!\w)(?:\d[\s.]{0,2})?(?:fem|five)(?:[\s.]{0,3}(?:fem|five|\d)){2,}",
             r"(?:\+|00)?\d{2}[ ]?\d{2}", r"(?:\d)*?(?:two|to)\b", r"два|(?<!\w)т\w"]
    regex = {**patterns["regex"], "test.extra": extra}
    scanner = RawPatternScanner(blank("en"), "raw")
    scanner.set_data({"regex": regex, "emoji": {}})
    assert any(r.lowered for r in scanner.regexes) and any(r.gate for r in scanner.regexes)
    plain = [(ids, re.compile(p, _case_flags(p))) for p, ids in
             ((r.full.pattern, r.ids) for r in scanner.regexes)]
    assert isinstance(scanner.regexes[0], _RawRegex)

    @settings(max_examples=500, deadline=None)
    @given(raw_texts)
    def check(text):
        expected = sorted(
            (ind, m.start(), m.end()) for ids, rx in plain for m in rx.finditer(text)
            if m.end() > m.start() for ind in ids
        )
        assert sorted(scanner.scan(text)) == expected

    check()


PHONE_PIECES = ["0", "00", "1", "2", "45", "12345678", "+", "+45", "(", ")", "+(", "00(", " ",
                "-", ".", "/", "\t", "a", "_", "é", "²", "٣", "\n", "kr"]
phone_texts = st.lists(st.sampled_from(PHONE_PIECES), max_size=30).map("".join)


@settings(max_examples=600, deadline=None)
@given(phone_texts | numbers | texts)
def test_phone_candidate_scan_is_the_plain_regex(text):
    assert list(extract_mod._phone_candidate_spans(text)) == [
        m.span() for m in extract_mod._PHONE_CANDIDATE_RE.finditer(text)
    ]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(["+45", "+46", "+", "(", ")", " ", "-", ".", "/", "0", "2",
                                 "3", "4", "5", "6", "7", "8", "9", "1", "20", "55", "12",
                                 "34", "(+45)"]), max_size=14).map("".join),
       st.booleans())
def test_danish_numbers_without_parse_are_what_parse_gives(raw, lenient):
    import phonenumbers

    extract_mod._phone_value.cache_clear()
    try:
        number = phonenumbers.parse(raw, "DK")
        ok = phonenumbers.is_valid_number(number) or (
            lenient and phonenumbers.is_possible_number(number))
        expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) \
            if ok else None
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


EMAIL_PIECES = ["a", "b", "Z", "9", "_", ".", "%", "+", "-", "@", "x.com", "dk", "co", "@@", " ",
                "é", "a" * 30, "(at)", "ø", "\n", "mail.dk", "ab_c"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(EMAIL_PIECES), max_size=30).map("".join) | texts)
@example("é%a@x.com")  # the look-behind holds after "%" inside a local part
@example("_%b@mail.dk x-%c@x.com")
def test_email_scan_from_each_at_sign_is_the_plain_regex(text):
    assert [m.span() for m in extract_mod._email_matches(text)] == [
        m.span() for m in extract_mod._EMAIL_RE.finditer(text)
    ]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from([*EMAIL_PIECES, "AT)", "(at]", " DOT ", "Dot]", "SNABEL", "at>",
                                 "}", "İ"]), max_size=20).map("".join) | texts)
def test_obfuscation_hint_precheck_is_the_plain_one(text):
    low = text.lower()
    plain = any(hint in low for hint in extract_mod._OBFUSCATION_HINTS)
    assert extract_mod._obfuscation_hinted(text, low) == plain
    assert all(hint in (" dot ", "snabel") or any(b in hint for b in ")]}>")
               for hint in extract_mod._OBFUSCATION_HINTS)


AGE_PIECES = ["Age", "AGED", "age", "alder", "ALDER", "I AM", "i am", "I'm", "im", "Jeg er",
              "jeg  er", "TENGO", "mam", "на", "НА", "вік", "ВІК", "мені", "vârsta", "VARSTA",
              "lat", "ani", ":", "=", " ", "  ", "\n", "\t", "12", "x", "ı", "ſ", "wiek", "edad",
              "stage", "camera", "er", "Am", "\u00a0", "\u2028", "ᲀік", "ВІК", "ø", "ă"]


ASCII_AGE_PIECES = [p for p in AGE_PIECES if p.isascii()]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(ASCII_AGE_PIECES), max_size=8).map("".join)
       | st.lists(st.sampled_from(AGE_PIECES), max_size=12).map("".join))
def test_age_before_precheck_never_hides_a_match(window):
    if not extract_mod._age_before_possible(window, 0, len(window)):
        assert extract_mod._AGE_ANY_BEFORE_RE.search(window, 0, len(window)) is None


AFTER_PIECES = ["years old", "Years", "YRS", "y.o.", "yo", "år", "ÅR", "de ani", "ani", "lat",
                "lata", "-годишна", "річна", "років", "años", " ", "  ", "\t", "\n", "-", "x",
                "\u212b", "ı", "kr", "a", "d"]


@settings(max_examples=1500, deadline=None)
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


@settings(max_examples=400, deadline=None)
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


def test_dropping_unused_lexeme_attributes_changes_no_assessment(monkeypatch):
    """The scorer's pipelines compute only the lexical attributes they read: every assessment
    of the 360 fixture listings (and a few made-up ones) is the same as with spaCy's full
    set."""
    import nlp.pipeline as pipeline_mod
    from models.registry import ModelRegistry
    from nlp.pipeline import READ_LEXEME_ATTRS
    from nlp.scorer import Scorer

    assert set(blank("da").vocab.lex_attr_getters) <= READ_LEXEME_ATTRS
    listings = [(listing.title, listing.text) for listing in generate_listings(seed=7)]
    listings += [("Ny i byen 🔥", "Ring 2 0 5 5 1 2 3 4, 22 år, 1.500 kr. www.x.dk"),
                 ("", "Visa sponsorship, no experience needed, whatsapp +4520551234")]
    catalogue, model = load_catalogue(), ModelRegistry().load()
    trimmed = [(a.to_check_dict(), a.explanation(), a.extracted)
               for a in Scorer(catalogue, model).assess_many(listings)]
    monkeypatch.setattr(pipeline_mod, "_drop_unread_lexeme_attrs", lambda nlp: None)
    full_scorer = Scorer(catalogue, model)
    assert len(set(full_scorer.pipeline("da").vocab.lex_attr_getters)
               - READ_LEXEME_ATTRS) >= 10
    full = [(a.to_check_dict(), a.explanation(), a.extracted)
            for a in full_scorer.assess_many(listings)]
    assert trimmed == full


LEMMA_WORDS = ["Vi", "beholder", "beholdt", "dit", "pas", "PASSENE", "kept", "passports",
               "Were", "ținem", "pașapoartele", "tenemos", "pasaportes", "İstanbul", "ß",
               "Huset"]
lemma_texts = st.lists(st.sampled_from(PIECES + LEMMA_WORDS), max_size=40).map(" ".join) | texts


@pytest.mark.parametrize("lang", sorted(LEMMA_LANGS))
def test_every_word_norm_is_its_lowercase_lookup_lemma(lang):
    """The lemma of each word, looked up once, is its NORM: for the words the vocabulary
    held before the tables were loaded and for every word met afterwards."""
    import spacy

    nlp = blank(lang, lemmas=True)
    lemmas = nlp.get_pipe("lemmatizer")
    tables = spacy.blank(lang)
    tables.add_pipe("lemmatizer", config={"mode": "lookup"}).initialize()
    table = tables.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")

    def lookup(word: str) -> str:
        found = table.get(word.lower(), word.lower())
        return (found if isinstance(found, str) else found[0]).lower()

    assert len(nlp.vocab) > 0
    for lexeme in nlp.vocab:  # known before: the tokenizer's special cases
        assert lexeme.norm_ == lookup(lexeme.orth_)

    @settings(max_examples=150, deadline=None)
    @given(lemma_texts)
    def check(text):
        for token in nlp.make_doc(text):
            assert nlp.vocab[token.orth].norm_ == lookup(token.text)

    check()
    assert lemmas.lemma_of("Huset") == lookup("huset")


def test_lemma_norms_survive_saving_and_loading(tmp_path):
    import spacy

    from nlp.pipeline import build_pipeline

    nlp = build_pipeline("da", load_catalogue(), lemmas=True)
    nlp.to_disk(tmp_path / "da")
    loaded = spacy.load(tmp_path / "da")
    text = "Vi beholdt dit pas under hele opholdet."  # the phrase is "vi beholder dit pas"
    for pipeline in (nlp, loaded):
        doc = pipeline(pipeline.make_doc(text))
        assert "fl.documents_retained" in {s.label_ for s in doc.spans["thbscan_hits"]}
        assert pipeline.vocab["beholdt"].norm_ == "beholde"


@pytest.mark.parametrize("lang", sorted(LEMMA_LANGS))
def test_pruned_lemma_tables_match_what_the_whole_tables_match(lang, monkeypatch):
    """The lemma tables keep only the forms that can decide a match with the phrase lists
    (a few thousand of 40,000-550,000): the lemma matcher finds the same on the catalogue's
    examples, generated listings and inflected forms as with the whole tables."""
    import nlp.pipeline as pipeline_mod
    from nlp.pipeline import build_pipeline

    catalogue = load_catalogue()
    pruned = build_pipeline(lang, catalogue, lemmas=True)
    monkeypatch.setattr(pipeline_mod.LemmaNorms, "keep_only", lambda self, words: None)
    whole = build_pipeline(lang, catalogue, lemmas=True)
    kept = len(pruned.get_pipe("lemmatizer").lookups.get_table("lemma_lookup"))
    assert 0 < kept < len(whole.get_pipe("lemmatizer").lookups.get_table("lemma_lookup"))
    texts = [text for ind in catalogue.indicators() for ex in ind.examples.values()
             for text in (*ex.positive, *ex.negative)]
    texts += [f"{x.title}\n{x.text}" for x in generate_listings(n_jobs=200, n_ads=100, seed=11)]
    texts += ["Vi beholdt dit pas og beholder passene, passet", "They kept our passports",
              "Le-am păstrat pașapoartele", "Nos quedamos con tus pasaportes"]
    # Forms that are a phrase word's lemma while their own lemma is another word: the
    # table must keep them, or they would match as that lemma.
    lemma_of = whole.get_pipe("lemmatizer").lemma_of
    phrases = [p for ps in catalogue_patterns(catalogue)["phrases"].values() for p in ps]
    for doc in whole.tokenizer.pipe(phrases):
        words = [t.text for t in doc]
        for i, word in enumerate(words):
            lemma = lemma_of(word)
            if lemma_of(lemma) != lemma:  # the phrase with that word as its lemma
                texts.append(" ".join([*words[:i], lemma, *words[i + 1:]]))
    for text in texts:
        a = pruned.get_pipe("thbscan_indicator_ruler_v1").lemma_matcher(pruned.make_doc(text))
        b = whole.get_pipe("thbscan_indicator_ruler_v1").lemma_matcher(whole.make_doc(text))
        assert sorted(a) == sorted(b), text
