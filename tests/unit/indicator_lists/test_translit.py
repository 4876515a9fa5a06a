"""Russian, Ukrainian and Bulgarian written in Latin letters are read back into Cyrillic and
matched with their own lexicons; Latin-script languages that share some short words are
left alone."""

from __future__ import annotations

import pytest

from indicator_lists.matcher import Engine, normalise, tokenize
from indicator_lists.matcher.translit import read_transliterated, read_word


@pytest.mark.parametrize(
    ("word", "lang", "cyrillic"),
    [
        ("rabota", "ru", "работа"),
        ("dayom", "ru", "даём"),
        ("priyatnoy", "ru", "приятной"),  # "y" after a vowel is "й" in Russian
        ("nuzhny", "ru", "нужны"),
        ("shukayemo", "uk", "шукаємо"),
        ("potribni", "uk", "потрібні"),
        ("sim'ya", "uk", "сім'я"),
        ("rabotqt", "bg", "работят"),  # Bulgarian chat: q я, 4 ч
        ("ve4er", "bg", "вечер"),
        ("shte", "bg", "ще"),
    ],
)
def test_words_are_read_by_each_languages_spellings(word: str, lang: str, cyrillic: str) -> None:
    assert read_word(word, lang) == cyrillic


@pytest.mark.parametrize(
    ("text", "lang", "indicator"),
    [
        (
            "Robota v Daniyi na budovi. Pasport zabyrayemo pry pryizdi, zhytlo vid firmy, "
            "4000 kr na misyac vidrakhovuyemo z zarplaty.",
            "uk",
            "fl.documents_retained",
        ),
        (
            "Trusim momicheta za rabota v Daniq, pasportite gi pazim nie. Zhilishte ima, "
            "plashtate 3000 kr na mesec ot zaplatata.",
            "bg",
            "fl.documents_retained",
        ),
        (
            "Rabota v Danii na ferme. Zhilyo dayom, 3000 kr v mesyac vychitaem iz zarplaty.",
            "ru",
            "fl.wage_deductions",
        ),
    ],
)
def test_a_transliterated_listing_is_matched_in_its_language(
    engine: Engine, text: str, lang: str, indicator: str
) -> None:
    analysis = engine.analyse("", text)
    assert analysis.language.lang == lang
    assert indicator in {h.id for h in analysis.hits}
    hit = next(h for h in analysis.hits if h.id == indicator)
    for _field, start, end, shown in hit.spans:  # spans still point into the Latin text
        assert text[start:end] == shown and shown.isascii()


@pytest.mark.parametrize(
    "text",
    [
        "Nabízíme práci na farmě v Dánsku. Ubytování je zajištěno, mzda je vyplácena na účet "
        "každý měsíc, smlouva na dobu neurčitou.",  # Czech
        "Nudimo posao na farmi u Danskoj. Smještaj je osiguran, plaća se isplaćuje na račun "
        "svaki mjesec, ugovor na neodređeno.",  # Croatian
        "Ponúkame prácu na farme v Dánsku. Ubytovanie je zabezpečené, mzda sa vypláca na "
        "účet každý mesiac.",  # Slovak
        "Cook wanted for our restaurant in Aarhus, contract and pension.",
    ],
)
def test_latin_script_languages_are_not_read_as_cyrillic(text: str) -> None:
    assert read_transliterated(tokenize(normalise(text).text)) is None


def test_english_words_of_a_mixed_listing_keep_their_keys(engine: Engine) -> None:
    text = (
        "Warehouse workers. Rabota na sklade v Danii, bez opyta, zhilyo vychitaem iz "
        "zarplaty. Pay 60 DKK per hour, housing deducted from wage."
    )
    tokens = tokenize(normalise(text).text)
    read = read_transliterated(tokens, lambda key: key in {"pay", "per", "hour", "housing"})
    assert read is not None and read[1].lang == "ru"
    keys = [t.key for t in read[0] if t.is_word]
    assert "pay" in keys and "housing" in keys and "работа" in keys
    assert {h.id for h in engine.analyse("", text).hits} >= {"fl.wage_deductions"}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # Written by ear without the soft sign: "til'ky", "tilky" (тільки), "pyshit" (пишіть).
        ("Novi divchata kozhen tyzhden, molodi. Zapys til'ky cherez Telegram, pyshit", "uk"),
        ("Dvi molodi podruzhky, vse bez gumky, tilky pyshit, chekayemo", "uk"),
    ],
)
def test_function_words_are_found_without_their_soft_sign(text: str, lang: str) -> None:
    read = read_transliterated(tokenize(normalise(text).text))
    assert read is not None and read[1].lang == lang


def test_ukrainian_identified_as_polish_is_read_back(engine: Engine) -> None:
    # Ukrainian typed in Latin letters shares "na", "i", "z", "po" with Polish: the identifier
    # names Polish, but the reading in Cyrillic has twice Polish's function words.
    text = (
        "Maiu 10 svoikh liudei, khloptsi i zhinky, na zbir yabluk i polunytsi, mozhemo "
        "vyikhaty bud-koly. Pratsiuiut po 12 hodyn bez vykhidnykh. Platyte meni gotivkoiu, "
        "ya z nymy sam rozrakhovuius. Zhytlo - mozhna kontejner abo sarai."
    )
    tokens = tokenize(normalise(text).text)
    read = read_transliterated(tokens, identified=True)
    assert read is not None and read[1].lang == "uk"
    analysis = engine.analyse("", text)
    assert analysis.language.lang == "uk"
    assert {h.id for h in analysis.hits} >= {"fl.workers_offered", "fl.excessive_hours"}


@pytest.mark.parametrize(
    "text",
    [
        # Polish with its letters is no ASCII text; without them, its own function words
        # keep it Polish.
        "Dorób sobie w wakacje, szukam ogarniętych osób 15-17 lat co są w domu w ciągu dnia. "
        "Na twój adres przychodzą paczki, ty je przepakowujesz i nadajesz dalej.",
        "dorob sobie w wakacje, szukam ogarnietych osob 15-17 lat co sa w domu w ciagu dnia. "
        "na twoj adres przychodza paczki, ty je przepakowujesz i nadajesz dalej.",
    ],
)
def test_polish_is_not_read_as_cyrillic(text: str) -> None:
    assert read_transliterated(tokenize(normalise(text).text), identified=True) is None
