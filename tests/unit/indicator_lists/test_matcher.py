"""The reference matcher on a small catalogue built here: expressions, negation, quantities,
kinds, obfuscation, and the scoring rules (a form must be named; youth aggravates)."""

from __future__ import annotations

from typing import Any

import pytest

from indicator_lists.compile import compile_catalogue, expand_term
from indicator_lists.loader import from_document
from indicator_lists.matcher import Engine
from indicator_lists.model import Catalogue
from indicator_lists.schema import ListDoc

BASE = {
    "version": "1.0.0",
    "released": "2026-12-06",
    "status": "approved",
    "changelog": [{"version": "1.0.0", "date": "2026-12-06", "changes": ["test"]}],
    "description": "test",
}
CONCEPTS = {
    "NEG": {"description": "no", "roles": {"negation": "yes"}},
    "IF": {"description": "if", "roles": {"hypothetical": "yes"}},
    "WARNING": {"description": "warning", "roles": {"warning": "yes"}},
    "PER": {"description": "per", "roles": {"per": "yes"}},
    "UNIT_HOUR": {"description": "hour", "roles": {"unit": "hour"}},
    "UNIT_DAY": {"description": "day", "roles": {"unit": "day"}},
    "UNIT_WEEK": {"description": "week", "roles": {"unit": "week"}},
    "UNIT_YEAR": {"description": "year", "roles": {"unit": "year"}},
    "HOURLY": {"description": "hourly", "roles": {"per_unit": "hour"}},
    "OLD": {"description": "old", "roles": {"old": "yes"}},
    "AGE": {"description": "age", "roles": {"age": "yes"}},
    "CUR_DKK": {"description": "kr", "roles": {"currency": "DKK"}},
    "CUR_EUR": {"description": "euro", "roles": {"currency": "EUR"}},
    "CUR_GBP": {"description": "pound", "roles": {"currency": "GBP"}},
    "CONTACT": {"description": "call", "roles": {"contact": "yes"}},
    "FEE": {"description": "fee"},
    "PAY": {"description": "pay"},
    "UPFRONT": {"description": "upfront"},
    "PASSPORT": {"description": "passport"},
    "KEEP": {"description": "keep"},
    "YOU": {"description": "you"},
    "DAY_OFF": {"description": "day off"},
    "GIRL": {"description": "girl"},
    "YOUNG": {"description": "young"},
    "ESCORT_CUE": {"description": "escort"},
    "JOB_CUE": {"description": "job"},
    "COVERED": {"description": "free"},
    "MESSENGER": {"description": "whatsapp"},
    "ONLY": {"description": "only"},
    "BOARD": {"description": "board"},
    "WORKING_HOURS": {"description": "working hours", "roles": {"worktime": "yes"}},
}
LEXICONS = {
    "en": {
        "NEG": ["no", "not", "never", "without", "don't", "=n't"],
        "IF": ["if"],
        "WARNING": ["warning", "beware"],
        "PER": ["per", "=a", "an"],
        "UNIT_HOUR": ["hour", "=h"],
        "UNIT_DAY": ["day"],
        "UNIT_WEEK": ["week"],
        "UNIT_YEAR": ["year"],
        "HOURLY": ["hourly", "an hour"],
        "OLD": ["old", "y o"],
        "AGE": ["age", "aged"],
        "CUR_DKK": ["kr", "dkk"],
        "CUR_EUR": ["euro", "eur", "€"],
        "CUR_GBP": ["£"],
        "CONTACT": ["call", "text", "whatsapp"],
        "FEE": ["fee", "*fee*"],
        "PAY": ["pay"],
        "UPFRONT": ["in advance", "upfront", "before departure"],
        "PASSPORT": ["passport", "паспорт"],
        "KEEP": ["keep", "!keep a copy of"],
        "YOU": ["you", "your"],
        "DAY_OFF": ["day off", "free day"],
        "GIRL": ["girl", "lady"],
        "YOUNG": ["young"],
        "ESCORT_CUE": ["escort", "massage"],
        "JOB_CUE": ["job", "apply"],
        "COVERED": ["free", "covered"],
        "MESSENGER": ["whatsapp", "whats app", "telegram"],
        "ONLY": ["only"],
        "BOARD": ["room & board", "100 %"],
        "WORKING_HOURS": ["working hours"],
    },
    "da": {
        "NEG": ["ikke", "ingen", "aldrig", "uden"],
        "PER": ["pr", "om", "=i"],
        "UNIT_HOUR": ["time", "=t"],
        "UNIT_WEEK": ["uge"],
        "UNIT_YEAR": ["=år"],
        "CUR_DKK": ["kr"],
        "FEE": ["gebyr", "*gebyr*"],
        "PAY": ["betale"],
        "UPFRONT": ["på forhånd"],
        "PASSPORT": ["pas"],
        "KEEP": ["beholde"],
        "ESCORT_CUE": ["escort"],
        "GIRL": ["pige"],
        "YOUNG": ["ung"],
        "CONTACT": ["ring"],
    },
}
NUMBERS = {
    "en": {
        "zero": "0",
        "one": "1",
        "two": "2",
        "three": "3",
        "four": "4",
        "five": "5",
        "six": "6",
        "seven": "7",
        "eight": "8",
        "nine": "9",
    },
    "da": {"nul": "0", "en": "1", "to": "2", "tre": "3", "fire": "4", "fem": "5"},
}


