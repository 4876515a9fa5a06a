"""The compiled scans (nlp/_scan.pyx) give exactly what their plain-Python references give."""

from __future__ import annotations

import os

import pytest
from budget import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

import nlp.scan as scan
from nlp.normalise import _HOMOGLYPHS, _UNAMBIGUOUS_WORDS, _UNIT_TOKENS

# Characters where Unicode's classes differ from ASCII intuition: other scripts' digits,
# superscripts, fractions, Roman numerals, "_", apostrophes, unusual spaces, combining marks,
# letters whose lowercase is longer or depends on context.
ODD = [
    "٣",
    "۵",
    "²",
    "½",
    "Ⅻ",
    "_",
    "'",
    "’",
    "\x1c",
    "\x1f",
    "\x85",
    "\u00a0",
    "\u2028",
    "\u3000",
    "\u200b",
    "\u0301",
    "İ",
    "Σ",
    "ß",
    "ǅ",
    "ﬁ",
    "\t",
    "\n",
    " ",
    "-",
    ".",
    "/",
]
WORDS = [
    "two",
    "Two",
    "TWO",
    "fem",
    "FEM",
    "to",
    "en",
    "п'ять",
    "п’ять",
    "дев'ять",
    "dwa",
    "dziewięć",
    "DZIEWIĘĆ",
    "пет",
    "x",
    "ab",
    "5",
    "0",
    "12",
    "2024",
    "kr",
    "Σ",
    "İki",
]
pieces = st.lists(st.sampled_from(ODD + WORDS), max_size=40).map("".join)
any_text = pieces | st.text(max_size=300)

pytestmark = pytest.mark.skipif(
    not scan.COMPILED and not os.environ.get("THBSCAN_REQUIRE_COMPILED"),
    reason="nlp._scan is not built (no C compiler at install): the references run",
)

UNAMBIGUOUS = frozenset(_UNAMBIGUOUS_WORDS)
MIN_LEN = min(map(len, UNAMBIGUOUS))
MAX_LEN = max(map(len, UNAMBIGUOUS))
UNIT_MAX = max(map(len, _UNIT_TOKENS))


def test_the_compiled_scans_are_in_use():
    assert scan.COMPILED
    assert scan.number_hint is not scan.number_hint_py


@settings(max_examples=examples(1500), deadline=None)
@given(
    any_text
    | st.lists(
        st.sampled_from(["1", "2", " ", "  ", "\t", ".", "-", "/", "--", "٣", "x", "12"]),
        max_size=12,
    ).map("".join)
)
@example("2 0")
@example("2 - 0")
@example("2 -- 05")  # the digit after the gap is followed by a digit
@example("2    0")  # a gap of four
@example("٣ ۵")
@example("x TWO y")
def test_number_hint(text):
    assert scan.number_hint(text, UNAMBIGUOUS, MIN_LEN, MAX_LEN) == scan.number_hint_py(
        text, UNAMBIGUOUS, MIN_LEN, MAX_LEN
    )


@settings(max_examples=examples(1500), deadline=None)
@given(
    any_text
    | st.lists(
        st.sampled_from(["to", "fem", "5", "0", " ", "-", "'", "’", "x", "12", "TWO", "п'ять"]),
        max_size=14,
    ).map("".join)
)
@example("to fem 5 0")
@example("to fem 5 x 0")
@example("п'ять п’ять два 1")
@example("5'5 1 2 3")  # one token "5'5"
@example("İki two two two")
def test_unit_run(text):
    assert scan.unit_run(text, _UNIT_TOKENS, UNIT_MAX) == scan.unit_run_py(
        text, _UNIT_TOKENS, UNIT_MAX
    )


HOMOGLYPHS = "".join(_HOMOGLYPHS)
spaced = st.lists(
    st.sampled_from([" ", ".", "-", "a", "é", "5", "_", "ж", "ab", "\t"]), max_size=20
).map("".join)


@settings(max_examples=examples(1500), deadline=None)
@given(any_text | spaced, st.integers(min_value=-2, max_value=30))
@example("w h a t s", 0)
@example("x.y.z.w.", 1)
def test_spaced_letters(text, pos):
    assert scan.spaced_letters(text, pos) == scan.spaced_letters_py(text, pos)


