"""Scoring throughput and peak memory, end to end, against three reference scanners.

Generates ``--n`` (default 100,000) seeded listings of about 80 words in Danish, English,
Romanian, Polish and Bulgarian (and a few Ukrainian and Spanish), built from the fixture
site's templates and the catalogue's indicator examples with varied slots (names, phones,
prices, e-mail addresses), about 15 % with indicator phrases and some with obfuscated phone
numbers. Each contender runs in its own subprocess pinned to one core, on the same listings,
and reports listings per second and its peak RSS:

- ``ours``: ``thbscan.assets.load_scorer().assess_many`` (language, normalisation, spaCy
  components, extraction, text model, evidence and explanation), on 10 %, 50 % and 100 % of
  the listings for the linearity check;
- ``(a) tokenizer+PhraseMatcher``: ``spacy.blank`` tokenizer and a PhraseMatcher on LOWER
  holding every phrase of the catalogue (the practical limit);
- ``(b) re alternation``: one case-insensitive, word-boundaried ``re`` alternation of the same
  phrases (the scanner a newcomer writes);
- ``(c) newcomer pipeline, end to end``: the same job done the way a newcomer writes it, per
  listing and unbatched: ``langdetect.detect`` on the full text, one ``nlp(text)`` call with
  the same PhraseMatcher as a component, ``phonenumbers.PhoneNumberMatcher`` and an e-mail
  regex for extraction, and the text model's ``predict_proba([text])`` (model 1.0.0, a
  scikit-learn HashingVectorizer on the raw text). The 10x target is against this one.
- ``(c0) newcomer, matching only``: (c) without extraction and model (langdetect and one
  ``nlp(text)`` per listing): the narrower reading of (c), reported for information.

The slow contenders (b) and (c) run on a stated subset. Figures vary 30-40 % between runs on
a shared machine, and drift within one: (a) and ours on all listings run in turn, three
rounds by default, and their medians count (each round's ratio is printed too); compare the
ratios of one run.

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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results" / "score.json"

TARGET_RATE = 2_000.0
TARGET_VS_TOKENIZER = 0.25  # at least a quarter of (a)
TARGET_VS_REGEX = 3.0
TARGET_VS_NEWCOMER = 10.0
TARGET_RSS_MB = 1_024.0
LINEARITY_TOLERANCE = 1.3  # µs/listing at the largest size at most this times the smallest's
WARMUP = 200

CONTENDERS = {
    "ours": "ours (load_scorer().assess_many, end to end)",
    "tokenizer": "(a) spaCy tokenizer + PhraseMatcher",
    "regex": "(b) re alternation of the phrases",
    "newcomer_full": "(c) newcomer pipeline, end to end",
    "newcomer": "(c0) newcomer, phrase matching only",
}

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
SYLLABLES = ("ka", "ro", "mi", "la", "sen", "dor", "vik", "an", "el", "tru", "bo", "nia",
             "ste", "jo", "har", "lin", "mar", "us", "pe", "ton")
DOMAINS = ("mail.example", "post.example", "firma.example", "job.example")
CURRENCIES = {"da": "kr.", "en": "DKK", "ro": "lei", "pl": "zł", "bg": "лв.", "uk": "грн",
              "es": "EUR"}


# --- listings --------------------------------------------------------------------------------

class _Generator:
    """Seeded listings from fixture templates and catalogue examples, slots varied."""

    def __init__(self, seed: int) -> None:
        from indicator_lists import load_catalogue
        from thbscan.fixture_site.loader import load_site_data

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
            return " ".join(words[int(d)] if i == 0 or rng.random() < 0.5 else d
                            for i, d in enumerate(national))
        if style < 0.3:
            return national
        return f"{country} {digits}"

    def _slot(self, name: str, lang: str) -> str:
        rng = self.rng
        if name in ("city", "other_city"):
            return rng.choice(self.data.cities).name
        if name == "company":
            return rng.choice(self.companies).name if rng.random() < 0.6 else \
                f"{self._word().capitalize()} {rng.choice(('ApS', 'A/S', 'Service', 'Group'))}"
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
            paragraphs.append(" ".join(sentences[i:i + step]))
            i += step
        return title, "\n\n".join(paragraphs)


def make_listings(n: int, seed: int = 2026) -> list[tuple[str, str]]:
    """``n`` seeded (title, text) listings of about 80 words in mixed languages."""
    gen = _Generator(seed)
    return [gen.listing() for _ in range(n)]


def _combined(listings: list[tuple[str, str]]) -> list[str]:
    return [f"{title}\n\n{text}" if title else text for title, text in listings]


# --- contenders (each in its own subprocess) -------------------------------------------------

def _phrases() -> list[str]:
    from indicator_lists import load_catalogue
    from nlp.pipeline import catalogue_patterns

    phrases = catalogue_patterns(load_catalogue())["phrases"]
    return sorted({p for ps in phrases.values() for p in ps})


def _phrase_matcher(nlp: Any, phrases: list[str]) -> Any:
    from spacy.matcher import PhraseMatcher

    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    matcher.add("PHRASE", list(nlp.tokenizer.pipe(phrases)))
    return matcher


def _run_ours(listings: list[tuple[str, str]], warmup: list[tuple[str, str]]):
    from thbscan.assets import load_scorer

    scorer = load_scorer()
    for _ in scorer.assess_many(warmup):
        pass

    def run() -> int:
        return sum(a.flagged for a in scorer.assess_many(listings))
    return run


def _run_tokenizer(listings: list[tuple[str, str]], warmup: list[tuple[str, str]]):
    import spacy

    nlp = spacy.blank("en")
    matcher = _phrase_matcher(nlp, _phrases())
    texts = _combined(listings)
    for doc in nlp.tokenizer.pipe(_combined(warmup)):
        matcher(doc)

    def run() -> int:
        return sum(bool(matcher(doc)) for doc in nlp.tokenizer.pipe(texts))
    return run


def _run_regex(listings: list[tuple[str, str]], warmup: list[tuple[str, str]]):
    phrases = sorted(_phrases(), key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, phrases)) + r")\b", re.IGNORECASE)
    texts = _combined(listings)
    for text in _combined(warmup):
        pattern.findall(text)

    def run() -> int:
        return sum(bool(pattern.findall(text)) for text in texts)
    return run


def _newcomer_scorer():
    """langdetect on the full text, then one ``nlp(text)`` call per listing with a
    PhraseMatcher component; returns ``score(text) -> bool`` (any phrase found)."""
    import spacy
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException
    from spacy.language import Language

    DetectorFactory.seed = 0
    phrases = _phrases()
    pipelines: dict[str, Any] = {}

    @Language.component("bench_newcomer_matcher")
    def _component(doc: Any) -> Any:
        doc.user_data["matches"] = pipelines[doc.lang_]["matcher"](doc)
        return doc

    def pipeline(lang: str) -> Any:
        lang = lang if lang in ("da", "en", "ro", "pl", "bg", "uk", "es") else "xx"
        if lang not in pipelines:
            nlp = spacy.blank(lang)
            pipelines[nlp.lang] = {"matcher": _phrase_matcher(nlp, phrases)}
            nlp.add_pipe("bench_newcomer_matcher")
            pipelines[lang]["nlp"] = nlp
        return pipelines[lang]["nlp"]

    def score(text: str) -> bool:
        try:
            lang = detect(text)
        except LangDetectException:
            lang = "en"
        return bool(pipeline(lang)(text).user_data["matches"])

    return score


def _one_by_one(score: Any, listings: list[tuple[str, str]], warmup: list[tuple[str, str]]):
    """A runner that calls ``score(text)`` on each listing, after warming it up."""
    texts = _combined(listings)
    for text in _combined(warmup):
        score(text)

    def run() -> int:
        return sum(score(text) for text in texts)
    return run


def _run_newcomer(listings: list[tuple[str, str]], warmup: list[tuple[str, str]]):
    return _one_by_one(_newcomer_scorer(), listings, warmup)


_NEWCOMER_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _run_newcomer_full(listings: list[tuple[str, str]], warmup: list[tuple[str, str]]):
    """(c) with the rest of the job done the same naive way: per listing, phonenumbers'
    PhoneNumberMatcher and an e-mail regex for extraction, and the scikit-learn text model
    (1.0.0: HashingVectorizer on the raw text) called on that one listing."""
    import phonenumbers

    from models import ModelRegistry

    estimator = ModelRegistry().load("1.0.0").estimator
    score_phrases = _newcomer_scorer()

    def score(text: str) -> bool:
        hit = score_phrases(text)
        phones = [phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
                  for m in phonenumbers.PhoneNumberMatcher(text, "DK")]
        emails = _NEWCOMER_EMAIL_RE.findall(text)
        probability = estimator.predict_proba([text])[0, 1]
        return hit or (bool(phones or emails) and bool(probability > 0.5))

    return _one_by_one(score, listings, warmup)


RUNNERS = {"ours": _run_ours, "tokenizer": _run_tokenizer, "regex": _run_regex,
           "newcomer": _run_newcomer, "newcomer_full": _run_newcomer_full}


def worker(name: str, path: Path, size: int, cpu: int) -> dict[str, Any]:
    """Run one contender on the first ``size`` listings of ``path``; one core, one process."""
    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cpu})
    with path.open(encoding="utf-8") as fh:
        rows = [tuple(json.loads(line)) for line in fh]
    listings = rows[WARMUP:WARMUP + size]
    warmup = rows[:WARMUP]
    run = RUNNERS[name](listings, warmup)
    start_cpu, start = time.process_time(), time.perf_counter()
    positives = run()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "contender": name,
        "listings": len(listings),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "listings_per_s": round(len(listings) / seconds, 1),
        "us_per_listing": round(1e6 * seconds / len(listings), 1),
        "peak_rss_mb": round(rss_kb / 1024, 1),
        "positives": positives,
    }


def _spawn(name: str, path: Path, size: int, cpu: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.bench_score", "--worker", name,
           "--listings-file", str(path), "--n", str(size), "--cpu", str(cpu)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"contender {name} failed (exit {proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- report ----------------------------------------------------------------------------------

def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def representative(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One run per contender and size: the median one by rate where it ran in several rounds
    (the lower middle of an even number), in the order of first appearance."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["contender"], r["listings"]), []).append(r)
    picked = []
    for group in groups.values():
        ordered = sorted(group, key=lambda r: r["listings_per_s"])
        picked.append({**ordered[(len(ordered) - 1) // 2], "rounds": len(group)})
    return picked


def paired_ratios(runs: list[dict[str, Any]], n: int) -> list[float]:
    """ours / (a) in each round, from the two runs of that round (next to each other)."""
    by_round: dict[int, dict[str, float]] = {}
    for r in runs:
        if r.get("round") is not None and r["listings"] == n:
            by_round.setdefault(r["round"], {})[r["contender"]] = r["listings_per_s"]
    return [round(v["ours"] / v["tokenizer"], 3) for _, v in sorted(by_round.items())
            if "ours" in v and "tokenizer" in v]


def evaluate(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The targets of the issue, each with the measured value and PASS/MISS (on the
    representative runs: medians where a contender ran in several rounds)."""
    runs = representative(runs)
    ours = [r for r in runs if r["contender"] == "ours"]
    full = max(ours, key=lambda r: r["listings"])
    rate = {r["contender"]: r["listings_per_s"] for r in runs if r["contender"] != "ours"}
    checks = [
        ("listings/s on one core", full["listings_per_s"], f">= {TARGET_RATE:,.0f}",
         full["listings_per_s"] >= TARGET_RATE),
    ]
    if "tokenizer" in rate:
        ratio = full["listings_per_s"] / rate["tokenizer"]
        checks.append(("ours / (a) tokenizer+PhraseMatcher", round(ratio, 3),
                       f">= {TARGET_VS_TOKENIZER}", ratio >= TARGET_VS_TOKENIZER))
    if "regex" in rate:
        ratio = full["listings_per_s"] / rate["regex"]
        checks.append(("ours / (b) re alternation", round(ratio, 2), f">= {TARGET_VS_REGEX}",
                       ratio >= TARGET_VS_REGEX))
    if "newcomer_full" in rate:
        ratio = full["listings_per_s"] / rate["newcomer_full"]
        checks.append(("ours / (c) newcomer pipeline, end to end", round(ratio, 2),
                       f">= {TARGET_VS_NEWCOMER}", ratio >= TARGET_VS_NEWCOMER))
    if "newcomer" in rate:  # for information: the same ratio to its matching part alone
        ratio = full["listings_per_s"] / rate["newcomer"]
        checks.append(("ours / (c0) newcomer, matching only (information)", round(ratio, 2),
                       "-", True))
    peak = max(r["peak_rss_mb"] for r in ours)
    checks.append(("peak RSS of ours (MB)", peak, f"< {TARGET_RSS_MB:,.0f}", peak < TARGET_RSS_MB))
    if len(ours) > 1:
        small = min(ours, key=lambda r: r["listings"])
        growth = full["us_per_listing"] / small["us_per_listing"]
        checks.append((
            f"linearity: µs/listing at {full['listings']:,} / at {small['listings']:,}",
            round(growth, 3), f"<= {LINEARITY_TOLERANCE}", growth <= LINEARITY_TOLERANCE,
        ))
    return [{"target": t, "value": v, "required": req,
             "result": _verdict(ok) if req != "-" else "-"} for t, v, req, ok in checks]


