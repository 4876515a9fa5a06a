"""Linking throughput, memory and quality on generated campaigns.

Generates ``--n`` listings (default 1,000,000; ``fixture_site.campaigns``): 30 % in
campaigns of 2 to 20 listings (one template with slots filled differently and a word or two
edited; 60 % of campaigns share one phone number, a quarter of those also post an escort
ad with it), the rest unrelated texts, some with a platform's switchboard number. Links them
all (``nlp.linking.Linker``, listings prepared in ``--workers`` processes, the index updated
in order in this one), then adds ``--incremental`` (default 1,000) more one by one, and
reports listings per second (the clusters made, without each template's slot table), the
incremental time, the 95th percentile of one incremental
listing, peak RSS, and the pairwise precision and recall of the clusters against the
campaigns. Targets: 1,000,000 listings in under 10 minutes, under 4 GB; 1,000 new ones in
under 5 s; precision at least 0.95, recall at least 0.90.

    python -m benchmarks.bench_link [--n 1000000] [--workers 2] [--incremental 1000] [--json]

Results also go to ``bench-results/link.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results" / "link.json"
TARGET_SECONDS = 600.0
TARGET_RSS_MB = 4_096.0
TARGET_INCREMENTAL_S = 5.0
TARGET_PRECISION = 0.95
TARGET_RECALL = 0.90


def run(n: int, workers: int, incremental: int) -> dict[str, Any]:
    from fixture_site.campaigns import generate_campaigns, pairwise_scores
    from nlp.linking import Linker, LinkInput

    listings = generate_campaigns(n + incremental, seed=2026)
    truth = {x.id: x.campaign for x in listings}
    later = listings[n:]
    del listings[n:]

    def drain() -> Any:  # each generated listing is let go once it is linked
        while listings:
            x = listings.pop()
            yield LinkInput(x.id, x.title, x.text, x.fields)

    linker = Linker()
    start = time.perf_counter()
    linker.add_many(drain(), workers=workers)
    added = time.perf_counter()
    clusters = linker.clusters(details=False)
    clustered = time.perf_counter()
    times = []
    for x in later:
        t = time.perf_counter()
        linker.add(LinkInput(x.id, x.title, x.text, x.fields))
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    clusters = linker.clusters(details=False)
    times[-1] += time.perf_counter() - t  # the clusters are made again once at the end
    scores = pairwise_scores(truth, [c.members for c in clusters])
    bulk = clustered - start
    return {
        "listings": n,
        "workers": workers,
        "seconds": round(bulk, 1),
        "listings_per_s": round(n / bulk, 1),
        "seconds_adding": round(added - start, 1),
        "seconds_clustering": round(clustered - added, 1),
        "incremental": len(later),
        "incremental_seconds": round(sum(times), 2),
        "incremental_p95_ms": round(1e3 * statistics.quantiles(times, n=20)[-1], 2)
        if len(times) >= 20
        else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "clusters": len(clusters),
        "hubs": [{"kind": k, "listings": c} for k, c in linker.hubs()],
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()},
    }


def report(r: dict[str, Any]) -> str:
    checks = [
        ("seconds for the bulk run", r["seconds"], f"< {TARGET_SECONDS:,.0f} (1M)"),
        ("peak RSS (MB)", r["peak_rss_mb"], f"< {TARGET_RSS_MB:,.0f}"),
        (f"{r['incremental']} new listings (s)", r["incremental_seconds"], "< 5"),
        ("pairwise precision", r["precision"], f">= {TARGET_PRECISION}"),
        ("pairwise recall", r["recall"], f">= {TARGET_RECALL}"),
    ]
    lines = [
        f"Linking benchmark: {r['listings']:,} generated listings, {r['workers']} worker(s).",
        "",
        f"  bulk: {r['seconds']:,} s ({r['listings_per_s']:,.0f} listings/s; adding "
        f"{r['seconds_adding']} s, clustering {r['seconds_clustering']} s)",
        f"  incremental: {r['incremental']} listings in {r['incremental_seconds']} s, "
        f"p95 {r['incremental_p95_ms']} ms",
        f"  {r['clusters']:,} clusters; {r['predicted_pairs']:,} linked pairs, "
        f"{r['true_pairs']:,} true; hubs left unlinked: {r['hubs']}",
        "",
        f"{'check':40s} {'value':>12s}  required",
    ]
    lines += [f"{name:40s} {value:>12}  {need}" for name, value, need in checks]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="listings (default 1,000,000)")
    ap.add_argument("--workers", type=int, default=2, help="processes preparing listings")
    ap.add_argument("--incremental", type=int, default=1_000, help="listings added one by one")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    if args.n < 100 or args.incremental < 1:
        ap.error("--n must be at least 100 and --incremental at least 1")
    print(f"linking {args.n:,} generated listings ...", file=sys.stderr, flush=True)
    result = run(args.n, args.workers, args.incremental)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
