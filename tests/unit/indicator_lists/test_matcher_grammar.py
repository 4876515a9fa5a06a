"""The matcher's grammar on the shipped catalogue: negations that continue one another,
transliterated listings whose function words are not English, and dashes that stand for
"is"."""

from __future__ import annotations

from indicator_lists.matcher import Engine


def _ids(engine: Engine, text: str) -> set[str]:
    return {h.id for h in engine.analyse("", text).hits}


def test_a_negative_phrase_is_not_negated_by_its_neighbour(engine: Engine) -> None:
    # "without opening it or asking": "ni preguntar" (no questions) continues "sin"
    text = "Llevas una maleta cerrada a Copenhague, sin abrirla ni preguntar."
    assert "fc.drug_courier" in _ids(engine, text)


def test_transliterated_negation_is_read_as_one(engine: Engine) -> None:
    # "ne" is не in Bulgarian written in Latin letters, not an English word; "saglasie"
    # is съгласие written by ear (ъ as "a")
    start = "Priemame i 16-17 godishni momicheta za brane na qgodi v Daniq. Kvartira ima, hrana ima"
    end = "shte vi kajem koga trugvame."
    asked = f"{start}, sas saglasie ot roditelite, {end}"
    waived = f"{start}, ne trqbva saglasie ot roditelite, {end}"
    assert engine.analyse("", asked).language.lang == "bg"
    assert "ctx.parental_consent" in _ids(engine, asked)
    assert "ctx.parental_consent" not in _ids(engine, waived)


def test_english_no_stays_english_in_a_mixed_listing(engine: Engine) -> None:
    text = (
        "URGENT warehouse workers Denmark, start tomorrow, rabota sklad Daniya. No experience, "
        "no english, no interview needed."
    )
    assert "fl.no_experience" in _ids(engine, text)


def test_a_dash_standing_for_is_joins_a_phrase(engine: Engine) -> None:
    # In Russian and Ukrainian a dash stands for "is": "всё что сверху — ваше" (everything
    # above is yours), the other half of a daily quota in the street
    for dash in ("—", "–", "-", ""):
        text = f"Работа на улице, цветы. Норма 600 крон в день, всё что сверху {dash} ваше."
        assert "fc.begging_quota" in _ids(engine, text), dash
    assert "fc.begging_quota" not in _ids(engine, "Работа на улице, цветы. 600 крон в день.")