def report(runs: list[dict[str, Any]], checks: list[dict[str, Any]], n: int, slow_n: int) -> str:
    rounds = max((r["rounds"] for r in representative(runs)), default=1)
    lines = [
        f"Scoring benchmark: {n:,} generated listings (~80 words; da/en/ro/pl/bg, some uk/es), "
        "one core per contender, each in its own process.",
        f"Slow contenders (b) and (c) run on the first {slow_n:,} of the same listings.",
    ]
    if rounds > 1:
        lines.append(f"(a) and ours on all {n:,} ran in turn, {rounds} rounds (the machine's "
                     "speed drifts): their medians are shown.")
    lines += [
        "",
        f"{'contender':48s} {'listings':>9s} {'listings/s':>11s} {'µs/listing':>11s} "
        f"{'peak RSS MB':>12s}",
    ]
    for r in representative(runs):
        lines.append(
            f"{CONTENDERS[r['contender']]:48s} {r['listings']:>9,} {r['listings_per_s']:>11,.0f} "
            f"{r['us_per_listing']:>11,.1f} {r['peak_rss_mb']:>12,.0f}"
        )
    paired = paired_ratios(runs, n)
    if len(paired) > 1:
        lines += ["", "ours / (a) in each round: " + ", ".join(f"{p:.3f}" for p in paired)]
    lines += ["", f"{'target':52s} {'value':>10s} {'required':>10s}  result"]
    for c in checks:
        lines.append(f"{c['target']:52s} {c['value']:>10} {c['required']:>10s}  {c['result']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="listings for ours and (a)")
    parser.add_argument("--quick", action="store_true", help="a smoke run on 10,000 listings")
    parser.add_argument("--slow-n", type=int, default=None,
                        help="listings for the slow contenders (b), (c); default 5,000")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--cpu", type=int, default=0, help="the core every contender runs on")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of (a) and ours on all listings, run in turn; medians "
                        "count (default 3, with --quick 1)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--worker", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--listings-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.listings_file, args.n, args.cpu)))
        return 0

    n = 10_000 if args.quick else args.n
    slow_n = min(n, args.slow_n or (2_000 if args.quick else 5_000))
    sizes = sorted({max(1, n // 10), max(1, n // 2), n})
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    say(f"generating {n:,} listings (seed {args.seed}) ...")
    with tempfile.TemporaryDirectory(prefix="thbscan-bench-") as tmp:
        path = Path(tmp) / "listings.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for listing in make_listings(n + WARMUP, args.seed):
                fh.write(json.dumps(listing, ensure_ascii=False) + "\n")
        rounds = max(1, args.rounds or (1 if args.quick else 3))
        # (a) and ours on all listings in turn, round after round: the ratio of the two is
        # then not skewed by the machine's speed drifting between them.
        plan: list[tuple[str, int, int | None]] = []
        for r in range(rounds):
            plan += [("tokenizer", n, r), ("ours", n, r)]
        plan += [*(("ours", s, None) for s in sizes if s != n), ("regex", slow_n, None),
                 ("newcomer_full", slow_n, None), ("newcomer", slow_n, None)]
        runs = []
        for name, size, r in plan:
            label = f" (round {r + 1} of {rounds})" if rounds > 1 and r is not None else ""
            say(f"running {CONTENDERS[name]} on {size:,} listings{label} ...")
            runs.append({**_spawn(name, path, size, args.cpu), "round": r})
    checks = evaluate(runs)
    result = {
        "benchmark": "score", "n": n, "slow_n": slow_n, "seed": args.seed,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "runs": runs, "representative": representative(runs),
        "paired_ratios": paired_ratios(runs, n), "checks": checks,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(report(runs, checks, n, slow_n))
        print(f"\nresults written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
