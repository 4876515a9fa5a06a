"""The data register (R08-R10): every stored column has a known data category and retention
class, and docs/data-register.md is what ``thbscan data-register`` prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store import register
from store.register import CONTENT, OPERATIONAL, RECENT, table_tag, tag
from thbscan.cli import main
from thbscan.commands import data_register

ROOT = Path(__file__).resolve().parents[3]


def _copy_of_the_schema() -> MetaData:
    copy = MetaData()
    for metadata in data_register.schema():
        for table in metadata.tables.values():
            table.to_metadata(copy)
    return copy


def test_every_column_of_every_table_has_a_known_category_and_retention_class() -> None:
    schema = data_register.schema()
    problems = register.problems(schema)
    assert not problems, "tag them where they are defined (store/register.py): " + "; ".join(
        problems
    )
    entries = register.collect(schema)
    columns = {(t.name, c.name) for m in schema for t in m.tables.values() for c in t.columns}
    assert {(e.table, e.column) for e in entries} == columns
    assert {"listings", "listing_versions", "identifiers", "users", "alembic_version"} <= {
        e.table for e in entries
    }
    for entry in entries:
        assert entry.category in register.CATEGORIES, entry
        assert entry.retention in register.RETENTION, entry


def test_personal_data_is_where_the_register_says() -> None:
    tags = {(e.table, e.column): e.category for e in register.collect(data_register.schema())}
    assert tags["listing_versions", "text"] == register.CONTENT
    assert tags["identifiers", "pseudonym"] == register.IDENTIFIER
    assert tags["users", "password_hash"] == register.SECRET
    assert tags["web_sessions", "token_sha256"] == register.SECRET
    assert tags["login_throttle", "key"] == register.ANALYST  # account names, addresses
    assert tags["decisions", "reason"] == register.DECISION


def test_a_column_added_without_a_tag_is_caught() -> None:
    schema = _copy_of_the_schema()
    assert register.problems([schema]) == []
    schema.tables["listing_versions"].append_column(Column("phone", String(40)))
    assert register.problems([schema]) == ["listing_versions.phone: no data category"]
    schema.tables["identifiers"].append_column(Column("raw", String(40)))
    assert "identifiers.raw: no data category" in register.problems([schema])

    class Local(DeclarativeBase):
        pass

    class Contact(Local):  # a test-local model: one column tagged, one not, no table default
        __tablename__ = "contacts"

        id: Mapped[int] = mapped_column(Integer, primary_key=True, info=tag(OPERATIONAL, RECENT))
        email: Mapped[str] = mapped_column(String(200))

    assert register.problems([Local.metadata]) == [
        "contacts.email: no data category",
        "contacts.email: no retention class",
    ]


def test_a_table_default_covers_its_columns_and_a_column_overrides_it() -> None:
    metadata = MetaData()
    Table(
        "notes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("body", String(200), info=tag(CONTENT)),
        **table_tag(OPERATIONAL, RECENT),
    )
    assert register.problems([metadata]) == []
    assert [(e.column, e.category, e.retention) for e in register.collect([metadata])] == [
        ("id", OPERATIONAL, RECENT),
        ("body", CONTENT, RECENT),
    ]


def test_a_tag_that_names_an_unknown_category_or_class_is_caught() -> None:
    metadata = MetaData()
    Table(
        "gossip",
        metadata,
        Column("id", Integer, primary_key=True, info={"data": "rumour"}),
        Column("body", String(200), info={"data": CONTENT, "retention": "forever"}),
        info={"retention": "a while"},
    )
    assert register.problems([metadata]) == [
        "gossip: unknown retention class 'a while'",
        "gossip.id: unknown data category 'rumour'",
        "gossip.body: unknown retention class 'forever'",
    ]
    with pytest.raises(ValueError, match="unknown data category 'rumour'"):
        tag("rumour")
    with pytest.raises(ValueError, match="unknown retention class 'forever'"):
        tag(CONTENT, "forever")


def test_every_category_and_class_is_defined() -> None:
    for category in register.CATEGORIES.values():
        assert category.definition and category.purpose
    for retention in register.RETENTION.values():
        assert retention.rule
        # a duration counted from an event, or a condition to keep it while
        assert (retention.days is not None and retention.start) or retention.kept_while


def test_the_committed_register_is_the_commands_output(capsys: pytest.CaptureFixture) -> None:
    assert main(["data-register"]) == 0
    printed = capsys.readouterr().out
    committed = (ROOT / "docs" / "data-register.md").read_text(encoding="utf-8")
    assert printed == committed, (
        "docs/data-register.md is out of date: thbscan data-register > docs/data-register.md"
    )


def test_the_json_register_names_every_table_and_column(capsys: pytest.CaptureFixture) -> None:
    assert main(["data-register", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in out["categories"]] == list(register.CATEGORIES)
    assert {r["name"]: r["days"] for r in out["retention_classes"]}[register.LISTING] == 180
    columns = {(t["table"], c["column"]) for t in out["tables"] for c in t["columns"]}
    assert columns == {(e.table, e.column) for e in register.collect(data_register.schema())}


def test_the_command_fails_naming_an_untagged_column(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = _copy_of_the_schema()
    schema.tables["users"].append_column(Column("ip_address", String(45), info={"data": "x"}))
    monkeypatch.setattr(data_register, "schema", lambda: [schema])
    assert main(["data-register"]) == 1
    err = capsys.readouterr().err
    assert "users.ip_address: unknown data category 'x'" in err
