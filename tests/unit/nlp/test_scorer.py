"""The scorer: languages, combination rules, counter-evidence, benign look-alikes, spans."""

from __future__ import annotations

import pytest
import spacy

from indicator_lists import FORMS, load_catalogue
from models import ModelRegistry
from nlp.pipeline import COMPONENTS, HITS_KEY, build_pipeline, make_doc
from nlp.scorer import Scorer, load_scoring_config

CATALOGUE = load_catalogue()
SCORER = Scorer(CATALOGUE, ModelRegistry().load())
RULE_FREE = Scorer(CATALOGUE)  # no model: evidence only


def strong_examples(lang: str, n: int = 2) -> list[tuple[str, str]]:
    """Positive examples of the ``n`` heaviest stand-alone indicators of a language."""
    inds = sorted(
        (i for i in CATALOGUE.indicators()
         if lang in i.examples and not i.combination_only and i.weight >= 2.0
         and i.category in FORMS),
        key=lambda i: (-i.weight, i.id),
    )
    picked, categories = [], set()
    for ind in inds:  # prefer different forms' wording
        if ind.category not in categories or len(picked) < n:
            picked.append((ind.id, ind.examples[lang].positive[0]))
            categories.add(ind.category)
        if len(picked) == n:
            break
    return picked


@pytest.mark.parametrize("lang", ["da", "en", "ro", "pl", "bg"])
def test_every_language_of_the_lists_is_detected_and_scored(lang: str) -> None:
    examples = strong_examples(lang)
    assert len(examples) == 2
    text = " ".join(sentence for _id, sentence in examples)
    a = SCORER.assess("", text)
    assert a.language == lang
    assert a.flagged, (text, a)
    assert {i for i, _s in examples} <= {c.id for c in a.indicators}
    assert a.versions["lists"] == CATALOGUE.versions()


BENIGN_LOOKALIKES = [
    ("Support desk", "Our customer support desk is open 24/7. Part-time evening shifts "
     "in Aarhus, collective agreement and pension."),
    ("Warehouse", "No experience needed: we train you. Permanent contract with Lager A/S, "
     "CVR 12345678, Vejle. Salary per collective agreement."),
    ("Café", "New in town! Our café opened this week in Odense and needs a barista."),
    ("Massage studio", "Independent masseuse with real photos of my studio. Relaxing massage, "
     "appointments Monday to Friday. I set my own prices."),
    ("Senior engineer", "Visa sponsorship offered for senior engineers. Full contract, pension "
     "and relocation support from our Copenhagen office."),
    ("Rengøring", "Ingen erfaring nødvendig. Fast ansættelse med overenskomst i Aalborg."),
    ("Companion", "Independent adult companion, 35, in Copenhagen. I decide my own hours and "
     "clients, discreet and safe. Call me directly."),
]


@pytest.mark.parametrize(("title", "text"), BENIGN_LOOKALIKES, ids=lambda x: x[:20])
def test_benign_lookalikes_stay_below_the_threshold(title: str, text: str) -> None:
    a = SCORER.assess(title, text)
    assert not a.flagged, a.explanation()
    assert a.band in ("low", "medium")


def test_weak_signals_count_only_in_combination() -> None:
    weak = RULE_FREE.assess("", "No experience needed. We arrange your travel.")
    assert not weak.indicators and not weak.rules
    assert {c.id for c in weak.suppressed} >= {"fl.no_experience"}
    assert weak.evidence == 0.0
    fee = CATALOGUE.indicator("fl.recruitment_fee").examples["en"].positive[0]
    combined = RULE_FREE.assess("", f"{fee} We arrange your travel. No experience needed.")
    assert combined.rules, combined.explanation()
    assert combined.evidence > RULE_FREE.assess("", fee).evidence


def test_counter_patterns_cancel_and_counter_evidence_lowers() -> None:
    several = CATALOGUE.indicator("se.several_providers")
    counter = several.counter_patterns["en"][0]
    hit = RULE_FREE.assess("", several.examples["en"].positive[0])
    assert "se.several_providers" in {c.id for c in hit.indicators}
    cancelled = RULE_FREE.assess("", f"{several.examples['en'].positive[0]} {counter}.")
    assert "se.several_providers" not in {c.id for c in cancelled.indicators}
    text = "Our girls are available, book through my manager."
    moved = RULE_FREE.assess("", text + " New in town, only this week.")
    assert moved.counter and moved.evidence < RULE_FREE.assess("", text).evidence


