"""``thbscan score`` (the archive) and ``thbscan check`` (JSON lines on stdin)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import Any

from indicator_lists.matcher.jsonl import read_jsonl
from review_queue.services.scores import (
    DEFAULT_BLIND_SHARE,
    DEFAULT_SAMPLE_RATE,
    QueuePolicy,
)
from review_queue.services.watches import check_watches
from store import session_factory
from store.reconnect import run_again_when_back
from thbscan import config
from thbscan.assets import ScorerFactory, load_scorer
from thbscan.commands.common import EXIT_STOP_SWITCH, emit_json, err, open_db
from thbscan.linking import LinkReport, link_archive
from thbscan.redaction import pseudonymiser
from thbscan.scoring_job import LeaseLost, ScoringReport, one_at_a_time, score_archive
from thbscan.stop_switch import is_stopped

logger = logging.getLogger(__name__)


def run_score(args: argparse.Namespace) -> int:
    rate = DEFAULT_SAMPLE_RATE if args.sample_rate is None else args.sample_rate
    if not 0 <= rate <= 1:
        err(
            f"--sample-rate {rate}: give a share of unflagged listings in 0..1 "
            f"(default {DEFAULT_SAMPLE_RATE})"
        )
        return 2
    blind = DEFAULT_BLIND_SHARE if args.blind_share is None else args.blind_share
    if not 0 <= blind <= 1:
        err(
            f"--blind-share {blind}: give a share of flagged items in 0..1 "
            f"(default {DEFAULT_BLIND_SHARE})"
        )
        return 2
    if not 0 < args.lease_timeout <= 86400:
        err(
            f"--lease-timeout {args.lease_timeout}: give the seconds a leased batch may wait "
            "before another machine may take it, above 0 and at most 86400 (default 600)"
        )
        return 2
    policy = QueuePolicy(sample_rate=rate, blind_share=blind)
    run_mode = config.mode()
    pseudo = pseudonymiser(run_mode)  # refuses to start without a key in production (R09)
    engine, sessions = open_db(args.db)

    def stop_switch_on() -> bool:  # R05: the recorded stop switch halts scoring too
        with sessions() as session:
            return is_stopped(session)

    if stop_switch_on():
        err("the stop switch is on: scoring is halted until `thbscan resume --reason ...`")
        return EXIT_STOP_SWITCH
    scorer = load_scorer(args.lists)
    workers = args.workers or max(1, min(os.cpu_count() or 1, 4))
    factory = ScorerFactory(
        str(args.lists) if args.lists else None,
        scorer.versions["model"] if scorer.model else None,
        run_mode,
        use_model=scorer.model is not None,
    )
    report = ScoringReport(workers=workers)
    started = time.perf_counter()

    def scoring() -> ScoringReport:  # resumable: a run again scores only what is left
        return score_archive(
            sessions,
            scorer,
            pseudo,
            rescore=args.rescore,
            batch_size=args.batch_size,
            progress=not args.quiet,
            workers=workers,
            worker_factory=factory,
            policy=policy,
            should_stop=stop_switch_on,
            writer_sessions=session_factory(engine, writer=True),
            lease_seconds=args.lease_timeout,
            report=report,
        )

    def after_scoring() -> tuple[LinkReport | None, int]:
        # one machine at a time: the clusters are replaced as a whole
        links = None
        with one_at_a_time(engine, "thbscan.after-scoring", _waiting):
            if not args.no_link:
                links = link_archive(
                    session_factory(engine, writer=True), scorer, pseudo, policy=policy
                )
            with session_factory(engine, writer=True).begin() as session:
                watched = check_watches(session)
        return links, watched

    try:  # a database server that restarts mid-run: what is left is done once it is back
        run_again_when_back(scoring, engine, "scoring")
    except LeaseLost as exc:
        err(str(exc))
        return 1
    report.seconds = time.perf_counter() - started
    links, watched = (
        (None, 0) if report.stopped else run_again_when_back(after_scoring, engine, "linking")
    )
    result = {
        **report.as_dict(),
        "scorer": scorer.scorer_key,
        "linking": links.as_dict() if links else None,
        "watched": watched,
    }
    if args.json:
        emit_json(result)
    else:
        if report.stopped:
            print("stopped by the stop switch; committed batches are kept")
        print(
            f"scored {report.scored} listings ({report.flagged} flagged, {report.queued} "
            f"queued for review) in {report.seconds:.1f} s with {scorer.scorer_key}"
        )
        if watched:
            print(f"{watched} new listings matched a watch and entered the queue")
        if links is not None:
            print(
                f"linked {links.listings} listings into {links.clusters} clusters; "
                f"{links.rescored} scored again with their links ({links.flagged} flagged)"
            )
    return EXIT_STOP_SWITCH if report.stopped else 0


def _waiting() -> None:
    err("another `thbscan score` is linking this archive: waiting for it to finish")


def run_check(args: argparse.Namespace) -> int:
    """JSON lines in, JSON lines out, in order; a bad line, or a listing whose scoring
    fails, yields an error object for that line and every other line is still scored."""
    scorer = load_scorer(args.lists, model=not args.no_model)
    pending: list[tuple[int, dict]] = []
    status = 0
    emit = emit_json if args.json else print_human

    def flush() -> None:
        nonlocal status
        listings = [(str(v.get("title") or ""), str(v.get("text") or "")) for _n, v in pending]
        try:
            results: list[Any] = list(scorer.assess_many(listings))
        except Exception:  # one listing broke the batch: score them one by one
            results = []
            for listing in listings:
                try:
                    results.append(scorer.assess(*listing))
                except Exception as exc:
                    logger.exception("scoring one listing failed")
                    results.append(exc)
        for (number, value), result in zip(pending, results, strict=True):
            if isinstance(result, Exception):
                status = 1
                emit(
                    {
                        "line": number,
                        "error": f"line {number}: scoring failed "
                        f"({type(result).__name__}); the listing was "
                        "not scored, the others were",
                    }
                )
                continue
            out = result.to_check_dict()
            if "id" in value:
                out = {"id": value["id"], **out}
            out["line"] = number
            emit(out)
        pending.clear()

    for line in read_jsonl(sys.stdin, required=("title", "text")):
        if line.value is None:
            flush()  # keep the output in input order
            emit({"line": line.number, "error": line.error})
            status = 1
            continue
        pending.append((line.number, line.value))
        if len(pending) >= args.batch_size:
            flush()
    flush()
    return status


def print_human(out: dict) -> None:
    """One readable line per listing (``--json`` gives the stable machine format)."""
    if "error" in out:
        print(f"line {out['line']}: ERROR {out['error']}", file=sys.stderr)
        return
    verdict = "FLAGGED" if out["flagged"] else "not flagged"
    minor = " possible-minor" if out["possible_minor"] else ""
    hits = "; ".join(
        f'{i["id"]} "{i["spans"][0]["text"][:40]}"' if i["spans"] else i["id"]
        for i in out["indicators"]
    )
    print(
        f"line {out['line']}: {verdict} score={out['score']:.2f} band={out['band']}{minor} "
        f"lang={out['language']} forms={','.join(out['categories']) or '-'}"
        + (f" | {hits}" if hits else "")
    )
