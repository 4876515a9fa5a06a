"""Several machines scoring one PostgreSQL archive: each `thbscan score` is its own process,
as on its own machine. Batches are leased through the database, so every listing version
is scored exactly once, a dead worker's batch goes to a live one, and a hung worker's lease
runs out."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from cli_helpers import thbscan
from faults import check_scored_once
from sqlalchemy import func, select

from fixture_site import generate_listings
from review_queue.db import Score
from review_queue.db.models import LinkGroup, ListingLink, ReviewItem
from store import ListingVersion, create_engine_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def ingest(db: str, tmp_path: Path, n_jobs: int = 240, n_ads: int = 120) -> int:
    listings = generate_listings(n_jobs=n_jobs, n_ads=n_ads)
    path = tmp_path / "archive.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": x.id, "title": x.title, "text": x.text}) + "\n" for x in listings
        ),
        encoding="utf-8",
    )
    done = thbscan("ingest", "--jsonl", str(path), "--source", "archive", "--db", db, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["new"] == len(listings)
    return len(listings)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """The `thbscan score` processes a test starts; any still running at its end is killed."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)


def start(started: list[subprocess.Popen[str]], db: str, *args: str) -> subprocess.Popen[str]:
    """`thbscan score` in its own process group (its worker processes die with it)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "thbscan", "score", "--db", db, "--json", "--quiet", *args],
        env={**os.environ, "THBSCAN_MODE": "test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    started.append(proc)
    return proc


def finish(proc: subprocess.Popen[str]) -> tuple[int, dict, str]:
    out, errors = proc.communicate(timeout=120)
    report = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    return proc.returncode, report, errors


def dsn(db: str) -> str:
    return db.replace("postgresql+psycopg://", "postgresql://")


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def query(db: str, sql: str) -> int:
    with psycopg.connect(dsn(db), autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def scored(db: str) -> int:
    return query(db, "SELECT count(*) FROM scores")


def waiting_to_write(db: str) -> set[int]:
    """The server processes of workers whose batch is scored and whose write waits for the
    test's lock on the scores table."""
    with psycopg.connect(dsn(db), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_locks WHERE NOT granted AND relation = to_regclass('scores')"
        ).fetchall()
    return {row[0] for row in rows}


@contextmanager
def scores_held(db: str) -> Iterator[None]:
    """Hold the scores table against writes: a worker takes a batch, scores it, and waits
    to write it, holding its batch."""
    with psycopg.connect(dsn(db)) as conn:
        conn.execute("LOCK TABLE scores IN SHARE MODE")
        yield
        conn.commit()


def test_two_machines_score_one_archive_each_version_once(
    postgres_url: str, tmp_path: Path, started: list
) -> None:
    db = postgres_url
    listings = ingest(db, tmp_path, n_jobs=160, n_ads=80)
    with scores_held(db):  # both workers hold a batch before either writes one
        one = start(started, db, "--workers", "2", "--batch-size", "20")
        two = start(started, db, "--workers", "1", "--batch-size", "20")
        wait_until(lambda: len(waiting_to_write(db)) == 2, "both workers wait to write a batch")
        assert scored(db) == 0
    results = [finish(one), finish(two)]
    for code, report, errors in results:
        assert code == 0, errors[-3000:]
        assert "unique" not in errors.lower() and "Traceback" not in errors
        assert report["scored"] >= 20  # both did some of the work
    assert sum(report["scored"] for _c, report, _e in results) == listings
    check_scored_once(db, listings)

    engine = create_engine_for(db)
    with engine.connect() as conn:  # both linked, one after the other: no cluster twice
        groups = conn.scalar(select(func.count()).select_from(LinkGroup))
        links = conn.execute(select(ListingLink.listing_id)).scalars().all()
    engine.dispose()
    assert groups and len(links) == len(set(links))


def test_a_killed_workers_batch_goes_to_a_live_worker(
    postgres_url: str, tmp_path: Path, started: list
) -> None:
    db = postgres_url
    listings = ingest(db, tmp_path)
    first = start(started, db, "--workers", "1", "--batch-size", "20", "--no-link")
    wait_until(lambda: scored(db) >= 60, "the first worker committed some batches")
    with scores_held(db):
        wait_until(lambda: len(waiting_to_write(db)) == 1, "the first worker holds a batch")
        before = scored(db)
        assert before < listings
        second = start(started, db, "--workers", "1", "--batch-size", "20", "--no-link")
        wait_until(lambda: len(waiting_to_write(db)) == 2, "the second worker holds the next batch")
        os.killpg(first.pid, signal.SIGKILL)  # its connection closes: its batch is free
        first.wait(30)
    code, report, errors = finish(second)
    assert code == 0, errors[-3000:]
    # the second worker went past the dead worker's batch, then came back for it
    assert report["scored"] == listings - before
    check_scored_once(db, listings)


