"""A scratch database for a benchmark: a new SQLite file, or a PostgreSQL schema of the
benchmark's own, emptied first."""

from __future__ import annotations

from pathlib import Path


def scratch_database(url: str | None, schema: str, directory: Path) -> str:
    """The URL to benchmark on: SQLite in ``directory`` without ``url``; with a PostgreSQL
    ``url``, that database with a new schema ``schema`` as its search path."""
    if url is None:
        return f"sqlite:///{directory / (schema + '.db')}"
    if not url.startswith("postgresql"):
        raise ValueError(f"--db {url}: give a postgresql+psycopg:// URL, or none for SQLite")
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