def _indicator(ind_id: str, category: str, weight: float, match: Any, **extra: Any) -> dict:
    grade = "counter" if weight < 0 else ("strong" if weight >= 2 else "moderate")
    return {
        "id": ind_id,
        "category": category,
        "title": ind_id,
        "description": "d",
        "rationale": "r",
        "sources": ["s"],
        "grade": grade,
        "weight": weight,
        "signal": "text",
        "match": match,
        **extra,
    }


INDICATORS = {
    "forced_labour": [
        _indicator(
            "fl.fee",
            "forced_labour",
            3.0,
            {"all": ["FEE", {"any": ["PAY", "UPFRONT", "AMOUNT"]}], "within": 6},
            unless={"all": ["COVERED", "FEE"], "within": 4},
        ),
        _indicator(
            "fl.docs",
            "forced_labour",
            3.0,
            {"all": ["PASSPORT", "KEEP"], "within": 5},
            unless={"all": ["YOU", "KEEP", "PASSPORT"], "within": 3, "ordered": True},
        ),
        _indicator(
            "fl.no_days_off",
            "forced_labour",
            1.5,
            {
                "any": [
                    {"all": ["NEG", "DAY_OFF"], "within": 2},
                    {"quantity": "hours_per_week", "min": 60},
                ]
            },
        ),
        _indicator(
            "fl.low_pay", "forced_labour", 1.0, {"quantity": "pay_per_hour", "below_floor": True}
        ),
        _indicator(
            "fl.messenger",
            "forced_labour",
            0.4,
            {"all": ["ONLY", "MESSENGER"], "within": 3},
            combination_only=True,
        ),
    ],
    "sexual_exploitation": [
        _indicator(
            "se.young",
            "sexual_exploitation",
            1.5,
            {"all": ["YOUNG", "GIRL"], "within": 2},
            kinds=["escort"],
        ),
    ],
    "possible_minor": [
        _indicator("pm.age", "possible_minor", 3.0, {"quantity": "age", "max": 17}),
    ],
    "contact": [
        _indicator("contact.hidden", "contact", 2.0, {"detector": "obfuscated_phone"}),
    ],
    "context": [
        _indicator("ctx.warning", "context", -2.0, "WARNING"),
    ],
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    docs = [
        {
            **BASE,
            "list": "concepts",
            "concepts": CONCEPTS,
            "kinds": {"job": {"cues": {"JOB_CUE": 1.0}}, "escort": {"cues": {"ESCORT_CUE": 1.0}}},
            "pay_floors": {"DKK": {"hour": 115}, "EUR": {"hour": 8}},
        }
    ]
    for lang, lexicon in LEXICONS.items():
        docs.append(
            {
                **BASE,
                "list": f"lexicon_{lang}",
                "language": lang,
                "numbers": NUMBERS[lang],
                "lexicon": {
                    c: {"terms": t, "examples": {"positive": ["x"], "negative": ["y"]}}
                    for c, t in lexicon.items()
                },
            }
        )
    for name, inds in INDICATORS.items():
        docs.append(
            {
                **BASE,
                "list": name,
                "indicators": inds,
                "rules": [
                    {
                        "id": "fl.rule_two",
                        "category": "forced_labour",
                        "description": "two",
                        "any_of": ["fl.fee", "fl.docs"],
                        "min": 2,
                        "weight": 1.0,
                    }
                ]
                if name == "forced_labour"
                else [],
            }
        )
    lists = tuple(from_document(ListDoc.model_validate(d)) for d in docs)
    return Engine(compile_catalogue(Catalogue(lists), cache=False))


def ids(engine: Engine, text: str, title: str = "", lang: str | None = None) -> set[str]:
    return {h.id for h in engine.analyse(title, text, lang=lang).hits}


def test_expand_term_forms() -> None:
    assert expand_term("*gebyr*", None) == {"kind": "infix", "key": "gebyr"}
    assert expand_term("stem*", None) == {"kind": "prefix", "key": "stem"}
    assert expand_term("=Pas", None) == {"kind": "word", "keys": {"pas"}}
    phrase = expand_term("på forhånd", None)
    assert phrase["kind"] == "phrase" and phrase["parts"] == [{"på"}, {"forhånd"}]


@pytest.mark.parametrize(
    "text",
    [
        "Fee of 500 euro to pay in advance.",
        "Placement-fee 300 EUR before departure.",
        "The recruitmentfee must be paid upfront.",
        "Gebyr for kontrakt 5000 kr betales på forhånd.",
        "Formidlingsgebyret betales på forhånd.",
        "f33 500 euro in advance",
        "F E E: pay in advance",
        "p.a.y the f.e.e in advance",
    ],
)
def test_fee_found_in_wording_variants(engine: Engine, text: str) -> None:
    assert "fl.fee" in ids(engine, text)


@pytest.mark.parametrize(
    "text",
    [
        "No fee to pay, ever.",
        "We never charge a fee in advance.",
        "Ingen gebyr at betale.",
        "The fee is covered by us, nothing to pay.",
        "Fee.",
        "Pay attention. Fee waived for members of the club for the whole year.",
    ],
)
def test_fee_negated_or_apart(engine: Engine, text: str) -> None:
    assert "fl.fee" not in ids(engine, text)


def test_negation_scope_is_the_clause(engine: Engine) -> None:
    assert "fl.fee" in ids(engine, "No experience needed, fee 500 euro in advance.")
    assert "fl.docs" in ids(engine, "We keep your passport.")
    assert "fl.docs" not in ids(engine, "We never keep your passport.")
    assert "fl.docs" not in ids(engine, "You keep your passport.")
    assert "fl.docs" not in ids(engine, "Passport? We keep it not.")  # a negation just after


def test_explicit_negation_is_the_indicator(engine: Engine) -> None:
    assert "fl.no_days_off" in ids(engine, "Work in the season, no day off.")
    assert "fl.no_days_off" not in ids(engine, "Two days off, one free day a week.")


def test_hypothetical_only_in_a_warning(engine: Engine) -> None:
    warning = "Warning: if your employer will keep your passport, call us."
    assert "fl.docs" not in ids(engine, warning)
    assert "fl.docs" in ids(engine, "If you come, we keep your passport.")


def test_a_warning_warns_inside_its_own_conditions(engine: Engine) -> None:
    assert "ctx.warning" in ids(engine, "If anyone offers you work like this, beware.")


def test_a_part_prefers_its_nearest_match_that_no_negation_cancels(engine: Engine) -> None:
    # "upfront" is nearest to "fee" but cancelled by "never"; "500 euro" is not
    assert "fl.fee" in ids(engine, "Never pay upfront: the fee is 500 euro.")
    assert "fl.fee" not in ids(engine, "Never pay upfront: the fee is covered.")


def test_danish_typed_without_ae_oe_aa(engine: Engine) -> None:
    assert "fl.fee" in ids(engine, "Gebyr paa forhaand.", lang="da")
    assert "fl.fee" in ids(engine, "Gebyr på forhånd.", lang="da")


@pytest.mark.parametrize("marks", ["«»", "»«", "„“", "“”", '""', "''", "‚‘"])
def test_a_warning_quotes_scam_wording_without_making_it_its_own(
    engine: Engine, marks: str
) -> None:
    opening, closing = marks
    quoted = f"Warning: ads such as {opening}we keep your passport{closing} are a scam."
    assert "fl.docs" not in ids(engine, quoted)
    # quoted in a listing that warns of nothing, the words count; unclosed, nothing is quoted
    assert "fl.docs" in ids(engine, f"Our terms: {opening}we keep your passport{closing}.")
    assert "fl.docs" in ids(engine, f"Warning: {opening}late payers! And we keep your passport.")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("You work 70 hours a week.", True),
        ("70 timer om ugen.", True),
        ("70 h/week", True),
        ("60-70 hours per week", True),
        ("37 hours a week", False),
    ],
)
def test_hours_per_week(engine: Engine, text: str, found: bool) -> None:
    assert ("fl.no_days_off" in ids(engine, text)) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("60 kr an hour", True),
        ("Pay 90 DKK per hour.", True),
        ("€5/h", True),
        ("168 kr per hour", False),
        ("12 EUR per hour", False),
        ("500 kr", False),
    ],
)
def test_pay_below_floor(engine: Engine, text: str, found: bool) -> None:
    assert ("fl.low_pay" in ids(engine, text)) is found


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("She is 14 years old, fee 100 euro to pay in advance.", True),
        ("Girls aged 16, fee 100 euro in advance.", True),
        ("16-17 y/o also ok, fee 100 euro in advance.", True),
        ("Students 15+ welcome, fee 100 euro in advance.", True),
        ("At least 18 years old, fee 100 euro in advance.", False),
        ("5 years of experience, fee 100 euro in advance.", False),
        ("Anna, 15, fee 100 euro in advance.", True),
        ("Anna, 15:00 at the cafe, fee 100 euro in advance.", False),  # a time, not an age
    ],
)
def test_stated_minor_age_aggravates(engine: Engine, text: str, minor: bool) -> None:
    a = engine.analyse("", text)
    assert ("pm.age" in {h.id for h in a.hits}) is minor
    assert a.possible_minor is minor
    assert a.categories == ("forced_labour",)


