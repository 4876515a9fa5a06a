"""Language identification: every language by its own code, a supported one only when the
text is in it, ``und`` when it cannot tell."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from indicator_lists.matcher import identify, normalise, tokenize
from nlp.language_names import SUPPORTED, detect_language

_spec = importlib.util.spec_from_file_location(
    "language_sentences", Path(__file__).with_name("language_sentences.py")
)
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
SENTENCES: dict[str, list[str]] = _module.SENTENCES
OTHER: dict[str, list[str]] = _module.OTHER


def _guess(text: str) -> str:
    return identify([t.text.lower() for t in tokenize(normalise(text).text) if t.is_word]).lang


def test_sentences_cover_every_supported_language() -> None:
    assert set(SENTENCES) == set(SUPPORTED) == {"da", "en", "ro", "bg", "pl", "uk", "es", "ru"}


@pytest.mark.parametrize("lang", SUPPORTED)
def test_supported_languages_are_named_and_never_confused(lang: str) -> None:
    guesses = [_guess(s) for s in SENTENCES[lang]]
    assert all(g in (lang, "und") for g in guesses), list(
        zip(SENTENCES[lang], guesses, strict=True)
    )
    # One sentence of 10-15 words; "und" (undetermined) is allowed for a few: matching then
    # uses every language's lexicon.
    assert guesses.count(lang) / len(guesses) >= 0.6, guesses


@pytest.mark.parametrize("lang", sorted(OTHER))
def test_other_languages_are_never_a_supported_one(lang: str) -> None:
    for sentence in OTHER[lang]:
        found = detect_language(sentence)
        assert not found.supported and found.code not in SUPPORTED, (sentence, found)
        assert found.code in (lang, "und"), (sentence, found)


def test_scripts_name_their_language() -> None:
    for lang in ("th", "ar", "zh", "vi"):
        assert _guess(OTHER[lang][0]) == lang


def test_undetermined_texts() -> None:
    for text in ("", "12345 678", "😀😀😀", "ok", "Aarhus Odense"):
        found = detect_language(text)
        assert found.code == "und" and not found.supported


def test_undetermined_text_may_be_named_by_langdetect_but_never_as_supported() -> None:
    text = "Bom dia, procuro um quarto para alugar perto da universidade com cozinha."
    assert _guess(text) in ("pt", "und")
    found = detect_language(text)
    assert found.code == "pt" and not found.supported


def test_bounded_and_deterministic() -> None:
    text = " ".join(SENTENCES["da"]) * 200
    assert detect_language(text).code == "da"
    assert [detect_language(s).code for s in SENTENCES["bg"]] == [
        detect_language(s).code for s in SENTENCES["bg"]
    ]


def test_a_lead_of_exactly_one_word_is_a_lead() -> None:
    """Danish and Norwegian share most short words; "nogen" is Danish alone. Shared words
    give each language a third or a half, whose sums are inexact: a lead of one word must
    not come out as 0.999... and leave the listing undetermined."""
    text = (
        "Nogen der kan anbefale en god tandlæge i Odense der tager nye patienter? "
        "Helst en der ikke er alt for dyr"
    )
    assert _guess(text) == "da"


def test_a_norwegian_text_is_not_danish() -> None:
    text = "Vi søker en medarbeider til vårt kjøkken, og du får god lønn etter avtale hos oss."
    assert _guess(text) != "da"
