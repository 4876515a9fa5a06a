"""Validate catalogue files: schema, ids, references, regexes, languages, examples, immutability."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from . import _yamlpos
from .errors import CatalogueError, Problem
from .loader import (
    EXPORT_FILE,
    LISTS_DIR,
    from_document,
    load_export,
    parse_list_file,
    semver_key,
    version_files,
)
from .model import LANGUAGES, Catalogue, expression_names
from .schema import CONCEPT_NAME, ListDoc

LOCK_NAME = "releases.lock.json"
MIN_EXAMPLES = 2
MIN_CONCEPT_EXAMPLES = 1
CONCEPTS_LIST = "concepts"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_lock_path(lists_dir: Path) -> Path:
    return lists_dir.parent / LOCK_NAME


def _read_lock(lock_path: Path) -> dict[str, str]:
    if not lock_path.is_file():
        return {}
    return dict(json.loads(lock_path.read_text(encoding="utf-8")))


class _FileCheck:
    """Semantic checks of one parsed list document."""

    def __init__(self, doc: ListDoc, node: yaml.Node | None, file: str,
                 concepts: ListDoc | None = None) -> None:
        self.doc = doc
        self.node = node
        self.file = file
        self.concepts = concepts  # the concept inventory lexicons are checked against
        self.problems: list[Problem] = []

    def add(self, loc: Sequence[Any], message: str, *, value: bool = False) -> None:
        line = (_yamlpos.value_line if value else _yamlpos.line_of)(self.node, loc)
        self.problems.append(Problem(self.file, line, message))

    def run(self, dir_name: str | None, stem: str | None) -> list[Problem]:
        doc = self.doc
        if dir_name is not None and doc.name != dir_name:
            self.add(
                ["list"],
                f"list name {doc.name!r} does not match its directory "
                f"{dir_name!r}; move the file to lists/{doc.name}/ or fix 'list'",
            )
        if stem is not None and doc.version != stem:
            self.add(
                ["version"],
                f"version {doc.version!r} does not match the file name "
                f"{stem}.yaml; rename the file to {doc.version}.yaml",
            )
        if doc.version not in {c.version for c in doc.changelog}:
            self.add(["changelog"], f"changelog has no entry for version {doc.version}; add one")
        seen: set[str] = set()
        examples_ok = True
        for n, ind in enumerate(doc.indicators):
            base: list[Any] = ["indicators", n]
            if ind.id in seen:
                self.add([*base, "id"], f"duplicate id {ind.id!r}; ids must be unique")
            seen.add(ind.id)
            if ind.category != doc.name:
                self.add(
                    [*base, "category"],
                    f"category {ind.category!r} of {ind.id} does not "
                    f"match list {doc.name!r}; set category: {doc.name} or move it",
                )
            if ind.grade == "counter" and ind.weight >= 0:
                self.add(
                    [*base, "weight"],
                    f"{ind.id} is counter-evidence but its weight "
                    f"{ind.weight} is not negative; use a negative weight",
                )
            if ind.grade != "counter" and ind.weight <= 0:
                self.add(
                    [*base, "weight"],
                    f"{ind.id} has grade {ind.grade} but weight "
                    f"{ind.weight}; only counter indicators have weights <= 0",
                )
            for section in ("patterns", "counter_patterns", "examples"):
                for lang in getattr(ind, section):
                    if lang not in LANGUAGES:
                        examples_ok = False
                        self.add(
                            [*base, section, lang],
                            f"unknown language code {lang!r} in "
                            f"{ind.id}.{section}; use one of {', '.join(sorted(LANGUAGES))}",
                        )
            if ind.signal == "text" and ind.match is None and not any(
                p.phrases or p.regex or p.emoji for p in ind.patterns.values()
            ):
                self.add(
                    [*base, "match"],
                    f"text indicator {ind.id} has neither a match expression nor patterns; "
                    "add a match written in concepts",
                )
            if ind.match is not None:
                for lang in ("en", "da"):
                    ex = ind.examples.get(lang)
                    if ex is None or len(ex.positive) < MIN_EXAMPLES \
                            or len(ex.negative) < MIN_EXAMPLES:
                        self.add([*base, "examples"],
                                 f"{ind.id} needs at least {MIN_EXAMPLES} positive and "
                                 f"{MIN_EXAMPLES} negative examples in {lang}; add them")
            for lang, pats in ind.patterns.items():
                for k, rx in enumerate(pats.regex):
                    try:
                        compiled = re.compile(rx, re.IGNORECASE)
                    except re.error as exc:
                        examples_ok = False
                        self.add(
                            [*base, "patterns", lang, "regex", k],
                            f"broken regex {rx!r} in {ind.id} ({lang}): {exc}; fix or remove it",
                            value=True,
                        )
                        continue
                    if compiled.search("") is not None:
                        examples_ok = False
                        self.add(
                            [*base, "patterns", lang, "regex", k],
                            f"regex {rx!r} in {ind.id} ({lang}) matches the empty text; "
                            "make it require at least one character",
                            value=True,
                        )
                for k, phrase in enumerate(pats.phrases):
                    if not phrase.strip():
                        self.add(
                            [*base, "patterns", lang, "phrases", k],
                            f"empty phrase in {ind.id} ({lang}); remove it",
                            value=True,
                        )
                ex = ind.examples.get(lang)
                if ex is None or len(ex.positive) < MIN_EXAMPLES or len(ex.negative) < MIN_EXAMPLES:
                    self.add(
                        [*base, "examples"] + ([lang] if ex is not None else []),
                        f"{ind.id} has patterns for {lang!r} but fewer than {MIN_EXAMPLES} "
                        f"positive and {MIN_EXAMPLES} negative examples in that language; "
                        "add them",
                    )
        for n, rule in enumerate(doc.rules):
            base = ["rules", n]
            if rule.id in seen:
                self.add([*base, "id"], f"duplicate id {rule.id!r}; ids must be unique")
            seen.add(rule.id)
            if rule.category != doc.name:
                self.add(
                    [*base, "category"],
                    f"category {rule.category!r} of rule {rule.id} "
                    f"does not match list {doc.name!r}",
                )
            if not rule.all_of and not rule.any_of:
                self.add(base, f"rule {rule.id} has neither all_of nor any_of; add indicator ids")
            if rule.any_of and rule.min > len(rule.any_of):
                self.add(
                    [*base, "min"],
                    f"rule {rule.id} needs min={rule.min} of only "
                    f"{len(rule.any_of)} any_of ids; lower min or add ids",
                )
        if doc.lexicon or doc.language:
            self._check_lexicon()
        if doc.kinds:
            for kind, spec in doc.kinds.items():
                for concept in spec.cues:
                    if concept not in doc.concepts:
                        self.add(["kinds", kind, "cues", concept],
                                 f"kind {kind!r} names unknown concept {concept!r}; add it to "
                                 "concepts or fix the name")
        if examples_ok and any(ind.patterns and ind.match is None for ind in doc.indicators) \
                and not doc.concepts:
            self._check_examples()
        return self.problems

    def _check_lexicon(self) -> None:
        doc = self.doc
        if doc.language not in LANGUAGES:
            self.add(["language"], f"language {doc.language!r} is not supported; use one of "
                                   f"{', '.join(sorted(LANGUAGES))}")
            return
        known = set(self.concepts.concepts) if self.concepts is not None else None
        for concept, entry in doc.lexicon.items():
            base = ["lexicon", concept]
            if not re.match(CONCEPT_NAME, concept):
                self.add(base, f"concept name {concept!r} must be upper case (A-Z, 0-9, _)")
            elif known is not None and concept not in known:
                self.add(base, f"concept {concept!r} is not in the concept inventory "
                               f"(lists/{CONCEPTS_LIST}); add it there or fix the name")
            for k, term in enumerate(entry.terms):
                problem = _term_problem(term)
                if problem:
                    self.add([*base, "terms", k], f"{concept} ({doc.language}) term "
                                                  f"{term!r}: {problem}", value=True)
            ex = entry.examples
            if len(ex.positive) < MIN_CONCEPT_EXAMPLES or len(ex.negative) < MIN_CONCEPT_EXAMPLES:
                self.add([*base, "examples"],
                         f"{concept} ({doc.language}) needs at least {MIN_CONCEPT_EXAMPLES} "
                         "positive and one negative example sentence; add them")
        if self.concepts is None or self.problems:
            return
        from .compile import compile_catalogue
        from .matcher import Engine

        lists = (from_document(self.concepts), from_document(doc))
        engine = Engine(compile_catalogue(Catalogue(lists), cache=False))
        for concept, entry in doc.lexicon.items():
            for kind, sentences, want in (("positive", entry.examples.positive, True),
                                          ("negative", entry.examples.negative, False)):
                for k, sentence in enumerate(sentences):
                    found = engine.find_concepts(sentence, doc.language)
                    if (concept in found) != want:
                        detail = "" if want else f" (found in {found[concept]!r})"
                        verb = "does not contain" if want else "contains"
                        self.add(["lexicon", concept, "examples", kind, k],
                                 f"{kind} example {k} of {concept} ({doc.language}) {verb} "
                                 f"the concept{detail}: {sentence!r}; fix the terms or the "
                                 "example", value=True)

    def _check_examples(self) -> None:
        """Examples of indicators written with phrase patterns, on this list alone."""
        lst = from_document(self.doc)
        problems = example_problems(Catalogue((lst,)), only=lst.name)
        for n, ind in enumerate(lst.indicators):
            for lang, kind, k, message in problems.get(ind.id, []):
                self.add(["indicators", n, "examples", lang, kind, k], message, value=True)


def example_problems(catalogue: Catalogue, *, only: str | None = None
                     ) -> dict[str, list[tuple[str, str, int, str]]]:
    """Indicator examples the catalogue gets wrong: a positive example in which the
    indicator is not found, or a negative one in which it is, in the example's language;
    by indicator id: ``(language, "positive"|"negative", index, message)``."""
    from .compile import compile_catalogue
    from .matcher import Engine

    engine = Engine(compile_catalogue(catalogue, cache=False))
    out: dict[str, list[tuple[str, str, int, str]]] = {}
    for ind in catalogue.indicators():
        if ind.signal != "text" or (only is not None and ind.list_name != only):
            continue
        for lang, ex in ind.examples.items():
            if ind.match is None and lang not in ind.patterns:
                continue
            for kind, sentences, want in (("positive", ex.positive, True),
                                          ("negative", ex.negative, False)):
                for k, sentence in enumerate(sentences):
                    hits = engine.analyse("", sentence, lang=lang).hits
                    if any(h.id == ind.id for h in hits) != want:
                        verb = "does not find" if want else "finds"
                        out.setdefault(ind.id, []).append((lang, kind, k, (
                            f"{kind} example {k} of {ind.id} ({lang}): the catalogue {verb} "
                            f"the indicator in {sentence!r}; fix the lexicon, the expression "
                            "or the example")))
    return out


def _term_problem(term: str) -> str | None:
    """What is wrong with a lexicon term, or None."""
    if term.startswith("!"):
        term = term[1:]
    stripped = term.strip()
    if not stripped:
        return "empty term; remove it"
    if stripped != term:
        return "leading or trailing spaces; remove them"
    if stripped.startswith("*") and stripped.endswith("*"):
        if len(stripped) - 2 < 4:
            return "an *infix* needs at least 4 letters (shorter ones match too many words)"
        return None
    if stripped.startswith("*"):
        return "a leading * needs a trailing one too (*part*); or write stem*"
    if stripped.endswith("*") and len(stripped) - 1 < 3:
        return "a stem* needs at least 3 letters"
    if "*" in stripped[:-1]:
        return "* only at the end (stem*) or at both ends (*part*)"
    return None


def _cross_checks(docs: list[tuple[ListDoc, yaml.Node | None, str]]) -> list[Problem]:
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for doc, node, file in docs:
        for section, items in (("indicators", doc.indicators), ("rules", doc.rules)):
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


def _collect(path: Path) -> tuple[dict[str, dict[str, Path]], Path | None]:
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
    concepts = _concept_inventory(root)
    for name, versions in files.items():
        for version, file in versions.items():
            doc, node, errs = parse_list_file(file)
            problems.extend(errs)
            if doc is None:
                continue
            parsed[file] = (doc, node)
            problems.extend(_FileCheck(doc, node, str(file), concepts).run(name, version))
    current: list[tuple[ListDoc, yaml.Node | None, str]] = []
    for versions in files.values():
        ok = [(v, f) for v, f in versions.items() if f in parsed]
        approved = [(v, f) for v, f in ok if parsed[f][0].status == "approved"]
        pool = approved or ok
        if pool:
            _v, f = max(pool, key=lambda vf: semver_key(vf[0]))
            current.append((parsed[f][0], parsed[f][1], str(f)))
    problems.extend(_cross_checks(current))
    problems.extend(_concept_checks(current))
    if not problems:
        problems.extend(_catalogue_example_checks(current))
    lock_file = Path(lock_path) if lock_path is not None else default_lock
    problems.extend(_lock_checks(files, {f: d for f, (d, _n) in parsed.items()}, lock_file))
    return sorted(problems, key=lambda p: (p.file, p.line, p.message))


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
                    problems.append(Problem(file, _yamlpos.line_of(node, ["indicators", n, key]),
                                            f"{ind.id}.{key} names unknown concept {name!r}; "
                                            "add it to lists/concepts or fix the name"))
                if key == "unless":
                    continue
                for lang, covered in sorted(lexicons.items()):
                    for name in sorted(names & inventory - covered):
                        problems.append(Problem(
                            file, _yamlpos.line_of(node, ["indicators", n, key]),
                            f"{ind.id} uses concept {name} that lexicon_{lang} has no words "
                            f"for; add them, so that the indicator works in {lang}"))
    return problems


def _catalogue_example_checks(docs: list[tuple[ListDoc, yaml.Node | None, str]]
                              ) -> list[Problem]:
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
                problems.append(Problem(file, _yamlpos.value_line(
                    node, ["indicators", n, "examples", lang, kind, k]), message))
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
        problems.extend(_FileCheck(doc, None, f"{file}#{doc.name}").run(None, None))
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
