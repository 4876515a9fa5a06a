"""``thbscan model train|evaluate|list|promote`` as an operator runs them, on small
synthetic EMSCAD-like files the test writes (CI has no real data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import thbscan
from model_data import COLUMNS, write_emscad, write_jsonl

from models.errors import ModelError


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path, dict]:
    root = tmp_path_factory.mktemp("models")
    registry = root / "registry"
    data = write_emscad(root / "train.csv", n=120, seed=1)
    out = registry / "emscad-t1"
    result = thbscan(
        "model", "train", "--dataset", "emscad", str(data), "--out", str(out),
        "--prevalence", "0.0484", "--json",
        env={"THBSCAN_MODELS_DIR": str(registry)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "cross-validation: fold 1 of 5" in result.stderr  # progress on stderr
    return root, out, json.loads(result.stdout)


def test_train_writes_a_registered_versioned_directory(trained) -> None:
    _root, out, result = trained
    assert result["version"] == "emscad-t1" and result["registered"] is True
    assert result["promoted"] is False
    manifest = json.loads((out / "model.json").read_text())
    assert manifest["data"]["rows"] == 120 and manifest["data"]["positives"] == 60
    assert manifest["threshold"]["rule"] == "max_f1_oof"
    assert manifest["threshold"]["prevalence"] == 0.0484
    cv = manifest["metrics"]["cross_validation"]
    assert cv["folds"] == 5 and cv["pr_auc"] > 0.8 and "at_prevalence" in cv
    assert manifest["artefact"]["bytes"] < 20_000_000


def test_evaluate_prints_metrics_and_writes_report_and_card(trained) -> None:
    root, out, _result = trained
    held = write_emscad(root / "held.csv", n=60, seed=7)
    result = thbscan(
        "model", "evaluate", "--dataset", "emscad", str(held), "--model", str(out),
        "--prevalence", "0.0484", "--no-indicators", "--json", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ev = json.loads(result.stdout)
    for key in ("n", "positives", "precision", "recall", "f1", "pr_auc", "roc_auc", "brier"):
        assert key in ev
    assert ev["n"] == 60 and ev["positives"] == 30 and ev["held_out"] is True
    assert set(ev["at_prevalence"]) >= {"precision", "recall", "f1", "pr_auc"}
    assert ev["at_prevalence"]["precision"] <= ev["precision"]
    assert ev["pr_auc"] > 0.8
    html = Path(ev["report"]).read_text()
    assert "Precision-recall curve" in html and "Calibration plot" in html
    assert "Confusion matrix" in html and "Per source" in html
    assert "## Metrics per group" in Path(ev["model_card"]).read_text()


def test_list_and_promote(trained) -> None:
    root, _out, _result = trained
    env = {"THBSCAN_MODELS_DIR": str(root / "registry")}
    listed = thbscan("model", "list", "--json", env=env)
    manifest = json.loads(listed.stdout)
    assert "emscad-t1" in manifest["models"] and manifest["promoted"] is None
    assert thbscan("model", "promote", "emscad-t1", env=env).returncode == 0
    text = thbscan("model", "list", env=env).stdout
    assert text.startswith("* emscad-t1") and "listing.v1" in text
    refused = thbscan("model", "retire", "emscad-t1", env=env)
    assert refused.returncode == 2, refused.stderr
    assert "emscad-t1 is the promoted one: promote another version first" in refused.stderr


def test_evaluate_a_registered_version(trained) -> None:
    root, _out, _result = trained
    env = {"THBSCAN_MODELS_DIR": str(root / "registry")}
    held = write_emscad(root / "held-v.csv", n=20, seed=11)
    by_version = thbscan(
        "model", "evaluate", "--dataset", "emscad", str(held), "--version", "emscad-t1",
        "--no-indicators", "--json", "--quiet", "--report", str(root / "r.html"),
        "--card", str(root / "card.md"), env=env,
    )  # fmt: skip
    assert by_version.returncode == 0, by_version.stderr
    assert json.loads(by_version.stdout)["model"] == "emscad-t1"


def test_tampered_artefact_is_refused(trained, tmp_path) -> None:
    _root, out, _result = trained
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in out.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    (copy / "model.joblib").write_bytes((copy / "model.joblib").read_bytes()[:-1] + b"\0")
    held = write_emscad(tmp_path / "held.csv", n=10, seed=3)
    result = thbscan(
        "model", "evaluate", "--dataset", "emscad", str(held), "--model", str(copy),
        "--no-indicators", "--quiet",
    )  # fmt: skip
    assert result.returncode == 2
    assert "refusing to load an altered file" in result.stderr


def test_malformed_csv_is_reported_with_line_and_column(tmp_path) -> None:
    path = write_emscad(tmp_path / "bad.csv", n=8)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[6].rstrip("\n").split(",")
    fields[COLUMNS.index("requirements")] = '"half" quoted'
    lines[6] = ",".join(fields) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    result = thbscan(
        "model", "train", "--dataset", "emscad", str(path), "--out", str(tmp_path / "m")
    )
    assert result.returncode == 2
    assert "line 7, column 'requirements'" in result.stderr, result.stderr
    assert not (tmp_path / "m").exists()


def test_jsonl_outside_the_registry_is_not_registered(tmp_path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", n=60)
    env = {"THBSCAN_MODELS_DIR": str(tmp_path / "registry")}
    result = thbscan(
        "model", "train", "--dataset", "jsonl", str(data), "--out", str(tmp_path / "j1"),
        "--json", "--quiet", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["registered"] is False
    assert json.loads(thbscan("model", "list", "--json", env=env).stdout)["models"] == {}
    bad = thbscan("model", "train", "--dataset", "csv", str(data), "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "--dataset 'csv' is unknown" in bad.stderr


def test_a_model_of_the_corpus_is_a_second_opinion(tmp_path) -> None:
    """The blind corpus's development split trains a model that raises listings only where
    the indicators found evidence; --raises alone says otherwise."""
    from models.model_store import load_model_dir

    env = {"THBSCAN_MODELS_DIR": str(tmp_path / "registry")}
    result = thbscan(
        "model", "train", "--dataset", "corpus", "--out", str(tmp_path / "c1"), "--json",
        "--quiet", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "c1" / "model.json").read_text(encoding="utf-8"))
    assert manifest["raises"] == "with_evidence"
    assert manifest["data"]["rows"] > 600 and "development split" in manifest["data"]["name"]
    assert {"da", "en", "ro", "uk"} <= set(manifest["domain"]["languages"])
    assert load_model_dir(tmp_path / "c1").needs_evidence is True
    alone = thbscan(
        "model", "train", "--dataset", "corpus", "--raises", "alone", "--out",
        str(tmp_path / "c2"), "--quiet", env=env,
    )  # fmt: skip
    assert alone.returncode == 0, alone.stderr
    assert load_model_dir(tmp_path / "c2").needs_evidence is False
    assert load_model_dir(tmp_path / "c1").alone_threshold is None
    sure = thbscan(
        "model", "train", "--dataset", "corpus", "--raises-alone-at", "0.98", "--out",
        str(tmp_path / "c3"), "--quiet", env=env,
    )  # fmt: skip
    assert sure.returncode == 0, sure.stderr
    assert load_model_dir(tmp_path / "c3").alone_threshold == 0.98
    for bad, says in (("1.5", "give a probability"), ("0.98", "for a second opinion")):
        extra = ["--raises", "alone"] if says.startswith("for") else []
        refused = thbscan(
            "model", "train", "--dataset", "corpus", "--raises-alone-at", bad, *extra,
            "--out", str(tmp_path / "c4"), env=env,
        )  # fmt: skip
        assert refused.returncode == 2 and says in refused.stderr, refused.stderr
    manifest_path = tmp_path / "c3" / "model.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "raises_alone_at": "high"}), encoding="utf-8")
    with pytest.raises(ModelError, match="raises_alone_at 'high' is not a probability"):
        load_model_dir(tmp_path / "c3")
    refused = thbscan("model", "train", "--dataset", "corpus", "x.jsonl", "--out", "y", env=env)
    assert refused.returncode == 2 and "takes no PATH" in refused.stderr
