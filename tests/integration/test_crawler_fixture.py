"""Crawling the fixture site: incremental re-crawls, removal, locks, stop switch, schedule."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from crawlhelp import REPO, last_json, run_thbscan, write_source
from sqlalchemy import select

from review_queue.db import CrawlJob, Listing, ListingVersion, create_engine_for, upgrade
from review_queue.db.models import AuditEvent
from thbscan.control import set_stopped
from thbscan.crawljobs import acquire_lock
from thbscan.fixture_site import start_fixture_site

pytestmark = pytest.mark.slow


def _engine(db: str):
    engine = create_engine_for(db)
    upgrade(engine)
    return engine


def test_recrawl_is_conditional_and_idempotent(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    with start_fixture_site(n_jobs=30, n_ads=0) as site:
        code, out, err, _ = run_thbscan("crawl", "fixture-jobs", "--base-url", site.url,
                                        "--db", db, "--json")
        assert code == 0, err[-3000:]
        first = last_json(out)["fixture-jobs"]
        assert first["new"] == 30 and first["robots_denied"] >= 1
        detail_fetches = sum(1 for m, p in site.requests if p.startswith("/jobs/job-"))
        code, out, err, _ = run_thbscan("crawl", "fixture-jobs", "--base-url", site.url,
                                        "--db", db, "--json")
        assert code == 0, err[-3000:]
        second = last_json(out)["fixture-jobs"]
    # every detail page answered 304: nothing downloaded again, nothing stored again
    assert second["not_modified"] == 30 and second["new"] == 0 and second["changed"] == 0
    assert second["removed"] == 0
    assert detail_fetches == 30
    engine = create_engine_for(db)
    with engine.connect() as conn:
        assert len(conn.execute(select(Listing.id)).all()) == 30
        assert len(conn.execute(select(ListingVersion.id)).all()) == 30
        version = conn.execute(select(ListingVersion)).first()
        assert version.final_url and version.content_sha256 and version.fetched_at
        jobs = conn.execute(select(CrawlJob.status, CrawlJob.pages, CrawlJob.stop_reason)).all()
    engine.dispose()
    assert [j.status for j in jobs] == ["finished", "finished"]

    # a smaller site: listings that disappeared are marked removed, not deleted
    with start_fixture_site(n_jobs=20, n_ads=0) as site:
        code, out, err, _ = run_thbscan("crawl", "fixture-jobs", "--base-url", site.url,
                                        "--db", db, "--json")
    assert code == 0, err[-3000:]
    assert last_json(out)["fixture-jobs"]["removed"] == 10
    engine = create_engine_for(db)
    with engine.connect() as conn:
        removed = conn.execute(select(Listing.id).where(Listing.removed_at.is_not(None))).all()
        assert len(removed) == 10
        assert len(conn.execute(select(Listing.id)).all()) == 30
    engine.dispose()


def test_sitemap_and_feed_sources(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    with start_fixture_site(n_jobs=12, n_ads=8) as site:
        code, out, err, _ = run_thbscan("crawl", "fixture-jobs-sitemap", "fixture-feed",
                                        "--base-url", site.url, "--db", db, "--json")
        assert code == 0, err[-3000:]
        result = last_json(out)
        assert result["fixture-jobs-sitemap"]["new"] == 12
        assert result["fixture-feed"]["new"] == 8
        # sitemap lastmod older than our fetch: the re-crawl skips detail pages entirely
        before = len(site.requests)
        code, out, err, _ = run_thbscan("crawl", "fixture-jobs-sitemap", "--base-url",
                                        site.url, "--db", db, "--json")
        assert code == 0, err[-3000:]
        again = last_json(out)["fixture-jobs-sitemap"]
        new_paths = [p for _m, p in site.requests[before:]]
    assert again["not_modified"] == 12 and again["new"] == 0
    assert not any(p.startswith("/jobs/job-") for p in new_paths)


def test_lock_stop_switch_and_schedule(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    engine = _engine(db)
    with start_fixture_site(n_jobs=10, n_ads=0) as site:
        from review_queue.db import session_factory

        sessions = session_factory(engine)
        with sessions() as session:
            assert acquire_lock(session, "fixture-jobs", max_runtime=60,
                                holder="otherhost:1") is None
        code, _out, err, _ = run_thbscan("crawl", "fixture-jobs", "--base-url", site.url,
                                         "--db", db)
        assert code == 4 and "already being crawled" in err
        with sessions() as session:
            from thbscan.crawljobs import release_lock

            release_lock(session, "fixture-jobs", "otherhost:1")
            set_stopped(session, True, actor="tester", reason="test")
            session.commit()
        code, _out, err, _ = run_thbscan("crawl", "fixture-jobs", "--base-url", site.url,
                                         "--db", db)
        assert code == 5 and "stop switch is on" in err
        code, _out, err, _ = run_thbscan("resume", "--reason", "done", "--db", db)
        assert code == 0, err
        # schedule run: only enabled sources with a due schedule run
        sources = tmp_path / "sources"
        write_source(sources, "due-jobs", 'spider = "jobposting"\nstart_urls = ["/jobs/"]\n'
                     'allow_private = true\n[links]\ndetail = "a.job-link::attr(href)"\n'
                     '[politeness]\ndownload_delay = 0\nconcurrency_per_domain = 4\n'
                     '[schedule]\nevery = "1h"\n')
        write_source(sources, "off-jobs", 'spider = "jobposting"\nstart_urls = ["/jobs/"]\n'
                     "enabled = false\n")
        args = ("schedule", "run", "--sources-dir", str(sources), "--base-url", site.url,
                "--db", db, "--json")
        code, out, err, _ = run_thbscan(*args)
        assert code == 0, err[-3000:]
        assert set(last_json(out)) == {"due-jobs"}
        code, out, err, _ = run_thbscan(*args)
        assert code == 0 and last_json(out) == {"due": []}

        write_source(sources, "slow-jobs", 'spider = "jobposting"\nstart_urls = ["/jobs/"]\n'
                     'allow_private = true\n[links]\ndetail = "a.job-link::attr(href)"\n'
                     '[politeness]\ndownload_delay = 3\n')
    engine.dispose()
    # the switch halts a running crawl within 60 s (polled every 5 s)
    with start_fixture_site(n_jobs=40, n_ads=0) as site:
        proc = subprocess.Popen(
            [sys.executable, "-m", "thbscan", "crawl", "slow-jobs", "--sources-dir",
             str(sources), "--base-url", site.url, "--db", db, "--json"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(6)
        code, _out, err, _ = run_thbscan("stop", "--reason", "halt test", "--by", "tester",
                                         "--db", db)
        assert code == 0, err
        start = time.monotonic()
        out, err = proc.communicate(timeout=60)
        assert time.monotonic() - start < 60
    assert proc.returncode == 5, err[-2000:]
    assert last_json(out)["slow-jobs"]["finish_reason"] == "stop_switch"
    engine = create_engine_for(db)
    with engine.connect() as conn:
        actions = [a for (a,) in conn.execute(select(AuditEvent.action))]
        job = conn.execute(select(CrawlJob).order_by(CrawlJob.id.desc())).first()
    engine.dispose()
    assert actions.count("crawl.stop_switch_on") == 2 and "crawl.stop_switch_off" in actions
    assert job.stop_reason == "stop_switch" and job.status == "stopped"
