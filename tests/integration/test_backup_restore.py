"""``thbscan backup`` and ``thbscan restore`` on real SQLite files (a backup taken while
another thread writes) and the real PostgreSQL (a dump of one schema restored into
another), with data stored by the project's own functions."""

from __future__ import annotations

import json
import secrets
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import thbscan
from rq_helpers import make_item
from sqlalchemy import func, select

from review_queue.db import ReviewItem, upgrade
from store import Listing, ListingVersion, create_engine_for, session_factory
from store.listings import ListingInput, store_listing


def counts(url: str) -> dict[str, int]:
    engine = create_engine_for(url)
    try:
        with session_factory(engine)() as session:
            return {
                table.__tablename__: session.scalar(select(func.count()).select_from(table)) or 0
                for table in (Listing, ListingVersion, ReviewItem)
            }
    finally:
        engine.dispose()


def integrity(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]


def ok_json(*args: str) -> dict:
    done = thbscan(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


class Writer(threading.Thread):
    """Stores listings one transaction at a time until told to stop."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine_for(url)
        self.sessions = session_factory(self.engine, writer=True)
        self.committed = 0
        self.halt = threading.Event()
        self.error: BaseException | None = None

    def write(self, n: int) -> None:
        with self.sessions() as session:
            for _ in range(n):
                key = f"w{self.committed}"
                store_listing(
                    session,
                    ListingInput(
                        source="writer",
                        natural_key=key,
                        url=f"https://jobs.example.invalid/{key}",
                        title=f"Warehouse job {key}",
                        text="Shifts of 12 hours, accommodation provided. " * 20,
                        fields={},
                    ),
                )
                session.commit()
                self.committed += 1

    def run(self) -> None:
        try:
            while not self.halt.is_set():
                self.write(1)
        except BaseException as exc:  # surfaced by the test
            self.error = exc


def test_sqlite_backup_taken_while_another_thread_writes_restores_whole(
    tmp_path: Path, sqlite_url: str
) -> None:
    engine = create_engine_for(sqlite_url)
    upgrade(engine)
    engine.dispose()
    writer = Writer(sqlite_url)
    writer.write(300)
    writer.start()
    try:
        before = writer.committed
        backup = tmp_path / "backups" / "thbscan.sqlite"
        backup.parent.mkdir()
        taken = ok_json("backup", "--db", sqlite_url, "--out", str(backup))
        after = writer.committed
    finally:
        writer.halt.set()
        writer.join(timeout=60)
        writer.engine.dispose()
    assert writer.error is None
    assert after > before, "the writer committed rows while the backup ran"

    # one consistent snapshot: every listing with its version, none half-written
    tables = taken["tables"]
    assert before <= tables["listings"] <= after
    assert tables["listing_versions"] == tables["listings"]
    assert taken["integrity"] == "ok"
    assert integrity(backup) == ["ok"]
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds personal data
    assert counts(f"sqlite:///{backup}") == {
        "listings": tables["listings"],
        "listing_versions": tables["listings"],
        "review_items": 0,
    }
    assert not list(backup.parent.glob(".*.tmp"))  # no temporary file left

    target = tmp_path / "restored" / "thbscan.db"
    restored = ok_json("restore", "--db", f"sqlite:///{target}", "--from", str(backup))
    assert restored["tables"] == tables
    assert restored["needs_upgrade"] is False
    assert integrity(target) == ["ok"]
    assert counts(f"sqlite:///{target}")["listings"] == tables["listings"]

    # the restored database has rows now: a second restore is refused without --force
    again = thbscan("restore", "--db", f"sqlite:///{target}", "--from", str(backup))
    assert again.returncode == 2
    assert "is not empty" in again.stderr
    assert "--force" in again.stderr
    forced = ok_json("restore", "--db", f"sqlite:///{target}", "--from", str(backup), "--force")
    assert forced["tables"] == tables

    # and an existing backup file is not overwritten without --force
    refused = thbscan("backup", "--db", sqlite_url, "--out", str(backup))
    assert refused.returncode == 2
    assert "exists" in refused.stderr
    assert "--force" in refused.stderr


def test_restore_refuses_a_file_of_the_wrong_kind(tmp_path: Path, sqlite_url: str) -> None:
    engine = create_engine_for(sqlite_url)
    upgrade(engine)
    engine.dispose()
    backup = tmp_path / "b.sqlite"
    assert thbscan("backup", "--db", sqlite_url, "--out", str(backup)).returncode == 0
    # an SQLite backup into a PostgreSQL URL: refused before any connection is tried
    wrong = thbscan(
        "restore", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "--from", str(backup)
    )
    assert wrong.returncode == 2
    assert "is an SQLite backup but --db is a postgresql database" in wrong.stderr
    notes = tmp_path / "notes.txt"
    notes.write_text("not a backup\n", encoding="utf-8")
    garbage = thbscan("restore", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--from", str(notes))
    assert garbage.returncode == 2
    assert f"{notes} is neither an SQLite database nor a pg_dump" in garbage.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.fixture
def second_postgres_url(postgres_url: str) -> Iterator[str]:
    """Another fresh schema in the same database as ``postgres_url``'s."""
    import psycopg

    admin_url = postgres_url.split("?", 1)[0]
    schema = f"t_{secrets.token_hex(6)}"
    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{admin_url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.postgres
def test_postgres_dump_of_one_schema_restores_into_another(
    tmp_path: Path, postgres_url: str, second_postgres_url: str
) -> None:
    lines = tmp_path / "listings.jsonl"
    lines.write_text(
        "".join(
            json.dumps({"id": f"j{n}", "title": f"Job {n}", "text": f"Cleaning work, shift {n}"})
            + "\n"
            for n in range(5)
        ),
        encoding="utf-8",
    )
    assert (
        ok_json("ingest", "--jsonl", str(lines), "--source", "jobs", "--db", postgres_url)["new"]
        == 5
    )
    engine = create_engine_for(postgres_url)
    with session_factory(engine)() as session:
        for n in range(3):
            make_item(session, f"review-{n}")
        session.commit()
    engine.dispose()
    source = counts(postgres_url)
    assert source == {"listings": 8, "listing_versions": 8, "review_items": 3}

    dump = tmp_path / "thbscan.dump"
    taken = ok_json("backup", "--db", postgres_url, "--out", str(dump))
    assert taken["format"] == "pg_dump-custom"
    assert taken["schema"] == postgres_url.rsplit("%3D", 1)[1]
    assert taken["tables"]["listings"] == 8
    assert taken["tables"]["review_items"] == 3
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600

    restored = ok_json("restore", "--db", second_postgres_url, "--from", str(dump))
    assert restored["schema"] == second_postgres_url.rsplit("%3D", 1)[1]
    assert restored["from_schema"] == taken["schema"]
    assert restored["tables"] == taken["tables"]  # every table, row for row
    assert restored["needs_upgrade"] is False
    assert counts(second_postgres_url) == source

    # the restored schema stands on its own: new rows take its own sequences, and the
    # schema it came from is untouched
    engine = create_engine_for(second_postgres_url)
    with session_factory(engine)() as session:
        make_item(session, "after-restore")
        session.commit()
        assert session.scalar(select(func.max(Listing.id))) == 9
    engine.dispose()
    assert counts(second_postgres_url)["listings"] == 9
    assert counts(postgres_url) == source

    again = thbscan("restore", "--db", second_postgres_url, "--from", str(dump))
    assert again.returncode == 2
    assert "is not empty" in again.stderr
    assert "--force" in again.stderr
    assert counts(second_postgres_url)["listings"] == 9  # nothing was touched
    forced = ok_json("restore", "--db", second_postgres_url, "--from", str(dump), "--force")
    assert forced["tables"] == taken["tables"]
    assert counts(second_postgres_url) == source
