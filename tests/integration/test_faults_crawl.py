"""A crawl killed with SIGKILL while it stores listings, then crawled again (R28, R31).

A real ``thbscan crawl`` of the fixture site, paced so that the kill lands mid-run, on
SQLite and on the PostgreSQL server of 127.0.0.1: the next run finishes the job with no
listing or version stored twice, every listing of the site present, the database intact,
and the killed run's record closed (not "running" forever) without blocking the next run.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from faults import (
    check_crawled_once,
    counter,
    crawl_args,
    kill_group,
    paced_source,
    start,
    wait_until,
)
from sqlalchemy import select
from sqlalchemy.engine import make_url

from fixture_site import start_fixture_site
from review_queue.db import AuditEvent, upgrade
from store import Listing, create_engine_for

N_JOBS = 40


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crawl_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crawl.db'}"
    return request.getfixturevalue("postgres_url")


def test_a_crawl_killed_while_storing_is_finished_by_the_next_run(
    crawl_db: str, tmp_path: Path
) -> None:
    db = crawl_db
    engine = create_engine_for(db)
    upgrade(engine)
    engine.dispose()
    sources = paced_source(tmp_path / "sources")
    with start_fixture_site(n_jobs=N_JOBS, n_ads=0) as site:
        paths = {path for path in site.ground_truth if path.startswith("/jobs/")}
        args = crawl_args(sources, site.url, db)
        listings = counter(db, Listing)
        killed = start(*args)
        try:
            wait_until(lambda: listings() >= 10, "10 listings were stored", killed)
        finally:
            kill_group(killed)  # SIGKILL: no spider_closed, no lock released, no record
        at_kill = listings()
        assert 0 < at_kill < len(paths), "the kill should land while listings are stored"

        again = start(*args)
        try:
            out, err = again.communicate(timeout=120)
        finally:
            kill_group(again)
    assert again.returncode == 0, err[-3000:]
    report = json.loads(out.strip().splitlines()[-1])["paced-jobs"]
    assert report["status"] == "complete"
    # what the killed run stored is known (unchanged or not modified); the rest is new
    assert report["new"] == len(paths) - at_kill
    jobs = check_crawled_once(db, paths)
    # the killed run is closed as failed, saying why; the next one took its lock over
    assert [status for status, _reason, _detail in jobs] == ["failed", "finished"]
    _status, reason, detail = jobs[0]
    assert reason == "process_ended" and detail and "ended without recording" in detail
    engine = create_engine_for(db)
    with engine.connect() as conn:  # and audited, as an event of its own kind
        closed = (
            conn.execute(
                select(AuditEvent.details).where(AuditEvent.action == "crawl.dead_runs_closed")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert len(closed) == 1 and closed[0]["why"] == "process_ended" and len(closed[0]["runs"]) == 1
    if db.startswith("sqlite"):
        with sqlite3.connect(make_url(db).database or "") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_runs_without_a_lock_are_closed_by_their_recorded_process(tmp_path: Path) -> None:
    """Workers of a shared (Redis) frontier take no lock: each run records its process
    (host:pid), and a later run on the same machine closes the record of a run whose
    process is gone; live processes' runs, and other machines' runs, are left alone."""
    import socket
    import subprocess
    import sys

    from store import CrawlJob, session_factory
    from thbscan.crawling.records import lock_holder
    from thbscan.crawling.stale_runs import close_dead_runs

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_holder = f"{socket.gethostname()}:{gone.stdout.strip()}"
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    engine = create_engine_for(db)
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        for holder in (dead_holder, lock_holder(), "another-machine:4242", None):
            session.add(CrawlJob(source="shared", spider="jobs", holder=holder))
    with sessions() as session:
        closed = close_dead_runs(session, "shared")
    with sessions() as session:
        jobs = {j.holder: j for j in session.scalars(select(CrawlJob))}
        events = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "crawl.dead_runs_closed")
        ).all()
    engine.dispose()
    assert closed == [jobs[dead_holder].id]
    assert jobs[dead_holder].status == "failed"
    assert jobs[dead_holder].stop_reason == "process_ended"
    assert "ended without recording" in (jobs[dead_holder].detail or "")
    assert [jobs[h].status for h in (lock_holder(), "another-machine:4242", None)] == [
        "running"
    ] * 3
    assert events == [{"runs": closed, "previous_holder": dead_holder, "why": "process_ended"}]


def test_a_silent_run_on_any_machine_is_closed_by_its_heartbeat(tmp_path: Path) -> None:
    """A run beats a heartbeat into its record while it runs; a later run of the source, on
    any machine, closes the record of one silent for ten minutes (a Redis worker whose
    machine stopped), and leaves one that beat recently alone."""
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from scrapy.utils.test import get_crawler

    from store import CrawlJob, session_factory
    from thbscan.crawling.records import CrawlJobRecorder
    from thbscan.crawling.stale_runs import close_dead_runs

    db = f"sqlite:///{tmp_path / 'runs.db'}"
    engine = create_engine_for(db)
    upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        for holder, minutes in (("stopped-machine:17", 11), ("busy-machine:18", 2)):
            session.add(
                CrawlJob(
                    source="shared",
                    spider="jobs",
                    holder=holder,
                    heartbeat_at=now - timedelta(minutes=minutes),
                )
            )
    with sessions() as session:
        closed = close_dead_runs(session, "shared", now)
    with sessions() as session:
        jobs = {j.holder: j for j in session.scalars(select(CrawlJob))}
    assert closed == [jobs["stopped-machine:17"].id]
    assert jobs["stopped-machine:17"].status == "failed"
    assert "has not beaten its heartbeat since" in (jobs["stopped-machine:17"].detail or "")
    assert jobs["busy-machine:18"].status == "running"

    recorder = CrawlJobRecorder(db, get_crawler(settings_dict={"THBSCAN_DATABASE_URL": db}))
    recorder._opened(SimpleNamespace(name="jobs"))  # type: ignore[arg-type]
    with sessions.begin() as session:
        job = session.get(CrawlJob, recorder.job_id)
        assert job is not None and job.heartbeat_at is not None  # beats from the start
        job.heartbeat_at = now - timedelta(hours=1)
    recorder.beat()
    with sessions() as session:
        beat = session.get(CrawlJob, recorder.job_id).heartbeat_at
    recorder.engine.dispose()
    engine.dispose()
    assert beat is not None and beat > now - timedelta(minutes=1)
