"""Semantic checks of one parsed list file: ids, references, regexes, languages, examples,
lexicon terms (what the JSON schema cannot say)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from . import _yamlpos
from .errors import Problem
from .loader import from_document
from .model import LANGUAGES, Catalogue
from .schema import CONCEPT_NAME, ListDoc

MIN_EXAMPLES = 2
MIN_CONCEPT_EXAMPLES = 1
CONCEPTS_LIST = "concepts"


class FileCheck:
    """Semantic checks of one parsed list document."""

    def __init__(
        self,
        doc: ListDoc,
        node: yaml.Node | None,
        file: str,
        concepts: ListDoc | None = None,
        *,
        run_examples: bool = True,
    ) -> None:
        self.doc = doc
        self.node = node
        self.file = file
        self.concepts = concepts  # the concept inventory lexicons are checked against
        # False for a superseded version whose locked bytes were checked when approved
        self.run_examples = run_examples
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
            if (
                ind.signal == "text"
                and ind.match is None
                and not any(p.phrases or p.regex or p.emoji for p in ind.patterns.values())
            ):
                self.add(
                    [*base, "match"],
                    f"text indicator {ind.id} has neither a match expression nor patterns; "
                    "add a match written in concepts",
                )
            if ind.match is not None:
                for lang in ("en", "da"):
                    ex = ind.examples.get(lang)
                    if (
                        ex is None
                        or len(ex.positive) < MIN_EXAMPLES
                        or len(ex.negative) < MIN_EXAMPLES
                    ):
                        self.add(
                            [*base, "examples"],
                            f"{ind.id} needs at least {MIN_EXAMPLES} positive and "
                            f"{MIN_EXAMPLES} negative examples in {lang}; add them",
                        )
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
                        self.add(
                            ["kinds", kind, "cues", concept],
                            f"kind {kind!r} names unknown concept {concept!r}; add it to "
                            "concepts or fix the name",
                        )
        if (
            examples_ok
            and self.run_examples
            and any(ind.patterns and ind.match is None for ind in doc.indicators)
            and not doc.concepts
        ):
            self._check_examples()
        return self.problems

    def _check_lexicon(self) -> None:
        doc = self.doc
        if doc.language not in LANGUAGES:
            self.add(
                ["language"],
                f"language {doc.language!r} is not supported; use one of "
                f"{', '.join(sorted(LANGUAGES))}",
            )
            return
        known = set(self.concepts.concepts) if self.concepts is not None else None
        for concept, entry in doc.lexicon.items():
            base = ["lexicon", concept]
            if not re.match(CONCEPT_NAME, concept):
                self.add(base, f"concept name {concept!r} must be upper case (A-Z, 0-9, _)")
            elif known is not None and concept not in known:
                self.add(
                    base,
                    f"concept {concept!r} is not in the concept inventory "
                    f"(lists/{CONCEPTS_LIST}); add it there or fix the name",
                )
            for k, term in enumerate(entry.terms):
                problem = _term_problem(term)
                if problem:
                    self.add(
                        [*base, "terms", k],
                        f"{concept} ({doc.language}) term {term!r}: {problem}",
                        value=True,
                    )
            ex = entry.examples
            if len(ex.positive) < MIN_CONCEPT_EXAMPLES or len(ex.negative) < MIN_CONCEPT_EXAMPLES:
                self.add(
                    [*base, "examples"],
                    f"{concept} ({doc.language}) needs at least {MIN_CONCEPT_EXAMPLES} "
                    "positive and one negative example sentence; add them",
                )
        if self.concepts is None or self.problems or not self.run_examples:
            return
        from .compile import compile_catalogue
        from .matcher import Engine

        lists = (from_document(self.concepts), from_document(doc))
        engine = Engine(compile_catalogue(Catalogue(lists), cache=False))
        for concept, entry in doc.lexicon.items():
            for kind, sentences, want in (
                ("positive", entry.examples.positive, True),
                ("negative", entry.examples.negative, False),
            ):
                for k, sentence in enumerate(sentences):
                    found = engine.find_concepts(sentence, doc.language)
                    if (concept in found) != want:
                        detail = "" if want else f" (found in {found[concept]!r})"
                        verb = "does not contain" if want else "contains"
                        self.add(
                            ["lexicon", concept, "examples", kind, k],
                            f"{kind} example {k} of {concept} ({doc.language}) {verb} "
                            f"the concept{detail}: {sentence!r}; fix the terms or the "
                            "example",
                            value=True,
                        )

    def _check_examples(self) -> None:
        """Examples of indicators written with phrase patterns, on this list alone."""
        lst = from_document(self.doc)
        problems = example_problems(Catalogue((lst,)), only=lst.name)
        for n, ind in enumerate(lst.indicators):
            for lang, kind, k, message in problems.get(ind.id, []):
                self.add(["indicators", n, "examples", lang, kind, k], message, value=True)


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


def example_problems(
    catalogue: Catalogue, *, only: str | None = None
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
            for kind, sentences, want in (
                ("positive", ex.positive, True),
                ("negative", ex.negative, False),
            ):
                for k, sentence in enumerate(sentences):
                    hits = engine.analyse("", sentence, lang=lang).hits
                    if any(h.id == ind.id for h in hits) != want:
                        verb = "does not find" if want else "finds"
                        message = (
                            f"{kind} example {k} of {ind.id} ({lang}): the catalogue {verb} "
                            f"the indicator in {sentence!r}; fix the lexicon, the expression "
                            "or the example"
                        )
                        out.setdefault(ind.id, []).append((lang, kind, k, message))
    return out
