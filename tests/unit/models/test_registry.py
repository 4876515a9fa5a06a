import json

import pytest

from models import ModelRegistry
from models.errors import ModelError, UntrustedModel
from models.textmodel import train

TEXTS = [
    "pay a fee for your visa and we keep your passport",
    "nurse job in Odense hospital",
    "recruitment fee and flight arranged, passport kept",
    "cook wanted, contract and pension",
]
LABELS = [1, 0, 1, 0]


def test_save_load_and_refuse_altered_file(tmp_path) -> None:
    registry = ModelRegistry(tmp_path)
    entry = registry.save(train(TEXTS, LABELS), "0.0.1", trained_on="four sentences")
    model = registry.load()
    assert model.version == "0.0.1"
    probs = model.probabilities(["passport kept and recruitment fee", "hospital nurse"])
    assert probs[0] > probs[1]
    path = tmp_path / entry.file
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(UntrustedModel, match="refusing to load an altered file"):
        registry.load()


def test_unknown_version_and_duplicate_version(tmp_path) -> None:
    registry = ModelRegistry(tmp_path)
    with pytest.raises(ModelError, match="train one"):
        registry.load()
    registry.save(train(TEXTS, LABELS), "1", trained_on="x")
    with pytest.raises(ModelError, match="exists"):
        registry.save(train(TEXTS, LABELS), "1", trained_on="x")
    with pytest.raises(ModelError, match="known versions are 1"):
        registry.promote("2")


def test_file_not_in_manifest_is_refused(tmp_path) -> None:
    registry = ModelRegistry(tmp_path)
    registry.save(train(TEXTS, LABELS), "1", trained_on="x")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["models"]["1"]["sha256"] = "0" * 64
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UntrustedModel):
        registry.load()


def test_training_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both"):
        train(TEXTS[:1], [1])