spaces = st.lists(
    st.sampled_from(
        [
            " ",
            "  ",
            "\n",
            "\n\n",
            " \n ",
            "\t",
            "\r",
            "\x0b",
            "\u2028",
            "\u1680",
            "\u00a0",
            "a",
            "bc",
            "é",
        ]
    ),
    max_size=14,
).map("".join)


@settings(max_examples=examples(2000), deadline=None)
@given(any_text | spaces, st.booleans())
@example("a  b\tc \n", False)
@example("  ", False)
@example(" a ", False)  # no odd space: only stripped
@example("a\nb", False)  # a lone line break stays
@example("\n", True)
def test_collapse_whitespace(text, shifted):
    from array import array

    n = len(text)
    starts = array("q", range(3, 3 * n + 3, 3) if shifted else range(n))
    ends = array("q", (s + (2 if shifted else 1) for s in starts))
    copies = (starts[:], ends[:])
    fast = scan.collapse_whitespace(text, starts, ends)
    plain = scan.collapse_whitespace_py(text, starts, ends)
    assert fast[0] == plain[0]
    assert list(fast[1]) == list(plain[1]) and list(fast[2]) == list(plain[2])
    assert (starts, ends) == copies  # the inputs are not changed


@settings(max_examples=examples(1500), deadline=None)
@given(
    any_text
    | st.lists(st.sampled_from(["а", "о", "x", "é", "ж", " ", "ǅ", "ɐ", "Ζ"]), max_size=12).map(
        "".join
    )
)
@example("whаtsapp")  # a Cyrillic "а" between Latin letters
@example("аb")
@example("жа")
def test_homoglyph_hint(text):
    assert scan.homoglyph_hint(text, HOMOGLYPHS) == scan.homoglyph_hint_py(text, HOMOGLYPHS)


@settings(max_examples=examples(1500), deadline=None)
@given(
    any_text
    | st.lists(
        st.sampled_from(["y", "0", "1", "3", "$", "@", "ab", "²", "_", " "]), max_size=12
    ).map("".join)
)
@example("y0ung")
@example("$ex")
@example("$e")
@example("a@b")
def test_leet_hint(text):
    assert scan.leet_hint(text) == scan.leet_hint_py(text)


@settings(max_examples=examples(1500), deadline=None)
@given(any_text)
@example("a12b٣٤5 ²")
def test_digit_runs(text):
    assert scan.digit_runs(text) == scan.digit_runs_py(text)


phoneish = st.lists(
    st.sampled_from(
        [
            "1",
            "2",
            "45",
            "٣",
            " ",
            "  ",
            "\t",
            "(",
            ")",
            ".",
            "-",
            "/",
            "+",
            "x",
            "20 55 12 34",
            "1234567890123456789",
        ]
    ),
    max_size=16,
).map("".join)


@settings(max_examples=examples(2000), deadline=None)
@given(any_text | phoneish, st.integers(min_value=-2, max_value=40))
@example("12345678901234567890123456789", 0)  # longer than the repeat: starts inside
@example("1 2 3 4 5", 0)
@example("(20) 55-12/34", 1)
def test_phone_core(text, pos):
    assert scan.phone_core(text, pos) == scan.phone_core_py(text, pos)


controls = st.lists(
    st.sampled_from(
        [
            "a",
            " ",
            "\x00",
            "\x08",
            "\t",
            "\n",
            "\x0e",
            "\x1f",
            "\x7f",
            "\x9f",
            "\xa0",
            "\u200b",
            "\u200d",
            "\u2060",
            "\ufeff",
            "\u00ad",
            "\u180e",
            "\u200e",
        ]
    ),
    max_size=16,
).map("".join)
emoji = st.lists(
    st.sampled_from(
        [
            "🔥",
            "👍",
            "🏻",
            "\ufe0f",
            "\u200d",
            "❤",
            "☎",
            "⌚",
            "⬛",
            "x",
            " ",
            "\U0001faff",
            "\U0001fb00",
            "\u27c0",
            "\u2bff",
        ]
    ),
    max_size=16,
).map("".join)


@settings(max_examples=examples(1500), deadline=None)
@given(any_text | controls)
def test_control_positions(text):
    assert scan.control_positions(text) == scan.control_positions_py(text)


