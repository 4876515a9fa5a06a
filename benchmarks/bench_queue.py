"""The review UI under many analysts: request latency of the queue page, claim-next, the
item page and a decision, on a real server over loopback.

Fills a database with ``--items`` queued items (flagged listings with their versions and
scores, made in SQL), starts ``thbscan serve`` on it in its own process, and lets
``--analysts`` simulated analysts work at once for ``--seconds``: each signs in, then
repeats: open the queue page, claim the next item, open it, read it for ``--think`` seconds
on average (each read lasts 0.5-1.5 times that, and the analysts start staggered, so that
they do not move in lockstep), decide it with a reason code. One phase per ``--think``
value (default 3 s, then 0), on the same server. Reports per phase and request kind the
count, p50, p95 and maximum latency, the decisions per second and errors, and the server's
peak RSS.

With no reading time the analysts are a closed loop that keeps every core busy: each
request waits for the others, so the phase measures capacity (decisions per second), and
its latencies grow with the number of analysts, whatever the code. With 3 s of reading,
twenty analysts still decide at 100 times a real team's pace.

    python -m benchmarks.bench_queue                       # SQLite, 100,000 items, 5 analysts
    python -m benchmarks.bench_queue --db postgresql+psycopg://postgres@127.0.0.1/test \\
        --items 1000000 --analysts 20                     # a schema bench_queue is made

Targets: PostgreSQL, 1,000,000 items, 20 analysts: queue page p95 < 150 ms, claim-next
p95 < 20 ms, decision p95 < 50 ms; SQLite, 100,000 items, 5 analysts: p95 < 300 ms for
every request. Results also go to ``bench-results/queue.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.databases import scratch_database

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results" / "queue.json"
PASSWORD = "benchmark analyst password"
TARGETS_PG = {"queue": 150.0, "claim_next": 20.0, "decide": 50.0}
TARGET_SQLITE = 300.0

# One statement per table; {n} is the number of items. "{json}" casts text to JSON.
FILL = [
    "INSERT INTO listings (id, source, natural_key, url, first_seen_at, last_seen_at) "
    "SELECT x, 'bench-' || (x % 7), 'k' || x, 'https://bench.invalid/' || x, {now}, {now} "
    "FROM {series}",
    "INSERT INTO listing_versions (id, listing_id, version_no, content_sha256, fetched_at, "
    "url, final_url, redirect_chain, title, text, fields, language, created_at, redacted) "
    "SELECT x, x, 1, 'sha' || x, {now}, 'https://bench.invalid/' || x, NULL, {empty_list}, "
    "'Warehouse job ' || x, 'Pay the recruitment fee ' || x || ' before travel. We keep "
    "your passport safe until the debt is paid. Housing is arranged by us.', "
    "{city}, 'en', {now}, {true} FROM {series}",
    "UPDATE listings SET current_version_id = id",
    "INSERT INTO scores (id, version_id, scorer_key, score, band, flagged, possible_minor, "
    "categories, explanation, language, model_version, list_versions, scored_at) "
    "SELECT x, x, 'bench', (x % 1000) / 1000.0, 'high', {true}, {false}, {forms}, "
    "{explanation}, 'en', 'none', {empty_map}, {now} FROM {series}",
    "INSERT INTO review_items (id, listing_id, version_id, score_id, state, lane, reason, "
    "priority, forms, blind, created_at, updated_at) SELECT x, x, x, x, 'new', "
    "CASE WHEN x % 50 = 0 THEN 'urgent' ELSE 'normal' END, 'flagged', (x % 1000) / 1000.0, "
    "'[\"forced_labour\"]', {false}, {now}, {now} FROM {series}",
]
DIALECT = {
    "postgresql": {
        "series": "generate_series(1, {n}) AS g(x)",
        "now": "now()",
        "true": "true",
        "false": "false",
        "empty_list": "'[]'::json",
        "empty_map": "'{{}}'::json",
        "forms": "'[\"forced_labour\"]'::json",
        "explanation": '\'{{"indicators": [], "kind": "job"}}\'::json',
        "city": "json_build_object('city', CASE x % 3 WHEN 0 THEN 'Odense' WHEN 1 "
        "THEN 'Aarhus' ELSE 'Kolding' END)",
    },
    "sqlite": {
        "series": "(WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s "
        "WHERE x < {n}) SELECT x FROM s)",
        "now": "strftime('%Y-%m-%d %H:%M:%f', 'now')",
        "true": "1",
        "false": "0",
        "empty_list": "'[]'",
        "empty_map": "'{{}}'",
        "forms": "'[\"forced_labour\"]'",
        "explanation": '\'{{"indicators": [], "kind": "job"}}\'',
        "city": "json_object('city', CASE x % 3 WHEN 0 THEN 'Odense' WHEN 1 "
        "THEN 'Aarhus' ELSE 'Kolding' END)",
    },
}


def fill(db: str, items: int, analysts: int) -> float:
    """Create the schema and the items; the seconds it took."""
    from sqlalchemy import text

    from review_queue.db import upgrade
    from review_queue.services.users import add_user
    from store import create_engine_for, session_factory

    started = time.perf_counter()
    engine = create_engine_for(db)
    upgrade(engine)
    values = DIALECT[engine.dialect.name]
    names = {k: v.format(n=items) for k, v in values.items()}
    with engine.begin() as conn:
        for statement in FILL:
            conn.execute(text(statement.format(**names)))
        if engine.dialect.name == "postgresql":
            for table in ("listings", "listing_versions", "scores", "review_items"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {items})")
                )
    with session_factory(engine).begin() as session:
        for i in range(analysts):
            add_user(session, f"analyst{i}", "analyst", PASSWORD)
    # A live queue was not bulk-loaded a moment ago: vacuum now, or the autovacuum of the
    # fill (and the first readers setting hint bits) would run during the measurement.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
        if engine.dialect.name == "postgresql":  # and the fill's pages on disk now, not
            conn.execute(text("CHECKPOINT"))  # in a checkpoint during the measurement
    engine.dispose()
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    return found.group(1) if found else ""


class Analyst(threading.Thread):
    """Signs in and works one item unmeasured, waits at ``ready`` until every analyst has
    (a sign-in hashes a password on purpose slowly: twenty of them would weigh on the first
    measured requests), waits for ``go``, then works until ``clock[0]``."""

    def __init__(
        self,
        base: str,
        name: str,
        clock: list[float],
        times: dict[str, list[float]],
        think: float,
        ready: threading.Barrier,
        go: threading.Event,
    ):
        super().__init__(daemon=True)
        self.base, self.name, self.clock, self.times = base, name, clock, times
        self.think = think  # mean seconds an analyst reads before deciding
        # Seeded by name: a rerun reads for the same times.
        self.rng = random.Random(name)
        self.ready, self.go = ready, go
        self.errors: list[str] = []
        self.decided = 0
        self.measuring = True

    def timed(self, kind: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        response = call(*args, **kwargs)
        if self.measuring:
            self.times[kind].append(1000 * (time.perf_counter() - start))
        if response.status_code >= 400:
            self.errors.append(f"{kind}: HTTP {response.status_code}")
        return response

    def run(self) -> None:
        import httpx

        with httpx.Client(base_url=self.base, timeout=60, follow_redirects=False) as client:
            try:
                page = client.get("/login")
                client.post(
                    "/login",
                    data={
                        "name": self.name,
                        "password": PASSWORD,
                        "csrf_token": _field(page.text, "csrf_token"),
                    },
                )
                # One item, not measured: a server process's first views compile templates
                # and make the queue's count and chart; a server that runs for days has.
                self.measuring = False
                self.cycle(client, 0.0)
            except httpx.HTTPError as exc:  # counted; the others are not kept waiting
                self.errors.append(f"sign-in: {exc}")
            self.ready.wait()
            self.go.wait()
            self.measuring, self.decided = True, 0
            # Analysts do not start, nor read, in step: each starts within one reading time
            # and reads for 0.5-1.5 times the mean. Twenty in lockstep would send twenty
            # requests at the same instant every few seconds, a burst no team makes.
            time.sleep(self.rng.uniform(0, self.think))
            while time.perf_counter() < self.clock[0]:
                self.cycle(client, self.think * self.rng.uniform(0.5, 1.5))

    def cycle(self, client: Any, think: float) -> None:
        """Queue page, claim the next item, open it, read it, decide it."""
        queue = self.timed("queue", client.get, "/queue")
        csrf = _field(queue.text, "csrf_token")
        claimed = self.timed(
            "claim_next", client.post, "/queue/claim-next", data={"csrf_token": csrf}
        )
        target = claimed.headers.get("location", "")
        if not target.startswith("/items/"):
            self.errors.append(f"claim_next: went to {target!r}")
            return
        item = self.timed("item", client.get, target)
        time.sleep(think)
        item_id = target.split("/")[2].split("?")[0]
        form = {
            "csrf_token": csrf,
            "action": "dismiss",
            "reason_code": "ordinary_ad",
            "reason": "",
            "idempotency_key": _field(item.text, "idempotency_key"),
            "score_id": _field(item.text, "score_id"),
        }
        self.timed("decide", client.post, f"/items/{item_id}/decide", data=form)
        self.decided += 1


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(
    db: str, items: int, analysts: int, seconds: float, thinks: list[float], workers: int
) -> dict[str, Any]:
    print(f"filling {items:,} items ...", file=sys.stderr, flush=True)
    filled = fill(db, items, analysts)
    port = _free_port()
    command = [sys.executable, "-m", "thbscan", "serve", "--db", db, "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env={**os.environ, "THBSCAN_MODE": "test"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        phases = [_phase(base, analysts, seconds, think) for think in thinks]
        rss = _rss_mb(server.pid) + sum(_rss_mb(c) for c in _children(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "database": db.split(":", 1)[0],
        "items": items,
        "analysts": analysts,
        "fill_seconds": round(filled, 1),
        "server_workers": workers,
        "phases": phases,
        "server_peak_rss_mb": round(rss, 1),  # summed over its processes
    }


def _phase(base: str, analysts: int, seconds: float, think: float) -> dict[str, Any]:
    """``analysts`` at work for ``seconds``, each reading an item for ``think`` seconds."""
    print(
        f"{analysts} analysts for {seconds:.0f} s, {think:g} s reading each item ...",
        file=sys.stderr,
        flush=True,
    )
    times: dict[str, list[float]] = defaultdict(list)
    clock = [0.0]
    ready, go = threading.Barrier(analysts + 1, timeout=600), threading.Event()
    crowd = [Analyst(base, f"analyst{i}", clock, times, think, ready, go) for i in range(analysts)]
    for w in crowd:
        w.start()
    ready.wait()  # every analyst signed in
    started = time.perf_counter()
    clock[0] = started + seconds
    go.set()
    for w in crowd:
        w.join()
    elapsed = time.perf_counter() - started
    kinds = {}
    for kind, values in times.items():
        values.sort()
        kinds[kind] = {
            "count": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(values[int(0.95 * (len(values) - 1))], 1),
            "max_ms": round(values[-1], 1),
        }
    errors = [e for w in crowd for e in w.errors]
    return {
        "think_seconds": think,
        "seconds": round(elapsed, 1),
        "decisions": sum(w.decided for w in crowd),
        "decisions_per_s": round(sum(w.decided for w in crowd) / elapsed, 1),
        "requests": kinds,
        "errors": len(errors),
        "first_errors": errors[:5],
    }


def report(r: dict[str, Any]) -> str:
    postgres = r["database"].startswith("postgresql")
    lines = [
        f"Review UI on {r['database']}: {r['items']:,} items, {r['analysts']} analysts, "
        f"{r['server_workers']} server process(es) (filled in {r['fill_seconds']} s), "
        f"server peak RSS {r['server_peak_rss_mb']} MB",
    ]
    for phase in r["phases"]:
        think = phase["think_seconds"]
        lines += [
            "",
            f"{think:g} s reading each item"
            + (" (no reading: the server's capacity, every request queues)" if not think else "")
            + f": {phase['seconds']} s, {phase['decisions']:,} decisions "
            f"({phase['decisions_per_s']}/s), {phase['errors']} errors",
            f"{'request':12s} {'count':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}  target",
        ]
        for kind in ("queue", "claim_next", "item", "decide"):
            k = phase["requests"].get(kind)
            if not k:
                continue
            target = TARGETS_PG.get(kind) if postgres else TARGET_SQLITE
            need = f"p95 < {target:.0f} ms" if target else ""
            lines.append(
                f"{kind:12s} {k['count']:>7,} {k['p50_ms']:>8} {k['p95_ms']:>8} "
                f"{k['max_ms']:>8}  {need}"
            )
    return "\n".join(lines)


def _thinks(value: str) -> list[float]:
    try:
        thinks = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        thinks = []
    if not thinks or any(t < 0 for t in thinks):
        raise argparse.ArgumentTypeError(
            f"--think {value!r}: give seconds of reading per item, e.g. 0 or 0,3"
        )
    return thinks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="a PostgreSQL URL (a schema bench_queue is made); default SQLite")
    ap.add_argument("--items", type=int, help="items (default 100,000; 1,000,000 on PostgreSQL)")
    ap.add_argument("--analysts", type=int, help="analysts at once (default 5; 20 on PostgreSQL)")
    ap.add_argument("--seconds", type=float, default=60, help="how long they work (default 60)")
    ap.add_argument(
        "--think",
        type=_thinks,
        default=[3.0, 0.0],
        metavar="S[,S...]",
        help="seconds each analyst reads an item; one phase per value on the same server "
        "(default 3,0: 3 s is a very fast analyst; with no reading every request queues for "
        "the cores, which measures capacity; the paced phase runs first, before the other "
        "leaves its dead rows to autovacuum)",
    )
    ap.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    postgres = bool(args.db)
    items = args.items or (1_000_000 if postgres else 100_000)
    analysts = args.analysts or (20 if postgres else 5)
    if items < 100 or analysts < 1 or args.seconds <= 0:
        ap.error("--items at least 100, --analysts at least 1, --seconds above 0")
    with tempfile.TemporaryDirectory(prefix="thbscan-bench-") as tmp:
        try:
            db = scratch_database(args.db, "bench_queue", Path(tmp))
        except ValueError as exc:
            ap.error(str(exc))
        result = run(db, items, analysts, args.seconds, args.think, args.workers)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
