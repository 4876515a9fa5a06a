"""Model registry: artefacts under models/artifacts/, trusted only by SHA-256 (R29).

``manifest.json`` lists each artefact with its SHA-256, version, training data
and metrics, and names the promoted model. A file not in the manifest, or whose
hash differs, is refused before joblib ever opens it. Promotion is a human act
(``thbscan model promote``), never automatic (R32).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import ModelError, UntrustedModel
from models.listing_model import ListingModel
from nlp.calibration import Calibration, CalibrationError

ARTIFACTS = Path(__file__).with_name("artifacts")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(path: Path, expected: str, what: str = "model", use: str = "load") -> Path:
    """``path``, once its SHA-256 equals ``expected`` (R29): an altered file is refused
    before anything opens it."""
    if not path.is_file():
        raise ModelError(f"{what} file {path} is missing: train it again or restore it")
    actual = sha256_file(path)
    if actual != expected:
        raise UntrustedModel(
            f"{what} file {path} has SHA-256 {actual[:16]}..., the manifest says "
            f"{expected[:16]}...: refusing to {use} an altered file"
        )
    return path


@dataclass(frozen=True)
class RegisteredModel:
    version: str
    file: str
    sha256: str
    created: str
    trained_on: str
    metrics: dict[str, Any]
    # Listing models (models/listing_model.py) live in a versioned directory with their
    # own manifest (models/model_store.py); ``file`` is then the artefact in it. "text":
    # a token-hash model of 1.x, listed but no longer loaded.
    kind: str = "text"
    threshold: float | None = None
    directory: str | None = None

    @classmethod
    def of(cls, entry: dict[str, Any]) -> RegisteredModel:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in entry.items() if k in known})


class ModelRegistry:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory or ARTIFACTS)
        self.manifest_path = self.directory / "manifest.json"

    def manifest(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            manifest: dict[str, Any] = {"promoted": None, "models": {}}
        else:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        manifest.setdefault("calibrations", {})
        manifest.setdefault("promoted_calibration", None)
        return manifest

    def _write(self, manifest: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(self.manifest_path)

    def register_dir(self, directory: Path, *, promote: bool = False) -> RegisteredModel:
        """Register a model directory written by ``thbscan model train``
        (models/model_store.py) under its version, with its artefact's SHA-256 as read
        now: loading through the registry checks the file against this record."""
        from models.model_store import read_manifest

        directory = Path(directory).resolve()
        model = read_manifest(directory)
        version = str(model["version"])
        manifest = self.manifest()
        if version in manifest["models"]:
            raise ModelError(f"model version {version!r} exists: choose a new version")
        actual = model["artefact"]["sha256"]
        verified(directory / model["artefact"]["file"], actual, use="register")
        here = self.directory.resolve()
        where = (
            str(directory.relative_to(here)) if directory.is_relative_to(here) else str(directory)
        )
        data = model.get("data", {})
        entry = RegisteredModel(
            version=version,
            file=str(Path(where) / model["artefact"]["file"]),
            sha256=actual,
            created=model["created"],
            trained_on=f"{data.get('name', '?')} ({data.get('rows', '?')} listings, "
            f"{data.get('positives', '?')} flag-worthy; sha256 {str(data.get('sha256', ''))[:12]})",
            metrics=model.get("metrics", {}),
            kind=model["kind"],
            threshold=float(model["threshold"]["value"]),
            directory=where,
        )
        manifest["models"][version] = entry.__dict__
        if promote:
            manifest["promoted"] = version
        self._write(manifest)
        return entry

    @staticmethod
    def _check_known(manifest: dict[str, Any], version: str) -> None:
        if version not in manifest["models"]:
            known = ", ".join(sorted(manifest["models"])) or "none"
            raise ModelError(f"unknown model version {version!r}: known versions are {known}")

    def promote(self, version: str) -> None:
        manifest = self.manifest()
        self._check_known(manifest, version)
        manifest["promoted"] = version
        self._write(manifest)

    def retire(self, version: str) -> Path | None:
        """Take a model that is not promoted out of the registry: its manifest entry goes,
        and its directory too when the registry holds it (a model registered from elsewhere
        keeps its files). Returns the directory removed, if any."""
        manifest = self.manifest()
        self._check_known(manifest, version)
        if manifest.get("promoted") == version:
            raise ModelError(
                f"model {version} is the promoted one: promote another version first "
                "(`thbscan model promote VERSION`), then retire it"
            )
        entry = manifest["models"].pop(version)
        where = entry.get("directory")
        here = self.directory.resolve()
        directory = (here / where).resolve() if where else None
        self._write(manifest)
        if directory is None or directory == here or not directory.is_relative_to(here):
            return None
        if directory.is_dir():
            shutil.rmtree(directory)
            return directory
        return None

    # -- calibrations (nlp/calibration.py): JSON breakpoints, trusted by SHA-256 too ------
    def save_calibration(self, cal: Calibration, *, promote: bool = False) -> dict[str, Any]:
        manifest = self.manifest()
        if cal.version in manifest["calibrations"]:
            raise ModelError(f"calibration version {cal.version!r} exists: choose a new version")
        path = self.directory / f"calibration-{cal.version}.json"
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_text(cal.to_json() + "\n", encoding="utf-8")
        entry = {
            "version": cal.version,
            "file": path.name,
            "sha256": sha256_file(path),
            "created": cal.fitted.get("created"),
            "fitted_on": cal.fitted.get("source"),
            "decisions": cal.fitted.get("decisions"),
        }
        manifest["calibrations"][cal.version] = entry
        if promote:
            manifest["promoted_calibration"] = cal.version
        self._write(manifest)
        return entry

    def promote_calibration(self, version: str | None) -> None:
        """Use a registered calibration for scoring; None: score uncalibrated."""
        manifest = self.manifest()
        if version is not None and version not in manifest["calibrations"]:
            known = ", ".join(sorted(manifest["calibrations"])) or "none"
            raise ModelError(f"unknown calibration version {version!r}: known versions are {known}")
        manifest["promoted_calibration"] = version
        self._write(manifest)

    def load_calibration(self, version: str | None = None) -> Calibration | None:
        """The given or the promoted calibration; None when none is promoted."""
        manifest = self.manifest()
        version = version or manifest["promoted_calibration"]
        if version is None:
            return None
        entry = manifest["calibrations"].get(version)
        if entry is None:
            raise ModelError(f"no calibration version {version!r} in {self.manifest_path}")
        path = verified(self.directory / entry["file"], entry["sha256"], "calibration", "use")
        try:
            return Calibration.from_json(path.read_text(encoding="utf-8"), source=str(path))
        except CalibrationError as exc:
            raise ModelError(str(exc)) from exc

    def entry(self, version: str | None = None) -> RegisteredModel:
        manifest = self.manifest()
        version = version or manifest.get("promoted")
        if not version or version not in manifest["models"]:
            raise ModelError(
                f"no model version {version!r} in {self.manifest_path}: "
                "train one with `thbscan model train`"
            )
        return RegisteredModel.of(manifest["models"][version])

    def load(self, version: str | None = None) -> ListingModel:
        entry = self.entry(version)
        if entry.kind == "text":
            raise ModelError(
                f"model {entry.version} is a token-hash text model (1.x), which this version "
                "no longer loads: train a listing model with `thbscan model train` and "
                "promote it"
            )
        from models.model_store import load_model_dir

        if entry.directory is None:
            raise ModelError(f"model {entry.version}: the manifest names no directory")
        return load_model_dir(self.directory / entry.directory, expected_sha256=entry.sha256)
