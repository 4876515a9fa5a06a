"""PostgreSQL restarted mid-run: scoring and crawling ride it out with retries.

The server is a private cluster of this test session (``private_postgres``), never the
shared one on 5432. It is restarted as an operator restarts it (``pg_ctl -m fast``),
staying down for a while as a restart with a long checkpoint does: the transactions in
flight fail, and new connections are refused until it is back. The run must then finish
on its own, with every listing stored or scored exactly once; and a server that does not
come back ends a run with one clear message.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from faults import (
    check_crawled_once,
    check_scored_once,
    counter,
    crawl_args,
    kill_group,
    paced_source,
    start,
    wait_until,
)
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from fixture_site import generate_listings, start_fixture_site
from review_queue.db import Score, upgrade
from store import Listing, create_engine_for, session_factory
from store.errors import DatabaseUnavailable
from store.listings import ListingInput, store_listing
from store.reconnect import wait_on_connect, went_away

pytestmark = pytest.mark.postgres

DOWN = 2.0  # s the server stays down in a restart


def migrated(cluster) -> str:
    db = cluster.create_database()
    engine = create_engine_for(db)
    upgrade(engine)
    engine.dispose()
    return db


def test_scoring_survives_a_restart(private_postgres) -> None:
    db = migrated(private_postgres)
    listings = generate_listings(n_jobs=50, n_ads=30)
    engine = create_engine_for(db)
    with session_factory(engine).begin() as session:
        for x in listings:
            store_listing(session, ListingInput("archive", x.id, x.title, x.text))
    engine.dispose()
    scored = counter(db, Score)
    proc = start("score", "--db", db, "--json", "--quiet", "--workers", "1", "--batch-size", "5")
    try:
        wait_until(lambda: scored() >= 10, "10 listings were scored", proc)
        before = scored()
        private_postgres.restart(down_for=DOWN)
        out, err = proc.communicate(timeout=120)
    finally:
        kill_group(proc)
    assert before < len(listings), "the restart should land mid-run"
    assert proc.returncode == 0, err[-3000:]
    assert "went away" in err  # the run saw the restart, and said so
    assert json.loads(out.strip().splitlines()[-1])["scored"] == len(listings)
    check_scored_once(db, len(listings))


def test_a_crawl_survives_a_restart(private_postgres, tmp_path: Path) -> None:
    db = migrated(private_postgres)
    sources = paced_source(tmp_path / "sources")
    with start_fixture_site(n_jobs=40, n_ads=0) as site:
        paths = {path for path in site.ground_truth if path.startswith("/jobs/")}
        stored = counter(db, Listing)
        proc = start(*crawl_args(sources, site.url, db))
        try:
            wait_until(lambda: stored() >= 10, "10 listings were stored", proc)
            before = stored()
            private_postgres.restart(down_for=DOWN)
            out, err = proc.communicate(timeout=120)
        finally:
            kill_group(proc)
    assert before < len(paths), "the restart should land mid-run"
    assert proc.returncode == 0, err[-3000:]
    assert "went away" in err and "is back" in err
    report = json.loads(out.strip().splitlines()[-1])["paced-jobs"]
    assert report["status"] == "complete" and report["new"] == len(paths)
    assert check_crawled_once(db, paths) == [("finished", "finished", None)]


def test_a_server_that_does_not_come_back_ends_the_run_with_one_clear_message(
    private_postgres, caplog: pytest.LogCaptureFixture
) -> None:
    cluster = private_postgres
    engine = create_engine(cluster.url("postgres"), pool_pre_ping=True)
    wait_on_connect(engine, within=1.0)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # reached: from now on an outage is waited for
    engine.dispose()
    cluster.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="store.reconnect"):
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailable) as gone:
                engine.connect()
            waited = time.monotonic() - started
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailable):
                engine.connect()  # the same outage: no second wait
            again = time.monotonic() - started
    finally:
        cluster.start()
    message = str(gone.value)
    assert 1.0 <= waited < 5 and again < 0.5
    assert f"PostgreSQL at 127.0.0.1:{cluster.port} went away and did not come back " in message
    assert "within 1 s" in message and "\n" not in message
    assert not went_away(gone.value)  # given up: nothing runs again
    assert any("waiting up to 1 s" in r.getMessage() for r in caplog.records)
    with engine.connect() as conn:  # back: connections work again
        assert conn.scalar(text("SELECT 1")) == 1
    engine.dispose()

    never = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port + 1}/x")
    wait_on_connect(never, within=30)
    started = time.monotonic()
    with pytest.raises(OperationalError):  # never reached: a wrong address fails at once
        never.connect()
    assert time.monotonic() - started < 5


def test_an_operator_sets_how_long_commands_wait(private_postgres, monkeypatch) -> None:
    """THBSCAN_DB_RECONNECT_WITHIN is the wait of every engine a command or a crawl opens."""
    from thbscan import config

    cluster = private_postgres
    monkeypatch.setenv("THBSCAN_DB_RECONNECT_WITHIN", "0.5")
    engine = config.engine_for(cluster.url("postgres"))
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # reached: from now on an outage is waited for
    engine.dispose()
    cluster.stop()
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable, match=r"did not come back within 0\.5 s"):
            engine.connect()
        waited = time.monotonic() - started
    finally:
        cluster.start()
    assert 0.5 <= waited < 4
    with engine.connect() as conn:  # back
        assert conn.scalar(text("SELECT 1")) == 1
    engine.dispose()


def test_the_review_ui_answers_503_while_the_database_is_down(private_postgres) -> None:
    """A page view waits a few seconds for a server that went away, then says so (503)
    instead of hanging for the minute a batch job waits; a decision form's text is shown
    back; once the server is back, pages work again without restarting thbscan serve."""
    import re

    import httpx
    from test_serve_proxy import free_port

    from review_queue.services.users import add_user

    db = migrated(private_postgres)
    engine = create_engine_for(db)
    with session_factory(engine).begin() as session:
        add_user(session, "ana", "analyst", "correct horse battery staple")
    engine.dispose()
    port = free_port()
    server = start("serve", "--db", db, "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(base), "the server is up", server)
        with httpx.Client(base_url=base, timeout=60) as client:
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
            assert token
            signed_in = client.post(
                "/login",
                data={"name": "ana", "password": "correct horse battery staple",
                      "csrf_token": token.group(1)},
            )  # fmt: skip
            assert signed_in.status_code == 303
            queue = client.get("/queue")
            assert queue.status_code == 200
            csrf = re.search(r'name="csrf_token" value="([^"]*)"', queue.text)
            assert csrf
            private_postgres.stop()
            try:
                started = time.monotonic()
                down = client.get("/queue")
                waited = time.monotonic() - started
                assert down.status_code == 503, down.text[:500]
                assert "cannot be reached" in down.text
                assert waited < 30  # the web server's wait (5 s), not a batch job's minute
                health = client.get("/healthz")  # for monitors: JSON
                assert health.status_code == 503 and health.json()["database"] == "error"
                typed = "The recruiter keeps the passports: escalate to the lead."
                form = {"csrf_token": csrf.group(1), "action": "escalate", "reason": typed}
                decided = client.post("/items/7/decide", data=form)
                assert decided.status_code == 503
                assert typed in decided.text  # shown back to be copied
                assert "could not be kept" in decided.text
            finally:
                private_postgres.start()
            wait_until(lambda: client.get("/queue").status_code == 200, "pages work", server)
    finally:
        kill_group(server)


def _up(base: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
