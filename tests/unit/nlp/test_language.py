"""Tests for nlp.language: accuracy on short job/advert sentences, mixing, fallback."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from nlp.language import SUPPORTED, LanguageGuess, detect_language, detect_many

_spec = importlib.util.spec_from_file_location(
    "language_sentences", Path(__file__).with_name("language_sentences.py")
)
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
SENTENCES: dict[str, list[str]] = _module.SENTENCES


def test_sentences_cover_every_supported_language():
    assert set(SENTENCES) == set(SUPPORTED)
    assert all(len(sentences) >= 10 for sentences in SENTENCES.values())


@pytest.mark.parametrize("lang", SUPPORTED)
def test_accuracy_per_language(lang):
    sentences = SENTENCES[lang]
    right = sum(detect_language(s).lang == lang for s in sentences)
    assert right / len(sentences) >= 0.95, [
        (s, detect_language(s)) for s in sentences if detect_language(s).lang != lang
    ]


def test_overall_accuracy_and_no_spurious_mixing():
    guesses = [(lang, detect_language(s)) for lang, ss in SENTENCES.items() for s in ss]
    accuracy = sum(g.lang == lang for lang, g in guesses) / len(guesses)
    assert accuracy >= 0.95
    assert sum(bool(g.mixed) for _, g in guesses) <= 2


def test_guess_fields():
    guess = detect_language("Vi søger en ny medarbejder til vores butik, og du skal have lyst.")
    assert isinstance(guess, LanguageGuess)
    assert guess.lang == "da"
    assert guess.method in {"script", "stopwords", "langdetect"}
    assert 0.0 < guess.confidence <= 1.0


def test_bulgarian_and_ukrainian_by_letters():
    assert detect_language("Търсим млади момичета за работа в чужбина").lang == "bg"
    assert detect_language("Шукаємо дівчат для роботи в Європі, житло є").lang == "uk"


def test_langdetect_used_when_stopwords_undecided():
    guess = detect_language("Hotelrengøring Aarhus: stuepiger, opvaskere, tjenere søges")
    assert guess.method in {"langdetect", "stopwords"}
    assert guess.lang == "da"


def test_danish_advert_with_english_paragraph_is_mixed():
    danish = " ".join(SENTENCES["da"][:6])
    english = " ".join(SENTENCES["en"][:6])
    guess = detect_language(danish + "\n\n" + english)
    assert guess.lang == "da"
    assert "en" in guess.mixed


def test_bulgarian_with_english_paragraph_is_mixed():
    text = " ".join(SENTENCES["bg"][:5]) + "\n" + " ".join(SENTENCES["en"][:5])
    guess = detect_language(text)
    assert guess.lang == "bg"
    assert "en" in guess.mixed


@pytest.mark.parametrize("text", ["", "   ", "12345 678", "🔥🔥😀", "!!! ???"])
def test_fallback_for_undeterminable_text(text):
    guess = detect_language(text, default="da")
    assert guess == LanguageGuess("da", 0.0, "fallback", ())


def test_deterministic():
    text = "Hotel job, good pay, start now"
    first = [detect_language(text) for _ in range(5)]
    assert all(g == first[0] for g in first)
    assert detect_many([text, text]) == [first[0], first[0]]


def test_long_text_is_bounded_and_answers():
    guess = detect_language("Vi søger en medarbejder til butikken. " * 5000)
    assert guess.lang == "da"
