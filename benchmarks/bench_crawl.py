"""Crawl throughput and crawler memory on loopback, four contenders in one run.

The fixture site (``--n`` job listings, 20 per listing page, no ads) runs in its own
subprocess so its CPU and memory are not the crawler's (it shares the two cores).
Politeness delays are off (the fixture source has ``download_delay = 0``). Contenders, each
in its own process:

- ``bare``: a plain Scrapy spider (no thbscan middlewares or pipelines, robots.txt off,
  Python's default garbage-collector settings) doing the same crawl, parsel +
  ``json.loads`` of the JSON-LD (``scrapy.Spider``, or ``SitemapSpider`` for the sitemap);
- ``ours``: ``python -m thbscan crawl`` of the same site with every middleware and the
  SQLite storage pipeline;
- ``ours x2``: two such processes sharing a Redis frontier (``THBSCAN_REDIS_URL``, a
  per-run key prefix, deleted afterwards).

Each round crawls the site two ways: finding the detail pages through the listing pages
(``pages``: page k links to page k+1 only, so discovery is a chain of 500 dependent steps
whose latency, not CPU, bounds the crawl) and through the sitemap (``sitemap``: every
detail page is known after one request).

The harness polls ``/proc/<pid>/status`` VmRSS every 0.05 s for each crawler process and
reports the peak and the RSS at 25/50/75/100 % of the crawl's wall time. Targets: ours
>= 80 % of bare pages/s; peak RSS < 300 MB and flat; two processes >= 1.5x one.

The machine's speed drifts from minute to minute, so the contenders run in turn, round after
round (``--rounds``, default 3), and the ratios are reported as the median of each round's.
Each run is split at the first and last request the site served (start-up, crawl, wind-down):
pages/s and the ratios are given over the whole run and over the crawl alone. Each round
first measures what the machine gives a second process of CPU-bound crawler work
(:data:`PROBE`) and the two / one that follows from it.

    python -m benchmarks.bench_crawl [--n 10000] [--rounds 3] [--quick] [--discovery both]
                                     [--json]

Results also go to ``bench-results/crawl.json``, every round included.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("THBSCAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

BARE_SPIDER = r"""
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

from scrapy.spiders import SitemapSpider

def parse_detail(self, response):
    for raw in response.css('script[type="application/ld+json"]::text').getall():
        data = json.loads(raw)
        yield {"title": data.get("title"), "url": response.url}

class Bare(scrapy.Spider):
    name = "bare"
    def __init__(self, base, **kw):
        super().__init__(**kw)
        self.start_urls = [base + "/jobs/"]
    def parse(self, response):
        for href in response.css("a.job-link::attr(href)").getall():
            yield response.follow(href, self.parse_detail)
        for href in response.css("a.next::attr(href)").getall()[:1]:
            yield response.follow(href, self.parse)
    parse_detail = parse_detail

class BareSitemap(SitemapSpider):
    name = "bare-sitemap"
    sitemap_rules = [("/jobs/", "parse_detail")]
    def __init__(self, base, **kw):
        self.sitemap_urls = [base + "/sitemap.xml"]
        super().__init__(**kw)
    parse_detail = parse_detail

process = CrawlerProcess({"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False, "ROBOTSTXT_OBEY": False, "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "DOWNLOAD_DELAY": 0, "COOKIES_ENABLED": False,
    "CONCURRENT_ITEMS": 10})
crawler = process.create_crawler(BareSitemap if sys.argv[2] == "sitemap" else Bare)
process.crawl(crawler, base=sys.argv[1])
process.start()
s = crawler.stats.get_stats()
print(json.dumps({"pages": s.get("downloader/response_count", 0),
                  "items": s.get("item_scraped_count", 0)}))
"""

SERVER = r"""
import json, sys
from fixture_site import start_fixture_site
site = start_fixture_site(port=int(sys.argv[1]), n_jobs=int(sys.argv[2]), n_ads=0)
print("ready", flush=True)
seen = 0
for _line in sys.stdin:  # one line after each run: the requests served since the last one
    times = site.request_times[seen:]
    seen += len(times)
    print(json.dumps({"requests": len(times), "first": times[0] if times else None,
                      "last": times[-1] if times else None}), flush=True)
