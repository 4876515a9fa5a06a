"""Load and check the YAML data files from which the fixture listings are generated."""

from __future__ import annotations

import dataclasses
import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import yaml

from .errors import FixtureDataError

LANGS = ("da", "en", "ro", "pl", "bg")
BOARDS = ("jobs", "ads")
FORMS = (
    "sexual_exploitation",
    "forced_labour",
    "forced_criminality",
    "slavery_like_practices",
)
CATEGORIES = ("massage", "escort", "companionship", "rooms", "misc")
EMPLOYMENT_TYPES = ("FULL_TIME", "PART_TIME", "TEMPORARY", "CONTRACTOR", "OTHER")
PAY_UNITS = ("HOUR", "DAY", "WEEK", "MONTH", "YEAR")
PHONE_STYLES = ("plain", "compact", "spaced", "spoken")
OBFUSCATED_PHONE_STYLES = frozenset({"spaced", "spoken"})
# Slots every template may use; `choices` adds its own keys.
BUILTIN_SLOTS = frozenset(
    {
        *("city", "other_city", "company", "address", "cvr", "email", "contact_name"),
        *("name", "age", "phone", "handle", "pay", "start_date", "valid_through"),
    }
)
_COMPANY_SLOTS = frozenset({"company", "address", "cvr", "email"})


@dataclass(frozen=True)
class City:
    name: str
    postcode: str


@dataclass(frozen=True)
class Company:
    name: str
    street: str
    cvr: str


@dataclass(frozen=True)
class Network:
    """Contact details shared by several listings across both boards."""

    phone: str
    handle: str


@dataclass(frozen=True)
class Pay:
    low: tuple[int, int]
    spread: tuple[int, int]
    step: int
    currency: str
    unit: str
    text: str


@dataclass(frozen=True)
class Template:
    key: str
    board: str
    lang: str
    weight: int
    expected: str
    forms: tuple[str, ...]
    possible_minor: bool
    signals: tuple[str, ...]
    titles: tuple[str, ...]
    body: str
    choices: tuple[tuple[str, tuple[str, ...]], ...]
    sector: str | None
    employer: str  # "named" | "hidden"
    employment_type: str | None
    pay: Pay | None
    network: str | None
    phone_source: str  # "local" | "network"
    phone_styles: tuple[str, ...]
    age: tuple[int, int] | None
    name_gender: str
    category: str | None


@dataclass(frozen=True)
class SiteData:
    reference_date: date
    cities: tuple[City, ...]
    companies: Mapping[str, tuple[Company, ...]]
    names: Mapping[str, Mapping[str, tuple[str, ...]]]  # gender -> lang -> names
    phone_formats: Mapping[str, tuple[str, str]]  # lang -> (country code, pattern)
    networks: Mapping[str, Network]
    digit_words: tuple[str, ...]
    date_formats: Mapping[str, str]
    labels: Mapping[str, Mapping[str, str]]
    employment_type_labels: Mapping[str, Mapping[str, str]]
    jobs: tuple[Template, ...]
    ads: tuple[Template, ...]


def _read(name: str) -> dict[str, Any]:
    text = resources.files(f"{__package__}.data").joinpath(name).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise FixtureDataError(f"data/{name}: expected a mapping at the top level")
    return doc


def _int_pair(value: Any, where: str, problems: list[str]) -> tuple[int, int]:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) for v in value)
        and value[0] <= value[1]
    ):
        return value[0], value[1]
    problems.append(f"{where}: expected [min, max] integers with min <= max, got {value!r}")
    return 0, 0


