"""Load indicator lists (YAML release files or a partner export) into a ``Catalogue``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from . import _yamlpos
from .errors import CatalogueError, Problem
from .model import (
    CONCEPT_SECTIONS,
    LEXICON_SECTIONS,
    Catalogue,
    ChangelogEntry,
    Examples,
    Indicator,
    IndicatorList,
    LanguagePatterns,
    Rule,
)
from .schema import ExportDoc, ListDoc

LISTS_DIR = Path(__file__).resolve().parent / "lists"
EXPORT_FILE = "indicators.json"
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def semver_key(version: str) -> tuple[int, int, int]:
    m = _SEMVER.match(version)
    if not m:
        raise ValueError(f"{version!r} is not a semantic version like 1.0.0")
    return int(m[1]), int(m[2]), int(m[3])


def pydantic_problems(
    exc: ValidationError, file: str, node: yaml.Node | None, prefix: tuple[Any, ...] = ()
) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "<document>"
        if err["type"] == "extra_forbidden":
            msg = f"unknown field {loc[-1]!r} at {where}; remove it or check its spelling"
        elif err["type"] == "missing":
            msg = f"missing required field {loc[-1]!r} at {where}; add it"
        else:
            msg = f"{where}: {err['msg']} (got {err.get('input')!r}); fix the value"
        problems.append(Problem(file, _yamlpos.line_of(node, loc), msg))
    return problems


def from_document(doc: ListDoc, path: Path | None = None) -> IndicatorList:
    """Build the immutable model from a validated document."""
    name = doc.name
    indicators = tuple(
        Indicator(
            id=i.id,
            category=i.category,
            title=i.title,
            description=i.description,
            rationale=i.rationale,
            sources=tuple(i.sources),
            grade=i.grade,
            weight=float(i.weight),
            signal=i.signal,
            combination_only=i.combination_only,
            bias_audit=i.bias_audit,
            patterns={
                lang: LanguagePatterns(tuple(p.phrases), tuple(p.regex), tuple(p.emoji))
                for lang, p in i.patterns.items()
            },
            counter_patterns={lang: tuple(v) for lang, v in i.counter_patterns.items()},
            examples={
                lang: Examples(tuple(e.positive), tuple(e.negative))
                for lang, e in i.examples.items()
            },
            list_name=name,
            match=_plain(i.match),
            unless=_plain(i.unless),
            unless_scope=i.unless_scope,
            requires=_plain(i.requires),
            kinds=tuple(i.kinds),
            not_kinds=tuple(i.not_kinds),
        )
        for i in doc.indicators
    )
    rules = tuple(
        Rule(
            id=r.id,
            category=r.category,
            description=r.description,
            all_of=tuple(r.all_of),
            any_of=tuple(r.any_of),
            min_any=r.min,
            weight=float(r.weight),
            list_name=name,
        )
        for r in doc.rules
    )
    return IndicatorList(
        name=name,
        version=doc.version,
        released=doc.released,
        status=doc.status,
        changelog=tuple(ChangelogEntry(c.version, c.date, tuple(c.changes)) for c in doc.changelog),
        description=doc.description,
        indicators=indicators,
        rules=rules,
        path=path,
        sections=_sections(doc),
    )


def _plain(value: Any) -> Any:
    """An expression as plain JSON data (pydantic models dumped, defaults left out)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    data = value.model_dump(exclude_defaults=True)
    for key in ("all", "any"):
        if key in data:
            data[key] = [_plain(v) for v in getattr(value, key)]
    if "of" in data:
        data["of"] = _plain(value.of)
    return data


def _sections(doc: ListDoc) -> dict[str, Any]:
    """The concepts and lexicon sections a document has, as plain data."""
    out: dict[str, Any] = {}
    dumped = doc.model_dump(include=set(CONCEPT_SECTIONS + LEXICON_SECTIONS), exclude_defaults=True)
    for key in CONCEPT_SECTIONS + LEXICON_SECTIONS:
        if key in dumped:
            out[key] = dumped[key]
    return out


