"""The registry without a trained model: what it says when it has none, and a token-hash
model of 1.x listed in an old manifest (registering, loading and tampering with listing
models: test_listing_model.py)."""

import json

import pytest

from models import ModelRegistry
from models.errors import ModelError


def test_an_empty_registry_says_how_to_get_a_model(tmp_path) -> None:
    registry = ModelRegistry(tmp_path)
    with pytest.raises(ModelError, match="train one with `thbscan model train`"):
        registry.load()
    with pytest.raises(ModelError, match="known versions are none"):
        registry.promote("2")


def test_a_1x_text_model_is_listed_but_not_loaded(tmp_path) -> None:
    (tmp_path / "text-model-1.2.0.joblib").write_bytes(b"not unpickled")
    entry = {
        "version": "1.2.0",
        "file": "text-model-1.2.0.joblib",
        "sha256": "0" * 64,
        "created": "2026-12-06T06:49:46+00:00",
        "trained_on": "fixture",
        "metrics": {},
    }
    (tmp_path / "manifest.json").write_text(
        json.dumps({"promoted": "1.2.0", "models": {"1.2.0": entry}})
    )
    registry = ModelRegistry(tmp_path)
    assert registry.entry().kind == "text"
    with pytest.raises(ModelError, match=r"1\.2\.0 is a token-hash text model \(1\.x\)"):
        registry.load()
