"""``thbscan crawl``, ``thbscan sources``, ``thbscan crawl-jobs``, ``thbscan fixture-site``."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from crawler.errors import SourceConfigError
from crawler.sources import load_sources, validate_sources
from review_queue.db import CrawlJob
from thbscan.commands.common import emit_json, err, open_db

EXIT_OK, EXIT_STOPPED = 0, 3


def run_crawl(args: argparse.Namespace) -> int:
    from thbscan.crawl import run_crawls

    sources = load_sources()
    names = sorted(n for n, s in sources.items() if s.enabled) if args.all else args.sources
    if not names:
        raise SystemExit("thbscan: name one or more sources, or pass --all "
                         f"(known: {', '.join(sorted(sources))})")
    unknown = [n for n in names if n not in sources]
    if unknown:
        raise SystemExit(f"thbscan: unknown source(s) {', '.join(unknown)}: known sources are "
                         f"{', '.join(sorted(sources))}")
    selected = [sources[n].with_base_url(args.base_url) for n in names]
    engine, _sessions = open_db(args.db, migrate=True)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    stats = run_crawls(selected, url, overrides={"LOG_LEVEL": args.log_level})
    summary = {
        name: {
            "pages": s.get("downloader/response_count", 0),
            "items": s.get("item_scraped_count", 0),
            "new": s.get("thbscan/items/new", 0),
            "changed": s.get("thbscan/items/changed", 0),
            "unchanged": s.get("thbscan/items/unchanged", 0),
            "robots_denied": s.get("robotstxt/forbidden", 0),
            "finish_reason": s.get("finish_reason"),
        }
        for name, s in stats.items()
    }
    if args.json:
        emit_json(summary)
    else:
        for name, s in summary.items():
            print(f"{name}: {s['pages']} pages, {s['items']} listings ({s['new']} new, "
                  f"{s['changed']} changed, {s['unchanged']} unchanged), "
                  f"{s['robots_denied']} denied by robots.txt, finished: {s['finish_reason']}")
    return EXIT_OK if all(s["finish_reason"] == "finished" for s in summary.values()) \
        else EXIT_STOPPED


def run_sources_validate(args: argparse.Namespace) -> int:
    problems = validate_sources(args.path)
    for problem in problems:
        err(problem)
    if not problems:
        print("all source configs are valid")
    return 1 if problems else 0


def run_sources_list(args: argparse.Namespace) -> int:
    try:
        sources = load_sources()
    except SourceConfigError as exc:
        for problem in exc.problems:
            err(problem)
        return 1
    rows = [{"name": s.name, "spider": s.spider, "start_urls": s.start_urls,
             "schedule": s.schedule.every, "enabled": s.enabled} for s in sources.values()]
    if args.json:
        emit_json({"sources": rows})
    else:
        for r in rows:
            print(f"{r['name']:<20} {r['spider']:<11} every {r['schedule']:<5} "
                  f"{'enabled' if r['enabled'] else 'disabled':<9} {' '.join(r['start_urls'])}")
    return 0


def run_crawl_jobs(args: argparse.Namespace) -> int:
    _engine, sessions = open_db(args.db)
    with sessions() as session:
        jobs = session.scalars(select(CrawlJob).order_by(CrawlJob.id.desc()).limit(args.limit))
        rows = [
            {"id": j.id, "source": j.source, "status": j.status,
             "started_at": j.started_at.isoformat(),
             "finished_at": j.finished_at.isoformat() if j.finished_at else None,
             "pages": j.pages, "items": j.items, "new": j.new, "changed": j.changed,
             "errors": j.errors, "robots_denied": j.robots_denied, "stop_reason": j.stop_reason}
            for j in jobs
        ]
    if args.json:
        emit_json({"crawl_jobs": rows})
    else:
        print(f"{'id':>5} {'source':<16} {'status':<9} {'started (UTC)':<20} {'pages':>6} "
              f"{'items':>6} {'new':>5} {'chg':>5} {'err':>4} {'robots':>6} stop")
        for r in rows:
            print(f"{r['id']:>5} {r['source']:<16} {r['status']:<9} {r['started_at'][:19]:<20} "
                  f"{r['pages']:>6} {r['items']:>6} {r['new']:>5} {r['changed']:>5} "
                  f"{r['errors']:>4} {r['robots_denied']:>6} {r['stop_reason'] or ''}")
    return 0


def run_fixture_site(args: argparse.Namespace) -> int:
    from thbscan.fixture_site import serve_forever

    print(f"fixture site on http://{args.host}:{args.port}/ (Ctrl-C stops)")
    serve_forever(args.host, args.port)
    return 0