def _str_list(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    problems.append(f"{where}: expected a non-empty list of strings, got {value!r}")
    return ()


def _slots_used(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _parse_pay(raw: Any, where: str, problems: list[str]) -> Pay | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{where}.pay: expected a mapping, got {raw!r}")
        return None
    unit = raw.get("unit")
    if unit not in PAY_UNITS:
        problems.append(f"{where}.pay.unit: {unit!r} is not one of {PAY_UNITS}")
    step = raw.get("step", 1)
    if not isinstance(step, int) or step < 1:
        problems.append(f"{where}.pay.step: expected a positive integer, got {step!r}")
        step = 1
    return Pay(
        low=_int_pair(raw.get("low"), f"{where}.pay.low", problems),
        spread=_int_pair(raw.get("spread", [0, 0]), f"{where}.pay.spread", problems),
        step=step,
        currency=str(raw.get("currency", "")),
        unit=str(unit),
        text=str(raw.get("text", "{low}")),
    )


def _parse_template(raw: Any, board: str, file: str, problems: list[str]) -> Template | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
        problems.append(f"{file}: every template needs a string `key`, got {raw!r}")
        return None
    key = raw["key"]
    where = f"{file}: template {key!r}"
    p: list[str] = []

    lang = raw.get("lang")
    if lang not in LANGS:
        p.append(f"{where}: lang {lang!r} is not one of {LANGS}")
    weight = raw.get("weight")
    if not isinstance(weight, int) or weight < 0:
        p.append(f"{where}: weight must be a non-negative integer, got {weight!r}")
        weight = 0
    expected = raw.get("expected")
    forms = tuple(raw.get("forms") or ())
    signals = tuple(raw.get("signals") or ())
    bad_forms = [f for f in forms if f not in FORMS]
    if bad_forms:
        p.append(f"{where}: unknown forms {bad_forms}; use {FORMS}")
    if expected == "flagged":
        if len(signals) < 2 or not forms:
            p.append(f"{where}: a flagged template needs 2+ signals and 1+ form")
    elif expected == "benign":
        if len(signals) > 1 or forms or raw.get("possible_minor"):
            p.append(f"{where}: a benign template carries at most one signal and no forms")
    else:
        p.append(f"{where}: expected must be 'flagged' or 'benign', got {expected!r}")

    titles = _str_list(raw.get("title"), f"{where}.title", p)
    body = raw.get("body")
    if not isinstance(body, str) or not body.strip():
        p.append(f"{where}: body must be non-empty text")
        body = ""
    choices_raw = raw.get("choices") or {}
    if not isinstance(choices_raw, dict):
        p.append(f"{where}.choices: expected a mapping of slot -> list of strings")
        choices_raw = {}
    choices = tuple(
        (str(slot), _str_list(opts, f"{where}.choices.{slot}", p))
        for slot, opts in choices_raw.items()
    )
    known = BUILTIN_SLOTS | {slot for slot, _ in choices}
    used = set().union(*(_slots_used(t) for t in (*titles, body)))
    if unknown := sorted(used - known):
        p.append(f"{where}: unknown slots {unknown}; define them under `choices`")

    sector = raw.get("sector")
    employer = raw.get("employer", "named")
    if employer not in ("named", "hidden"):
        p.append(f"{where}: employer must be 'named' or 'hidden', got {employer!r}")
    if used & _COMPANY_SLOTS and sector is None:
        p.append(f"{where}: uses {sorted(used & _COMPANY_SLOTS)} but names no `sector`")
    if board == "jobs" and employer == "named" and sector is None:
        p.append(f"{where}: a job with a named employer needs a `sector`")

    employment_type = raw.get("employment_type")
    category = raw.get("category")
    if board == "jobs" and employment_type not in EMPLOYMENT_TYPES:
        p.append(f"{where}: employment_type {employment_type!r} is not one of {EMPLOYMENT_TYPES}")
    if board == "ads" and category not in CATEGORIES:
        p.append(f"{where}: category {category!r} is not one of {CATEGORIES}")

    network = raw.get("network")
    phone_source = raw.get("phone", "network" if network else "local")
    if phone_source not in ("local", "network") or (phone_source == "network" and not network):
        p.append(f"{where}: phone must be 'local', or 'network' with a `network`")
    phone_styles = tuple(raw.get("phone_styles") or ("plain",))
    if bad := [s for s in phone_styles if s not in PHONE_STYLES]:
        p.append(f"{where}: unknown phone_styles {bad}; use {PHONE_STYLES}")
    if expected == "benign" and OBFUSCATED_PHONE_STYLES & set(phone_styles):
        p.append(f"{where}: a benign template may not obfuscate its phone number")
    age = _int_pair(raw["age"], f"{where}.age", p) if raw.get("age") is not None else None
    name_gender = raw.get("name", "female")
    if name_gender not in ("female", "male"):
        p.append(f"{where}: name must be 'female' or 'male', got {name_gender!r}")

    problems.extend(p)
    if p:
        return None
    return Template(
        key=key,
        board=board,
        lang=str(lang),
        weight=weight,
        expected=str(expected),
        forms=forms,
        possible_minor=bool(raw.get("possible_minor", False)),
        signals=signals,
        titles=titles,
        body=body.strip(),
        choices=choices,
        sector=sector,
        employer=employer,
        employment_type=employment_type,
        pay=_parse_pay(raw.get("pay"), where, problems),
        network=network,
        phone_source=phone_source,
        phone_styles=phone_styles,
        age=age,
        name_gender=name_gender,
        category=category,
    )


def _parse_templates(board: str, slots: SiteData, problems: list[str]) -> tuple[Template, ...]:
    file = f"data/{board}.yaml"
    doc = _read(f"{board}.yaml")
    if doc.get("board") != board:
        problems.append(f"{file}: `board` must be {board!r}, got {doc.get('board')!r}")
    templates = []
    seen: set[str] = set()
    for raw in doc.get("templates") or ():
        template = _parse_template(raw, board, file, problems)
        if template is None:
            continue
        if template.key in seen:
            problems.append(f"{file}: duplicate template key {template.key!r}")
        seen.add(template.key)
        if template.sector is not None and template.sector not in slots.companies:
            problems.append(
                f"{file}: template {template.key!r}: sector {template.sector!r} has no "
                f"companies in data/slots.yaml"
            )
        if template.network is not None and template.network not in slots.networks:
            problems.append(
                f"{file}: template {template.key!r}: network {template.network!r} is not "
                f"defined in data/slots.yaml"
            )
        templates.append(template)
    if not templates:
        problems.append(f"{file}: no templates")
    elif sum(t.weight for t in templates) == 0:
        problems.append(f"{file}: all template weights are zero")
    return tuple(templates)


@functools.cache
def load_site_data() -> SiteData:
    """Read and check every data file once per process; raise FixtureDataError on problems."""
    slots = _read("slots.yaml")
    labels = _read("labels.yaml")
    try:
        site = SiteData(
            reference_date=date.fromisoformat(slots["reference_date"]),
            cities=tuple(City(c["name"], str(c["postcode"])) for c in slots["cities"]),
            companies={
                sector: tuple(Company(c["name"], c["street"], str(c["cvr"])) for c in entries)
                for sector, entries in slots["companies"].items()
            },
            names={
                gender: {lang: tuple(names) for lang, names in by_lang.items()}
                for gender, by_lang in slots["names"].items()
            },
            phone_formats={
                lang: (f["country"], f["pattern"]) for lang, f in slots["phone_formats"].items()
            },
            networks={k: Network(v["phone"], v["handle"]) for k, v in slots["networks"].items()},
            digit_words=tuple(slots["digit_words"]),
            date_formats=dict(slots["date_formats"]),
            labels=labels["labels"],
            employment_type_labels=labels["employment_types"],
            jobs=(),
            ads=(),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FixtureDataError(
            f"data/slots.yaml or data/labels.yaml is missing or malformed at {exc!r}; "
            "compare it with the documented layout at the top of the file"
        ) from exc

    problems: list[str] = []
    for lang in LANGS:
        for table, name in (
            (site.phone_formats, "phone_formats"),
            (site.date_formats, "date_formats"),
            (site.labels, "labels"),
            (site.employment_type_labels, "employment_types"),
            (site.names["female"], "names.female"),
            (site.names["male"], "names.male"),
        ):
            if lang not in table:
                problems.append(f"data files: {name} has no entry for language {lang!r}")
    if len(site.cities) < 2:
        problems.append("data/slots.yaml: at least two cities are needed")
    if len(site.digit_words) != 10:
        problems.append("data/slots.yaml: digit_words must list the ten digits 0-9")
    jobs = _parse_templates("jobs", site, problems)
    ads = _parse_templates("ads", site, problems)
    if problems:
        raise FixtureDataError(problems)
    return dataclasses.replace(site, jobs=jobs, ads=ads)
