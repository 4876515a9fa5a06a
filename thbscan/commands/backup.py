"""``thbscan backup`` and ``thbscan restore``: a database to a file and back.

SQLite: Python's ``sqlite3`` online backup API (``Connection.backup``) copies the database
in one step, that is from one read transaction: one consistent snapshot, while other
processes go on writing (WAL mode never blocks them). The copy is checked with
``PRAGMA integrity_check`` before it replaces ``--out``, and is itself an SQLite database.

PostgreSQL: ``pg_dump --format=custom`` of the URL's schema, and ``pg_restore`` back into
the URL's schema (:mod:`thbscan.commands.pg_backup`).

Both print the row count of every table, of the backup as taken and of the database as
restored: comparing them is how a restore is tested (docs/operations.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from review_queue.db.migrate import declared_head
from thbscan import config
from thbscan.commands.backup_common import (
    VERSION_TABLE,
    BackupError,
    Refused,
    private_tmp,
    quote,
    refuse_if_not_empty,
)
from thbscan.commands.common import emit_json, err
from thbscan.commands.pg_backup import PG_MAGIC, pg_backup, pg_restore

SQLITE_MAGIC = b"SQLite format 3\x00"


def run_backup(args: argparse.Namespace) -> int:
    out = Path(args.out).expanduser()
    try:
        url = _url(config.database_url(args.db))
        if out.is_dir():
            raise Refused(f"--out {out} is a directory: give the backup file's path")
        if out.exists() and not args.force:
            raise Refused(
                f"--out {out} exists: give a new file name (e.g. with the date), or pass "
                "--force to overwrite it"
            )
        if not out.parent.is_dir():
            raise Refused(f"--out {out}: the directory {out.parent} does not exist: create it")
        if url.get_backend_name() == "sqlite":
            database = _sqlite_file(url)
            if out.resolve() == database.resolve():
                raise Refused(f"--out {out} is the database itself: give another file")
            result = sqlite_backup(database, out)
        else:
            result = pg_backup(url, out)
    except BackupError as exc:
        err(str(exc))
        return exc.code
    result = {"database": url.render_as_string(hide_password=True), "backup": str(out), **result}
    if args.json:
        emit_json(result)
    else:
        where = f", schema {result['schema']}" if result.get("schema") else ""
        print(
            f"backup of {result['database']}{where} written to {out} ({result['format']}, "
            f"{result['bytes']} bytes, schema revision {result['revision']})"
        )
        print(f"rows: {_counts_line(result['tables'])}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    source = Path(args.source).expanduser()
    try:
        url = _url(config.database_url(args.db))
        kind = backup_kind(source)
        backend = url.get_backend_name()
        if kind != backend:
            want = "sqlite:///FILE" if kind == "sqlite" else "postgresql+psycopg://..."
            raise Refused(
                f"{source} is {'an SQLite' if kind == 'sqlite' else 'a PostgreSQL'} backup "
                f"but --db is a {backend} database: restore it into a {want} URL"
            )
        if kind == "sqlite":
            target = _sqlite_file(url)
            if target.resolve() == source.resolve():
                raise Refused(f"--from {source} is the target database itself")
            result = sqlite_restore(source, target, force=args.force)
        else:
            result = pg_restore(source, url, force=args.force)
    except BackupError as exc:
        err(str(exc))
        return exc.code
    safe = url.render_as_string(hide_password=True)
    head = declared_head()
    upgrade = result["revision"] != head and head is not None
    result = {
        "database": safe,
        "backup": str(source),
        **result,
        "newest_revision": head,
        "needs_upgrade": upgrade,
    }
    if args.json:
        emit_json(result)
    else:
        where = f", schema {result['schema']}" if result.get("schema") else ""
        print(f"restored {source} into {safe}{where} (schema revision {result['revision']})")
        print(f"rows: {_counts_line(result['tables'])}")
        if upgrade:
            print(
                f"the schema is older than this thbscan's ({head}): run "
                f"`thbscan db upgrade --db {safe}` before starting thbscan on it"
            )
    return 0


# -- SQLite -------------------------------------------------------------------------------


def sqlite_backup(database: Path, out: Path) -> dict[str, Any]:
    """Copy ``database`` to ``out`` in one consistent snapshot; check the copy first."""
    if not database.is_file():
        raise Refused(
            f"database file {database} does not exist: check --db or THBSCAN_DATABASE_URL"
        )
    with private_tmp(out) as tmp:
        try:
            with _sqlite(database) as src, _sqlite(tmp) as dst:
                if not _has_table(src, VERSION_TABLE):
                    raise Refused(
                        f"{database} holds no thbscan schema ({VERSION_TABLE} missing): check --db"
                    )
                # pages=-1: the whole database in one step, i.e. from one read transaction
                src.backup(dst, pages=-1)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                _integrity(dst, f"the copy of {database}")
                tables, revision = table_counts(dst), _revision(dst)
        except sqlite3.Error as exc:
            raise BackupError(f"cannot back up {database}: {exc}") from None
        os.replace(tmp, out)
    return {
        "format": "sqlite",
        "bytes": out.stat().st_size,
        "revision": revision,
        "integrity": "ok",
        "tables": tables,
    }


def sqlite_restore(backup: Path, target: Path, *, force: bool) -> dict[str, Any]:
    """Copy the SQLite ``backup`` over ``target`` (with the backup API, so that a WAL
    database and its side files stay consistent); refuse a target with rows."""
    try:
        with _sqlite(backup, read_only=True) as src:
            _integrity(src, str(backup))
            if not _has_table(src, VERSION_TABLE):
                raise Refused(f"{backup} is not a thbscan backup ({VERSION_TABLE} missing)")
            if target.exists():
                with _sqlite(target) as existing:
                    refuse_if_not_empty(table_counts(existing), target, force)
            target.parent.mkdir(parents=True, exist_ok=True)
            with _sqlite(target) as dst:
                src.backup(dst, pages=-1)
                dst.execute("PRAGMA journal_mode=WAL")  # as thbscan keeps it
                _integrity(dst, f"the restored {target}")
                tables, revision = table_counts(dst), _revision(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot restore {backup} into {target}: {exc}") from None
    return {"format": "sqlite", "revision": revision, "integrity": "ok", "tables": tables}


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {
        name: int(conn.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0])
        for name in names
    }


@contextlib.contextmanager
def _sqlite(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    if read_only:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
    else:
        conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        yield conn
    finally:
        conn.close()


def _integrity(conn: sqlite3.Connection, what: str) -> None:
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if rows != ["ok"]:
        raise BackupError(f"{what} fails SQLite's integrity check: {'; '.join(rows[:5])}")


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None


def _revision(conn: sqlite3.Connection) -> str | None:
    if not _has_table(conn, VERSION_TABLE):
        return None
    rows = conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


# -- shared -------------------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    """``"sqlite"`` or ``"postgresql"``, by the file's first bytes."""
    if not path.is_file():
        raise Refused(f"backup file {path} does not exist: give the file `thbscan backup` wrote")
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise Refused(f"cannot read backup file {path}: {exc}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise Refused(
        f"{path} is neither an SQLite database nor a pg_dump custom-format archive: give a "
        "file `thbscan backup` wrote"
    )


def _url(value: str) -> URL:
    try:
        url = make_url(value)
    except ArgumentError:
        raise Refused(
            f"{value!r} is not a database URL: use e.g. sqlite:///thbscan.db or "
            "postgresql+psycopg://user@127.0.0.1:5432/thbscan"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise Refused(f"database backend {url.get_backend_name()!r}: use sqlite or postgresql")
    return url


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise Refused("an in-memory SQLite database has nothing to back up or restore into")
    return Path(url.database).expanduser()


def _counts_line(tables: dict[str, int]) -> str:
    return ", ".join(f"{t} {n}" for t, n in tables.items()) or "no tables"