def test_youth_never_stands_alone(engine: Engine) -> None:
    a = engine.analyse("", "Summer camp for 13-17 year olds, she is 14 years old.")
    assert "pm.age" in {h.id for h in a.hits}
    assert not a.categories and not a.possible_minor and a.total == 0
    assert all(not h.counted for h in a.hits)


def test_kind_decides(engine: Engine) -> None:
    assert "se.young" in ids(engine, "Escort, young girl, call me.")
    assert "se.young" not in ids(engine, "Clothes for young girl, apply for the job.")


def test_combination_only_counts_in_a_rule(engine: Engine) -> None:
    a = engine.analyse("", "Only WhatsApp. Fee 100 euro in advance.")
    messenger = next(h for h in a.hits if h.id == "fl.messenger")
    assert not messenger.counted
    b = engine.analyse("", "Fee 100 euro in advance. We keep your passport.")
    assert [r.id for r in b.rules] == ["fl.rule_two"]
    assert b.total == pytest.approx(7.0)


def test_counter_evidence(engine: Engine) -> None:
    a = engine.analyse("", "Warning: a fee of 500 euro to pay in advance is a scam.")
    assert {h.id for h in a.hits} == {"fl.fee", "ctx.warning"}
    assert a.total == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Call two 2 five five 3 three one 1 tonight.", True),
        ("Text me 2O-81-44-O7 2 2", True),
        ("whatsapp 2x0x5x5x1x2x3x4", True),
        ("Ring to 2 fem fem 3 tre en 1", True),
        ("call +45 2 0 5 5 1 2 3 4", True),
        ("Call 22 33 44 55 between 9 and 16.", False),
        ("reserva por teléfono 28 64 19 03 o en mi web", False),  # Spanish "o" is "or"
        ("teléfono o 28 64 19 03", False),
        ("Text 2 8 o 6 4 1 9 0 3", True),  # an o between digits is still a 0
        ("up to 4160 volts", False),
        ("prior to 2005", False),
        ("en 25000 kr. velkomstbonus", False),
        ("call about versions 7.1/6.2/6.1/5.1", False),
        ("two 2 five five 3 three one 1", False),  # no phone context
        ("Call [hidden phone acpfenae] tonight.", True),  # as a stored text holds it (R09)
        ("Call [phone acpfenae] tonight.", False),
    ],
)
def test_obfuscated_phone(engine: Engine, text: str, found: bool) -> None:
    assert ("contact.hidden" in ids(engine, text)) is found


