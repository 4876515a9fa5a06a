"""``thbscan indicators validate|list|diff|export``: the indicator catalogue."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from indicator_lists import (
    CatalogueError,
    diff,
    export,
    format_diff,
    format_table,
    load_catalogue,
    rows,
    validate,
    verify_export,
)
from indicator_lists.export import load_profiles
from review_queue.domain import events
from thbscan.commands.common import emit_json, err


def run_validate(args: argparse.Namespace) -> int:
    problems = validate(args.path)
    for problem in problems:
        err(str(problem))
    if args.json:
        emit_json(
            {
                "valid": not problems,
                "problems": [
                    {"file": p.file, "line": p.line, "message": p.message} for p in problems
                ],
            }
        )
    elif not problems:
        print("all indicator lists are valid")
    return 1 if problems else 0


def run_list(args: argparse.Namespace) -> int:
    catalogue = load_catalogue(args.lists)
    table = rows(catalogue, category=args.category, lang=args.lang)
    if args.json:
        emit_json({"indicators": table})
    else:
        print(format_table(table))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    result = diff(Path(args.old), Path(args.new))
    if args.json:
        emit_json(result)
    else:
        print(format_diff(result))
    return 0


def run_export(args: argparse.Namespace) -> int:
    profiles = load_profiles()
    if args.partner_profile not in profiles:
        raise CatalogueError(
            f"unknown partner profile {args.partner_profile!r}: choose one of "
            f"{', '.join(sorted(profiles))}"
        )
    from nlp.scorer import load_scoring_config

    config = load_scoring_config()
    scoring = {
        "evidence_scale": float(config["evidence_scale"]),
        "threshold": float(config["threshold"]),
        "bands": dict(config["bands"]),
    }
    catalogue = load_catalogue(args.lists)
    out = export(catalogue, args.partner_profile, args.format, args.out, scoring=scoring)
    problems = verify_export(out)
    events.emit(
        events.ListsExported(
            profile=args.partner_profile,
            format=args.format,
            lists=dict(catalogue.versions()),
            verified=not problems,
        ),
        object_type="export",
        object_id=out.name,
    )
    for problem in problems:
        err(str(problem))
    if args.json:
        emit_json(
            {
                "export": str(out),
                "profile": args.partner_profile,
                "format": args.format,
                "verified": not problems,
            }
        )
    else:
        print(
            f"wrote {args.format} export for profile {args.partner_profile!r} to {out} "
            f"(manifest {'verified' if not problems else 'FAILED'})"
        )
    return 1 if problems else 0


def run_evaluate(args: argparse.Namespace) -> int:
    from models.evaluation_report import render
    from models.indicator_eval import DEV_SPLIT, evaluate, load_split, real_text_false_flags
    from models.real_text import read_real_text
    from thbscan.assets import load_scorer

    if args.raises_alone_at is not None and not args.cross_validate:
        err("--raises-alone-at goes with --cross-validate (a shipped model's is in its manifest)")
        return 2
    if args.cross_validate and args.split != "dev":
        err("--cross-validate trains on the dev split: the locked test split is never trained on")
        return 2
    cv = args.cross_validate is not None
    scorer = load_scorer(args.lists, model=not args.no_model and not cv, drafts=args.drafts)
    rows = load_split(args.split)
    # A model trained on the development split has seen its listings: its figures there
    # are not held out (use the model's cross-validated figures, docs/models.md).
    seen = args.split == "dev" and getattr(scorer.model, "trained_on", "") == DEV_SPLIT
    if seen:
        err(
            f"note: model {scorer.versions['model']} was trained on the dev split; its "
            "figures there are not held out (--cross-validate CONFIG: each listing judged by "
            "a model trained without it; --no-model: the indicators alone)"
        )
    versions = dict(scorer.versions)
    if cv:
        scorer, report = _cross_validated(args, scorer, rows)
        versions["model"] = f"out of fold: {args.cross_validate}, fold seed {args.seed}" + (
            f", raises alone at {args.raises_alone_at}" if args.raises_alone_at else ""
        )
    else:
        report = evaluate(scorer.assess_many, rows)
    real = None
    if args.real_data:
        sources = read_real_text(args.real_data)
        if not sources:
            err(
                f"--real-data {args.real_data}: no real listings found there (emscad/*.csv, "
                "jobtext/*.jsonl, kompetencer/*.conll, html/<site>/*.html)"
            )
            return 2
        real = real_text_false_flags(scorer.assess_many, sources)
    out = Path(args.report or f"indicator-evaluation-{args.split}.html")
    out.write_text(render(report, split=args.split, versions=versions, real=real), encoding="utf-8")
    summary = {
        "split": args.split,
        "versions": versions,
        "report": str(out),
        **{k: v for k, v in report.items() if k not in ("missed", "false_flags")},
        "missed": len(report["missed"]),
        "false_flags": len(report["false_flags"]),
        "model_trained_on_split": seen,
        "cross_validated": ({"config": args.cross_validate, "seed": args.seed} if cv else None),
    }
    if real is not None:
        summary["real_text"] = {"sources": real["sources"], "overall": real["overall"]}
    if args.json:
        emit_json(summary)
        return 0
    o = report["overall"]
    print(
        f"{args.split}: {o['n']} listings; recall {_pct(o['recall'])}, precision "
        f"{_pct(o['precision'])}, false-flag rate {_pct(o['false_flag_rate'])}"
    )
    print(f"{'language':<10}{'recall':>8}{'precision':>11}{'false flags':>13}")
    for lang, c in report["languages"].items():
        print(
            f"{lang:<10}{_pct(c['recall']):>8}{_pct(c['precision']):>11}"
            f"{_pct(c['false_flag_rate']):>13}"
        )
    for form, f in report["forms"].items():
        print(f"{form:<24} recall {_pct(f['recall'])} (named {_pct(f['named'])})")
    print(
        f"kind identified right {_pct(report['kind_accuracy'])}; language right "
        f"{_pct(report['language_accuracy'])}, undetermined "
        f"{report['language_undetermined']}, wrong {len(report['language_wrong'])}"
    )
    if real is not None:
        r = real["overall"]
        print(
            f"real listings: {r['n']}, flagged {r['flagged']} "
            f"(false-flag rate {_pct(r['false_flag_rate'])})"
        )
    print(f"report: {out}")
    return 0


def _cross_validated(
    args: argparse.Namespace, scorer: Any, rows: list[dict[str, Any]]
) -> tuple[Any, dict[str, Any]]:
    """The report of the dev split with each listing judged by the indicators and a
    second-opinion model trained, with ``--cross-validate CONFIG``, on the other folds;
    and the scorer with that model trained on the whole split (for ``--real-data``)."""
    from models.corpus_cv import corpus_dataset, out_of_fold, second_opinion
    from models.indicator_eval import DEV_SPLIT, evaluate
    from models.listing_model import ListingModel
    from nlp.scorer import Scorer
    from thbscan.commands.text_model import check_alone_threshold, listing_config

    cfg = listing_config(args.cross_validate)
    alone = args.raises_alone_at
    check_alone_threshold(alone)

    def assess_with(model: ListingModel) -> Any:
        return Scorer(scorer.catalogue, model).assess_many

    assessments = out_of_fold(
        rows, cfg, assess_with, seed=args.seed, alone_threshold=alone, progress=err
    )
    report = evaluate(lambda _listings: assessments, rows)
    if not args.real_data:
        return scorer, report
    err("training on the whole dev split, for the real listings")
    whole = second_opinion(corpus_dataset(DEV_SPLIT, rows), cfg, "cv-whole", alone_threshold=alone)
    return Scorer(scorer.catalogue, whole), report


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def run_explain(args: argparse.Namespace) -> int:
    import sys

    from indicator_lists.compile import compile_catalogue
    from indicator_lists.matcher import Engine, score_of

    text = args.text if args.text is not None else sys.stdin.read()
    engine = Engine(compile_catalogue(load_catalogue(args.lists, drafts=args.drafts)))
    analysis = engine.analyse(args.title, text, lang=args.lang)
    result = score_of(engine, analysis)
    concepts = engine.find_concepts(f"{args.title}\n\n{text}" if args.title else text, args.lang)
    quantities = [
        {"name": q.name, "low": q.low, "high": q.high, "currency": q.currency}
        for q in analysis.quantities
    ]
    shown: list[dict[str, Any]] = [
        {"id": h.id, "weight": h.weight, "text": [s[3] for s in h.spans]}
        for h in analysis.hits
        if not h.counted
    ]
    if args.json:
        emit_json({**result, "concepts": concepts, "quantities": quantities, "not_counted": shown})
        return 0
    print(
        f"language {result['language']}, kind {result['kind']}, score {result['score']}, "
        f"{'FLAGGED' if result['flagged'] else 'not flagged'}, band {result['band']}, "
        f"forms {', '.join(result['categories']) or '-'}"
        + (", possible minor" if result["possible_minor"] else "")
    )
    for ind in result["indicators"]:
        words = " / ".join(s["text"] for s in ind["spans"])
        print(f"  + {ind['id']} ({ind['weight']:+}): {words}")
    for hit in shown:
        print(f"  . {hit['id']} (not counted: needs a form or a rule): {' / '.join(hit['text'])}")
    for rule in result["rules"]:
        print(f"  + rule {rule}")
    for q in quantities:
        print(f"  quantity {q['name']}: {q['low']:g}-{q['high']:g} {q['currency'] or ''}")
    for name, found in sorted(concepts.items()):
        print(f"  {name}: {', '.join(found)}")
    return 0