def parse_list_file(path: Path) -> tuple[ListDoc | None, yaml.Node | None, list[Problem]]:
    """Parse and schema-check one YAML file; never raises for content problems."""
    file = str(path)
    try:
        data, node = _yamlpos.load_with_nodes(path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        return None, None, [Problem(file, line, f"not valid YAML: {exc}; fix the syntax")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, None, [Problem(file, 0, f"cannot read the file: {exc}")]
    if not isinstance(data, dict):
        return None, node, [Problem(file, 1, "a list file must be a mapping with 'list' etc.")]
    try:
        doc = ListDoc.model_validate(data)
    except ValidationError as exc:
        return None, node, pydantic_problems(exc, file, node)
    return doc, node, []


def load_list_file(path: str | Path) -> IndicatorList:
    """Load one YAML list file. Raises ``CatalogueError`` when it does not match the schema."""
    path = Path(path)
    doc, _node, problems = parse_list_file(path)
    if problems or doc is None:
        raise CatalogueError(problems)
    return from_document(doc, path)


def load_export(path: Path) -> list[IndicatorList]:
    """Load the lists of a partner export (``indicators.json``)."""
    file = path / EXPORT_FILE if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        doc = ExportDoc.model_validate(data)
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise CatalogueError(pydantic_problems(exc, str(file), None)) from None
        raise CatalogueError([Problem(str(file), 0, f"cannot read the export: {exc}")]) from None
    return [from_document(lst, file) for lst in doc.lists]


def version_files(lists_dir: Path) -> dict[str, dict[str, Path]]:
    """``{list name: {version: path}}`` for every ``<list>/<semver>.yaml`` under ``lists_dir``."""
    found: dict[str, dict[str, Path]] = {}
    for sub in sorted(p for p in lists_dir.iterdir() if p.is_dir()):
        for f in sorted(sub.glob("*.yaml")):
            if _SEMVER.match(f.stem):
                found.setdefault(sub.name, {})[f.stem] = f
    return found


def _status(path: Path) -> str | None:
    try:
        data = _yamlpos.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data.get("status") if isinstance(data, dict) else None


def select_versions(
    lists_dir: Path, versions: dict[str, str] | None = None, *, drafts: bool = False
) -> dict[str, Path]:
    """Pick one file per list: the pinned version, else the highest approved version (with
    ``drafts``, the highest version whatever its status: for trying a draft out)."""
    found = version_files(lists_dir)
    pins = dict(versions or {})
    problems: list[Problem] = []
    for name in pins:
        if name not in found:
            problems.append(
                Problem(
                    str(lists_dir),
                    0,
                    f"pinned list {name!r} does not exist; "
                    f"available lists: {', '.join(sorted(found)) or 'none'}",
                )
            )
    chosen: dict[str, Path] = {}
    for name, files in found.items():
        if name in pins:
            if pins[name] not in files:
                problems.append(
                    Problem(
                        str(lists_dir / name),
                        0,
                        f"pinned version {pins[name]!r} of list {name!r} does not exist; "
                        f"available versions: {', '.join(sorted(files, key=semver_key))}",
                    )
                )
                continue
            chosen[name] = files[pins[name]]
            continue
        # newest first, stopping at the first approved one: reading a status parses the
        # whole file, and every scorer start-up pays for it
        newest = sorted(files, key=semver_key, reverse=True)
        chosen_version = next(
            (v for v in newest if drafts or _status(files[v]) == "approved"), None
        )
        if chosen_version is None:
            problems.append(
                Problem(
                    str(lists_dir / name),
                    0,
                    f"list {name!r} has no approved version; approve one or pin a "
                    f"version with versions={{{name!r}: ...}}",
                )
            )
            continue
        chosen[name] = files[chosen_version]
    if problems:
        raise CatalogueError(problems)
    return chosen


def load_catalogue(
    path: str | Path | None = None,
    *,
    versions: dict[str, str] | None = None,
    drafts: bool = False,
) -> Catalogue:
    """Load a catalogue from a lists directory (default: the shipped one) or a partner export.
    ``drafts``: take each list's highest version even when it is not approved yet."""
    root = Path(path) if path is not None else LISTS_DIR
    if not root.exists():
        raise CatalogueError([Problem(str(root), 0, "catalogue path does not exist")])
    if root.is_file():
        if root.name == EXPORT_FILE or root.suffix == ".json":
            return Catalogue(tuple(load_export(root)))
        return Catalogue((load_list_file(root),))
    if (root / EXPORT_FILE).is_file():
        lists = load_export(root)
        if versions:
            lists = [lst for lst in lists if versions.get(lst.name, lst.version) == lst.version]
        return Catalogue(tuple(lists))
    chosen = select_versions(root, versions, drafts=drafts)
    problems: list[Problem] = []
    loaded = []
    for file in chosen.values():
        try:
            loaded.append(load_list_file(file))
        except CatalogueError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CatalogueError(problems)
    return Catalogue(tuple(loaded))
