"""Scrapyd, for real, as docs/crawler.md deploys to it.

One scrapyd daemon on 127.0.0.1 runs with the shipped ``deploy/scrapyd.conf`` (port and
folders in tmp) in a folder with no scrapy.cfg, so it knows no project until one is deployed.
``scrapyd-deploy`` builds the egg in the repository and uploads it; a crawl of the fixture
site is scheduled from that egg and must store its listings in the database, and nowhere
else: no items file, no listing text in any file Scrapyd keeps.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crawlhelp import REPO
from scrapyd_support import (
    Deployment,
    ScrapydDaemon,
    local_deploy_target,
    missing_reason,
    read_shipped_conf,
    running_scrapyd,
    scrapyd_deploy,
)
from sqlalchemy import func, select

from fixture_site import FixtureListing, start_fixture_site
from review_queue.db import upgrade
from store import CrawlJob, Listing, create_engine_for

pytestmark = [pytest.mark.slow]

PROJECT = "thbscan"
N_ADS = 30
OUR_PACKAGES = (
    "thbscan",
    "crawler",
    "store",
    "review_queue",
    "nlp",
    "models",
    "indicator_lists",
    "fixture_site",
)
# Imported by a crawl's pipelines and extensions, some only when the spider opens.
CRAWL_PATH = ("crawler", "thbscan.crawling", "store")


@dataclass(frozen=True)
class Deployed:
    daemon: ScrapydDaemon
    projects_before: list[str]
    deployment: Deployment


@dataclass(frozen=True)
class Crawl:
    job: dict[str, Any]  # the finished job's listjobs.json entry
    fetched: int  # detail pages the fixture site served
    stored: int  # listings of the source in the database
    runs: list[tuple[str, str, int]]  # crawl_jobs: source, status, items
    log: str
    listings: tuple[FixtureListing, ...]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("scrapyd")
    with running_scrapyd(tmp / "home") as daemon:
        before = daemon.api("listprojects.json")["projects"]
        yield Deployed(daemon, before, scrapyd_deploy(daemon, tmp / "config"))


def _crawl_ads(daemon: ScrapydDaemon, base_url: str, db: str) -> dict[str, Any]:
    """Schedule a crawl of the fixture site's ads from the deployed egg; its finished job."""
    scheduled = daemon.api(
        "schedule.json",
        [
            ("project", PROJECT),
            ("spider", "board"),
            ("source", "fixture-ads"),
            ("base_url", base_url),
            ("setting", f"THBSCAN_DATABASE_URL={db}"),
        ],
    )
    assert scheduled["status"] == "ok", scheduled
    return daemon.wait_finished(PROJECT, scheduled["jobid"])


