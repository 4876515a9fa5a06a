"""Restoring a pg_dump archive into another schema: the SQL's schema-qualified names are
renamed, the data is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from thbscan.commands.backup_common import Refused
from thbscan.commands.pg_backup import dump_schema, relocate, url_schema

SCRIPT = b"""\
\\restrict k3yt_a.abc
SELECT pg_catalog.set_config('search_path', '', false);
CREATE SCHEMA t_a;
COMMENT ON SCHEMA t_a IS 'old';
CREATE TABLE t_a.listings (
    id integer NOT NULL,
    title text DEFAULT 't_a.default' NOT NULL
);
CREATE TABLE t_a.xt_a (id integer);
ALTER SEQUENCE t_a.listings_id_seq OWNED BY t_a.listings.id;
ALTER TABLE ONLY t_a.listings ALTER COLUMN id SET DEFAULT nextval('t_a.listings_id_seq'::regclass);
COPY t_a.listings (id, title) FROM stdin;
1\tmoved t_a.listings to t_b
2\tCREATE SCHEMA t_a;
\\.
SELECT pg_catalog.setval('t_a.listings_id_seq', 2, true);
ALTER TABLE ONLY t_a.listings ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES t_a.xt_a(id);
\\unrestrict k3yt_a.abc
"""


def relocated(source: str, target: str) -> list[bytes]:
    return list(relocate(SCRIPT.splitlines(keepends=True), source, target))


def test_names_are_renamed_and_copy_data_and_meta_commands_are_not() -> None:
    out = b"".join(relocated("t_a", "t_b"))
    assert b"CREATE SCHEMA" not in out.split(b"FROM stdin;")[0]  # the target exists
    assert b"COMMENT ON SCHEMA" not in out
    assert b"CREATE TABLE t_b.listings (" in out
    assert b"CREATE TABLE t_b.xt_a (id integer);" in out  # only the schema part changes
    assert b"OWNED BY t_b.listings.id;" in out
    assert b"nextval('t_b.listings_id_seq'::regclass)" in out
    assert b"SELECT pg_catalog.setval('t_b.listings_id_seq', 2, true);" in out
    assert b"REFERENCES t_b.xt_a(id);" in out
    assert b"COPY t_b.listings (id, title) FROM stdin;" in out
    # the rows, and psql's meta-commands, pass byte for byte
    assert b"1\tmoved t_a.listings to t_b\n2\tCREATE SCHEMA t_a;\n\\.\n" in out
    assert out.startswith(b"\\restrict k3yt_a.abc\n")
    assert out.endswith(b"\\unrestrict k3yt_a.abc\n")
    # a string literal in DDL that looks like a qualified name is renamed too: thbscan's
    # schema has none, and pg_dump gives no way to tell them apart
    assert b"DEFAULT 't_b.default'" in out


def test_the_same_schema_only_loses_its_create_schema() -> None:
    lines = relocated("t_a", "t_a")
    kept = [line for line in SCRIPT.splitlines(keepends=True) if line not in lines]
    assert kept == [b"CREATE SCHEMA t_a;\n", b"COMMENT ON SCHEMA t_a IS 'old';\n"]


def test_the_archives_schema_is_read_from_its_table_of_contents() -> None:
    toc = (
        "; Archive created at 2026-12-06\n"
        "6; 2615 17030 SCHEMA - t_a postgres\n"
        "252; 1259 17031 TABLE t_a alembic_version postgres\n"
        "3690; 0 17031 TABLE DATA t_a alembic_version postgres\n"
    )
    assert dump_schema(toc, Path("x.dump")) == "t_a"
    with pytest.raises(Refused, match="holds tables of 2 schemas"):
        dump_schema(toc + "253; 1259 1 TABLE other things postgres\n", Path("x.dump"))
    with pytest.raises(Refused, match="plain lower-case schema names"):
        dump_schema('252; 1259 17031 TABLE "Odd" alembic_version postgres\n', Path("x.dump"))


@pytest.mark.parametrize(
    ("url", "schema"),
    [
        ("postgresql+psycopg://u@h/db?options=-csearch_path%3Dt_abc", "t_abc"),
        ("postgresql+psycopg://u@h/db?options=-c%20search_path%3Dt_x,public", "t_x"),
        ("postgresql+psycopg://u@h/db?options=-csearch_path%3D%24user,public", None),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_the_schema_named_in_the_urls_search_path(url: str, schema: str | None) -> None:
    assert url_schema(make_url(url)) == schema