@settings(max_examples=examples(1500), deadline=None)
@given(any_text | emoji)
@example("👍🏻\u200d🔥\ufe0f")
@example("☎\u200d⬛")  # a joiner before an emoji outside the joined range ends the emoji
def test_emoji_spans(text):
    assert scan.emoji_spans(text) == scan.emoji_spans_py(text)


def test_scans_agree_on_the_fixture_listings():
    from array import array

    from fixture_site.generate import generate_listings

    for listing in generate_listings():
        text = f"{listing.title}\n\n{listing.text}"
        assert scan.number_hint(text, UNAMBIGUOUS, MIN_LEN, MAX_LEN) == scan.number_hint_py(
            text, UNAMBIGUOUS, MIN_LEN, MAX_LEN
        )
        assert scan.unit_run(text, _UNIT_TOKENS, UNIT_MAX) == scan.unit_run_py(
            text, _UNIT_TOKENS, UNIT_MAX
        )
        starts, ends = array("q", range(len(text))), array("q", range(1, len(text) + 1))
        fast, plain = (
            scan.collapse_whitespace(text, starts, ends),
            scan.collapse_whitespace_py(text, starts, ends),
        )
        assert (fast[0], list(fast[1]), list(fast[2])) == (plain[0], list(plain[1]), list(plain[2]))
        assert scan.spaced_letters(text, 0) == scan.spaced_letters_py(text, 0)
        assert scan.homoglyph_hint(text, HOMOGLYPHS) == scan.homoglyph_hint_py(text, HOMOGLYPHS)
        assert scan.leet_hint(text) == scan.leet_hint_py(text)
        assert scan.digit_runs(text) == scan.digit_runs_py(text)
        assert scan.phone_core(text, 0) == scan.phone_core_py(text, 0)
        assert scan.control_positions(text) == scan.control_positions_py(text)
        assert scan.emoji_spans(text) == scan.emoji_spans_py(text)


def test_homoglyphs_are_beyond_latin():
    # homoglyph_hint skips characters before U+0250 without looking them up.
    assert all(ord(ch) >= 0x250 for ch in HOMOGLYPHS)


@pytest.mark.slow
def test_scoring_with_the_references_gives_the_same_assessments(monkeypatch):
    """Every assessment (output, explanation, extracted identifiers) of 1,360 fixture-site
    listings (two seeds) and a few made-up ones is the same with the plain-Python scans as
    with the compiled ones."""
    import nlp.extract as extract_mod
    import nlp.normalise as normalise_mod
    from fixture_site.generate import generate_listings
    from indicator_lists import load_catalogue
    from models.registry import ModelRegistry
    from nlp.scorer import Scorer

    listings = [(listing.title, listing.text) for listing in generate_listings(seed=7)]
    listings += [
        ("Ny i byen 🔥", "Ring 2 0 5 5 1 2 3 4, 22 år, 1.500 kr. www.x.dk\t\t\n\n"),
        ("", "Visa sponsorship, no experience needed, whatsapp +4520551234"),
        ("  whаtsapp y0ung  ", "w h a t s a p p\u200b ٣٤ пет две три 👍🏻\u200d🔥"),
    ]
    listings += [
        (listing.title, listing.text)
        for listing in generate_listings(n_jobs=600, n_ads=400, seed=11)
    ]
    catalogue, model = load_catalogue(), ModelRegistry().load()

    def assess() -> list:
        return [
            (a.to_check_dict(), a.explanation(), a.extracted)
            for a in Scorer(catalogue, model).assess_many(listings)
        ]

    compiled = assess()
    swapped = 0
    for module in (normalise_mod, extract_mod):
        for name in scan.__all__:
            reference = getattr(scan, f"{name}_py", None)
            if reference is not None and getattr(module, name, None) is getattr(scan, name):
                monkeypatch.setattr(module, name, reference)
                swapped += 1
    assert swapped >= 10  # every compiled scan the scorer uses
    assert assess() == compiled


def test_the_references_run_when_asked(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "THBSCAN_PURE_PYTHON_SCANS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", "import nlp.scan as s; print(s.COMPILED, s.digit_runs.__name__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert out == ["False", "digit_runs_py"]