@pytest.fixture(scope="module")
def crawl(deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    deployment = deployed.deployment
    answer = deployment.answer or {}
    if answer.get("status") != "ok":
        why = str(answer.get("message", ""))[-2000:] or deployment.stderr[-2000:]
        pytest.fail(f"the deploy failed, nothing to crawl with:\n{why}")
    daemon = deployed.daemon
    db = f"sqlite:///{tmp_path_factory.mktemp('db') / 'scrapyd.db'}"
    engine = create_engine_for(db)
    upgrade(engine)
    engine.dispose()
    with start_fixture_site(n_jobs=0, n_ads=N_ADS) as site:
        job = _crawl_ads(daemon, site.url, db)
        fetched = len([p for _m, p in site.requests if p.startswith("/ads/ad-")])
        listings = site.listings
    log_file = daemon.home / "logs" / PROJECT / "board" / f"{job['id']}.log"
    log = log_file.read_text(encoding="utf-8") if log_file.exists() else "(no log)"
    engine = create_engine_for(db)
    with engine.connect() as conn:
        stored = conn.execute(
            select(func.count()).select_from(Listing).where(Listing.source == "fixture-ads")
        ).scalar_one()
        runs = [
            (r.source, r.status, r.items)
            for r in conn.execute(select(CrawlJob.source, CrawlJob.status, CrawlJob.items))
        ]
    engine.dispose()
    return Crawl(job, fetched, stored, runs, log, listings)


def test_the_shipped_config_binds_loopback_and_disables_items() -> None:
    conf = read_shipped_conf()
    assert conf["bind_address"] == "127.0.0.1"
    assert conf.get("items_dir", "") == "", "items_dir must stay empty (off)"
    target = local_deploy_target()
    assert target["url"].startswith("http://127.0.0.1:"), target
    assert target["project"] == PROJECT


def test_scrapyd_deploy_uploads_an_egg_scrapyd_accepts(deployed: Deployed) -> None:
    daemon, deployment = deployed.daemon, deployed.deployment
    assert deployed.projects_before == [], "the daemon must know no project before the deploy"
    detail = f"{deployment.stdout}\n{deployment.stderr[-3000:]}"
    assert deployment.returncode == 0, detail
    answer = deployment.answer
    assert answer is not None, detail
    assert answer["status"] == "ok", answer
    assert answer["project"] == PROJECT
    assert answer["spiders"] >= 3, answer
    assert daemon.api("listprojects.json")["projects"] == [PROJECT]
    assert daemon.api(f"listversions.json?project={PROJECT}")["versions"] == [answer["version"]]
    spiders = daemon.api(f"listspiders.json?project={PROJECT}")["spiders"]
    assert {"board", "jobposting", "feed"} <= set(spiders), spiders
    assert (daemon.home / "eggs" / PROJECT / f"{answer['version']}.egg").is_file()


_EGG_CHECK = """
import json, os, sys
from scrapyd.runner import activate_egg

egg, ours, walk = sys.argv[1], tuple(sys.argv[2].split(",")), sys.argv[3].split(",")
activate_egg(egg)  # as Scrapyd's runner does for every job
from scrapy.utils.misc import load_object, walk_modules
from scrapy.utils.project import get_project_settings

settings = get_project_settings()
for module in [*settings.getlist("SPIDER_MODULES"), *walk]:
    walk_modules(module)
for name in settings.attributes:
    value = settings[name]
    paths = value if isinstance(value, dict) else [value]
    for path in paths:
        if isinstance(path, str) and path.split(".")[0] in ours and "." in path:
            load_object(path)
loaded = {
    name: getattr(module, "__file__", None) or ""
    for name, module in list(sys.modules.items())
    if name.split(".")[0] in ours
}
print(json.dumps({
    "settings_module": os.environ.get("SCRAPY_SETTINGS_MODULE"),
    "packages": sorted({name.split(".")[0] for name in loaded}),
    "outside": sorted(n for n, f in loaded.items() if f and not f.startswith(egg + os.sep)),
}))
"""


def _package_files(package: str, suffixes: set[str]) -> set[str]:
    root = REPO / package
    return {
        path.relative_to(REPO).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in suffixes
    }


def test_the_egg_holds_every_module_and_data_file_the_crawl_loads(deployed: Deployed) -> None:
    """The editable install would hide a package missing from the egg: check the egg alone."""
    answer = deployed.deployment.answer or {}
    assert answer.get("status") == "ok", deployed.deployment
    egg = deployed.daemon.home / "eggs" / PROJECT / f"{answer['version']}.egg"
    done = subprocess.run(
        [sys.executable, "-c", _EGG_CHECK, str(egg), ",".join(OUR_PACKAGES), ",".join(CRAWL_PATH)],
        cwd=deployed.daemon.home,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["settings_module"] == "thbscan.crawling.scrapy_settings", found
    assert found["outside"] == [], "modules the crawl loads from outside the egg"
    assert {"thbscan", "crawler", "store"} <= set(found["packages"]), found
    with zipfile.ZipFile(egg) as archive:
        in_egg = set(archive.namelist())
    assert {f"{package}/__init__.py" for package in OUR_PACKAGES} <= in_egg
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["*"]
    suffixes = {".py"} | {Path(p).suffix for p in patterns}
    for package in OUR_PACKAGES:
        missing = sorted(_package_files(package, suffixes) - in_egg)
        assert missing == [], f"{package}: files not in the egg: {missing[:20]}"


def test_a_crawl_scheduled_from_the_egg_stores_listings(crawl: Crawl) -> None:
    tail = crawl.log[-3000:]
    assert crawl.fetched == N_ADS, tail
    assert crawl.stored == N_ADS, tail
    assert [(source, items) for source, _s, items in crawl.runs] == [("fixture-ads", N_ADS)]
    assert crawl.runs[0][1] in ("finished", "ok", "completed"), crawl.runs
    assert "'finish_reason': 'finished'" in crawl.log, tail
    assert f"'item_scraped_count': {N_ADS}" in crawl.log, tail


def test_a_crawl_leaves_no_listing_outside_the_database(crawl: Crawl, deployed: Deployed) -> None:
    """With items_dir set (Scrapyd's feed export), items/<project>/<spider>/<job>.jl appears."""
    assert crawl.stored == N_ADS, "the crawl stored nothing: this test would prove nothing"
    home = deployed.daemon.home
    files = [p for p in home.rglob("*") if p.is_file()]
    feeds = [p for p in files if p.suffix in {".jl", ".jsonl", ".json", ".csv", ".xml"}]
    assert feeds == [], "items files under the Scrapyd home"
    assert not any(p.name == "items" for p in home.rglob("*")), "an items folder"
    assert crawl.job.get("items_url") is None, crawl.job
    # Nothing Scrapyd keeps (logs, queues; the eggs are code) holds a listing's text.
    snippets = {listing.title for listing in crawl.listings if len(listing.title) >= 12}
    snippets |= {listing.paragraphs[0][:60] for listing in crawl.listings if listing.paragraphs}
    assert snippets
    eggs = home / "eggs"
    for path in files:
        if eggs in path.parents:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        leaked = sorted(s for s in snippets if s in text)
        assert leaked == [], f"{path.relative_to(home)} holds listing text: {leaked[:3]}"


def test_a_scrapyd_job_respects_the_source_lock(
    deployed: Deployed, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """While another run holds the source (here: a live holder on another machine), a
    Scrapyd job for it ends at once, fetching nothing, and says why in crawl_jobs."""
    from store import session_factory
    from thbscan.crawling.records import acquire_lock

    db = f"sqlite:///{tmp_path_factory.mktemp('lockdb') / 'locked.db'}"
    engine = create_engine_for(db)
    upgrade(engine)
    with session_factory(engine)() as session:
        assert acquire_lock(session, "fixture-ads", max_runtime=600, holder="otherhost:7") is None
    with start_fixture_site(n_jobs=0, n_ads=5) as site:
        _crawl_ads(deployed.daemon, site.url, db)
        fetched = [p for _m, p in site.requests if p != "/robots.txt"]
    with engine.connect() as conn:
        runs = conn.execute(select(CrawlJob.status, CrawlJob.stop_reason, CrawlJob.detail)).all()
    engine.dispose()
    assert fetched == []
    assert [tuple(r) for r in runs] == [("locked", "source_locked", "otherhost:7")]