def test_a_hung_workers_lease_runs_out(postgres_url: str, tmp_path: Path, started: list) -> None:
    db = postgres_url
    listings = ingest(db, tmp_path, n_jobs=120, n_ads=60)
    hung = start(
        started, db, "--workers", "1", "--batch-size", "20", "--lease-timeout", "5", "--no-link"
    )
    wait_until(lambda: scored(db) >= 40, "the worker committed some batches")
    with scores_held(db):
        wait_until(lambda: len(waiting_to_write(db)) == 1, "the worker holds a batch")
        (backend,) = waiting_to_write(db)
        os.killpg(hung.pid, signal.SIGSTOP)  # hangs, its connection open
    before = scored(db)
    wait_until(
        lambda: query(db, f"SELECT count(*) FROM pg_stat_activity WHERE pid = {backend}") == 0,
        "the server ended the hung worker's transaction",
        seconds=30,
    )
    live = thbscan("score", "--db", db, "--json", "--quiet", "--workers", "1", "--no-link")
    assert live.returncode == 0, live.stderr[-3000:]
    assert json.loads(live.stdout)["scored"] == listings - before
    os.killpg(hung.pid, signal.SIGCONT)
    code, _report, errors = finish(hung)
    assert code == 1
    assert "lease ran out" in errors and "--lease-timeout" in errors
    check_scored_once(db, listings)


def test_linking_runs_on_one_machine_at_a_time(
    postgres_url: str, tmp_path: Path, started: list
) -> None:
    db = postgres_url
    ingest(db, tmp_path, n_jobs=12, n_ads=6)
    key = "hashtext('thbscan.after-scoring:' || current_schema())"
    with psycopg.connect(dsn(db), autocommit=True) as other:  # another machine is linking
        assert other.execute(f"SELECT pg_try_advisory_lock({key})").fetchone() == (True,)
        proc = start(started, db, "--workers", "1")
        wait_until(lambda: scored(db) == 18, "the archive is scored")
        time.sleep(1)
        assert proc.poll() is None, "linking should wait for the other machine"
        other.execute(f"SELECT pg_advisory_unlock({key})")
        code, report, errors = finish(proc)
    assert code == 0, errors[-3000:]
    assert "another `thbscan score` is linking this archive: waiting" in errors
    assert report["scored"] == 18 and report["linking"] is not None


def small_archive(db: str, n: int) -> list[int]:
    """``n`` stored listings; their version ids."""
    from review_queue.db import upgrade
    from store import session_factory
    from store.listings import ListingInput, store_listing

    engine = create_engine_for(db)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        for i in range(n):
            text = "Cook wanted. We keep your passport. Call +45 20 55 12 34."
            store_listing(session, ListingInput("test", f"ad-{i}", f"Cook {i}", text))
        ids = list(session.scalars(select(ListingVersion.id).order_by(ListingVersion.id)))
    engine.dispose()
    return ids


def test_leases_skip_held_rows_and_come_free_when_the_holder_ends(postgres_url: str) -> None:
    from review_queue.services.scores import lease_pending
    from store import session_factory

    v = small_archive(postgres_url, 10)
    engine = create_engine_for(postgres_url)
    sessions = session_factory(engine)
    a, b, c = sessions(), sessions(), sessions()

    def lease(session, size: int = 4, after: int = 0) -> list[int]:
        return [p.version_id for p in lease_pending(session, "k", batch_size=size, after=after)]

    try:
        assert lease(a) == v[0:4]
        assert lease(b) == v[4:8]  # a's rows are held: skipped
        assert lease(c) == v[8:10]
        assert lease(c) == v[8:10]  # its own rows, until its transaction ends
        c.rollback()
        a.rollback()  # as a dead worker's connection: its batch is free again
        assert lease(c, 10) == v[0:4] + v[8:10]
        b.add(
            Score(
                version_id=v[4],
                scorer_key="k",
                score=0.1,
                band="low",
                flagged=False,
                model_version="none",
            )
        )
        b.commit()  # b's batch is free, and one of it scored: never leased again
        c.rollback()
        assert lease(c, 10) == v[0:4] + v[5:10]
        assert lease(a, 10, after=v[5]) == []  # above v[5]: all held by c
    finally:
        for session in (a, b, c):
            session.close()
        engine.dispose()


def test_rescore_on_postgres_replaces_scores_beside_leases(postgres_url: str, scorer) -> None:
    """``--rescore`` reads every version (keyset) and locks each batch's rows before it
    writes, so it waits for a worker holding them instead of colliding with it."""
    from nlp.pseudonym import Pseudonymiser
    from review_queue.services.scores import lock_versions
    from store import session_factory
    from thbscan.scoring_job import ScoringReport, score_archive

    v = small_archive(postgres_url, 30)
    engine = create_engine_for(postgres_url)
    sessions = session_factory(engine, writer=True)
    pseudo = Pseudonymiser(b"k" * 32, "k1")
    first = score_archive(sessions, scorer, pseudo, batch_size=7, progress=False)
    assert first.scored == 30
    again = score_archive(sessions, scorer, pseudo, batch_size=7, progress=False)
    assert again.scored == 0
    holder = sessions()
    lock_versions(holder, v[:3])  # another writer holds some rows
    done: list[ScoringReport] = []
    rescore = threading.Thread(
        target=lambda: done.append(
            score_archive(sessions, scorer, pseudo, rescore=True, batch_size=7, progress=False)
        )
    )
    rescore.start()
    rescore.join(1.5)
    assert rescore.is_alive() and not done  # waits for them
    holder.commit()
    holder.close()
    rescore.join(60)
    assert done and done[0].scored == 30
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Score)) == len(v)
        items = conn.scalars(select(ReviewItem.version_id)).all()
    assert items and len(items) == len(set(items))
    engine.dispose()
