"""Validate catalogue files: schema, ids, references, regexes, languages, examples, immutability."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import yaml

from . import _yamlpos
from .errors import CatalogueError, Problem
from .file_checks import CONCEPTS_LIST, FileCheck, example_problems
from .loader import (
    EXPORT_FILE,
    LISTS_DIR,
    from_document,
    load_export,
    parse_list_file,
    semver_key,
    version_files,
)
from .model import Catalogue, expression_names
from .schema import IndicatorDoc, ListDoc, RuleDoc

LOCK_NAME = "releases.lock.json"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_lock_path(lists_dir: Path) -> Path:
    return lists_dir.parent / LOCK_NAME


def _read_lock(lock_path: Path) -> dict[str, str]:
    if not lock_path.is_file():
        return {}
    return dict(json.loads(lock_path.read_text(encoding="utf-8")))


def _cross_checks(docs: list[tuple[ListDoc, yaml.Node | None, str]]) -> list[Problem]:
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for doc, node, file in docs:
        sections: tuple[tuple[str, Sequence[IndicatorDoc | RuleDoc]], ...] = (
            ("indicators", doc.indicators),
            ("rules", doc.rules),
        )
        for section, items in sections:
            for n, item in enumerate(items):
                if item.id in owner and owner[item.id] != file:
                    problems.append(
                        Problem(
                            file,
                            _yamlpos.line_of(node, [section, n, "id"]),
                            f"duplicate id {item.id!r}: already defined in {owner[item.id]}; "
                            "ids must be unique across all lists",
                        )
                    )
                owner.setdefault(item.id, file)
    indicator_ids = {i.id for doc, _n, _f in docs for i in doc.indicators}
    for doc, node, file in docs:
        for n, rule in enumerate(doc.rules):
            for key in ("all_of", "any_of"):
                for k, ref in enumerate(getattr(rule, key)):
                    if ref not in indicator_ids:
                        problems.append(
                            Problem(
                                file,
                                _yamlpos.value_line(node, ["rules", n, key, k]),
                                f"rule {rule.id} references unknown indicator id {ref!r}; "
                                "fix the id or add the indicator",
                            )
                        )
    return problems


def _lock_checks(
    files: dict[str, dict[str, Path]], docs: dict[Path, ListDoc], lock_path: Path
) -> list[Problem]:
    problems: list[Problem] = []
    lock = _read_lock(lock_path)
    for name, versions in files.items():
        for version, path in versions.items():
            doc = docs.get(path)
            if doc is None or doc.status != "approved":
                continue
            key = f"{name}/{version}"
            if key not in lock:
                problems.append(
                    Problem(
                        str(path),
                        1,
                        f"approved version {version} of list {name} is not in "
                        f"{lock_path.name}; run `python -m indicator_lists.release` "
                        "(or indicator_lists.validate.lock()) "
                        "to record it",
                    )
                )
            elif lock[key] != file_sha256(path):
                line = 1
                with contextlib.suppress(yaml.YAMLError):
                    line = _yamlpos.line_of(
                        _yamlpos.compose(path.read_text(encoding="utf-8")), ["version"]
                    )
                problems.append(
                    Problem(
                        str(path),
                        line,
                        f"approved version {version} of list {name} was edited; approved versions "
                        f"are immutable: copy it to a new version file (e.g. {name}/"
                        f"{_next_patch(version)}.yaml) and edit that",
                    )
                )
    return problems


def _next_patch(version: str) -> str:
    major, minor, patch = semver_key(version)
    return f"{major}.{minor}.{patch + 1}"


def _collect(path: Path) -> tuple[dict[str, dict[str, Path]], Path]:
    """Version files to check and the lock file that governs them."""
    if path.is_file():
        return {path.parent.name: {path.stem: path}}, path.parent.parent.parent / LOCK_NAME
    if any(path.glob("*.yaml")):  # a single list directory
        files = {v: f for v, f in version_files(path.parent).get(path.name, {}).items()}
        return {path.name: files}, path.parent.parent / LOCK_NAME
    return version_files(path), default_lock_path(path)


def validate(
    path: str | Path | None = None, *, lock_path: str | Path | None = None
) -> list[Problem]:
    """Check every list file under ``path`` (default: the shipped lists). Empty list = valid."""
    root = Path(path) if path is not None else LISTS_DIR
    if not root.exists():
        return [Problem(str(root), 0, "path does not exist; give a lists directory or file")]
    if (root / EXPORT_FILE).is_file() or root.suffix == ".json":
        return _validate_export(root)
    files, default_lock = _collect(root)
    if not files:
        return [Problem(str(root), 0, "no <list>/<version>.yaml files found; check the path")]
    problems: list[Problem] = []
    parsed: dict[Path, tuple[ListDoc, yaml.Node | None]] = {}
    for versions in files.values():
        for file in versions.values():
            doc, node, errs = parse_list_file(file)
            problems.extend(errs)
            if doc is not None:
                parsed[file] = (doc, node)
    current: list[tuple[ListDoc, yaml.Node | None, str]] = []  # what the scorer loads
    newest: list[tuple[ListDoc, yaml.Node | None, str]] = []  # what --drafts loads
    for versions in files.values():
        ok = [(v, f) for v, f in versions.items() if f in parsed]
        approved = [(v, f) for v, f in ok if parsed[f][0].status == "approved"]
        for pool, chosen in ((approved or ok, current), (ok, newest)):
            if pool:
                _v, f = max(pool, key=lambda vf: semver_key(vf[0]))
                chosen.append((parsed[f][0], parsed[f][1], str(f)))
    concepts = _concept_inventory(root)
    lock_file = Path(lock_path) if lock_path is not None else default_lock
    in_use = {Path(f) for *_, f in current + newest}
    settled = _settled_versions(files, in_use, lock_file)
    for name, versions in files.items():
        for version, file in versions.items():
            if file in parsed:
                doc, node = parsed[file]
                check = FileCheck(doc, node, str(file), concepts, run_examples=file not in settled)
                problems.extend(check.run(name, version))
    problems.extend(_cross_checks(current))
    problems.extend(_concept_checks(current))
    if not problems:
        problems.extend(_catalogue_example_checks(current))
    if not problems and [f for *_, f in newest] != [f for *_, f in current]:  # drafts, as approved
        problems.extend(_concept_checks(newest))
        if not problems:
            problems.extend(_catalogue_example_checks(newest))
    problems.extend(_lock_checks(files, {f: d for f, (d, _n) in parsed.items()}, lock_file))
    return sorted(problems, key=lambda p: (p.file, p.line, p.message))


def _settled_versions(
    files: dict[str, dict[str, Path]], in_use: set[Path], lock_path: Path
) -> set[Path]:
    """Superseded versions whose bytes match the lock: their examples were run when they were
    approved and, being immutable, are not run again against today's concepts. The versions
    in use (approved and newest, drafts included) and any file that differs from the lock are
    checked in full."""
    lock = _read_lock(lock_path)
    return {
        path
        for name, versions in files.items()
        for version, path in versions.items()
        if path not in in_use and lock.get(f"{name}/{version}") == file_sha256(path)
    }


ENGINE_CONCEPTS = frozenset({"AMOUNT"})  # made by the matcher from quantities


def _concept_checks(docs: list[tuple[ListDoc, yaml.Node | None, str]]) -> list[Problem]:
    """Expressions name only concepts of the inventory, and every concept a text indicator
    uses has words in every language that has a lexicon: a full catalogue per language."""
    problems: list[Problem] = []
    inventory: set[str] = set()
    lexicons: dict[str, set[str]] = {}
    for doc, _node, _file in docs:
        inventory |= set(doc.concepts)
        if doc.language:
            lexicons[doc.language] = {c for c, e in doc.lexicon.items() if e.terms}
    if not inventory:
        return problems  # a catalogue of phrase lists only
    for doc, node, file in docs:
        for n, ind in enumerate(doc.indicators):
            if ind.signal != "text" or ind.match is None:
                continue
            for key in ("match", "unless", "requires"):
                value = getattr(ind, key)
                plain = value.model_dump() if hasattr(value, "model_dump") else value
                names = expression_names(plain)
                for name in sorted(names - inventory - ENGINE_CONCEPTS):
                    problems.append(
                        Problem(
                            file,
                            _yamlpos.line_of(node, ["indicators", n, key]),
                            f"{ind.id}.{key} names unknown concept {name!r}; "
                            "add it to lists/concepts or fix the name",
                        )
                    )
                if key == "unless":
                    continue
                for lang, covered in sorted(lexicons.items()):
                    for name in sorted(names & inventory - covered):
                        problems.append(
                            Problem(
                                file,
                                _yamlpos.line_of(node, ["indicators", n, key]),
                                f"{ind.id} uses concept {name} that lexicon_{lang} has no words "
                                f"for; add them, so that the indicator works in {lang}",
                            )
                        )
    return problems


def _catalogue_example_checks(docs: list[tuple[ListDoc, yaml.Node | None, str]]) -> list[Problem]:
    """Every indicator example, run through the whole current catalogue."""
    lists = tuple(from_document(doc) for doc, _n, _f in docs)
    catalogue = Catalogue(lists)
    if not catalogue.section("concepts"):
        return []
    found = example_problems(catalogue)
    problems = []
    for doc, node, file in docs:
        for n, ind in enumerate(doc.indicators):
            for lang, kind, k, message in found.get(ind.id, []):
                problems.append(
                    Problem(
                        file,
                        _yamlpos.value_line(node, ["indicators", n, "examples", lang, kind, k]),
                        message,
                    )
                )
    return problems


def _concept_inventory(root: Path) -> ListDoc | None:
    """The newest concept inventory next to ``root`` (a lists directory, a list directory
    or a file in one), or None."""
    for lists_dir in (root, root.parent, root.parent.parent):
        files = version_files(lists_dir) if lists_dir.is_dir() else {}
        versions = files.get(CONCEPTS_LIST)
        if versions:
            doc, _node, _errs = parse_list_file(versions[max(versions, key=semver_key)])
            return doc
    return None


def _validate_export(root: Path) -> list[Problem]:
    file = root / EXPORT_FILE if root.is_dir() else root
    try:
        load_export(file)
    except CatalogueError as exc:
        return exc.problems
    data = json.loads(file.read_text(encoding="utf-8"))
    docs = [ListDoc.model_validate(d) for d in data["lists"]]
    problems: list[Problem] = []
    for doc in docs:
        problems.extend(FileCheck(doc, None, f"{file}#{doc.name}").run(None, None))
    problems.extend(_cross_checks([(d, None, f"{file}#{d.name}") for d in docs]))
    return problems


def lock(path: str | Path | None = None, *, lock_path: str | Path | None = None) -> list[str]:
    """Record the hash of every approved version missing from the lock; never rewrites entries.

    Returns the keys added (``"list/version"``).
    """
    root = Path(path) if path is not None else LISTS_DIR
    files, default_lock = _collect(root)
    lock_file = Path(lock_path) if lock_path is not None else default_lock
    entries = _read_lock(lock_file)
    added: list[str] = []
    for name, versions in sorted(files.items()):
        for version, file in sorted(versions.items(), key=lambda vf: semver_key(vf[0])):
            doc, _node, errs = parse_list_file(file)
            if doc is None or errs or doc.status != "approved":
                continue
            key = f"{name}/{version}"
            if key not in entries:
                entries[key] = file_sha256(file)
                added.append(key)
    if added or not lock_file.exists():
        lock_file.write_text(
            json.dumps(dict(sorted(entries.items())), indent=2) + "\n", encoding="utf-8"
        )
    return added
