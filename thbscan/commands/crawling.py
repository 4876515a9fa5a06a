"""``thbscan crawl``, ``thbscan sources``, ``thbscan crawl-jobs``, ``thbscan fixture-site``."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select

from crawler.errors import SourceConfigError
from crawler.sources import SourceConfig, load_sources, validate_sources
from store import CrawlJob
from thbscan import config
from thbscan.commands.common import (
    EXIT_LOCKED,
    EXIT_NOTHING_FETCHED,
    EXIT_OK,
    EXIT_STOP_SWITCH,
    EXIT_STOPPED,
    emit_json,
    err,
    open_db,
)

# Exit codes of ``thbscan crawl`` and ``thbscan schedule run`` (docs/crawler.md).
STOP_SWITCH_MESSAGE = (
    "the stop switch is on ({who}, {when}: {why}): no crawling until `thbscan resume`"
)


def _select_sources(args: argparse.Namespace) -> list[SourceConfig]:
    sources = load_sources(args.sources_dir)
    names = sorted(n for n, s in sources.items() if s.enabled) if args.all else args.sources
    if not names:
        raise SystemExit(
            "thbscan: name one or more sources, or pass --all "
            f"(known: {', '.join(sorted(sources))})"
        )
    unknown = [n for n in names if n not in sources]
    if unknown:
        raise SystemExit(
            f"thbscan: unknown source(s) {', '.join(unknown)}: known sources are "
            f"{', '.join(sorted(sources))}"
        )
    return [sources[n].with_base_url(args.base_url) for n in names]


def crawl_sources(selected: list[SourceConfig], args: argparse.Namespace) -> int:
    """Check the stop switch, crawl, report; returns the exit code. Each crawl takes its
    source's lock itself (``thbscan.crawling.records``)."""
    from crawler.completeness import outcome, pages_fetched
    from thbscan.crawling.runner import run_crawls
    from thbscan.stop_switch import is_stopped, switch_state

    engine, sessions = open_db(args.db, migrate=True)
    url = engine.url.render_as_string(hide_password=False)
    try:
        with sessions() as session:
            if is_stopped(session):
                state = switch_state(session)
                err(
                    STOP_SWITCH_MESSAGE.format(
                        who=state["changed_by"],
                        when=state["changed_at"],
                        why=state["reason"] or "no reason given",
                    )
                )
                return EXIT_STOP_SWITCH
    finally:
        engine.dispose()
    overrides: dict[str, object] = {
        "LOG_LEVEL": args.log_level,
        "CLOSESPIDER_TIMEOUT": args.max_runtime,
    }
    if args.sources_dir:
        overrides["THBSCAN_SOURCES_DIR"] = str(args.sources_dir)
    stats = run_crawls(selected, url, overrides=overrides)
    shared = bool(config.settings().redis_url)  # a worker's own pages are not the source's
    summary = {}
    for name, s in stats.items():
        status, why = outcome(s, s.get("finish_reason") or "unknown", shared_frontier=shared)
        summary[name] = {
            "status": status,
            "detail": why,
            "pages": pages_fetched(s),
            "items": s.get("item_scraped_count", 0),
            "new": s.get("thbscan/items/new", 0),
            "changed": s.get("thbscan/items/changed", 0),
            "unchanged": s.get("thbscan/items/unchanged", 0),
            "not_modified": s.get("thbscan/incremental/not_modified", 0),
            "removed": s.get("thbscan/items/removed", 0),
            "robots_denied": s.get("robotstxt/forbidden", 0),
            "ssrf_refused": s.get("thbscan/ssrf/refused", 0),
            "finish_reason": s.get("finish_reason"),
        }
    if args.json:
        emit_json(summary)
    else:
        for name, s in summary.items():
            print(
                f"{name}: {s['status']}: {s['pages']} pages, {s['items']} listings ({s['new']} "
                f"new, {s['changed']} changed, {s['unchanged']} unchanged, {s['not_modified']} "
                f"not modified, {s['removed']} removed), {s['robots_denied']} denied by "
                f"robots.txt, finished: {s['finish_reason']}"
                + (f" ({s['detail']})" if s["detail"] else "")
            )
    for name, s in summary.items():
        if s["status"] == "locked":
            err(
                f"source {name!r} is already being crawled by {s['detail']}: "
                "try again when that run has ended"
            )
        elif s["status"] == "nothing_fetched":
            err(f"source {name!r}: not one page was fetched: {s['detail']}")
    statuses = {s["status"] for s in summary.values()}
    if "stop_switch" in {s["finish_reason"] for s in summary.values()}:
        return EXIT_STOP_SWITCH
    if "nothing_fetched" in statuses:
        return EXIT_NOTHING_FETCHED
    if "locked" in statuses:
        return EXIT_LOCKED
    return EXIT_OK if statuses <= {"complete"} else EXIT_STOPPED


