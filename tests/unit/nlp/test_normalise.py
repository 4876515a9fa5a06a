"""Tests for nlp.normalise: matchable text with exact offsets back to the original."""

from __future__ import annotations

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.errors import InputError
from nlp.normalise import Normalised, normalise, normalise_many


def span_of(norm: Normalised, original: str, needle: str) -> str:
    start = norm.text.index(needle)
    s, e = norm.to_original(start, start + len(needle))
    return original[s:e]


@pytest.mark.parametrize(
    ("original", "needle", "hidden"),
    [
        ("Ring +45 two 0 five 5 1 2 3 4 nu", "20551234", "two 0 five 5 1 2 3 4"),
        ("ring på to nul fem fem en to tre fire", "20551234", "to nul fem fem en to tre fire"),
        ("tlf 2 0 5 5 - 1 2 3 4 efter kl 18", "20551234", "2 0 5 5 - 1 2 3 4"),
        ("call zero oh seven seven one two", "007712", "zero oh seven seven one two"),
    ],
)
def test_obfuscated_numbers_become_digit_runs(original, needle, hidden):
    norm = normalise(original)
    assert needle in norm.text
    assert span_of(norm, original, needle) == hidden


def test_homoglyph_in_latin_word_is_folded():
    original = "skriv på whаtsapp"  # Cyrillic а
    norm = normalise(original)
    assert "whatsapp" in norm.text
    assert span_of(norm, original, "whatsapp") == "whаtsapp"


def test_bulgarian_and_ukrainian_text_untouched():
    for text in ("Търсим млади момичета за работа в чужбина", "Шукаємо дівчат для роботи в Європі"):
        assert normalise(text).text == text


@pytest.mark.parametrize(
    ("original", "expected"),
    [("y0ung n3w girls", "young new girls"), ("h0t $exy", "hot sexy"), ("g1rl", "girl")],
)
def test_leetspeak_inside_words(original, expected):
    assert normalise(original).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "open 24/7, price 500 kr, 1.500,00 kr",
        "meet at 5pm or 10am in 2024",
        "call 20 55 12 34",
        "mp3 and covid19 and 3rd",
        "mail anna@gmail.com or @user",
    ],
)
def test_numbers_prices_times_and_addresses_untouched(text):
    assert normalise(text).text == text


def test_despacing_letter_spaced_words():
    original = "write w h a t s a p p or t.e.l.e.g.r.a.m now"
    norm = normalise(original)
    assert norm.text == "write whatsapp or telegram now"
    assert span_of(norm, original, "whatsapp") == "w h a t s a p p"
    assert span_of(norm, original, "telegram") == "t.e.l.e.g.r.a.m"


def test_emoji_become_separate_tokens():
    original = "hi🔥🔥there 😀"
    norm = normalise(original)
    assert norm.text.split() == ["hi", "🔥", "🔥", "there", "😀"]
    assert span_of(norm, original, "there") == "there"


@pytest.mark.parametrize(
    "text",
    [
        "I want to go to one place at one time",
        "from 9 to 5 one day a week",
        "Vi har en to-værelses lejlighed og et job til dig",
        "one to one training for two weeks",
    ],
)
def test_ordinary_prose_with_number_words_unchanged(text):
    assert normalise(text).text == text


def test_whitespace_collapsed_and_unicode_cleaned():
    original = "  ｗｈａｔｓａｐｐ\u200b  me\n\n\tnow\x00 "
    norm = normalise(original)
    assert norm.text == "whatsapp me\nnow"
    assert span_of(norm, original, "whatsapp") == "ｗｈａｔｓａｐｐ"


def test_to_original_rejects_out_of_range_span():
    with pytest.raises(InputError):
        normalise("abc").to_original(0, 10)


def test_normalise_many_and_empty():
    assert [n.text for n in normalise_many(["a  b", ""])] == ["a b", ""]
    assert normalise("").to_original(0, 0) == (0, 0)


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=300))
def test_offsets_always_within_bounds(text):
    norm = normalise(text)
    assert len(norm.offsets) == len(norm.text) == len(norm.ends)
    for i in range(len(norm.text)):
        s, e = norm.to_original(i, i + 1)
        assert 0 <= s <= e <= len(text)
    s, e = norm.to_original(0, len(norm.text))
    assert 0 <= s <= e <= len(text)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.sampled_from(["y0ung", "w h a t s", "two", "0", "5", "🔥", "а", "  ", "x"])))
def test_mapped_characters_come_from_the_original(parts):
    original = " ".join(parts)
    norm = normalise(original)
    for i, ch in enumerate(norm.text):
        s, e = norm.to_original(i, i + 1)
        if ch.isalpha() and s < e:
            assert e - s >= 1
