"""``thbscan demo``: fixture site -> crawl -> score -> queue -> review UI, for real."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import time

from sqlalchemy import select

from crawler.sources import load_sources
from review_queue.db import User
from review_queue.services.scores import summary
from review_queue.services.users import add_user, set_password
from thbscan.commands.common import emit_json, open_db

DEMO_SOURCES = ("fixture-jobs", "fixture-ads")
DEMO_USER = "demo"
DEMO_DB = "sqlite:///thbscan-demo.db"


def _say(args: argparse.Namespace, message: str) -> None:
    if not args.json:
        print(message, file=sys.stderr, flush=True)


def run_demo(args: argparse.Namespace) -> int:
    from fixture_site import start_fixture_site
    from thbscan.assets import load_scorer
    from thbscan.crawling.runner import run_crawls
    from thbscan.linking import link_archive
    from thbscan.redaction import pseudonymiser
    from thbscan.scoring_job import score_archive

    os.environ["THBSCAN_MODE"] = "demo"  # fixed demo pseudonym key, generated secret key
    started = time.perf_counter()
    db = args.db or os.environ.get("THBSCAN_DATABASE_URL") or DEMO_DB
    engine, sessions = open_db(db, migrate=True)
    db_url = engine.url.render_as_string(hide_password=False)
    site = start_fixture_site("127.0.0.1", args.fixture_port)
    try:
        _say(args, f"[1/4] fixture site serving on {site.url}")
        sources = load_sources()
        selected = [sources[name].with_base_url(site.url) for name in DEMO_SOURCES]
        _say(args, f"[2/4] crawling {', '.join(DEMO_SOURCES)} (robots.txt obeyed)")
        stats = run_crawls(selected, db_url, overrides={"LOG_LEVEL": "WARNING"})
        for name, st in stats.items():
            _say(
                args,
                f"      {name}: {st.get('downloader/response_count', 0)} pages, "
                f"{st.get('item_scraped_count', 0)} listings, "
                f"{st.get('robotstxt/forbidden', 0)} URLs refused by robots.txt",
            )
    finally:
        site.stop()
    logging.getLogger("scrapy").setLevel(logging.WARNING)
    _say(args, "[3/4] scoring listings")
    scorer = load_scorer()
    score_archive(sessions, scorer, pseudonymiser("demo"), progress=not args.json)
    link_archive(sessions, scorer, pseudonymiser("demo"))
    with sessions.begin() as session:
        counts = summary(session)
        # a new password at every run: the one printed is always the one that works
        password = secrets.token_urlsafe(12)
        existing = session.scalar(select(User).where(User.name == DEMO_USER))
        if existing is None:
            add_user(session, DEMO_USER, "lead", password)
        else:
            set_password(session, existing, password, actor="demo")
    elapsed = time.perf_counter() - started
    if args.json:
        emit_json(counts)
    else:
        _say(
            args,
            f"[4/4] done in {elapsed:.1f} s: {counts['listings']} listings, "
            f"{counts['scored']} scored, {counts['flagged']} flagged, "
            f"{counts['queued']} in the review queue",
        )
    if args.no_serve:
        if not args.json:
            print(f"Log in as user '{DEMO_USER}' with password: {password}", flush=True)
        return 0
    url = f"http://{args.host}:{args.port}/"
    print(f"\nReview UI: {url}login", flush=True)
    print(f"Log in as user '{DEMO_USER}' with password: {password}", flush=True)
    print("Ctrl-C stops the server.", flush=True)
    from thbscan.commands.web import serve

    engine.dispose()
    serve(db, args.host, args.port, "demo")
    return 0
