"""The listing model: trained with cross-validation and a stored threshold, written to a
versioned directory, loaded only when its hash matches, registered and promoted."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pytest
from model_data import write_emscad

from models import ModelRegistry
from models.datasets import read_emscad
from models.errors import ModelError, UntrustedModel
from models.listing_model import ListingModel, load_config
from models.model_evaluation import evaluate
from models.model_report import model_card, render_report
from models.model_store import load_model_dir, read_manifest, write_model_dir
from models.registry import sha256_file
from models.training import train_listing_model

CONFIG = {
    **load_config()["listing"],
    "cv_folds": 3,
    "calibration": {"method": "sigmoid", "cv": 3},
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = write_emscad(tmp_path_factory.mktemp("d") / "train.csv", n=90, seed=1)
    data = read_emscad(path)
    return data, train_listing_model(data, CONFIG, prevalence=0.2)


def test_cross_validated_metrics_and_threshold(trained) -> None:
    data, model = trained
    cv = model.cv
    assert cv["folds"] == 3 and cv["n"] == len(data.examples)
    assert cv["pr_auc"] > 0.8 and cv["roc_auc"] > 0.8
    assert cv["at_prevalence"]["prevalence"] == 0.2
    assert cv["at_prevalence"]["precision"] <= cv["precision"]
    assert 0 < model.threshold < 1 and model.threshold_rule == "max_f1_oof"
    assert len(model.oof) == len(data.examples)


def test_model_ranks_new_listings(trained, tmp_path) -> None:
    _data, model = trained
    held = read_emscad(write_emscad(tmp_path / "held.csv", n=40, seed=9))
    listing = ListingModel(model.pipeline, "t", model.threshold)
    probs = listing.probabilities(held.examples)
    positives = [p for p, e in zip(probs, held.examples, strict=True) if e.label]
    negatives = [p for p, e in zip(probs, held.examples, strict=True) if not e.label]
    assert sum(positives) / len(positives) > sum(negatives) / len(negatives) + 0.3
    # The scorer gives texts only: the structured fields are then empty.
    assert len(listing.probabilities([held.examples[0].text, "pension and a team"])) == 2
    with pytest.raises(TypeError):
        listing.probabilities("one string")


def test_fields_group_is_optional_and_checked() -> None:
    from models.listing_model import build_listing_pipeline

    pipe = build_listing_pipeline({**CONFIG, "features": ["word", "fields"]})
    names = [name for name, _step, _cols in pipe.named_steps["features"].transformers]
    assert names == ["word", "flags", "present", "categories"]
    with pytest.raises(ModelError, match="features"):
        build_listing_pipeline({**CONFIG, "features": ["words"]})
    with pytest.raises(ModelError, match="linear_svm"):
        build_listing_pipeline({**CONFIG, "classifier": {"kind": "forest"}})


def test_log_count_ratio_weighs_terms_by_class() -> None:
    import scipy.sparse as sp

    from models.listing_model import LogCountRatio

    # Feature 0 only in flag-worthy rows, 1 only in the others, 2 in every row.
    x = sp.csr_matrix(np.array([[1.0, 0, 1], [2.0, 0, 1], [0, 1.0, 1], [0, 3.0, 1]]))
    y = np.array([1, 1, 0, 0])
    step = LogCountRatio(alpha=1.0).fit(x, y)
    assert step.ratio_[0] == pytest.approx(np.log(3.0))  # (3 / 6) / (1 / 6)
    assert step.ratio_[1] == pytest.approx(-np.log(3.0))
    assert step.ratio_[2] == pytest.approx(0.0)
    scaled = step.transform(x)
    assert sp.issparse(scaled) and scaled.dtype == np.float32
    assert scaled[1, 0] == pytest.approx(2 * np.log(3.0)) and scaled[3, 1] < 0
    # Fitted on the training rows only: the same rows give the same ratios.
    assert np.array_equal(LogCountRatio().fit(x, y).ratio_, step.ratio_)
    with pytest.raises(ModelError, match="alpha"):
        LogCountRatio(alpha=0.0).fit(x, y)


def test_default_config_is_nb_svm_on_word_1_3_grams() -> None:
    from models.listing_model import LogCountRatio, build_listing_pipeline

    config = load_config()["listing"]
    pipe = build_listing_pipeline(config)
    assert list(pipe.named_steps) == ["features", "model"]
    # The ratios use the labels: they sit inside the calibrated estimator, so that each
    # calibration fold fits its own without its held-out rows.
    inner = pipe.named_steps["model"].estimator
    assert list(inner.named_steps) == ["log_ratio", "classifier"]
    assert isinstance(inner.named_steps["log_ratio"], LogCountRatio)
    word = pipe.named_steps["features"].transformers[0][1]
    assert word.ngram_range == (1, 3)
    # The scaling is data-driven: without [listing.log_ratio] the step is gone.
    plain = {k: v for k, v in config.items() if k != "log_ratio"}
    assert not hasattr(build_listing_pipeline(plain).named_steps["model"].estimator, "steps")


def test_text_only_input_scores_as_the_full_rows(trained, tmp_path) -> None:
    # The scorer passes texts only (the structured fields empty): the default model, a
    # text model, must give the same probabilities as on the full rows.
    _data, model = trained
    held = read_emscad(write_emscad(tmp_path / "held.csv", n=20, seed=3))
    listing = ListingModel(model.pipeline, "t", model.threshold)
    full = listing.probabilities(held.examples)
    assert np.allclose(full, listing.probabilities([e.text for e in held.examples]))


def _write(trained, directory):
    data, model = trained
    return write_model_dir(
        directory,
        model.pipeline,
        version="t1",
        data=data.describe(),
        config=CONFIG,
        metrics={"cross_validation": model.cv},
        threshold={"value": model.threshold, "rule": model.threshold_rule},
    )


def test_the_same_data_and_config_give_the_same_artefact(trained, tmp_path) -> None:
    data, _model = trained
    hashes = set()
    for run in ("a", "b"):
        again = train_listing_model(data, CONFIG, cross_validation=False)
        hashes.add(
            write_model_dir(
                tmp_path / run,
                again.pipeline,
                version="r",
                data={},
                config=CONFIG,
                metrics={},
                threshold={"value": 0.5, "rule": again.threshold_rule},
            )["artefact"]["sha256"]
        )
    assert len(hashes) == 1


def test_model_directory_round_trip_and_tamper_refused(trained, tmp_path, monkeypatch) -> None:
    manifest = _write(trained, tmp_path / "m")
    assert manifest["artefact"]["sha256"] and manifest["data"]["rows"] == 90
    assert set(manifest) >= {"version", "created", "data", "config", "metrics", "threshold"}
    loaded = load_model_dir(tmp_path / "m")
    assert loaded.version == "t1" and loaded.threshold == trained[1].threshold
    with pytest.raises(ModelError, match="already holds a model"):
        _write(trained, tmp_path / "m")
    artefact = tmp_path / "m" / "model.joblib"
    artefact.write_bytes(artefact.read_bytes() + b"x")
    opened = []
    monkeypatch.setattr(joblib, "load", lambda *a, **k: opened.append(a))
    with pytest.raises(UntrustedModel, match="refusing to load an altered file"):
        load_model_dir(tmp_path / "m")
    assert opened == []  # never unpickled


def test_registry_registers_loads_and_promotes(trained, tmp_path) -> None:
    registry = ModelRegistry(tmp_path / "reg")
    _write(trained, tmp_path / "reg" / "t1")
    entry = registry.register_dir(tmp_path / "reg" / "t1")
    assert entry.kind == "listing.v1" and entry.directory == "t1"
    assert registry.manifest()["promoted"] is None  # promotion is a separate, human step
    registry.promote("t1")
    model = registry.load()
    assert isinstance(model, ListingModel) and model.threshold == entry.threshold
    with pytest.raises(ModelError, match="exists"):
        registry.register_dir(tmp_path / "reg" / "t1")
    # The registry's own record counts: a file re-hashed into the model's manifest is refused.
    artefact = tmp_path / "reg" / "t1" / "model.joblib"
    artefact.write_bytes(artefact.read_bytes() + b"x")
    manifest = read_manifest(tmp_path / "reg" / "t1")
    manifest["artefact"]["sha256"] = sha256_file(artefact)
    (tmp_path / "reg" / "t1" / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(UntrustedModel):
        registry.load()


def test_evaluation_report_and_card_escape_text(trained, tmp_path) -> None:
    data, model = trained
    manifest = _write(trained, tmp_path / "m")
    held = read_emscad(write_emscad(tmp_path / "held.csv", n=30, seed=5))
    listing = ListingModel(model.pipeline, "t1", model.threshold)
    groups = [{"kind": "<script>alert(1)</script>"} for _ in held.examples]
    ev = evaluate(listing, held, manifest=manifest, prevalence=0.05, groups=groups)
    assert ev["held_out"] is True and ev["metrics"]["at_prevalence"]["prevalence"] == 0.05
    html = render_report(ev)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<svg") >= 4  # PR curve, calibration, confusion matrix, groups
    card = model_card(ev, manifest)
    for heading in ("## Intended use", "## Training data", "## Metrics per group", "## Limits"):
        assert heading in card
    again = evaluate(listing, data, manifest=manifest)  # its own training data
    assert again["held_out"] is False and "not held out" in again["notes"][0]


def test_registry_retires_a_superseded_model_but_never_the_promoted_one(trained, tmp_path) -> None:
    data, model = trained
    registry = ModelRegistry(tmp_path / "reg")
    _write(trained, tmp_path / "reg" / "t1")
    registry.register_dir(tmp_path / "reg" / "t1")
    write_model_dir(
        tmp_path / "elsewhere" / "t2",
        model.pipeline,
        version="t2",
        data=data.describe(),
        config=CONFIG,
        metrics={},
        threshold={"value": model.threshold, "rule": model.threshold_rule},
    )
    registry.register_dir(tmp_path / "elsewhere" / "t2")
    registry.promote("t2")
    with pytest.raises(ModelError, match="t2 is the promoted one: promote another version"):
        registry.retire("t2")
    with pytest.raises(ModelError, match="known versions are t1, t2"):
        registry.retire("t3")
    assert registry.retire("t1") == (tmp_path / "reg" / "t1").resolve()
    assert not (tmp_path / "reg" / "t1").exists() and set(registry.manifest()["models"]) == {"t2"}
    registry.promote("t2")  # still loads
    assert registry.load().version == "t2"
    # a model registered from outside the registry keeps its files
    _write(trained, tmp_path / "reg2" / "t1")
    registry.register_dir(tmp_path / "reg2" / "t1")
    assert registry.retire("t1") is None and (tmp_path / "reg2" / "t1" / "model.json").exists()
