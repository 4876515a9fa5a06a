"""Shared fixtures: databases (SQLite and the real PostgreSQL), the fixture site."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("THBSCAN_MODE", "test")

PG_ADMIN_URL = os.environ.get(
    "THBSCAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reason() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install '.[postgres]')"
    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL at {dsn} is not reachable ({exc.__class__.__name__})"
    return None


@pytest.fixture(scope="session")
def postgres_available() -> None:
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'thbscan.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run a test on SQLite and, where it is reachable, on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'thbscan.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def migrated_engine(db_url: str):
    from review_queue.db import upgrade
    from store import create_engine_for

    engine = create_engine_for(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def catalogue():
    """The shipped indicator catalogue, loaded once per test run."""
    from indicator_lists import load_catalogue

    return load_catalogue()


@pytest.fixture(scope="session")
def compiled(catalogue):
    """The shipped catalogue compiled for the matcher, with the scorer's settings."""
    from indicator_lists.compile import compile_catalogue
    from nlp.scorer import load_scoring_config

    config = load_scoring_config()
    return compile_catalogue(
        catalogue,
        evidence_scale=float(config["evidence_scale"]),
        threshold=float(config["threshold"]),
        bands=dict(config["bands"]),
    )


@pytest.fixture(scope="session")
def engine(compiled):
    """The reference matcher on the shipped catalogue."""
    from indicator_lists.matcher import Engine

    return Engine(compiled)


@pytest.fixture(scope="session")
def scorer(catalogue):
    """The scorer on the shipped catalogue, without a text model."""
    from nlp.scorer import Scorer

    return Scorer(catalogue)


@pytest.fixture(scope="module")
def fixture_site():
    from fixture_site import start_fixture_site

    site = start_fixture_site("127.0.0.1", 0)
    yield site
    site.stop()


@pytest.fixture(scope="session")
def private_postgres():
    """A PostgreSQL cluster of this test session alone, on a free port of 127.0.0.1, that a
    test may stop and restart (never the shared server on 5432); deleted at the end.
    Skipped with the reason when it cannot be made (no Debian postgresql, no runuser)."""
    from pg_cluster import ClusterUnavailable, start_cluster

    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install '.[postgres]')")
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        pytest.skip(f"no private PostgreSQL cluster: {exc}")
    try:
        yield cluster
    finally:
        cluster.destroy()
