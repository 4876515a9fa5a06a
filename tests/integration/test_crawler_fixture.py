"""Crawling the fixture site: incremental re-crawls, removal, locks, stop switch, schedule.

Kept fast: small fixture sites (the behaviour does not depend on their size), one
site shared by the tests that need no particular size, and the stop-switch crawl
paced at 0.25 s a page so that what is still queued when it stops drains quickly.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from crawlhelp import REPO, last_json, run_thbscan, write_source
from sqlalchemy import select

from fixture_site import start_fixture_site
from review_queue.db import upgrade
from review_queue.db.models import AuditEvent
from store import CrawlJob, Listing, ListingVersion, create_engine_for
from thbscan.crawling.records import acquire_lock
from thbscan.stop_switch import set_stopped

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_site():
    with start_fixture_site(n_jobs=8, n_ads=5) as site:
        yield site


def _engine(db: str):
    engine = create_engine_for(db)
    upgrade(engine)
    return engine


def test_recrawl_is_conditional_and_idempotent(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    with start_fixture_site(n_jobs=12, n_ads=0) as site:
        code, out, err, _ = run_thbscan(
            "crawl", "fixture-jobs", "--base-url", site.url, "--db", db, "--json"
        )
        assert code == 0, err[-3000:]
        first = last_json(out)["fixture-jobs"]
        assert first["new"] == 12 and first["robots_denied"] >= 1
        detail_fetches = sum(1 for m, p in site.requests if p.startswith("/jobs/job-"))
        code, out, err, _ = run_thbscan(
            "crawl", "fixture-jobs", "--base-url", site.url, "--db", db, "--json"
        )
        assert code == 0, err[-3000:]
        second = last_json(out)["fixture-jobs"]
    # every detail page answered 304: nothing downloaded again, nothing stored again
    assert second["not_modified"] == 12 and second["new"] == 0 and second["changed"] == 0
    assert second["removed"] == 0
    assert detail_fetches == 12
    engine = create_engine_for(db)
    with engine.connect() as conn:
        assert len(conn.execute(select(Listing.id)).all()) == 12
        assert len(conn.execute(select(ListingVersion.id)).all()) == 12
        version = conn.execute(select(ListingVersion)).first()
        assert version.final_url and version.content_sha256 and version.fetched_at
        jobs = conn.execute(select(CrawlJob.status, CrawlJob.pages, CrawlJob.stop_reason)).all()
    engine.dispose()
    assert [j.status for j in jobs] == ["finished", "finished"]

    # a smaller site: listings that disappeared are marked removed, not deleted
    with start_fixture_site(n_jobs=8, n_ads=0) as site:
        code, out, err, _ = run_thbscan(
            "crawl", "fixture-jobs", "--base-url", site.url, "--db", db, "--json"
        )
    assert code == 0, err[-3000:]
    assert last_json(out)["fixture-jobs"]["removed"] == 4
    engine = create_engine_for(db)
    with engine.connect() as conn:
        removed = conn.execute(select(Listing.id).where(Listing.removed_at.is_not(None))).all()
        assert len(removed) == 4
        assert len(conn.execute(select(Listing.id)).all()) == 12
    engine.dispose()


def test_sitemap_and_feed_sources(tmp_path, small_site) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    site = small_site
    code, out, err, _ = run_thbscan(
        "crawl",
        "fixture-jobs-sitemap",
        "fixture-feed",
        "--base-url",
        site.url,
        "--db",
        db,
        "--json",
    )
    assert code == 0, err[-3000:]
    result = last_json(out)
    assert result["fixture-jobs-sitemap"]["new"] == 8
    assert result["fixture-feed"]["new"] == 5
    # sitemap lastmod older than our fetch: the re-crawl skips detail pages entirely
    before = len(site.requests)
    code, out, err, _ = run_thbscan(
        "crawl", "fixture-jobs-sitemap", "--base-url", site.url, "--db", db, "--json"
    )
    assert code == 0, err[-3000:]
    again = last_json(out)["fixture-jobs-sitemap"]
    new_paths = [p for _m, p in site.requests[before:]]
    assert again["not_modified"] == 8 and again["new"] == 0
    assert any(p.startswith("/sitemap") for p in new_paths)  # the re-crawl did run
    assert not any(p.startswith("/jobs/job-") for p in new_paths)


def test_lock_stop_switch_and_schedule(tmp_path, small_site) -> None:
    # The stop-switch crawl (its own database and site) runs while the lock and schedule
    # checks run on another database: the two halves do not share any state.
    sources = tmp_path / "sources"
    write_source(
        sources,
        "slow-jobs",
        'spider = "jobposting"\nstart_urls = ["/jobs/"]\n'
        'allow_private = true\n[links]\ndetail = "a.job-link::attr(href)"\n'
        'next = "a.next::attr(href)"\n[politeness]\ndownload_delay = 2.0\n',
    )
    stop_db = f"sqlite:///{tmp_path / 'stop.db'}"
    _engine(stop_db).dispose()
    with start_fixture_site(n_jobs=100, n_ads=0) as slow:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "thbscan",
                "crawl",
                "slow-jobs",
                "--sources-dir",
                str(sources),
                "--base-url",
                slow.url,
                "--db",
                stop_db,
                "--json",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stopped: dict[str, object] = {}

        def stop_when_crawling() -> None:
            deadline = time.monotonic() + 60
            while not any(p.startswith("/jobs/job-") for _m, p in list(slow.requests)):
                if time.monotonic() > deadline or proc.poll() is not None:
                    return
                time.sleep(0.1)
            # the switch halts a running crawl within 60 s (polled every 5 s); requests
            # queued behind the 2 s politeness delay are dropped, not waited for.
            stopped["result"] = run_thbscan(
                "stop", "--reason", "halt test", "--by", "tester", "--db", stop_db
            )
            stopped["at"] = time.monotonic()

        stopper = threading.Thread(target=stop_when_crawling)
        stopper.start()
        try:
            _lock_and_schedule(tmp_path, small_site, sources)
            stopper.join(timeout=90)
            assert "result" in stopped, "the crawl did not start or the stop did not run"
            code, _out, err, _ = stopped["result"]  # type: ignore[misc]
            assert code == 0, err
            out, err = proc.communicate(timeout=60)
            assert time.monotonic() - stopped["at"] < 20  # type: ignore[operator]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
            stopper.join(timeout=90)
        fetched = sum(1 for _m, p in slow.requests if p.startswith("/jobs/job-"))
    assert proc.returncode == 5, err[-2000:]
    halted = last_json(out)["slow-jobs"]
    assert halted["finish_reason"] == "stop_switch"
    assert 0 < halted["items"] < 100 and fetched < 100  # stopped part-way
    engine = create_engine_for(stop_db)
    with engine.connect() as conn:
        actions = [a for (a,) in conn.execute(select(AuditEvent.action))]
        job = conn.execute(select(CrawlJob).order_by(CrawlJob.id.desc())).first()
    engine.dispose()
    assert actions.count("crawl.stop_switch_on") == 1
    assert job.stop_reason == "stop_switch" and job.status == "stopped"


def _lock_and_schedule(tmp_path, site, sources) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    engine = _engine(db)
    from store import session_factory

    sessions = session_factory(engine)
    with sessions() as session:
        assert acquire_lock(session, "fixture-jobs", max_runtime=60, holder="otherhost:1") is None
    code, _out, err, _ = run_thbscan("crawl", "fixture-jobs", "--base-url", site.url, "--db", db)
    assert code == 4 and "already being crawled" in err
    with sessions() as session:
        from thbscan.crawling.records import release_lock

        release_lock(session, "fixture-jobs", "otherhost:1")
        set_stopped(session, True, actor="tester", reason="test")
        session.commit()
    code, _out, err, _ = run_thbscan("crawl", "fixture-jobs", "--base-url", site.url, "--db", db)
    assert code == 5 and "stop switch is on" in err
    code, _out, err, _ = run_thbscan("resume", "--reason", "done", "--db", db)
    assert code == 0, err
    # schedule run: only enabled sources with a due schedule run
    write_source(
        sources,
        "due-jobs",
        'spider = "jobposting"\nstart_urls = ["/jobs/"]\n'
        'allow_private = true\n[links]\ndetail = "a.job-link::attr(href)"\n'
        "[politeness]\ndownload_delay = 0\nconcurrency_per_domain = 4\n"
        '[schedule]\nevery = "1h"\n',
    )
    write_source(
        sources, "off-jobs", 'spider = "jobposting"\nstart_urls = ["/jobs/"]\nenabled = false\n'
    )
    # slow-jobs (the stop-switch crawl) has the default schedule: due as well, so the
    # schedule run uses a directory of its own
    schedule_dir = tmp_path / "schedule"
    schedule_dir.mkdir()
    for name in ("due-jobs", "off-jobs"):
        (schedule_dir / f"{name}.toml").write_text((sources / f"{name}.toml").read_text())
    args = (
        "schedule",
        "run",
        "--sources-dir",
        str(schedule_dir),
        "--base-url",
        site.url,
        "--db",
        db,
        "--json",
    )
    code, out, err, _ = run_thbscan(*args)
    assert code == 0, err[-3000:]
    ran = last_json(out)
    assert set(ran) == {"due-jobs"} and ran["due-jobs"]["new"] == 8
    code, out, err, _ = run_thbscan(*args)
    assert code == 0 and last_json(out) == {"due": []}
    with engine.connect() as conn:
        actions = [a for (a,) in conn.execute(select(AuditEvent.action))]
    engine.dispose()
    assert actions.count("crawl.stop_switch_on") == 1 and "crawl.stop_switch_off" in actions
