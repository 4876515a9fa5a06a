"""``thbscan model train|evaluate|list|promote``: the scorer's text model (docs/models.md).

``train`` reads labelled listings (an EMSCAD CSV, JSON lines, the analysts' decisions in
the review queue, or the bundled fixture corpus), cross-validates, chooses the threshold
and writes a versioned model directory (models/model_store.py); inside the registry
directory (``THBSCAN_MODELS_DIR``), or with ``--register``, it is registered too.
``evaluate`` measures a model on labelled data it was not trained on and writes an HTML
report and a model card. Using a model for scoring is a person's decision (``promote``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.corpus_cv import CORPUS_PATTERN
from models.datasets import DATASETS, Dataset, Example, from_examples, read_emscad, read_jsonl
from models.errors import ModelError
from models.listing_model import DEFAULT_PATTERN, is_probability, load_config
from thbscan import config
from thbscan.commands.common import emit_json

# What a flag by the model means, per kind of training data (the scorer's explanation).
PATTERNS = {
    "emscad": "deceptive-recruitment pattern",
    "fixture": "wording like the fixture corpus's flagged listings",
    "decisions": "wording like the listings analysts escalated",
    "corpus": CORPUS_PATTERN,
}
# How a model of each kind of data may raise a listing (docs/models.md, "Model and
# indicators"): "alone", or "with_evidence" (only where the indicators found some). The
# development corpus is written as look-alikes against exploitation; ordinary text is
# not in it, so a model of it is a second opinion.
RAISES = {"corpus": "with_evidence"}


# The languages and kinds of listing each kind of data holds (the model's domain: the
# scorer lets it raise listings only there; docs/models.md, "Model and indicators").
DOMAINS = {"emscad": {"languages": ["en"], "kinds": ["job"]}}


def _domain(args: argparse.Namespace, dataset: Dataset) -> dict[str, list[str]]:
    """--languages/--kinds, else the dataset kind's, else the values its rows name (a
    group some row lacks: any)."""
    domain = dict(DOMAINS.get(args.dataset[0], {}))
    for group, given in (("language", args.languages), ("kind", args.kinds)):
        key = f"{group}s"
        if given:
            domain[key] = sorted({v.strip() for v in given.split(",") if v.strip()})
        elif key not in domain:
            domain[key] = dataset.values_of(group)
    return domain


def _fixture_dataset() -> Dataset:
    from fixture_site import generate_listings

    return from_examples(
        "fixture corpus",
        (
            Example(
                x.id,
                f"{x.title}\n\n{x.text}",
                int(x.expected == "flagged"),
                {},
                {"language": x.lang, "source": f"fixture:{x.board}"},
                x.title,
            )
            for x in generate_listings()
        ),
    )


def _corpus_dataset() -> Dataset:
    """The development split of the blind evaluation corpus (never the locked test split)."""
    from models.corpus_cv import corpus_dataset
    from models.indicator_eval import DEV_SPLIT, load_split

    return corpus_dataset(DEV_SPLIT, load_split("dev"))


def _decisions_dataset(db: str | None) -> Dataset:
    from review_queue.services.outcomes import decided_outcomes
    from thbscan.commands.common import open_db

    _engine, sessions = open_db(db)
    with sessions() as session:
        outcomes = list(decided_outcomes(session))
    return from_examples(
        "analyst decisions",
        (
            Example(
                f"item-{o.item_id}",
                f"{o.title}\n\n{o.text}" if o.title else o.text,
                int(o.escalated),
                {},
                {"source": "sampled" if o.sampled else "flagged"},
                o.title,
            )
            for o in outcomes
        ),
    )


def load_dataset(spec: list[str], db: str | None = None) -> Dataset:
    """``--dataset KIND [PATH]`` as a dataset."""
    kind, rest = spec[0], spec[1:]
    if kind not in DATASETS:
        raise ModelError(f"--dataset {kind!r} is unknown: use one of {', '.join(DATASETS)}")
    needs_path = kind in ("emscad", "jsonl")
    if needs_path and len(rest) != 1:
        raise ModelError(f"--dataset {kind} needs one PATH: --dataset {kind} FILE")
    if not needs_path and rest:
        raise ModelError(f"--dataset {kind} takes no PATH (given {' '.join(rest)!r})")
    if kind == "emscad":
        return read_emscad(rest[0])
    if kind == "jsonl":
        return read_jsonl(rest[0])
    if kind == "decisions":
        return _decisions_dataset(db)
    if kind == "corpus":
        return _corpus_dataset()
    return _fixture_dataset()


def _progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    if args.quiet:
        return None

    def say(message: str) -> None:
        sys.stderr.write(f"thbscan model: {message}\n")
        sys.stderr.flush()

    return say


def _check_prevalence(value: float | None) -> None:
    if value is not None and not 0 < value < 1:
        raise ModelError(f"--prevalence {value}: give the share of positives, e.g. 0.0484")


def check_alone_threshold(value: float | None, raises: str = "with_evidence") -> None:
    if value is None:
        return
    if not is_probability(value):
        raise ModelError(f"--raises-alone-at {value}: give a probability, e.g. 0.98")
    if raises != "with_evidence":
        raise ModelError(
            "--raises-alone-at is for a second opinion (--raises with-evidence): a model that "
            "raises alone already does so at its threshold"
        )


def listing_config(path: str | None) -> dict[str, Any]:
    cfg = load_config(Path(path)) if path else load_config()
    if "listing" not in cfg:
        raise ModelError(f"{path or 'models/config.toml'}: no [listing] section")
    return dict(cfg["listing"])


def run_train(args: argparse.Namespace) -> int:
    from models.model_store import write_model_dir
    from models.training import train_listing_model

    _check_prevalence(args.prevalence)
    raises = (args.raises or RAISES.get(args.dataset[0], "alone")).replace("-", "_")
    check_alone_threshold(args.raises_alone_at, raises)
    registry = config.registry()
    if args.version is None and args.out is None:
        raise ModelError("give --version V (the model goes to $THBSCAN_MODELS_DIR/V) or --out DIR")
    version = args.version or Path(args.out).name
    out = Path(args.out) if args.out else registry.directory / version
    say = _progress(args)
    cfg = listing_config(args.config)
    if say:
        say(f"reading --dataset {' '.join(args.dataset)}")
    dataset = load_dataset(args.dataset, args.db)
    if say:
        say(
            f"{len(dataset.examples)} listings, {dataset.positives} flag-worthy "
            f"({dataset.duplicates} duplicate texts dropped)"
        )
    trained = train_listing_model(dataset, cfg, prevalence=args.prevalence, progress=say)
    manifest = write_model_dir(
        out,
        trained.pipeline,
        version=version,
        data={"dataset": args.dataset[0], **dataset.describe()},
        config=cfg,
        metrics={"cross_validation": trained.cv},
        threshold={
            "value": trained.threshold,
            "rule": trained.threshold_rule,
            "prevalence": trained.prevalence,
        },
        extra={
            "training_seconds": round(trained.seconds, 1),
            "pattern": args.pattern or PATTERNS.get(args.dataset[0], DEFAULT_PATTERN),
            "domain": _domain(args, dataset),
            "raises": raises,
            **({"raises_alone_at": args.raises_alone_at} if args.raises_alone_at else {}),
        },
    )
    inside = out.resolve().is_relative_to(registry.directory.resolve())
    registered = False
    if inside or args.register or args.promote:
        registry.register_dir(out, promote=args.promote)
        registered = True
    result = {
        "version": version,
        "directory": str(out),
        "sha256": manifest["artefact"]["sha256"],
        "bytes": manifest["artefact"]["bytes"],
        "threshold": round(trained.threshold, 6),
        "threshold_rule": trained.threshold_rule,
        "cross_validation": trained.cv,
        "training_seconds": round(trained.seconds, 1),
        "registered": registered,
        "promoted": bool(args.promote),
    }
    if args.json:
        emit_json(result)
        return 0
    cv = trained.cv
    print(
        f"trained model {version} -> {out} (sha256 {result['sha256'][:12]}..., "
        f"{result['bytes'] / 1e6:.1f} MB, {trained.seconds:.1f} s)"
    )
    print(
        f"cross-validated ({cv['folds']} folds): PR-AUC {cv['pr_auc']}, ROC-AUC "
        f"{cv['roc_auc']}, F1 {cv['f1']} (precision {cv['precision']}, recall {cv['recall']}), "
        f"Brier {cv['brier']}; threshold {trained.threshold:.4f} ({trained.threshold_rule})"
    )
    if "at_prevalence" in cv:
        ap = cv["at_prevalence"]
        print(
            f"at prevalence {ap['prevalence']:.2%}: PR-AUC {ap['pr_auc']}, F1 {ap['f1']} "
            f"(precision {ap['precision']}, recall {ap['recall']})"
        )
    if not registered:
        print(f"not registered (outside {registry.directory}); evaluate it with --model {out}")
    elif not args.promote:
        print(f"promote it with: thbscan model promote {version}")
    return 0


def _indicator_results(dataset: Dataset, lists: str | None) -> tuple[list[dict], list[bool]]:
    """Language, kind and the indicators' own flag of each listing (scorer, no model)."""
    from thbscan.assets import load_scorer

    scorer = load_scorer(lists, model=False)
    groups, flags = [], []
    for a in scorer.assess_many(e.listing() for e in dataset.examples):
        groups.append({"language": a.language, "kind": a.kind})
        flags.append(bool(a.flagged))
    return groups, flags


