"""Reading labelled listings: EMSCAD CSV and JSON lines, deduplication, and bad input
reported with its file, line and column."""

from __future__ import annotations

import json

import pytest
from model_data import COLUMNS, write_emscad, write_jsonl

from models.datasets import DatasetError, Example, deduplicate, read_emscad, read_jsonl


def test_emscad_rows_become_examples(tmp_path) -> None:
    data = read_emscad(write_emscad(tmp_path / "e.csv", n=20))
    assert len(data.examples) == 20 and data.positives == 10
    first = data.examples[0]
    assert first.label == 1 and first.text.startswith(first.title + "\n\n")
    assert first.listing()[0] == first.title and first.title not in first.listing()[1][:3]
    assert set(first.fields) >= {"telecommuting", "has_company_logo", "employment_type"}
    # Where a row came from is a group for reporting, never a field.
    assert "source" not in first.fields and first.groups["source"] == "synthetic"
    assert len(data.sha256) == 64 and data.size == (tmp_path / "e.csv").stat().st_size


def test_duplicate_texts_are_dropped(tmp_path) -> None:
    path = write_emscad(tmp_path / "e.csv", n=10)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines, lines[1], lines[2]]), encoding="utf-8")
    data = read_emscad(path)
    assert len(data.examples) == 10 and data.duplicates == 2
    assert read_emscad(path, dedup=False).examples.__len__() == 12


def test_dedup_counts_conflicting_labels() -> None:
    kept, dropped, conflicts = deduplicate(
        [Example("a", "Pay  the FEE", 1), Example("b", "pay the fee", 0), Example("c", "x", 0)]
    )
    assert [e.id for e in kept] == ["a", "c"] and (dropped, conflicts) == (1, 1)


def test_missing_column_is_named(tmp_path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("title,description\nA,B\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"line 1: column\(s\) company_profile.*fraudulent"):
        read_emscad(path)


def test_malformed_csv_names_line_and_column(tmp_path) -> None:
    path = write_emscad(tmp_path / "e.csv", n=6)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[4].rstrip("\n").split(",")
    fields[COLUMNS.index("description")] = '"quoted" then more'
    lines[4] = ",".join(fields) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        read_emscad(path)
    assert "line 5" in str(info.value) and "'description'" in str(info.value)
    assert "quote" in str(info.value)


def test_short_row_and_bad_label_name_the_line(tmp_path) -> None:
    path = write_emscad(tmp_path / "e.csv", n=4)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[:3], "only,three,fields\n"]), encoding="utf-8")
    with pytest.raises(DatasetError, match="line 4: 3 fields where the header has 21"):
        read_emscad(path)
    fields = lines[2].rstrip("\n").split(",")
    fields[COLUMNS.index("fraudulent")] = "maybe"
    path.write_text("".join([lines[0], ",".join(fields) + "\n"]), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"line 2, column 'fraudulent': label 'maybe'"):
        read_emscad(path)


def test_not_utf8_and_empty_files(tmp_path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"title,x\n\xff\xfe\n")
    with pytest.raises(DatasetError, match="line 2: not UTF-8"):
        read_emscad(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(DatasetError, match="empty file"):
        read_emscad(path)
    with pytest.raises(DatasetError, match="cannot be read"):
        read_emscad(tmp_path / "missing.csv")


def test_jsonl_rows_and_errors(tmp_path) -> None:
    data = read_jsonl(write_jsonl(tmp_path / "d.jsonl", n=12))
    assert len(data.examples) == 12 and data.positives == 6
    assert data.examples[0].groups == {"language": "en"}
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a", "label": 1}\n{"text": "b", "label": 0\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="line 2, column 25: invalid JSON"):
        read_jsonl(path)
    path.write_text(json.dumps({"text": "a"}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="line 1: field 'label' missing"):
        read_jsonl(path)
    path.write_text(json.dumps({"text": "a", "label": 2}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="label 2 is not 0 or 1"):
        read_jsonl(path)