site.stop()
"""


# The fixture job board with the same concurrency as the bare spider and a max_pages that
# lets the crawl walk all listing pages (the default of 1,000 guards against endless
# pagination on unknown sites). Discovered through its listing pages (page k links to
# page k+1 only: discovery is a chain of 500 dependent steps) or its sitemap (all
# 10,000 detail pages known after one request).
# What the machine gives two processes: the crawler's own kind of work (parsel over the fixture
# detail pages, JSON-LD read with json.loads), no I/O, for a few seconds in one process alone
# and then in two at once. Two cores may give two processes less than twice one (shared
# caches and memory bandwidth, the machine's other services).
PROBE = r"""
import json, sys, time
from parsel import Selector
from fixture_site.generate import generate_listings
from fixture_site.render import build_pages
pages = build_pages(generate_listings(50, 0, 7), "http://127.0.0.1:1", 20)
bodies = [p.body.decode() for k, p in pages.items() if k.startswith("/jobs/job-")]
seconds, n = float(sys.argv[1]), 0
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    for body in bodies:
        sel = Selector(text=body)
        for raw in sel.css('script[type="application/ld+json"]::text').getall():
            json.loads(raw)
        " ".join(sel.css("main *::text").getall())
        n += 1
print(json.dumps({"pages_per_s": n / (time.perf_counter() - start)}))
"""
PROBE_SECONDS = 4.0


def _machine_scaling(env: dict[str, str]) -> dict[str, float]:
    """Pages/s of :data:`PROBE` in one process alone, then in two at once: the ratio is what
    this machine gives a second process of CPU-bound crawler work."""

    def together(n: int) -> float:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", PROBE, str(PROBE_SECONDS)],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(n)
        ]
        return sum(json.loads(p.communicate()[0])["pages_per_s"] for p in procs)

    one, two = together(1), together(2)
    return {
        "one_pages_per_s": round(one, 1),
        "two_pages_per_s": round(two, 1),
        "scaling": round(two / one, 3),
    }


_SOURCE = """name = "bench-jobs"
spider = "jobposting"
allow_private = true
field_allowlist = ["company", "location", "listing_id"]
{discovery}
[politeness]
download_delay = 0
concurrency_per_domain = 8
page_limit = 1000000
"""
BENCH_SOURCES = {
    "pages": _SOURCE.format(
        discovery='start_urls = ["/jobs/"]\n[links]\n'
        'detail = "a.job-link::attr(href)"\nnext = "a.next::attr(href)"\nmax_pages = 100000'
    ),
    "sitemap": _SOURCE.format(
        discovery='discovery = "sitemap"\nstart_urls = ["/sitemap.xml"]'
        '\n[links]\nsitemap_follow = "/jobs/"'
    ),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


_TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def _proc_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) a running process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _redis_cpu_s() -> float | None:
    """CPU seconds the Redis server has used so far (INFO cpu), or None without Redis."""
    try:
        import redis

        info = redis.Redis.from_url(REDIS_URL, socket_timeout=2).info("cpu")
    except Exception:
        return None
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _children_cpu_s() -> float:
    """CPU seconds of this process's ended and reaped descendants (the crawler processes
    and their children)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run(
    cmds: list[list[str]], env: dict[str, str], server: subprocess.Popen[str]
) -> dict[str, Any]:
    """Start the processes together; poll their RSS until all end; account the CPU time of
    the crawlers, the fixture server and Redis; split the
    wall time at the first and the last request the site served: start-up (interpreter,
    imports, storage, robots.txt), crawl, and wind-down."""
    server_pid = server.pid
    cpu0 = (_children_cpu_s(), _proc_cpu_s(server_pid), _redis_cpu_s())
    start = time.monotonic()
    procs = [
        subprocess.Popen(
            c, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        for c in cmds
    ]
    samples: list[list[tuple[float, int]]] = [[] for _ in procs]
    while any(p.poll() is None for p in procs):
        now = time.monotonic() - start
        for i, p in enumerate(procs):
            if p.poll() is None and (kb := _rss_kb(p.pid)) is not None:
                samples[i].append((now, kb))
        time.sleep(0.05)  # also how precisely the end (the wall time) is seen
    wall = time.monotonic() - start
    outs = [p.communicate()[0] for p in procs]
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write("\n")
    server.stdin.flush()
    served = json.loads(server.stdout.readline())
    redis1 = _redis_cpu_s()
    cpu = {
        "crawlers_s": round(_children_cpu_s() - cpu0[0], 2),
        "server_s": round(_proc_cpu_s(server_pid) - cpu0[1], 2),
        "redis_s": round(redis1 - cpu0[2], 2)
        if redis1 is not None and cpu0[2] is not None
        else 0.0,
    }
    cpu["total_s"] = round(sum(cpu.values()), 2)
    cpu["cores_busy"] = round(cpu["total_s"] / wall, 2) if wall else 0.0
    results = []
    for i, out in enumerate(outs):
        lines = out.strip().splitlines()
        data = json.loads(lines[-1]) if lines else {}
        if "pages" not in data:  # thbscan crawl --json: {source: {...}}
            data = next(iter(data.values()), {}) if data else {}
        s = samples[i]
        end = s[-1][0] if s else 0.0

        def at(frac: float, s: list[tuple[float, int]] = s, end: float = end) -> float:
            pts = [kb for t, kb in s if t <= frac * end] or [s[0][1] if s else 0]
            return round(pts[-1] / 1024, 1)

        results.append(
            {
                "rc": procs[i].returncode,
                "pages": data.get("pages", 0),
                "items": data.get("items", 0),
                "peak_rss_mb": round(max((kb for _t, kb in s), default=0) / 1024, 1),
                "rss_course_mb": [at(0.25), at(0.5), at(0.75), at(1.0)],
            }
        )
    pages = sum(r["pages"] for r in results)
    phases = {}
    if served["first"] is not None:
        crawl = served["last"] - served["first"]
        phases = {
            "start_s": round(served["first"] - start, 2),
            "crawl_s": round(crawl, 2),
            "end_s": round(start + wall - served["last"], 2),
            "crawl_pages_per_s": round(pages / crawl, 1) if crawl > 0 else None,
        }
    return {
        "wall_s": round(wall, 2),
        "pages": pages,
        "pages_per_s": round(pages / wall, 1) if wall else 0.0,
        **phases,
        "cpu": cpu,
        "cpu_ms_per_page": round(1000 * cpu["total_s"] / pages, 3) if pages else None,
        "processes": results,
    }


def _migrate(path: Path) -> None:
    """Create the database up front: two workers starting together must not race."""
    from review_queue.db import upgrade
    from store import create_engine_for

    engine = create_engine_for(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()


def _drop_keys(prefix: str) -> str | None:
    """Delete a run's Redis keys; the error, if Redis is absent (that run failed anyway)."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    except Exception as exc:
        return repr(exc)
    return None


CONTENDERS = ("bare", "ours", "ours_redis", "ours_x2")


def _contenders(
    url: str, tmp: Path, discovery: str, env: dict[str, str], server: subprocess.Popen[str]
) -> dict[str, Any]:
    """One round: bare, ours, ours on a Redis frontier and two such workers, one after the
    other, on one discovery mode; with this round's ratios."""
    tmp.mkdir(parents=True, exist_ok=True)
    bare = tmp / "bare.py"
    bare.write_text(BARE_SPIDER, encoding="utf-8")
    _migrate(tmp / f"one-{discovery}.db")
    sources = tmp / f"sources-{discovery}"
    sources.mkdir()
    (sources / "bench-jobs.toml").write_text(BENCH_SOURCES[discovery], encoding="utf-8")

    def ours(db: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "thbscan",
            "crawl",
            "bench-jobs",
            "--sources-dir",
            str(sources),
            "--base-url",
            url,
            "--db",
            f"sqlite:///{tmp / db}",
            "--json",
            "--log-level",
            "WARNING",
        ]

    results: dict[str, Any] = {"machine": _machine_scaling(env)}
    results["bare"] = _run([[sys.executable, str(bare), url, discovery]], env, server)
    results["ours"] = _run([ours(f"one-{discovery}.db")], env, server)
    for key, workers in (("ours_redis", 1), ("ours_x2", 2)):
        prefix = f"thbscan-bench-{secrets.token_hex(4)}"
        renv = {**env, "THBSCAN_REDIS_URL": REDIS_URL, "THBSCAN_REDIS_PREFIX": prefix}
        db = f"{key}-{discovery}.db"
        _migrate(tmp / db)
        try:
            results[key] = _run([ours(db)] * workers, renv, server)
        finally:
            if err := _drop_keys(prefix):
                results["redis_error"] = err
    results["ratios"] = _ratios(results)
    return results


def _ratios(r: dict[str, Any]) -> dict[str, float | None]:
    """The ratios of one round (contenders run minutes apart: the machine's speed drifts
    between rounds more than within one)."""
    b, o, r1, t = (r[k]["pages_per_s"] for k in CONTENDERS)
    cb, co, cr1, ct = (r[k].get("crawl_pages_per_s") for k in CONTENDERS)

    def ratio(x: float | None, y: float | None) -> float | None:
        return round(x / y, 3) if x and y else None

    one_busy = r["ours"]["cpu"]["cores_busy"]
    x2_cost = r["ours_x2"]["cpu_ms_per_page"]
    scaling = r["machine"]["scaling"]
    return {
        "ours_vs_bare": ratio(o, b),
        "two_vs_one": ratio(t, o),
        "two_vs_one_redis_worker": ratio(t, r1),
        # The same over the crawl alone (first to last request served): without the start-up
        # (about 2 s of imports and set-up in every process, in parallel for two workers but
        # on the same two cores) and the wind-down.
        "crawl_ours_vs_bare": ratio(co, cb),
        "crawl_two_vs_one": ratio(ct, co),
        "crawl_two_vs_one_redis_worker": ratio(ct, cr1),
        # What the machine allows: two processes can use at most all cores. If a page cost
        # the CPU it costs in the one-process run, they could reach cores / cores-busy-of-one
        # times one; at the CPU per page the two Redis workers actually spent, less.
        "two_vs_one_ceiling_same_cost": round(CORES / one_busy, 2) if one_busy else None,
        "two_vs_one_ceiling_measured_cost": round(1000 * CORES / x2_cost / o, 2)
        if o and x2_cost
        else None,
        # At the machine's measured scaling: one process keeps one_busy cores busy (its
        # crawler thread one core, its writer thread and the site a part of the other);
        # two ask for twice that, and the two cores give what two probe processes get.
        "machine_scaling": scaling,
        "two_vs_one_ceiling_machine": round(scaling * CORES / 2 / one_busy, 2)
        if one_busy
        else None,
    }


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 3) if present else None


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the rounds: pages/s and CPU per page of each contender, and each ratio
    taken within its round; the peak RSS over all rounds."""
    median = {
        k: {
            "pages_per_s": _median([r[k]["pages_per_s"] for r in rounds]),
            "crawl_pages_per_s": _median([r[k].get("crawl_pages_per_s") for r in rounds]),
            "start_s": _median([r[k].get("start_s") for r in rounds]),
            "cpu_ms_per_page": _median([r[k]["cpu_ms_per_page"] for r in rounds]),
            "cores_busy": _median([r[k]["cpu"]["cores_busy"] for r in rounds]),
        }
        for k in CONTENDERS
    }
    ratios = {name: _median([r["ratios"][name] for r in rounds]) for name in rounds[0]["ratios"]}
    peak = max(
        p["peak_rss_mb"]
        for r in rounds
        for k in ("ours", "ours_redis", "ours_x2")
        for p in r[k]["processes"]
    )
    targets = {
        **ratios,
        "ours_vs_bare_ok": bool(ratios["ours_vs_bare"] and ratios["ours_vs_bare"] >= 0.8),
        "two_vs_one_ok": bool(ratios["two_vs_one"] and ratios["two_vs_one"] >= 1.5),
        "crawl_ours_vs_bare_ok": bool(
            ratios["crawl_ours_vs_bare"] and ratios["crawl_ours_vs_bare"] >= 0.8
        ),
        "crawl_two_vs_one_ok": bool(
            ratios["crawl_two_vs_one"] and ratios["crawl_two_vs_one"] >= 1.5
        ),
        "peak_rss_mb": peak,
        "peak_rss_ok": peak < 300,
    }
    return {"rounds": rounds, "median": median, "targets": targets}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="job listings (default 10,000)")
    ap.add_argument("--quick", action="store_true", help="1,000 listings")
    ap.add_argument(
        "--discovery",
        choices=("pages", "sitemap", "both"),
        default="both",
        help="how the crawl finds the detail pages: the listing pages (a chain "
        "of dependent steps), the sitemap, or both in turn (default)",
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="times every contender runs, in turn; medians are reported "
        "(default 3; 1 with --quick)",
    )
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error(f"--rounds must be at least 1, not {args.rounds}")
    n = 1_000 if args.quick else args.n
    rounds = 1 if args.quick else args.rounds
    modes = ("pages", "sitemap") if args.discovery == "both" else (args.discovery,)

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(n)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    server.stdout.readline()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "THBSCAN_MODE": "test"}
    env.pop("THBSCAN_REDIS_URL", None)
    results: dict[str, Any] = {
        "input": {"listings": n, "listing_pages": -(-n // 20), "rounds": rounds}
    }
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(rounds):  # the modes interleaved, so that drift touches both
                for mode in modes:
                    if not args.json:
                        print(f"round {i + 1}/{rounds}, discovery {mode} ...", flush=True)
                    runs[mode].append(_contenders(url, Path(tmp) / f"round{i}", mode, env, server))
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    for mode in modes:
        results[mode] = _summary(runs[mode])

    out_dir = REPO / "bench-results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "crawl.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(results))
        return 0
    print(
        f"\ncrawl benchmark: {n:,} listings + {results['input']['listing_pages']} listing "
        f"pages on loopback, delays off; {rounds} round(s), the contenders in turn"
    )
    for mode in modes:
        _print_mode(mode, results[mode])
    return 0


def _print_mode(mode: str, result: dict[str, Any]) -> None:
    print(f"\ndiscovery: {mode}")
    print(
        f"{'round':<6} {'contender':<11} {'wall s':>7} {'start s':>8} {'crawl s':>8} "
        f"{'end s':>6} {'pages':>7} {'pages/s':>8} {'crawl p/s':>10} {'CPU s':>6} "
        f"{'cores':>6} {'CPU ms/page':>12} {'peak RSS MB':>12}  RSS at 25/50/75/100 % (MB)"
    )
    for number, rnd in enumerate(result["rounds"], 1):
        for key in CONTENDERS:
            r = rnd[key]
            run = {
                name: r.get(name, "-")
                for name in (
                    "wall_s",
                    "start_s",
                    "crawl_s",
                    "end_s",
                    "pages_per_s",
                    "crawl_pages_per_s",
                    "cpu_ms_per_page",
                )
            }
            run.update(cpu_s=r["cpu"]["total_s"], cores=r["cpu"]["cores_busy"])
            for i, p in enumerate(r["processes"]):
                v = run if i == 0 else dict.fromkeys(run, "")  # the run's figures once
                print(
                    f"{number if i == 0 and key == 'bare' else '':<6} "
                    f"{key if i == 0 else '':<11} {v['wall_s']:>7} {v['start_s']:>8} "
                    f"{v['crawl_s']:>8} {v['end_s']:>6} {p['pages']:>7} "
                    f"{v['pages_per_s']:>8} {v['crawl_pages_per_s']:>10} {v['cpu_s']:>6} "
                    f"{v['cores']:>6} {v['cpu_ms_per_page']:>12} {p['peak_rss_mb']:>12}  "
                    f"{p['rss_course_mb']}  rc={p['rc']}"
                )
        ra = rnd["ratios"]
        print(
            f"{'':<6} ratios, wall: ours/bare {ra['ours_vs_bare']}, two/one "
            f"{ra['two_vs_one']}, two/one Redis worker {ra['two_vs_one_redis_worker']}; "
            f"crawl: ours/bare {ra['crawl_ours_vs_bare']}, two/one {ra['crawl_two_vs_one']}, "
            f"two/one Redis worker {ra['crawl_two_vs_one_redis_worker']}"
        )
    med = result["median"]
    print("median pages/s, wall: " + ", ".join(f"{k} {med[k]['pages_per_s']}" for k in CONTENDERS))
    print(
        "median pages/s, crawl: "
        + ", ".join(f"{k} {med[k]['crawl_pages_per_s']}" for k in CONTENDERS)
    )
    tg = result["targets"]
    print("targets (medians of the rounds' ratios):")
    for label, prefix in (
        ("wall (process start to end)", ""),
        ("crawl (first to last request)", "crawl_"),
    ):
        print(
            f"  {label}: ours/bare {tg[prefix + 'ours_vs_bare']} "
            f"(>= 0.80: {tg[prefix + 'ours_vs_bare_ok']}); two/one "
            f"{tg[prefix + 'two_vs_one']} (>= 1.5: {tg[prefix + 'two_vs_one_ok']}); "
            f"two/one Redis worker {tg[prefix + 'two_vs_one_redis_worker']}"
        )
    print(f"  peak RSS {tg['peak_rss_mb']} MB (< 300: {tg['peak_rss_ok']})")
    print(
        f"ceiling on {CORES} cores for two/one: {tg['two_vs_one_ceiling_same_cost']} at "
        f"the one-process CPU per page, {tg['two_vs_one_ceiling_measured_cost']} at the "
        "two workers' (CPU: crawlers, fixture server, Redis)"
    )
    scalings = [r["machine"]["scaling"] for r in result["rounds"]]
    print(
        f"the machine: two processes of CPU-bound parsing ran {scalings} times one "
        f"(median {tg['machine_scaling']}); at that, two/one can reach about "
        f"{tg['two_vs_one_ceiling_machine']} (scaling x cores / 2 / cores busy of one)"
    )


if __name__ == "__main__":
    sys.exit(main())
