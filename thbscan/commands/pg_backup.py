"""``thbscan backup`` and ``restore`` on PostgreSQL: ``pg_dump`` and ``pg_restore``.

The backup is ``pg_dump --format=custom`` of one schema: the first schema of the URL's
``options=-csearch_path=...`` (as the tests and a shared server use), else the
connection's current schema (``public`` as a rule). pg_dump runs on a snapshot exported
from a REPEATABLE READ transaction, and the row counts it prints are read in that same
transaction: they are exactly the archive's.

The restore turns the archive into SQL with ``pg_restore --file=-`` and runs it with
``psql --single-transaction``: all or nothing. pg_dump names every object with its schema;
when the target schema differs from the archive's, those names are rewritten (outside
the COPY data, which is passed through untouched), so a backup can be restored next to the
live schema to test it. The password goes to the tools in ``PGPASSWORD``, never on their
command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from thbscan import config
from thbscan.commands.backup_common import (
    VERSION_TABLE,
    BackupError,
    Refused,
    private_tmp,
    quote,
    refuse_if_not_empty,
)

PG_MAGIC = b"PGDMP"
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*(\S+)")
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) \S+", re.M)
_CLIENT_HINT = (
    "install the PostgreSQL client of the server's version or newer (Debian: apt "
    "install postgresql-client)"
)


def pg_backup(url: URL, out: Path) -> dict[str, Any]:
    """Dump the URL's schema to ``out`` (custom format); its row counts, of the same
    snapshot."""
    pg_dump, lister = _tool("pg_dump"), _tool("pg_restore")
    conninfo, env = libpq(url)
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                schema = _schema(url, conn)
                tables = _counts(conn, schema)
                if VERSION_TABLE not in tables:
                    raise Refused(
                        f"schema {schema} of {_safe(url)} holds no thbscan schema "
                        f"({VERSION_TABLE} missing): check --db and its search_path"
                    )
                revision = _revision(conn, schema)
                with private_tmp(out) as tmp:
                    _run(
                        [
                            pg_dump,
                            "--format=custom",
                            f"--schema={schema}",
                            f"--snapshot={snapshot}",
                            "--no-password",
                            f"--file={tmp}",
                            f"--dbname={conninfo}",
                        ],
                        env,
                        "pg_dump",
                    )
                    _run([lister, "--list", str(tmp)], env, "pg_restore --list")  # reads back
                    os.replace(tmp, out)
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot read {_safe(url)}: {_reason(exc)}") from None
    finally:
        engine.dispose()
    return {
        "format": "pg_dump-custom",
        "schema": schema,
        "bytes": out.stat().st_size,
        "revision": revision,
        "tables": tables,
    }


def pg_restore(dump: Path, url: URL, *, force: bool) -> dict[str, Any]:
    """Restore the archive ``dump`` into the URL's schema in one transaction; refuse a
    schema that holds rows unless ``force`` (its tables are then replaced)."""
    restorer, psql = _tool("pg_restore"), _tool("psql")
    conninfo, env = libpq(url)
    source = dump_schema(_run([restorer, "--list", str(dump)], env, "pg_restore --list"), dump)
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            target = _schema(url, conn)
            existing = _counts(conn, target)
            views = _names(conn, "SELECT viewname FROM pg_views WHERE schemaname = :s", target)
            sequences = _names(
                conn,
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s",
                target,
            )
        refuse_if_not_empty(existing, f"{_safe(url)} (schema {target})", force)
        prelude = (
            [f"CREATE SCHEMA IF NOT EXISTS {target};"]
            + [f"DROP VIEW IF EXISTS {target}.{quote(v)} CASCADE;" for v in views]
            + [f"DROP TABLE IF EXISTS {target}.{quote(t)} CASCADE;" for t in existing]
            + [f"DROP SEQUENCE IF EXISTS {target}.{quote(s)} CASCADE;" for s in sequences]
        )
        _restore_script(restorer, psql, dump, conninfo, env, prelude, source, target)
        with engine.connect() as conn:
            tables, revision = _counts(conn, target), _revision(conn, target)
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot use {_safe(url)}: {_reason(exc)}") from None
    finally:
        engine.dispose()
    return {
        "format": "pg_dump-custom",
        "schema": target,
        "from_schema": source,
        "revision": revision,
        "tables": tables,
    }


def relocate(lines: Iterable[bytes], source: str, target: str) -> Iterator[bytes]:
    """pg_restore's SQL with the schema ``source`` renamed ``target``, for a target schema
    that exists: its ``CREATE SCHEMA`` and schema comments are left out; COPY data and psql
    meta-commands pass unchanged."""
    qualified = re.compile(rb"(?<![\w$\"])" + re.escape(source.encode()) + rb"\.")
    create = b"CREATE SCHEMA " + source.encode() + b";"
    new = target.encode() + b"."
    in_copy = False
    for line in lines:
        if in_copy:
            in_copy = line.rstrip(b"\r\n") != b"\\."
            yield line
            continue
        if line.startswith(b"\\"):
            yield line
            continue
        bare = line.rstrip()
        if bare == create or line.startswith(b"COMMENT ON SCHEMA "):
            continue
        if source != target:
            line = qualified.sub(new, line)
        in_copy = line.startswith(b"COPY ") and bare.endswith(b"FROM stdin;")
        yield line


def dump_schema(toc: str, dump: Path) -> str:
    """The one schema whose tables the archive holds (from ``pg_restore --list``)."""
    schemas = sorted(set(_TOC_TABLE.findall(toc)))
    if len(schemas) != 1:
        raise Refused(
            f"{dump} holds tables of {len(schemas)} schemas ({', '.join(schemas) or 'none'}): "
            "give an archive `thbscan backup` wrote (one schema)"
        )
    return _plain(schemas[0], f"the schema in {dump}")


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the URL without its password, and an environment
    with the password in ``PGPASSWORD``."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {
        key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()
    }
    for key, value in (
        ("host", url.host),
        ("port", url.port),
        ("user", url.username),
        ("dbname", url.database),
    ):
        if value is not None:
            params[key] = str(value)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo("", **params), env


def url_schema(url: URL) -> str | None:
    """The first schema of the URL's ``options=-csearch_path=...``, if it names one."""
    options = url.query.get("options")
    if options is None:
        return None
    option = options if isinstance(options, str) else options[-1]
    found = _SEARCH_PATH.search(option)
    if not found:
        return None
    first = found.group(1).split(",")[0].strip().strip('"')
    return first if first and first != "$user" else None