def test_possible_minor_routes_to_the_urgent_band() -> None:
    youth = CATALOGUE.indicator("pm.youth_wording").examples["en"].positive[0]
    control = CATALOGUE.indicator("se.third_person_control").examples["en"].positive[0]
    a = SCORER.assess("", f"{youth} {control} Book through my manager.")
    assert a.possible_minor and a.flagged and a.band == "urgent"


def test_spans_map_back_to_the_original_text_also_when_obfuscated() -> None:
    title = "Hotel work"
    text = "We keep   your passport. Call two 0 five 5 1 2 3 4 on w h a t s a p p."
    a = RULE_FREE.assess(title, text)
    for c in (*a.indicators, *a.suppressed, *a.counter):
        for span in c.spans:
            source = title if span.field == "title" else text
            assert source[span.start:span.end] == span.text
    phones = [e for e in a.extracted if e.kind == "phone"]
    assert phones and phones[0].value.startswith("+45")


def test_check_dict_has_the_stable_fields() -> None:
    out = SCORER.assess("x", "We keep your passport.").to_check_dict()
    assert list(out) == ["score", "flagged", "band", "categories", "possible_minor",
                         "indicators", "language", "versions", "raw_score"]
    assert 0.0 <= out["score"] <= 1.0
    assert out["raw_score"] == out["score"]  # no calibration in use
    assert set(out["versions"]) == {"scorer", "model", "lists", "calibration"}
    for ind in out["indicators"]:
        assert {"id", "category", "weight", "spans"} <= set(ind)


def test_hostile_and_empty_input() -> None:
    for title, text in [("", ""), ("\x00" * 10, "\x00<script>"), ("", "🌹" * 50_000),
                        ("a" * 5000, "b " * 100_000)]:
        a = SCORER.assess(title, text)
        assert 0.0 <= a.score <= 1.0


def test_pipeline_serialises_with_its_patterns(tmp_path) -> None:
    nlp = build_pipeline("en", CATALOGUE)
    assert nlp.pipe_names == list(COMPONENTS)
    nlp.to_disk(tmp_path / "en")
    loaded = spacy.load(tmp_path / "en")
    assert loaded.meta["thbscan"]["list_versions"] == CATALOGUE.versions()
    text = CATALOGUE.indicator("fl.recruitment_fee").examples["en"].positive[0]
    doc, doc_loaded = nlp(make_doc(nlp, text)), loaded(make_doc(loaded, text))
    labels = [s.label_ for s in doc.spans[HITS_KEY]]
    assert labels and labels == [s.label_ for s in doc_loaded.spans[HITS_KEY]]


def test_lemma_matching_is_a_setting_that_finds_inflected_forms() -> None:
    """With ``[pipeline] lemmas = true`` a phrase also matches its inflected form (lookup
    lemmatizer, case-insensitive); the setting is part of the scorer key."""
    with_lemmas = Scorer(CATALOGUE, config={**load_scoring_config(),
                                            "pipeline": {"lemmas": True}})
    without = Scorer(CATALOGUE, config={**load_scoring_config(),
                                        "pipeline": {"lemmas": False}})
    text = "Vi beholdt dit pas under hele opholdet."  # the phrase is "vi beholder dit pas"
    hits = {c.id for c in with_lemmas.assess("Rengøring", text).indicators}
    assert "fl.documents_retained" in hits
    assert "fl.documents_retained" not in {c.id for c in without.assess("Rengøring", text)
                                           .indicators}
    assert with_lemmas.scorer_key == without.scorer_key + "|lemmas"
    assert with_lemmas.pipeline("da").pipe_names[0] == "lemmatizer"
    assert "lemmatizer" not in without.pipeline("da").pipe_names
    assert "lemmatizer" not in with_lemmas.pipeline("pl").pipe_names  # no tables for pl