def test_spans_point_into_the_original(engine: Engine) -> None:
    title, text = "Job &amp; more", "Ｆｅｅ 500 euro to pay in advance!"
    a = engine.analyse(title, text)
    hit = next(h for h in a.hits if h.id == "fl.fee")
    for field, start, end, snippet in hit.spans:
        assert (title if field == "title" else text)[start:end] == snippet
    assert any(s[3].startswith("Ｆｅｅ") for s in hit.spans)


def test_forms_and_flags(engine: Engine) -> None:
    a = engine.analyse("", "We keep your passport.")
    assert a.categories == ("forced_labour",)
    assert a.evidence == pytest.approx(1 - 2.718281828**-1, abs=1e-6)


def test_exceptions_symbols_and_cyrillic_leetspeak(engine: Engine) -> None:
    assert "fl.docs" in ids(engine, "We keep your passport.")
    assert "fl.docs" not in ids(engine, "Please keep a copy of your passport.")
    assert "BOARD" in engine.find_concepts("Room & board only, 100 % sure.")
    assert engine.find_concepts("Room and board.").get("BOARD") is None
    assert engine.find_concepts("Ние пазим вашия п@спорт.", "en").get("PASSPORT") == ["п@спорт"]


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("Working hours 8am-8pm, every day.", 12),
        ("Working hours: 07:00 - 19:30.", 12.5),
        ("Working hours from 6 to 20 hours a week.", None),
        ("Working hours 22-06.", 8),
    ],
)
def test_working_time(engine: Engine, text: str, hours: float | None) -> None:
    found = [q.high for q in engine.analyse("", text).quantities if q.name == "hours_per_day"]
    assert found == ([] if hours is None else [hours]), found


def test_a_currency_sign_belongs_to_the_number_after_it(engine: Engine) -> None:
    quantities = engine.analyse("", "4 on 4 off. £13 per hour, €5/h.").quantities
    assert [(q.name, q.low) for q in quantities if q.currency] == [
        ("pay_per_hour", 13.0),
        ("pay_per_hour", 5.0),
    ]