def run_evaluate(args: argparse.Namespace) -> int:
    from models.model_evaluation import evaluate
    from models.model_report import model_card, render_report
    from models.model_store import load_model_dir, read_manifest

    _check_prevalence(args.prevalence)
    if (args.model is None) == (args.version is None):
        raise ModelError("give the model to evaluate: --model DIR or --version V (registered)")
    if args.model is not None:
        directory = Path(args.model)
        model = load_model_dir(directory)
    else:
        registry = config.registry()
        entry = registry.entry(args.version)
        if entry.directory is None:
            raise ModelError(f"model {entry.version} is a token-hash model: it has no directory")
        directory = registry.directory / entry.directory
        model = load_model_dir(directory, expected_sha256=entry.sha256)
    manifest = read_manifest(directory)
    say = _progress(args)
    dataset = load_dataset(args.dataset, args.db)
    if say:
        say(f"scoring {len(dataset.examples)} listings with model {model.version}")
    groups = flags = None
    if not args.no_indicators:
        if say:
            say("scoring them with the indicators (language, kind, the indicators' own flag)")
        groups, flags = _indicator_results(dataset, args.lists)
    ev = evaluate(
        model,
        dataset,
        manifest=manifest,
        prevalence=args.prevalence,
        groups=groups,
        indicator_flags=flags,
    )
    stem = f"evaluation-{dataset.sha256[:12]}"
    report = Path(args.report) if args.report else directory / f"{stem}.html"
    card = Path(args.card) if args.card else directory / f"model-card-{dataset.sha256[:12]}.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(render_report(ev), encoding="utf-8")
    card.write_text(model_card(ev, manifest), encoding="utf-8")
    result = {
        **{k: ev["metrics"][k] for k in ("n", "positives", "precision", "recall", "f1")},
        **{k: ev["metrics"][k] for k in ("pr_auc", "roc_auc", "brier", "threshold")},
        "at_prevalence": ev["metrics"].get("at_prevalence"),
        "held_out": ev["held_out"],
        "model": model.version,
        "data_sha256": dataset.sha256,
        "groups": ev["groups"],
        "combination": ev.get("combination"),
        "report": str(report),
        "model_card": str(card),
    }
    if args.json:
        emit_json(result)
        return 0
    m = ev["metrics"]
    print(
        f"model {model.version} on {dataset.name}: n {m['n']} ({m['positives']} flag-worthy), "
        f"precision {m['precision']}, recall {m['recall']}, F1 {m['f1']} at threshold "
        f"{m['threshold']}; PR-AUC {m['pr_auc']}, ROC-AUC {m['roc_auc']}, Brier {m['brier']}"
    )
    if m.get("at_prevalence"):
        ap = m["at_prevalence"]
        print(
            f"at prevalence {ap['prevalence']:.2%}: precision {ap['precision']}, recall "
            f"{ap['recall']}, F1 {ap['f1']}, PR-AUC {ap['pr_auc']}"
        )
    for note in ev["notes"]:
        print(f"note: {note}")
    print(f"report: {report}\nmodel card: {card}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    manifest = config.registry().manifest()
    if args.json:
        emit_json(manifest)
        return 0
    for version, entry in sorted(manifest["models"].items()):
        mark = "*" if version == manifest.get("promoted") else " "
        kind = entry.get("kind", "text")
        threshold = entry.get("threshold")
        cv = (entry.get("metrics") or {}).get("cross_validation") or {}
        figures = f" cv PR-AUC {cv.get('pr_auc')}, F1 {cv.get('f1')}" if cv else ""
        at = f" threshold {threshold:.3f}" if threshold is not None else ""
        print(f"{mark} {version:<16} {kind:<11} {entry['trained_on']}{at}{figures}")
    return 0


def run_promote(args: argparse.Namespace) -> int:
    config.registry().promote(args.version)
    print(f"model {args.version} promoted; `thbscan score` will re-score with it")
    return 0


def run_retire(args: argparse.Namespace) -> int:
    removed = config.registry().retire(args.version)
    where = f"; {removed} deleted" if removed else "; its files were left where they are"
    print(f"model {args.version} retired{where}")
    return 0
