"""The scorer: every language, combination rules, counter-evidence, look-alikes, the form
rule, spans, the stable check output, the spaCy pipeline."""

from __future__ import annotations

import pytest
import spacy

from indicator_lists import FORMS, Catalogue
from nlp.pipeline import ANALYSIS_KEY, COMPONENTS, HITS_KEY, build_pipeline, make_doc
from nlp.scorer import Scorer

FEE = {
    "da": "Gebyr for kontrakt 5000 kr betales på forhånd. Vi beholder dit pas.",
    "en": "Placement fee 500 EUR payable before departure. We keep your passport.",
    "ro": "Taxa de plasare 400 euro se plătește în avans. Vă păstrăm pașaportul.",
    "bg": "Такса за посредничество 300 евро предварително. Паспортът остава при нас.",
    "pl": "Opłata rekrutacyjna 300 euro płatna z góry. Paszport zatrzymujemy u nas.",
    "uk": "Плата за працевлаштування 400 євро наперед. Паспорт залишається у нас.",
    "es": "Cuota de inscripción de 500 euros por adelantado. Guardamos tu pasaporte.",
    "ru": "Плата за трудоустройство 400 евро вперёд. Паспорт хранится у нас.",
}


@pytest.mark.parametrize("lang", sorted(FEE))
def test_every_supported_language_is_scored(scorer: Scorer, lang: str) -> None:
    a = scorer.assess("", FEE[lang])
    assert a.flagged and "forced_labour" in a.categories, a.explanation()
    assert a.language in (lang, "und") and a.language_supported == (a.language == lang)
    assert a.versions["lists"] == scorer.catalogue.versions()


BENIGN_LOOKALIKES = [
    (
        "Support desk",
        "Our customer support desk is open 24/7. Part-time evening shifts "
        "in Aarhus, collective agreement and pension.",
    ),
    (
        "Warehouse",
        "No experience needed: we train you. Permanent contract with Lager A/S, "
        "CVR 12345678, Vejle. Salary per collective agreement.",
    ),
    ("Café", "New in town! Our café opened this week in Odense and needs a barista."),
    (
        "Massage studio",
        "Independent masseuse with real photos of my studio. Relaxing massage, "
        "appointments Monday to Friday. I set my own prices.",
    ),
    (
        "Senior engineer",
        "Visa sponsorship offered for senior engineers. Full contract, pension "
        "and relocation support from our Copenhagen office.",
    ),
    ("Rengøring", "Ingen erfaring nødvendig. Fast ansættelse med overenskomst i Aalborg."),
    (
        "Companion",
        "Independent adult companion, 35, in Copenhagen. I decide my own hours and "
        "clients, discreet and safe. Call me directly.",
    ),
    (
        "Warning",
        "Warning from the embassy: fake job offers promise that a tourist visa is "
        "enough and ask for a recruitment fee. Never pay, report it to the police helpline.",
    ),
]


@pytest.mark.parametrize(("title", "text"), BENIGN_LOOKALIKES, ids=lambda x: x[:20])
def test_benign_lookalikes_stay_below_the_threshold(scorer: Scorer, title: str, text: str) -> None:
    a = scorer.assess(title, text)
    assert not a.flagged, a.explanation()
    assert a.band in ("low", "medium")


def test_weak_signals_count_only_in_combination(scorer: Scorer) -> None:
    weak = scorer.assess("", "No experience needed. We arrange your travel.")
    assert not weak.indicators and not weak.rules and weak.evidence == 0.0
    assert {c.id for c in weak.suppressed} >= {"fl.no_experience", "fl.travel_arranged"}
    fee = "Placement fee 500 EUR payable before departure."
    combined = scorer.assess("", f"{fee} We arrange your travel and visa. Send passport copy.")
    assert combined.rules, combined.explanation()
    assert combined.evidence > scorer.assess("", fee).evidence


def test_counter_evidence_lowers(scorer: Scorer) -> None:
    text = "Escort: our girls are available, book through my manager."
    moved = scorer.assess("", text + " New in town, only this week.")
    assert moved.counter and moved.evidence < scorer.assess("", text).evidence


def test_a_flag_names_a_form_and_youth_aggravates(scorer: Scorer) -> None:
    alone = scorer.assess(
        "",
        "Young girls football team (U12) seeks a volunteer coach. "
        "She is 14 years old. Call two 2 five five 3 three one 1.",
    )
    assert not alone.flagged and not alone.categories and not alone.possible_minor
    minor = scorer.assess(
        "",
        "Escort: very young girl, 16 years old, my girls are 100% real, book through my manager.",
    )
    assert minor.flagged and minor.possible_minor and minor.band == "urgent"
    assert set(minor.categories) <= set(FORMS) and minor.categories


