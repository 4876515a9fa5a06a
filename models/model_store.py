"""A trained listing model as a versioned directory, trusted only by SHA-256 (R29).

``DIR/model.joblib`` is the fitted pipeline; ``DIR/model.json`` its manifest: version,
created, kind, the training data (name, SHA-256, bytes, rows, positives, duplicates
dropped), the config, the cross-validated metrics, the threshold with the rule that chose
it, and the artefact's file name, size and SHA-256. Loading hashes the artefact and
compares it with the manifest (or with the hash the registry recorded) before joblib opens
it: an altered file is refused, never unpickled.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy
import sklearn

from models.errors import ModelError
from models.listing_model import DEFAULT_PATTERN, MODEL_KIND, ListingModel, is_probability
from models.registry import sha256_file, verified

__all__ = ["ARTEFACT", "MANIFEST", "load_model_dir", "read_manifest", "write_model_dir"]

ARTEFACT = "model.joblib"
MANIFEST = "model.json"


def write_model_dir(
    directory: Path,
    pipeline: Any,
    *,
    version: str,
    data: dict[str, Any],
    config: dict[str, Any],
    metrics: dict[str, Any],
    threshold: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the artefact and its manifest; a directory that holds a model is not reused."""
    directory = Path(directory)
    if (directory / MANIFEST).exists() or (directory / ARTEFACT).exists():
        raise ModelError(
            f"{directory} already holds a model: give a new --out directory or --version"
        )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ARTEFACT
    joblib.dump(pipeline, path, compress=3)
    manifest = {
        "version": version,
        "kind": MODEL_KIND,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": data,
        "config": config,
        "metrics": metrics,
        "threshold": threshold,
        "artefact": {
            "file": ARTEFACT,
            "bytes": path.stat().st_size,
            "sha256": sha256_file(path),
        },
        "libraries": {
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        **(extra or {}),
    }
    _write_json(directory / MANIFEST, manifest)
    return manifest


def _write_json(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise ModelError(
            f"{directory} holds no model ({MANIFEST} missing): give a directory written by "
            "`thbscan model train`"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: not a readable model manifest ({exc})") from exc
    if manifest.get("kind") != MODEL_KIND:
        raise ModelError(f"{path}: kind {manifest.get('kind')!r}, expected {MODEL_KIND!r}")
    return manifest


def update_manifest(directory: Path, **values: Any) -> dict[str, Any]:
    """Add or replace top-level entries of a model's manifest (e.g. its last evaluation);
    the artefact and its hash are never touched."""
    manifest = read_manifest(directory)
    manifest.update(values)
    _write_json(Path(directory) / MANIFEST, manifest)
    return manifest


def load_model_dir(directory: Path, *, expected_sha256: str | None = None) -> ListingModel:
    """The model in ``directory``, after its artefact's SHA-256 matched ``expected_sha256``
    (the registry's record) or, without one, the directory's manifest."""
    manifest = read_manifest(directory)
    artefact = manifest.get("artefact") or {}
    expected = expected_sha256 or str(artefact.get("sha256", ""))
    path = verified(Path(directory) / str(artefact.get("file", ARTEFACT)), expected)
    threshold = float((manifest.get("threshold") or {}).get("value", 0.5))
    return ListingModel(
        joblib.load(path),
        str(manifest["version"]),
        threshold,
        str(manifest.get("pattern") or DEFAULT_PATTERN),
        tuple((manifest.get("domain") or {}).get("languages") or ()),
        tuple((manifest.get("domain") or {}).get("kinds") or ()),
        needs_evidence=manifest.get("raises") == "with_evidence",
        trained_on=str((manifest.get("data") or {}).get("name", "")),
        alone_threshold=_alone_threshold(manifest),
    )


def _alone_threshold(manifest: dict[str, Any]) -> float | None:
    value = manifest.get("raises_alone_at")
    if value is None:
        return None
    if not is_probability(value):
        raise ModelError(
            f"model {manifest.get('version')}: raises_alone_at {value!r} is not a probability "
            "in (0, 1]; fix model.json or train the model again"
        )
    return float(value)
