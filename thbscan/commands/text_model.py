"""``thbscan model train|list|promote``: the small text model of the scorer."""

from __future__ import annotations

import argparse

from models.textmodel import load_config, train
from thbscan import config
from thbscan.commands.common import emit_json


def fixture_corpus() -> tuple[list[str], list[int]]:
    from fixture_site import generate_listings

    listings = generate_listings()
    texts = [f"{x.title}\n\n{x.text}" for x in listings]
    labels = [int(x.expected == "flagged") for x in listings]
    return texts, labels


def run_train(args: argparse.Namespace) -> int:
    texts, labels = fixture_corpus()
    estimator = train(texts, labels, load_config())
    accuracy = float((estimator.predict(texts) == labels).mean())
    registry = config.registry()
    entry = registry.save(
        estimator,
        args.version,
        trained_on=f"fixture corpus ({len(texts)} listings, {sum(labels)} flagged)",
        metrics={"training_accuracy": round(accuracy, 4)},
        promote=args.promote,
    )
    result = {
        "version": entry.version,
        "file": entry.file,
        "sha256": entry.sha256,
        "training_accuracy": round(accuracy, 4),
    }
    if args.json:
        emit_json(result)
    else:
        print(
            f"trained model {entry.version} -> {registry.directory / entry.file} "
            f"(sha256 {entry.sha256[:12]}..., training accuracy {accuracy:.3f})"
        )
        if not args.promote:
            print(f"promote it with: thbscan model promote {entry.version}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    manifest = config.registry().manifest()
    if args.json:
        emit_json(manifest)
        return 0
    for version, entry in sorted(manifest["models"].items()):
        mark = "*" if version == manifest.get("promoted") else " "
        print(f"{mark} {version:<20} {entry['file']:<36} {entry['trained_on']}")
    return 0


def run_promote(args: argparse.Namespace) -> int:
    config.registry().promote(args.version)
    print(f"model {args.version} promoted; `thbscan score` will re-score with it")
    return 0
