"""Scoring throughput, latency and peak memory, end to end, and the cost of each stage.

Generates ``--n`` (default 100,000) seeded listings of about 80 words in Danish, English,
Romanian, Polish and Bulgarian (and a few Ukrainian and Spanish), built from the fixture
site's templates and the catalogue's indicator examples with varied slots (names, phones,
prices, e-mail addresses), about 15 % with indicator wording and some with obfuscated phone
numbers. The scorer (``thbscan.assets.load_scorer().assess_many``: normalisation, language,
the spaCy pipeline with the reference matcher and the extractor, the text model, the score
and its explanation) runs in its own process pinned to one core, on 10 % and on all of the
listings, ``--rounds`` times on all (the median counts: a shared machine's speed drifts), and
reports listings per second, the 95th percentile of one listing's time (``assess`` called on
single listings) and peak RSS. A last run times each stage on its own. The scorer is loaded
once before the runs, so that compiling a catalogue not yet in the cache (once per catalogue,
reported on its own) does not count as the memory of scoring.

    python -m benchmarks.bench_score [--n 100000] [--rounds 3] [--quick] [--json]

Results also go to ``bench-results/score.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results" / "score.json"

TARGET_RATE = 2_000.0
TARGET_RSS_MB = 1_024.0
LINEARITY_TOLERANCE = 1.3  # µs/listing at the largest size at most this times the smallest's
WARMUP = 200
LATENCY_SAMPLE = 2_000

# The fixture site has no Ukrainian or Spanish templates: a few plain job-ad sentences.
EXTRA_SENTENCES = {
    "uk": [
        "Шукаємо нового працівника до нашого магазину в місті {city}.",
        "Ви будете працювати з клієнтами і матимете хороших колег.",
        "Робота на повний день з гарною зарплатою {pay}.",
        "Телефонуйте {contact_name} за номером {phone} або пишіть на {email}.",
        "Офіційний договір, оплачувана відпустка та навчання на місці.",
        "Досвід роботи бажаний, але не обов'язковий.",
        "Робочий час з понеділка по п'ятницю, вісім годин на день.",
        "Посада починається якнайшвидше, надсилайте резюме до {start_date}.",
    ],
    "es": [
        "Buscamos un nuevo empleado para nuestra tienda en {city}.",
        "Trabajarás con clientes y tendrás buenos compañeros.",
        "El trabajo es a tiempo completo con un sueldo de {pay}.",
        "Llama a {contact_name} al {phone} o escribe a {email}.",
        "Ofrecemos contrato indefinido, vacaciones pagadas y formación.",
        "Se valora experiencia previa, pero no es imprescindible.",
        "Horario de lunes a viernes, ocho horas al día.",
        "El puesto empieza lo antes posible; envía tu currículum antes del {start_date}.",
    ],
}
LANG_WEIGHTS = {"da": 30, "en": 25, "ro": 12, "pl": 12, "bg": 12, "uk": 5, "es": 4}
INDICATOR_SHARE = 0.15
MIXED_SHARE = 0.05
SLOT_RE = re.compile(r"\{(\w+)\}")
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
DOMAINS = ("mail.example", "post.example", "firma.example", "job.example")
CURRENCIES = {
    "da": "kr.",
    "en": "DKK",
    "ro": "lei",
    "pl": "zł",
    "bg": "лв.",
    "uk": "грн",
    "es": "EUR",
}


# --- listings --------------------------------------------------------------------------------


class _Generator:
    """Seeded listings from fixture templates and catalogue examples, slots varied."""

    def __init__(self, seed: int) -> None:
        from fixture_site.site_data import load_site_data
        from indicator_lists import load_catalogue

        self.rng = random.Random(seed)
        self.data = load_site_data()
        self.benign: dict[str, list[str]] = {lang: [] for lang in LANG_WEIGHTS}
        self.flagged: dict[str, list[str]] = {lang: [] for lang in LANG_WEIGHTS}
        self.titles: dict[str, list[str]] = {lang: [] for lang in LANG_WEIGHTS}
        self.choices: dict[str, list[str]] = {}
        for t in (*self.data.jobs, *self.data.ads):
            pool = self.benign if t.expected == "benign" else self.flagged
            pool[t.lang].extend(s for s in SENTENCE_RE.split(t.body) if s.strip())
            if t.expected == "benign":
                self.titles[t.lang].extend(t.titles)
            for key, values in t.choices:
                self.choices.setdefault(key, []).extend(values)
        for ind in load_catalogue().indicators():
            for lang, ex in ind.examples.items():
                self.flagged.setdefault(lang, []).extend(ex.positive)
                self.benign.setdefault(lang, []).extend(ex.negative)
        for lang, sentences in EXTRA_SENTENCES.items():
            self.benign[lang].extend(sentences)
            self.titles[lang].extend(s.rstrip(".") for s in sentences[:3])
        for lang in LANG_WEIGHTS:
            if not self.flagged.get(lang):
                self.flagged[lang] = self.flagged["en"]
        self.langs = list(LANG_WEIGHTS)
        self.weights = list(LANG_WEIGHTS.values())
        self.companies = [c for cs in self.data.companies.values() for c in cs]

    def _word(self) -> str:
        from fixture_site.campaigns import SYLLABLES

        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 3)))

    def _phone(self, lang: str) -> str:
        rng = self.rng
        country, pattern = self.data.phone_formats.get(lang, self.data.phone_formats["en"])
        digits = "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in pattern)
        national = re.sub(r"\D", "", digits)
        style = rng.random()
        if style < 0.08:  # obfuscated: spaced or spoken digits
            words = self.data.digit_words
            if rng.random() < 0.5:
                return " ".join(national)
            return " ".join(
                words[int(d)] if i == 0 or rng.random() < 0.5 else d for i, d in enumerate(national)
            )
        if style < 0.3:
            return national
        return f"{country} {digits}"

    def _slot(self, name: str, lang: str) -> str:
        rng = self.rng
        if name in ("city", "other_city"):
            return rng.choice(self.data.cities).name
        if name == "company":
            return (
                rng.choice(self.companies).name
                if rng.random() < 0.6
                else f"{self._word().capitalize()} {rng.choice(('ApS', 'A/S', 'Service', 'Group'))}"
            )
        if name == "address":
            c = rng.choice(self.data.cities)
            return f"{self._word().capitalize()}vej {rng.randint(1, 120)}, {c.postcode} {c.name}"
        if name == "cvr":
            return str(rng.randrange(10_000_000, 99_999_999))
        if name == "email":
            return f"{self._word()}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"
        if name in ("contact_name", "name"):
            names = self.data.names[rng.choice(("female", "male"))]
            return rng.choice(names.get(lang, names["en"]))
        if name == "age":
            return str(rng.randint(19, 58))
        if name == "phone":
            return self._phone(lang)
        if name == "handle":
            return f"@{self._word()}{rng.randint(1, 999)}"
        if name == "pay":
            low = rng.randrange(120, 260, 5)
            return f"{low}-{low + rng.randrange(5, 40, 5)} {CURRENCIES.get(lang, 'DKK')}"
        if name in ("start_date", "valid_through"):
            return f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2026"
        if name in self.choices:
            return rng.choice(self.choices[name])
        return str(rng.randint(2, 60))

    def _fill(self, template: str, lang: str) -> str:
        return SLOT_RE.sub(lambda m: self._slot(m.group(1), lang), template)

    def listing(self) -> tuple[str, str]:
        rng = self.rng
        lang = rng.choices(self.langs, self.weights)[0]
        title = self._fill(rng.choice(self.titles[lang]), lang)
        target = rng.randint(68, 88) - len(title.split())
        sentences: list[str] = []
        words = 0
        while words < target:
            pool_lang = "en" if rng.random() < MIXED_SHARE else lang
            sentence = self._fill(rng.choice(self.benign[pool_lang]), pool_lang)
            sentences.append(sentence)
            words += len(sentence.split())
        if rng.random() < INDICATOR_SHARE:
            for _ in range(rng.randint(1, 2)):
                sentence = self._fill(rng.choice(self.flagged[lang]), lang)
                sentences.insert(rng.randrange(len(sentences) + 1), sentence)
        paragraphs, i = [], 0
        while i < len(sentences):
            step = rng.randint(2, 4)
            paragraphs.append(" ".join(sentences[i : i + step]))
            i += step
        return title, "\n\n".join(paragraphs)


def make_listings(n: int, seed: int = 2026) -> list[tuple[str, str]]:
    """``n`` seeded (title, text) listings of about 80 words in mixed languages."""
    gen = _Generator(seed)
    return [gen.listing() for _ in range(n)]


def _combined(listings: list[tuple[str, str]]) -> list[str]:
    return [f"{title}\n\n{text}" if title else text for title, text in listings]


# --- runs (each in its own process, on one core) --------------------------------------------


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cpu})


def _read(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [tuple(json.loads(line)) for line in fh]


def run_throughput(path: Path, size: int) -> dict[str, Any]:
    """Listings per second over ``size`` listings, and the p95 of single ``assess`` calls."""
    from thbscan.assets import load_scorer

    rows = _read(path)
    listings, warmup = rows[WARMUP : WARMUP + size], rows[:WARMUP]
    scorer = load_scorer()
    for _ in scorer.assess_many(warmup):
        pass
    start_cpu, start = time.process_time(), time.perf_counter()
    flagged = sum(a.flagged for a in scorer.assess_many(listings))
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    single = []
    for title, text in listings[:LATENCY_SAMPLE]:
        t0 = time.perf_counter()
        scorer.assess(title, text)
        single.append(time.perf_counter() - t0)
    single.sort()
    return {
        "listings": len(listings),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "listings_per_s": round(len(listings) / seconds, 1),
        "us_per_listing": round(1e6 * seconds / len(listings), 1),
        "p95_ms_single": round(1e3 * single[int(0.95 * (len(single) - 1))], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "flagged": flagged,
    }


def run_load(path: Path, size: int) -> dict[str, Any]:
    """Loading the scorer once first: a catalogue not yet in the cache is compiled then
    (once per catalogue, ``THBSCAN_CACHE_DIR``), which the scoring runs should not count."""
    from thbscan.assets import load_scorer

    start = time.perf_counter()
    load_scorer()
    return {
        "seconds": round(time.perf_counter() - start, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_stages(path: Path, size: int) -> dict[str, float]:
    """µs per listing of each stage, timed on its own over ``size`` listings."""
    from indicator_lists.matcher import identify, normalise, tokenize
    from indicator_lists.matcher.engine import combine
    from nlp.extract import extract
    from nlp.pipeline import make_doc
    from thbscan.assets import load_scorer

    rows = _read(path)[WARMUP : WARMUP + size]
    scorer = load_scorer()
    engine = scorer.nlp.get_pipe("thbscan_indicators_v1").engine
    texts = [combine(title, text) for title, text in rows]
    list(scorer.assess_many(rows[:WARMUP]))

    def timed(fn: Any, items: list[Any]) -> float:
        start = time.perf_counter()
        for item in items:
            fn(item)
        return round(1e6 * (time.perf_counter() - start) / len(items), 1)

    norms = [normalise(t) for t, _n in texts]
    tokens = [tokenize(n.text) for n in norms]
    words = [[t.text.lower() for t in ts if t.is_word] for ts in tokens]
    stages = {
        "normalise": timed(lambda t: normalise(t[0]), texts),
        "tokenize": timed(lambda n: tokenize(n.text), norms),
        "language": timed(identify, words),
        "matcher, whole (language, concepts, quantities, kind, indicators, rules)": timed(
            lambda i: engine.analyse_text(
                texts[i][0], texts[i][1], norm=norms[i], tokens=tokens[i]
            ),
            range(len(rows)),
        ),
        "spaCy doc (tokenizer, doc)": timed(lambda r: make_doc(scorer.nlp, *r), rows),
        "extraction (phones, e-mails, handles, URLs, money, ages)": timed(
            lambda t: extract(t[0]), texts
        ),
    }
    if scorer.model is not None:
        # A second-opinion model is asked only about listings with indicator evidence: its
        # cost is timed on those and spread over every listing, as assess_many spends it.
        asked = [a.model_probability is not None for a in scorer.assess_many(rows)]
        inputs = [combine(*r)[0] for r, yes in zip(rows, asked, strict=True) if yes]
        start = time.perf_counter()
        for i in range(0, len(inputs), 512):
            scorer.model.probabilities(inputs[i : i + 512])
        share = len(inputs) / len(rows)
        stages[f"text model (asked about {share:.0%} of the listings)"] = round(
            1e6 * (time.perf_counter() - start) / len(rows), 1
        )
    start = time.perf_counter()
    for _ in scorer.assess_many(rows):
        pass
    stages["end to end (assess_many)"] = round(1e6 * (time.perf_counter() - start) / len(rows), 1)
    return stages


def _spawn(kind: str, path: Path, size: int, cpu: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.bench_score",
        "--worker",
        kind,
        "--listings-file",
        str(path),
        "--n",
        str(size),
        "--cpu",
        str(cpu),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the {kind} run failed (exit {proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- report ----------------------------------------------------------------------------------


def evaluate(runs: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The targets, each with the measured value (the median of the rounds on all)."""
    full = [r for r in runs if r["listings"] == n]
    median = sorted(full, key=lambda r: r["listings_per_s"])[(len(full) - 1) // 2]
    small = min(runs, key=lambda r: r["listings"])
    peak = max(r["peak_rss_mb"] for r in runs)
    growth = median["us_per_listing"] / small["us_per_listing"]
    checks = [
        (
            "listings/s on one core",
            median["listings_per_s"],
            f">= {TARGET_RATE:,.0f}",
            median["listings_per_s"] >= TARGET_RATE,
        ),
        ("p95 of one listing (ms, assess on single listings)", median["p95_ms_single"], "-", None),
        ("peak RSS (MB)", peak, f"< {TARGET_RSS_MB:,.0f}", peak < TARGET_RSS_MB),
        (
            f"linearity: µs/listing at {n:,} / at {small['listings']:,}",
            round(growth, 3),
            f"<= {LINEARITY_TOLERANCE}",
            growth <= LINEARITY_TOLERANCE,
        ),
    ]
    return [
        {
            "target": t,
            "value": v,
            "required": req,
            "result": "-" if ok is None else ("PASS" if ok else "MISS"),
        }
        for t, v, req, ok in checks
    ]


def report(
    runs: list[dict[str, Any]], stages: dict[str, float], checks: list[dict[str, Any]], n: int
) -> str:
    lines = [
        f"Scoring benchmark: {n:,} generated listings (~80 words; da/en/ro/pl/bg, some "
        "uk/es), one core, each run in its own process.",
        "",
        f"{'run':>14s} {'listings/s':>11s} {'µs/listing':>11s} {'p95 ms':>8s} {'peak RSS MB':>12s}",
    ]
    for r in runs:
        lines.append(
            f"{r['listings']:>14,} {r['listings_per_s']:>11,.0f} "
            f"{r['us_per_listing']:>11,.1f} {r['p95_ms_single']:>8.2f} "
            f"{r['peak_rss_mb']:>12,.0f}"
        )
    lines += ["", "µs per listing, stage by stage (each timed on its own):"]
    lines += [f"  {name:70s} {us:>8,.1f}" for name, us in stages.items()]
    lines += ["", f"{'target':52s} {'value':>10s} {'required':>10s}  result"]
    lines += [
        f"{c['target']:52s} {c['value']:>10} {c['required']:>10s}  {c['result']}" for c in checks
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="listings")
    parser.add_argument("--quick", action="store_true", help="a smoke run on 10,000 listings")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--cpu", type=int, default=0, help="the core every run is pinned to")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="runs on all listings; the median counts (default 3, --quick 1)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--worker", choices=["load", "throughput", "stages"], help=argparse.SUPPRESS
    )
    parser.add_argument("--listings-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        _pin(args.cpu)
        run = {"load": run_load, "throughput": run_throughput, "stages": run_stages}[args.worker]
        print(json.dumps(run(args.listings_file, args.n)))
        return 0

    n = 10_000 if args.quick else args.n
    rounds = max(1, args.rounds or (1 if args.quick else 3))
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    say(f"generating {n:,} listings (seed {args.seed}) ...")
    with tempfile.TemporaryDirectory(prefix="thbscan-bench-") as tmp:
        path = Path(tmp) / "listings.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for listing in make_listings(n + WARMUP, args.seed):
                fh.write(json.dumps(listing, ensure_ascii=False) + "\n")
        say("loading the scorer (compiling the catalogue if it is not cached) ...")
        load = _spawn("load", path, 0, args.cpu)
        runs = []
        for size in [max(1, n // 10)] + [n] * rounds:
            say(f"scoring {size:,} listings ...")
            runs.append(_spawn("throughput", path, size, args.cpu))
        say("timing each stage ...")
        stages = _spawn("stages", path, min(n, 10_000), args.cpu)
    checks = evaluate(runs, n)
    result = {
        "benchmark": "score",
        "n": n,
        "seed": args.seed,
        "rounds": rounds,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "first_load": load,
        "runs": runs,
        "stages_us": stages,
        "checks": checks,
        "median_listings_per_s": statistics.median(
            r["listings_per_s"] for r in runs if r["listings"] == n
        ),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(report(runs, stages, checks, n))
        print(
            f"first load of the scorer (a catalogue not yet cached is compiled): "
            f"{load['seconds']} s, peak RSS {load['peak_rss_mb']:,.0f} MB"
        )
        print(f"\nresults written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
