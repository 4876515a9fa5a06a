"""The shipped catalogue: validity, full coverage in every language, weights, the rules that
keep look-alikes quiet, and the Python API."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from indicator_lists import (
    CATEGORIES,
    FORMS,
    GRADES,
    LANGUAGES,
    Catalogue,
    format_table,
    json_schema,
    lock,
    rows,
    validate,
)
from indicator_lists.loader import LISTS_DIR, semver_key
from indicator_lists.matcher import Engine
from indicator_lists.matcher.engine import score_of
from indicator_lists.model import expression_names

SUPPORTED = ("da", "en", "ro", "bg", "pl", "uk", "es", "ru")


def test_shipped_catalogue_validates() -> None:
    assert [str(p) for p in validate()] == []


@pytest.mark.slow
def test_module_entry_point_validates() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "indicator_lists", "validate"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_a_draft_is_checked_in_the_catalogue_it_will_join(tmp_path: Path) -> None:
    # The newest approved version of every list, locked; then a draft whose new positive
    # example its expressions do not find: reported before anyone approves it.
    lists = tmp_path / "lists"
    for directory in sorted(d for d in LISTS_DIR.iterdir() if d.is_dir()):
        newest = max(directory.glob("*.yaml"), key=lambda p: semver_key(p.stem))
        (lists / directory.name).mkdir(parents=True)
        shutil.copy(newest, lists / directory.name / newest.name)
    lock(lists)
    (approved,) = (lists / "forced_criminality").glob("*.yaml")
    text = approved.read_text(encoding="utf-8")
    example = "'Receive transfers, withdraw the cash at the ATM and send it on in crypto.'"
    assert example in text
    entry = "{version: 99.0.0, date: '2026-12-07', changes: [Draft.]}"
    draft = (
        text.replace(f"version: {approved.stem}", "version: 99.0.0", 1)
        .replace("status: approved", "status: draft", 1)
        .replace("changelog:\n", f"changelog:\n  - {entry}\n", 1)
        .replace(example, "'A quiet afternoon in the park.'")
    )
    (lists / "forced_criminality" / "99.0.0.yaml").write_text(draft, encoding="utf-8")
    problems = [str(p) for p in validate(lists)]
    assert len(problems) == 1, problems
    assert "99.0.0.yaml" in problems[0]
    assert "positive example 2 of fc.money_mule_account (en)" in problems[0]


def test_all_lists_present_and_approved(catalogue: Catalogue) -> None:
    names = set(catalogue.versions())
    assert {*FORMS, "possible_minor", "contact", "linking", "context", "concepts"} <= names
    assert {f"lexicon_{lang}" for lang in SUPPORTED} <= names
    assert set(SUPPORTED) == LANGUAGES == catalogue.languages()
    for lst in catalogue.lists:
        assert lst.status == "approved"
        assert all(i.category == lst.name for i in lst.indicators)


def test_every_text_indicator_is_written_in_concepts(catalogue: Catalogue) -> None:
    text = [i for i in catalogue.indicators() if i.signal == "text"]
    assert len([i for i in text if i.category in FORMS]) >= 55
    for ind in text:
        assert ind.match is not None and not ind.patterns, ind.id
        assert {"da", "en"} <= set(ind.examples), ind.id


def test_full_catalogue_in_every_language(catalogue: Catalogue) -> None:
    """Every concept a text indicator needs has words in every supported language, and
    every concept of every lexicon has positive and negative examples."""
    lexicons = catalogue.lexicons()
    assert set(lexicons) == set(SUPPORTED)
    inventory = set(catalogue.section("concepts"))
    for ind in catalogue.indicators():
        if ind.signal != "text":
            continue
        needed = (expression_names(ind.match) | expression_names(ind.requires)) & inventory
        for lang, lst in lexicons.items():
            entries = lst.sections["lexicon"]
            missing = [c for c in needed if not entries.get(c, {}).get("terms")]
            assert not missing, (ind.id, lang, missing)
    for lang, lst in lexicons.items():
        for name, entry in lst.sections["lexicon"].items():
            assert entry["examples"]["positive"] and entry["examples"]["negative"], (lang, name)


def test_weights_follow_evidence(catalogue: Catalogue) -> None:
    for ind in catalogue.indicators():
        assert ind.grade in GRADES and ind.category in CATEGORIES
        if ind.grade == "counter":
            assert ind.weight < 0, ind.id
        if ind.grade == "weak":
            assert ind.weight <= 0.6 and ind.combination_only, ind.id
        if ind.grade == "strong":
            assert ind.weight >= 2.0 and not ind.combination_only, ind.id
    for strong in (
        "fl.recruitment_fee",
        "fl.documents_retained",
        "fl.debt_repayment",
        "se.payment_third_party",
        "se.several_providers",
        "pm.youth_wording",
    ):
        assert catalogue.indicator(strong).grade == "strong"
    assert catalogue.indicator("se.new_in_town").grade == "counter"
    for ind in ("se.foreign_origin", "fl.targeted_nationality"):
        assert catalogue.indicator(ind).bias_audit


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "No experience needed. Start immediately. Visa sponsorship available."),
        ("en", "Support 24/7 for our customers, real photos of the flat, new in town."),
        ("en", "Clothing for young girls and boys, sizes 98-140."),
        ("en", "Young girls football team (U12) seeks a volunteer coach."),
        ("en", "Senior developer: no limits to your growth, up to 4160 volts, prior to 2005."),
        ("en", "Our agency never charges fees and never keeps your passport."),
        ("da", "Ingen erfaring nødvendig. Start straks. En 25000 kr. velkomstbonus."),
        ("da", "Vi tager ingen gebyrer, og vi beholder aldrig dit pas."),
        ("da", "Pigetøj sælges, str. 110, 50 kr."),
        # a fee that is no recruitment fee: the listing is not about work
        ("en", "Licensed money transfer shop: send money home today, fees from 29 kr."),
        # a news report quotes exploitation: its words make it a warning notice
        (
            "en",
            "News: the court sentenced two men. According to the investigation they kept "
            "the workers' passports and deducted a travel debt from their wages.",
        ),
        ("en", "We deliver parcels by bike. We never ask you to deliver unknown packages."),
        # a bank's warning: its words still warn inside the condition they open
        (
            "da",
            "Bliv ikke pengemuldyr. Hvis nogen vil låne din konto og give dig 3.000 kr på en "
            "dag, er det hvidvask, og du kan blive straffet.",
        ),
        # "15:00" after a weekday is a time, not an age; "with friends" is no go-between
        ("ru", "Книжный клуб: воскресенье, 15:00. Приходите с друзьями, чай за свой счёт."),
        (
            "en",
            "Au pair through the official Danish au pair scheme. Pocket money at least the "
            "official minimum. We pay the SIRI application fee.",
        ),
    ],
)
def test_look_alikes_are_not_flagged(engine: Engine, lang: str, text: str) -> None:
    analysis = engine.analyse("", text, lang=lang)
    result = score_of(engine, analysis)
    assert not result["flagged"] and result["band"] in ("low", "medium"), [
        (h.id, h.spans) for h in analysis.hits
    ]


@pytest.mark.parametrize(
    ("lang", "text", "form"),
    [
        (
            "en",
            "Send full body photos and passport copy first. You repay later from tips. "
            "Do not tell your family until you arrive.",
            "forced_labour",
        ),
        (
            "en",
            "Escort, book only with our manager, deposit required in crypto.",
            "sexual_exploitation",
        ),
        (
            "da",
            "70 timer om ugen. 2000 kr pr uge trækkes i lønnen. Gebyr for kontrakt 5000 kr "
            "betales på forhånd. Du bor i container på byggepladsen.",
            "forced_labour",
        ),
        (
            "bg",
            "Работа в Дания. Документите се пазят от нас. Такса 300 евро предварително.",
            "forced_labour",
        ),
        (
            "uk",
            "Робота в Данії. Оплата за оформлення 400 євро наперед, паспорт залишається у нас.",
            "forced_labour",
        ),
        (
            "es",
            "Trabajo en Dinamarca. Pagas una tasa de 500 euros por adelantado y guardamos tu "
            "pasaporte.",
            "forced_labour",
        ),
        # a go-between offers his workers for cash (fl.rule_gang_offer with fl.cash_pay)
        (
            "en",
            "My boys are ready for demolition and cleaning, 5 strong men, cash only.",
            "forced_labour",
        ),
        # risky services with a sign of movement (se.rule_risky_service_cluster)
        ("en", "Anna, new in town for three days. No limits. Text only.", "sexual_exploitation"),
        # 'for you, we keep' is no worker keeping their own passport
        (
            "en",
            "To make it easy for you, we keep your passport safe in our office.",
            "forced_labour",
        ),
        # "I have 8 guys ... you pay me" (fl.workers_offered, fl.pay_to_go_between)
        (
            "en",
            "Have 8 Ukrainian guys, strong, can start today. 130 kr/hour per man, you pay me.",
            "forced_labour",
        ),
        # girls of 16-17 for "meetings", parents need not know (se.rule_girls_without_age_check)
        (
            "ru",
            "Ищу девчонок 16-17 лет для встреч с щедрыми мужчинами, за вечер 2000 кр. Родителям "
            "знать не обязательно.",
            "sexual_exploitation",
        ),
        # Danish typed without æ, ø and å
        (
            "da",
            "Arbejde i Danmark. Gebyr 3000 kr betales paa forhaand. Du bor i container paa "
            "byggepladsen.",
            "forced_labour",
        ),
    ],
)
def test_wording_from_the_issue_is_found(engine: Engine, lang: str, text: str, form: str) -> None:
    analysis = engine.analyse("", text)
    assert form in analysis.categories, [(h.id, h.spans) for h in analysis.hits]


def test_list_files_match_the_json_schema() -> None:
    schema = json_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)  # built once: the lexicons are large
    for path in sorted(LISTS_DIR.glob("*/*.yaml")):
        doc = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        validator.validate(json.loads(json.dumps(doc, default=str)))


def test_rows_and_table(catalogue: Catalogue) -> None:
    table = rows(catalogue, category="forced_labour")
    assert table and all(r["category"] == "forced_labour" for r in table)
    assert "fl.recruitment_fee" in format_table(table)


@pytest.mark.parametrize(
    ("text", "ages"),
    [
        # an age after the person it belongs to, without a word for years
        ("Søger drenge 15-17 med knallert til små pakker, kontant, ingen spørgsmål.", [15.0]),
        ("Her father owes us money, so our niece, 16, will work it off, no salary.", [16.0]),
        # minutes of a massage, and the ages of a host family's children, are no stated age
        ("Thai massage, 15 min 300 kr, 30 min 500 kr.", []),
        ("Familie med to børn på 11 og 14 år søger au pair gennem den officielle ordning.", []),
    ],
)
def test_a_stated_age_belongs_to_a_person(engine: Engine, text: str, ages: list[float]) -> None:
    analysis = engine.analyse("", text)
    assert [q.low for q in analysis.quantities if q.name == "age"] == ages
