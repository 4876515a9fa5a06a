"""Scrapyd, for real: a scrapyd daemon on 127.0.0.1 schedules a crawl of the fixture site.

The daemon runs in a temporary folder holding ``scrapyd.conf`` (free port, every
directory in tmp) and a copy of the repository's ``scrapy.cfg``: started inside a
project folder, Scrapyd finds the project (``[settings] thbscan = ...``) without an
egg. The job gets its database through ``setting=THBSCAN_DATABASE_URL=...``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from crawlhelp import REPO
from sqlalchemy import func, select

from fixture_site import start_fixture_site
from review_queue.db import upgrade
from store import CrawlJob, Listing, create_engine_for

pytestmark = [pytest.mark.slow]

SCRAPYD = Path(sys.executable).with_name("scrapyd")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, path: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{path}", data=body, timeout=10) as resp:  # loopback
        return json.loads(resp.read())


@pytest.fixture
def scrapyd(tmp_path):
    pytest.importorskip("scrapyd", reason="scrapyd is not installed (pip install '.[scrapyd]')")
    try:
        import pkg_resources  # noqa: F401  (scrapyd 1.6 needs setuptools<81)
    except ImportError:
        pytest.skip("scrapyd needs pkg_resources: install setuptools<81")
    if not SCRAPYD.exists():
        pytest.skip(f"{SCRAPYD} not found")
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        f"items_dir = {home / 'items'}\n"
        "jobs_to_keep = 2\n"
        "finished_to_keep = 10\n"
        "poll_interval = 0.5\n"
        "max_proc = 1\n",
        encoding="utf-8",
    )
    (home / "scrapy.cfg").write_text(
        (REPO / "scrapy.cfg").read_text(encoding="utf-8"), encoding="utf-8"
    )
    env = {**os.environ, "THBSCAN_MODE": "test"}
    env.pop("THBSCAN_REDIS_URL", None)
    log = open(home / "scrapyd.out", "w+")  # noqa: SIM115
    proc = subprocess.Popen([str(SCRAPYD)], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _api(base, "daemonstatus.json").get("status") == "ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"scrapyd did not start:\n{log.read()[-3000:]}")
            time.sleep(0.2)
        yield base, home
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_scrapyd_schedules_a_crawl_that_stores_listings(tmp_path, scrapyd) -> None:
    base, home = scrapyd
    db = f"sqlite:///{tmp_path / 'scrapyd.db'}"
    engine = create_engine_for(db)
    upgrade(engine)
    engine.dispose()

    projects = _api(base, "listprojects.json")
    assert "thbscan" in projects["projects"], projects
    spiders = _api(base, "listspiders.json?project=thbscan")
    assert {"board", "jobposting"} <= set(spiders["spiders"]), spiders

    with start_fixture_site(n_jobs=0, n_ads=30) as site:
        scheduled = _api(
            base,
            "schedule.json",
            [
                ("project", "thbscan"),
                ("spider", "board"),
                ("source", "fixture-ads"),
                ("base_url", site.url),
                ("setting", f"THBSCAN_DATABASE_URL={db}"),
                ("setting", "LOG_LEVEL=INFO"),
            ],
        )
        assert scheduled["status"] == "ok", scheduled
        job = scheduled["jobid"]
        deadline = time.monotonic() + 120
        while True:
            jobs = _api(base, "listjobs.json?project=thbscan")
            finished = {j["id"]: j for j in jobs["finished"]}
            if job in finished:
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.5)
        fetched = [p for _m, p in site.requests if p.startswith("/ads/ad-")]

    log = home / "logs" / "thbscan" / "board" / f"{job}.log"
    text = log.read_text(encoding="utf-8") if log.exists() else "(no log)"
    assert len(fetched) == 30, text[-3000:]
    engine = create_engine_for(db)
    with engine.connect() as conn:
        stored = conn.execute(
            select(func.count()).select_from(Listing).where(Listing.source == "fixture-ads")
        ).scalar_one()
        runs = conn.execute(select(CrawlJob.source, CrawlJob.status, CrawlJob.items)).all()
    engine.dispose()
    assert stored == 30, text[-3000:]
    assert [(r.source, r.items) for r in runs] == [("fixture-ads", 30)], runs
    assert runs[0].status in ("finished", "ok", "completed"), runs
    assert "'finish_reason': 'finished'" in text