def run_crawl(args: argparse.Namespace) -> int:
    return crawl_sources(_select_sources(args), args)


def run_stop(args: argparse.Namespace) -> int:
    from thbscan.stop_switch import set_stopped

    _engine, sessions = open_db(args.db, migrate=True)
    with sessions() as session:
        set_stopped(session, True, actor=args.by, reason=args.reason)
        session.commit()
    print(
        "stop switch ON: running crawls close within 60 s; no crawl starts until `thbscan resume`"
    )
    return 0


def run_resume(args: argparse.Namespace) -> int:
    from thbscan.stop_switch import set_stopped

    _engine, sessions = open_db(args.db, migrate=True)
    with sessions() as session:
        set_stopped(session, False, actor=args.by, reason=args.reason)
        session.commit()
    print("stop switch OFF: crawling may run again")
    return 0


def run_schedule(args: argparse.Namespace) -> int:
    from thbscan.crawling.schedule import due_sources

    sources = load_sources(args.sources_dir)
    _engine, sessions = open_db(args.db, migrate=True)
    with sessions() as session:
        due = due_sources(session, list(sources.values()))
    _engine.dispose()
    names = [s.name for s in due]
    if args.dry_run or not due:
        if args.json:
            emit_json({"due": names})
        else:
            print("due: " + (", ".join(names) if names else "nothing"))
        if not due:
            return EXIT_OK
        if args.dry_run:
            return EXIT_OK
    return crawl_sources([s.with_base_url(args.base_url) for s in due], args)


def run_sources_validate(args: argparse.Namespace) -> int:
    problems = validate_sources(args.path)
    for problem in problems:
        err(problem)
    if not problems:
        print("all source configs are valid")
    return 1 if problems else 0


def run_sources_list(args: argparse.Namespace) -> int:
    try:
        sources = load_sources(getattr(args, "sources_dir", None))
    except SourceConfigError as exc:
        for problem in exc.problems:
            err(problem)
        return 1
    rows: list[dict[str, Any]] = [
        {
            "name": s.name,
            "spider": s.spider,
            "start_urls": s.start_urls,
            "schedule": s.schedule.every,
            "enabled": s.enabled,
        }
        for s in sources.values()
    ]
    if args.json:
        emit_json({"sources": rows})
    else:
        for r in rows:
            print(
                f"{r['name']:<20} {r['spider']:<11} every {r['schedule']:<5} "
                f"{'enabled' if r['enabled'] else 'disabled':<9} {' '.join(r['start_urls'])}"
            )
    return 0


def run_crawl_jobs(args: argparse.Namespace) -> int:
    _engine, sessions = open_db(args.db)
    with sessions() as session:
        jobs = session.scalars(select(CrawlJob).order_by(CrawlJob.id.desc()).limit(args.limit))
        rows: list[dict[str, Any]] = [
            {
                "id": j.id,
                "source": j.source,
                "status": j.status,
                "started_at": j.started_at.isoformat(),
                "finished_at": j.finished_at.isoformat() if j.finished_at else None,
                "pages": j.pages,
                "items": j.items,
                "new": j.new,
                "changed": j.changed,
                "errors": j.errors,
                "robots_denied": j.robots_denied,
                "stop_reason": j.stop_reason,
                "detail": j.detail,
            }
            for j in jobs
        ]
    if args.json:
        emit_json({"crawl_jobs": rows})
    else:
        print(
            f"{'id':>5} {'source':<16} {'status':<9} {'started (UTC)':<20} {'pages':>6} "
            f"{'items':>6} {'new':>5} {'chg':>5} {'err':>4} {'robots':>6} stop"
        )
        for r in rows:
            print(
                f"{r['id']:>5} {r['source']:<16} {r['status']:<9} {r['started_at'][:19]:<20} "
                f"{r['pages']:>6} {r['items']:>6} {r['new']:>5} {r['changed']:>5} "
                f"{r['errors']:>4} {r['robots_denied']:>6} {r['stop_reason'] or ''}"
                + (f" ({r['detail']})" if r["detail"] else "")
            )
    return 0


def run_fixture_site(args: argparse.Namespace) -> int:
    from fixture_site import serve_forever

    print(f"fixture site on http://{args.host}:{args.port}/ (Ctrl-C stops)")
    serve_forever(args.host, args.port)
    return 0
