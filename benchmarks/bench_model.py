"""The text model's own cost per listing, on one core.

Scores ``--n`` generated listings (benchmarks.bench_score's, about 80 words each) with the
text model alone, in batches of 512 as the scorer calls it: the promoted model, or the
model directory ``--model DIR`` (``thbscan model train --out DIR``). Prints listings per
second and µs per listing (best of ``--rounds``); the whole scorer's figures come from
benchmarks.bench_score.

    python -m benchmarks.bench_model [--model DIR] [--n 5000] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_score import _combined, make_listings


def measure(model: Any, texts: list[str], rounds: int) -> dict[str, Any]:
    model.probabilities(texts[:64])  # warm up
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(0, len(texts), 512):
            model.probabilities(texts[i : i + 512])
        best = min(best, time.perf_counter() - start)
    return {
        "model": model.version,
        "listings": len(texts),
        "listings_per_s": round(len(texts) / best),
        "us_per_listing": round(1e6 * best / len(texts), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a model directory (default: the promoted)")
    parser.add_argument("--n", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if args.model is not None:
        from models.model_store import load_model_dir

        model: Any = load_model_dir(args.model)
    else:
        from thbscan import config

        model = config.registry().load()
    texts = _combined(make_listings(args.n))
    result = measure(model, texts, args.rounds)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"text model {result['model']}: {result['listings_per_s']:,} listings/s, "
            f"{result['us_per_listing']} µs a listing ({result['listings']} listings, one core)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