def test_spans_map_back_to_the_original_text_also_when_obfuscated(scorer: Scorer) -> None:
    title = "Hotel work"
    text = "We k33p   your pa55port. Call two 0 five 5 1 2 3 4 on w h a t s a p p. &#70;ee 300 €"
    a = scorer.assess(title, text)
    assert "fl.documents_retained" in {c.id for c in a.indicators}
    for c in (*a.indicators, *a.suppressed, *a.counter):
        for span in c.spans:
            source = title if span.field == "title" else text
            assert source[span.start : span.end] == span.text


def test_check_dict_has_the_stable_fields(scorer: Scorer) -> None:
    out = scorer.assess("x", "We keep your passport.").to_check_dict()
    assert list(out) == [
        "score",
        "flagged",
        "band",
        "categories",
        "possible_minor",
        "indicators",
        "language",
        "versions",
        "raw_score",
        "kind",
        "language_supported",
    ]
    assert 0.0 <= out["score"] <= 1.0 and out["raw_score"] == out["score"]
    assert set(out["versions"]) == {"scorer", "model", "lists", "calibration"}
    for ind in out["indicators"]:
        assert {"id", "category", "weight", "spans"} <= set(ind)


def test_hostile_and_empty_input(scorer: Scorer) -> None:
    for title, text in [
        ("", ""),
        ("\x00" * 10, "\x00<script>"),
        ("", "🌹" * 50_000),
        ("a" * 5000, "b " * 100_000),
        ("", "\u202e\u200b" * 1000),
        ("", "&#1114112; &#0; &amp;" * 100),
    ]:
        a = scorer.assess(title, text)
        assert not a.flagged and a.band == "low" and not a.indicators, (title[:20], text[:20])
        for item in a.extracted:  # spans stay inside the (bounded) listing text
            assert 0 <= item.start <= item.end <= len(text)
    # A hostile body around real indicator wording is still read, and only up to the bound.
    fee = scorer.assess("", "\x00<script>" + FEE["en"] + " " + "🌹" * 50_000)
    assert fee.flagged and "forced_labour" in fee.categories
    assert scorer.assess("", "🌹" * 50_000 + FEE["en"]).indicators == ()  # beyond the bound


def test_pipeline_serialises_with_its_data(tmp_path, scorer: Scorer, catalogue: Catalogue) -> None:
    nlp = build_pipeline(scorer.compiled)
    assert nlp.pipe_names == list(COMPONENTS)
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.meta["thbscan"]["list_versions"] == catalogue.versions()
    doc = nlp(make_doc(nlp, "", FEE["en"]))
    doc_loaded = loaded(make_doc(loaded, "", FEE["en"]))
    labels = [s.label_ for s in doc.spans[HITS_KEY]]
    assert labels and labels == [s.label_ for s in doc_loaded.spans[HITS_KEY]]
    assert doc.user_data[ANALYSIS_KEY].categories == ("forced_labour",)
    assert any(t.like_num for t in doc) and any(t.is_punct for t in doc)  # attributes intact


def test_links_aggravate_a_named_form_and_never_flag_alone(scorer: Scorer) -> None:
    from nlp.linking import Signal

    bridge = Signal("link.job_to_escort_bridge", ("7", "9"), "job ads and escort ads")
    shared = Signal("link.shared_phone", ("7",), "one phone in 3 listings")
    weak = scorer.assess("", "Hostess job abroad. Travel is paid by us, repay from your salary.")
    assert weak.categories and not weak.links
    linked = scorer.with_links(weak, [bridge, shared, Signal("link.unknown", (), "")])
    assert [link.id for link in linked.links] == [
        "link.job_to_escort_bridge",
        "link.shared_phone",
    ]
    assert all(link.counted for link in linked.links)
    assert linked.total == pytest.approx(weak.total + 3.0 + 2.5 + 1.5)  # the network rule
    assert "link.rule_network" in [r.id for r in linked.rules]
    assert linked.raw_score > weak.raw_score
    assert linked.explanation()["links"][0]["listings"] == ["7", "9"]

    plain = scorer.assess("", "Bakery in Vejle seeks an apprentice baker for early mornings.")
    alone = scorer.with_links(plain, [bridge, shared])
    assert not plain.categories and not alone.flagged
    assert alone.raw_score == plain.raw_score
    assert [link.counted for link in alone.links] == [False, False]