def _schema(url: URL, conn: Connection) -> str:
    schema = url_schema(url) or conn.execute(text("SELECT current_schema()")).scalar()
    if not schema:
        raise Refused(
            f"{_safe(url)} has no current schema: create it, or name one in the URL with "
            "?options=-csearch_path%3DSCHEMA"
        )
    return _plain(str(schema), f"the schema of {_safe(url)}")


def _plain(schema: str, what: str) -> str:
    if not _PLAIN_NAME.fullmatch(schema):
        raise Refused(
            f"{what} is {schema!r}: backup and restore take plain lower-case schema names "
            "(a-z, 0-9, _)"
        )
    return schema


def _counts(conn: Connection, schema: str) -> dict[str, int]:
    tables = _names(
        conn,
        "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = :s ORDER BY tablename",
        schema,
    )
    return {
        t: int(conn.execute(text(f"SELECT count(*) FROM {schema}.{quote(t)}")).scalar_one())
        for t in tables
    }


def _names(conn: Connection, sql: str, schema: str) -> list[str]:
    return [str(n) for n in conn.execute(text(sql), {"s": schema}).scalars()]


def _revision(conn: Connection, schema: str) -> str | None:
    if not _names(
        conn,
        f"SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = :s "
        f"AND tablename = '{VERSION_TABLE}'",
        schema,
    ):
        return None
    rows = conn.execute(text(f"SELECT version_num FROM {schema}.{VERSION_TABLE}")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def _restore_script(
    restorer: str,
    psql: str,
    dump: Path,
    conninfo: str,
    env: dict[str, str],
    prelude: list[str],
    source: str,
    target: str,
) -> None:
    """``pg_restore --file=-`` piped, relocated, into ``psql --single-transaction``."""
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        producer = subprocess.Popen(
            [restorer, "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=restore_err,
            env=env,
        )
        consumer = subprocess.Popen(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                "--no-password",
                f"--dbname={conninfo}",
                "--file=-",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        assert producer.stdout is not None and consumer.stdin is not None
        try:
            consumer.stdin.write(("\n".join(prelude) + "\n").encode())
            for line in relocate(producer.stdout, source, target):
                consumer.stdin.write(line)
            consumer.stdin.close()
        except BrokenPipeError:
            pass  # psql stopped at an error (and rolled back): its message is read below
        finally:
            producer.stdout.close()
        produced, consumed = producer.wait(), consumer.wait()
        if consumed != 0:
            raise BackupError(
                f"restore failed and was rolled back: psql: {_tail(psql_err)}"
                + (f"; pg_restore: {_tail(restore_err)}" if produced else "")
            )
        if produced != 0:
            raise BackupError(f"pg_restore failed: {_tail(restore_err)}")


def _tail(file: IO[bytes]) -> str:
    file.seek(0)
    message = " ".join(file.read().decode("utf-8", "replace").split())
    return message[-2000:] or "no message"


def _run(argv: list[str], env: dict[str, str], what: str) -> str:
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        message = " ".join(proc.stderr.split())[-2000:] or "no message"
        raise BackupError(f"{what} failed (exit status {proc.returncode}): {message}")
    return proc.stdout


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on PATH: {_CLIENT_HINT}")
    return path


def _engine(url: URL) -> Engine:
    return config.engine_for(
        url.render_as_string(hide_password=False), connect_args={"connect_timeout": 10}
    )


def _safe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _reason(exc: SQLAlchemyError) -> str:
    return " ".join(str(getattr(exc, "orig", None) or exc).split())
