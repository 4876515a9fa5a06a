"""Labelled listings for the text model: EMSCAD CSV, JSON lines, or given examples.

Every source becomes a list of :class:`Example`: an id, the listing's text (title, blank
line, body, as the scorer combines them), a label (1 flag-worthy, 0 not), structured fields
and the groups metrics are broken down by (language, kind, source, when known). Bad input
stops with a :class:`DatasetError` naming the file, the line and the column.

Columns that identify where a row came from rather than what it says (EMSCAD's ``source``,
``source_row``, ``job_id`` and ``in_balanced_dataset`` separate the two classes perfectly in
the balanced sample) are never features: ``source`` is kept only as a group for reporting.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import ModelError

__all__ = [
    "DATASETS",
    "STRUCTURED_FIELDS",
    "Dataset",
    "DatasetError",
    "Example",
    "dedup_key",
    "deduplicate",
    "from_examples",
    "read_emscad",
    "read_jsonl",
]

DATASETS = ("emscad", "jsonl", "decisions", "corpus", "fixture")
EMSCAD_TEXT = ("company_profile", "description", "requirements", "benefits")
EMSCAD_REQUIRED = ("title", *EMSCAD_TEXT, "fraudulent")
# Structured fields a listing may carry (EMSCAD's names); all optional.
FLAG_FIELDS = ("telecommuting", "has_company_logo", "has_questions")
CATEGORY_FIELDS = (
    "employment_type",
    "required_experience",
    "required_education",
    "industry",
    "function",
)
STRUCTURED_FIELDS = (*FLAG_FIELDS, *CATEGORY_FIELDS, "salary_range", "company_profile")
GROUPS = ("language", "kind", "source")


class DatasetError(ModelError):
    """Labelled data that cannot be read, with where and what to do."""


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    label: int
    fields: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)
    title: str = ""  # the start of ``text`` when it has one (title, blank line, body)

    def listing(self) -> tuple[str, str]:
        """(title, body), as the scorer takes a listing."""
        if self.title and self.text.startswith(self.title):
            return self.title, self.text[len(self.title) :].lstrip("\n")
        return "", self.text


@dataclass(frozen=True)
class Dataset:
    """Examples with where they came from: ``sha256`` of the bytes read, ``name`` for
    people, ``duplicates`` dropped (same text after normalising), ``conflicts`` among
    them (same text, other label: the first label was kept)."""

    name: str
    examples: tuple[Example, ...]
    sha256: str
    size: int
    duplicates: int = 0
    conflicts: int = 0

    @property
    def positives(self) -> int:
        return sum(e.label for e in self.examples)

    def values_of(self, group: str) -> list[str]:
        """The values the rows name for ``group`` (language, kind, ...), sorted; empty when
        some row names none (any value then)."""
        values = [e.groups.get(group) for e in self.examples]
        return sorted({str(v) for v in values}) if all(values) else []

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "bytes": self.size,
            "rows": len(self.examples),
            "positives": self.positives,
            "duplicates_dropped": self.duplicates,
            "duplicate_label_conflicts": self.conflicts,
        }


def dedup_key(text: str) -> str:
    """Texts equal up to case and whitespace are one listing."""
    return " ".join(text.lower().split())


def deduplicate(examples: Iterable[Example]) -> tuple[list[Example], int, int]:
    """The examples with each text once (the first kept), the number dropped and how many
    of those had another label than the one kept."""
    seen: dict[str, int] = {}
    out: list[Example] = []
    dropped = conflicts = 0
    for example in examples:
        key = dedup_key(example.text)
        if key in seen:
            dropped += 1
            conflicts += int(seen[key] != example.label)
            continue
        seen[key] = example.label
        out.append(example)
    return out, dropped, conflicts


def _label(value: Any, where: str, column: str) -> int:
    text = str(value).strip().lower() if value is not None else ""
    if text in ("1", "true"):
        return 1
    if text in ("0", "false"):
        return 0
    raise DatasetError(
        f"{where}, column {column!r}: label {value!r} is not 0 or 1; "
        "mark each row 1 (flag-worthy) or 0 (not)"
    )


def _finish(name: str, raw: bytes, examples: list[Example], dedup: bool) -> Dataset:
    if not examples:
        raise DatasetError(f"{name}: no labelled rows found; give a file with labelled listings")
    dropped = conflicts = 0
    if dedup:
        examples, dropped, conflicts = deduplicate(examples)
    return Dataset(
        name,
        tuple(examples),
        hashlib.sha256(raw).hexdigest(),
        len(raw),
        dropped,
        conflicts,
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DatasetError(
            f"{path}: cannot be read ({exc.strerror}); give a readable file"
        ) from exc


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DatasetError(
            f"{path}, line {line}: not UTF-8 (byte {raw[exc.start]:#x}); save the file as UTF-8"
        ) from exc


def _csv_problem_column(record: str, header: Sequence[str]) -> str:
    """The column of a record where the strict CSV reader failed: a quoted field with text
    after its closing quote, or a quote never closed."""
    field = i = 0
    at_start, in_quotes = True, False
    while i < len(record):
        c = record[i]
        if in_quotes:
            if c == '"':
                if record[i + 1 : i + 2] == '"':
                    i += 2
                    continue
                in_quotes = False
                if record[i + 1 : i + 2] not in (",", "\n", "\r", ""):
                    break
        elif c == '"' and at_start:
            in_quotes = True
        elif c == ",":
            field += 1
            at_start = True
            i += 1
            continue
        at_start = False
        i += 1
    return header[field] if field < len(header) else f"field {field + 1}"


def read_emscad(path: str | Path, *, dedup: bool = True) -> Dataset:
    """EMSCAD-style CSV: the text is title, company profile, description, requirements and
    benefits; ``fraudulent`` (1/0) is the label; the structured fields are kept."""
    path = Path(path)
    raw = _read_bytes(path)
    text = _decode(path, raw)
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    lines = io.StringIO(text).readlines()
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise DatasetError(f"{path}: empty file; give an EMSCAD CSV with a header row") from None
    except csv.Error as exc:
        raise DatasetError(f"{path}, line 1 (the header): {exc}") from exc
    header = [h.strip() for h in header]
    missing = [c for c in EMSCAD_REQUIRED if c not in header]
    if missing:
        raise DatasetError(
            f"{path}, line 1: column(s) {', '.join(missing)} missing (the header has "
            f"{', '.join(header[:25]) or 'nothing'}); an EMSCAD CSV needs "
            f"{', '.join(EMSCAD_REQUIRED)}"
        )
    index = {name: i for i, name in enumerate(header)}
    examples: list[Example] = []
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            record = "".join(lines[start - 1 : reader.line_num])
            column = _csv_problem_column(record, header)
            raise DatasetError(
                f"{path}, line {start}, column {column!r}: malformed CSV ({exc}); "
                "quote fields that hold commas, quotes or line breaks, and double the "
                "quotes inside them"
            ) from exc
        end = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            last = header[min(len(row), len(header)) - 1] if row else header[0]
            raise DatasetError(
                f"{path}, line {start}: {len(row)} fields where the header has {len(header)} "
                f"(the row goes wrong after column {last!r}); quote fields that hold commas"
            )

        def value(name: str, row: list[str] = row) -> str:
            i = index.get(name)
            return row[i] if i is not None else ""

        label = _label(value("fraudulent"), f"{path}, line {start}", "fraudulent")
        title = value("title").strip()
        body = "\n\n".join(value(k).strip() for k in EMSCAD_TEXT if value(k).strip())
        listing = f"{title}\n\n{body}" if title else body
        fields = {k: value(k).strip() for k in STRUCTURED_FIELDS if k in index}
        groups = {k: value(k).strip() for k in GROUPS if value(k).strip()}
        examples.append(
            Example(value("job_id") or f"line-{start}", listing, label, fields, groups, title)
        )
    return _finish(str(path), raw, examples, dedup)


def read_jsonl(path: str | Path, *, dedup: bool = True) -> Dataset:
    """JSON lines: ``text`` and ``label`` (1/0) required; ``id``, ``title``, ``fields``
    (an object of structured fields), ``language``, ``kind`` and ``source`` optional."""
    path = Path(path)
    raw = _read_bytes(path)
    examples: list[Example] = []
    for n, line in enumerate(_decode(path, raw).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"{path}, line {n}, column {exc.colno}: invalid JSON ({exc.msg}); "
                "give one JSON object per line"
            ) from exc
        if not isinstance(item, dict):
            raise DatasetError(f"{path}, line {n}: a {type(item).__name__}, not a JSON object")
        for key in ("text", "label"):
            if key not in item:
                raise DatasetError(
                    f"{path}, line {n}: field {key!r} missing; each line needs "
                    '"text" and "label" (1 or 0)'
                )
        if not isinstance(item["text"], str):
            raise DatasetError(f"{path}, line {n}, field 'text': not a string")
        label = _label(item["label"], f"{path}, line {n}", "label")
        title = str(item.get("title") or "").strip()
        listing = f"{title}\n\n{item['text']}" if title else item["text"]
        fields = item.get("fields") or {}
        if not isinstance(fields, dict):
            raise DatasetError(f"{path}, line {n}, field 'fields': not a JSON object")
        groups = {k: str(item[k]) for k in GROUPS if item.get(k)}
        examples.append(
            Example(
                str(item.get("id", f"line-{n}")),
                listing,
                label,
                {str(k): "" if v is None else str(v) for k, v in fields.items()},
                groups,
                title,
            )
        )
    return _finish(str(path), raw, examples, dedup)


def from_examples(name: str, examples: Iterable[Example], *, dedup: bool = True) -> Dataset:
    """A dataset of examples made elsewhere (analysts' decisions, the fixture corpus);
    its hash is over their ids, texts and labels."""
    items = list(examples)
    canonical = json.dumps(
        [[e.id, e.text, e.label] for e in items], ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    return _finish(name, canonical, items, dedup)
