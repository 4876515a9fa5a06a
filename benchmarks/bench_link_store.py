"""The stored template index: indexing throughput in a database, new listings added
incrementally, the clusters made from what is stored, and their quality.

Stores ``--n`` generated listings (default 100,000; ``fixture_site.campaigns``, as
``bench_link``) with their pseudonymised identifiers, as scoring records them, in a
database (a new SQLite file by default; ``--db URL`` for a PostgreSQL schema of its own,
emptied first), then indexes them with ``--processes`` processes at
once sharing the one index (``thbscan.linking.index_archive``), stores ``--incremental``
(default 1,000) more and indexes those, and makes the clusters from the stored index
(``thbscan.linking.stored_linker``). Reports listings indexed per second, the incremental
time, the time to make the clusters, peak RSS of this process and of the indexing
processes, and pairwise precision and recall against the campaigns.

    python -m benchmarks.bench_link_store [--n 100000] [--processes 2] [--db URL] [--json]

Results also go to ``bench-results/link_store.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.databases import scratch_database

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results" / "link_store.json"
BATCH = 2_000


def _store(db: str, listings: list[Any]) -> None:
    """Store the listings and their pseudonymised identifiers, as crawling and scoring
    would (not timed)."""
    from nlp.extract import extract
    from nlp.pseudonym import Pseudonymiser
    from review_queue.db.models import Identifier
    from store import create_engine_for, session_factory
    from store.listings import IngestResult, ListingInput, store_listings

    pseudonymiser = Pseudonymiser(b"benchmark-key-" * 3, "bench")
    engine = create_engine_for(db)
    sessions = session_factory(engine, writer=True)
    for i in range(0, len(listings), BATCH):
        batch = listings[i : i + BATCH]
        with sessions.begin() as session:
            results = store_listings(
                session, [ListingInput("bench", x.id, x.title, x.text) for x in batch]
            )
            for x, result in zip(batch, results, strict=True):
                assert isinstance(result, IngestResult), result
                found = {
                    (e.kind, pseudonymiser.pseudonymise(e.kind, e.value))
                    for e in extract(f"{x.title}\n\n{x.text}")
                    if e.kind in ("phone", "email", "handle")
                }
                session.add_all(
                    Identifier(version_id=result.version_id, kind=kind, pseudonym=pseudonym)
                    for kind, pseudonym in found
                )
    engine.dispose()


def _index(db: str) -> tuple[int, float]:
    from store import create_engine_for, session_factory
    from thbscan.linking import index_archive

    engine = create_engine_for(db)
    try:
        added = index_archive(session_factory(engine, writer=True))
    finally:
        engine.dispose()
    return added, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _index_with(db: str, processes: int) -> tuple[int, float]:
    if processes <= 1:
        return _index(db)
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(_index, [db] * processes)
    return sum(a for a, _ in results), max(m for _, m in results)


def run(db: str, n: int, processes: int, incremental: int) -> dict[str, Any]:
    from fixture_site.campaigns import generate_campaigns, pairwise_scores
    from review_queue.db import upgrade
    from store import create_engine_for, session_factory
    from thbscan.linking import stored_linker

    engine = create_engine_for(db)
    upgrade(engine)
    sessions = session_factory(engine)
    listings = generate_campaigns(n + incremental, seed=2026)
    truth = {x.id: x.campaign for x in listings}
    print(f"storing {n + incremental:,} listings ...", file=sys.stderr, flush=True)
    _store(db, listings[:n])
    print(f"indexing with {processes} process(es) ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    added, index_rss = _index_with(db, processes)
    bulk = time.perf_counter() - start
    _store(db, listings[n:])
    start = time.perf_counter()
    added_later, _ = _index(db)
    later = time.perf_counter() - start
    start = time.perf_counter()
    linker, _stored = stored_linker(sessions)
    clusters = linker.clusters(details=False)
    clustering = time.perf_counter() - start
    engine.dispose()
    key = {str(i): k for i, k in _natural_keys(db).items()}
    scores = pairwise_scores(truth, [[key[m] for m in c.members] for c in clusters])
    return {
        "database": db.split(":", 1)[0],
        "listings": n,
        "processes": processes,
        "indexed": added,
        "seconds": round(bulk, 1),
        "listings_per_s": round(n / bulk, 1),
        "incremental": added_later,
        "incremental_seconds": round(later, 2),
        "clustering_seconds": round(clustering, 1),
        "clusters": len(clusters),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "indexing_peak_rss_mb": round(index_rss, 1),
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()},
    }


def _natural_keys(db: str) -> dict[int, str]:
    from sqlalchemy import select

    from store import Listing, create_engine_for, session_factory

    engine = create_engine_for(db)
    with session_factory(engine)() as session:
        keys = {i: k for i, k in session.execute(select(Listing.id, Listing.natural_key))}
    engine.dispose()
    return keys


def report(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"Stored template index on {r['database']}: {r['listings']:,} generated listings, "
            f"{r['processes']} indexing process(es).",
            "",
            f"  indexing: {r['seconds']:,} s ({r['listings_per_s']:,.0f} listings/s), "
            f"peak RSS of an indexing process {r['indexing_peak_rss_mb']:,} MB",
            f"  incremental: {r['incremental']:,} new listings indexed in "
            f"{r['incremental_seconds']} s",
            f"  clusters from the stored index: {r['clusters']:,} in "
            f"{r['clustering_seconds']} s; peak RSS {r['peak_rss_mb']:,} MB",
            f"  pairwise precision {r['precision']}, recall {r['recall']} "
            f"({r['predicted_pairs']:,} linked pairs, {r['true_pairs']:,} true)",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="listings (default 100,000)")
    ap.add_argument("--processes", type=int, default=2, help="indexing processes at once")
    ap.add_argument("--incremental", type=int, default=1_000, help="listings added later")
    ap.add_argument(
        "--db",
        help="a PostgreSQL URL (a schema bench_link_store is made in it); default: SQLite",
    )
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    if args.n < 100 or args.incremental < 1 or args.processes < 1:
        ap.error("--n must be at least 100, --incremental and --processes at least 1")
    with tempfile.TemporaryDirectory(prefix="thbscan-bench-") as tmp:
        try:
            db = scratch_database(args.db, "bench_link_store", Path(tmp))
        except ValueError as exc:
            ap.error(str(exc))
        result = run(db, args.n, args.processes, args.incremental)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
