"""``thbscan calibration fit|list|promote``: the calibrated score (nlp/calibration.py).

``fit`` re-scores every decided listing with the current scorer, uncalibrated, pairs its
raw score with the analysts' final decision (review_queue/services/outcomes.py), fits the
map (models/calibration_fit.py), registers it next to the text models and writes an
evaluation report with charts. Using it is a separate, human step (``promote``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from models.calibration_fit import Outcomes, check_enough, fit
from models.calibration_report import render
from models.errors import ModelError
from nlp.calibration import CalibrationError, check_version
from review_queue.services.outcomes import decided_outcomes
from review_queue.services.scores import DEFAULT_SAMPLE_RATE
from thbscan import config
from thbscan.assets import load_scorer
from thbscan.commands.common import emit_json, err, open_db

NONE = "none"


def run_fit(args: argparse.Namespace) -> int:
    rate = DEFAULT_SAMPLE_RATE if args.sample_rate is None else args.sample_rate
    if not 0 < rate <= 1:
        err(
            f"--sample-rate {rate}: give the rate unflagged listings were sampled into the "
            f"queue at, in (0, 1] (default {DEFAULT_SAMPLE_RATE})"
        )
        return 2
    _engine, sessions = open_db(args.db)
    with sessions() as session:
        outcomes = list(decided_outcomes(session))
    try:  # before the scorer is loaded: a bad version or too few decisions is said at once
        check_version(args.version)
        check_enough(len(outcomes), sum(o.escalated for o in outcomes), args.min_decisions)
    except CalibrationError as exc:
        err(str(exc))
        return 2
    scorer = load_scorer(args.lists)
    assessments = scorer.assess_many((o.title, o.text) for o in outcomes)
    raw = [
        a.raw_score
        for a in tqdm(
            assessments,
            total=len(outcomes),
            unit="listing",
            desc="re-scoring decided listings",
            disable=args.json or args.quiet,
        )
    ]
    weights = [1.0 / rate if o.sampled else 1.0 for o in outcomes]
    registry = config.registry()
    source = (
        f"{len(outcomes)} analyst decisions ({sum(o.sampled for o in outcomes)} on "
        f"sampled unflagged listings, weight 1/{rate:g})"
    )
    try:
        data = Outcomes.of(raw, [o.escalated for o in outcomes], weights)
        cal = fit(
            data,
            args.version,
            source=source,
            min_decisions=args.min_decisions,
            scorer_key=scorer.raw_scorer_key,
        )
        entry = registry.save_calibration(cal, promote=args.promote)
    except (CalibrationError, ModelError) as exc:
        err(str(exc))
        return 2
    report = (
        Path(args.report)
        if args.report
        else registry.directory / (f"calibration-{cal.version}.html")
    )
    report.write_text(render(cal), encoding="utf-8")
    ev = cal.fitted["evaluation"]
    result = {
        **entry,
        "report": str(report),
        "scorer_key": scorer.raw_scorer_key,
        "promoted": bool(args.promote),
        **{k: ev[k] for k in ("brier_raw", "brier_calibrated", "ece_raw", "ece_calibrated")},
    }
    if args.json:
        emit_json(result)
    else:
        print(f"calibration {cal.version} fitted on {source}")
        print(
            f"  out of fold: Brier {ev['brier_raw']} raw -> {ev['brier_calibrated']} "
            f"calibrated; calibration error {ev['ece_raw']} -> {ev['ece_calibrated']}"
        )
        print(f"  report with charts: {report}")
        if not args.promote:
            print(f"use it with: thbscan calibration promote {cal.version}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    manifest = config.registry().manifest()
    rows = manifest["calibrations"]
    if args.json:
        emit_json({"promoted": manifest["promoted_calibration"], "calibrations": rows})
        return 0
    if not rows:
        print(
            "no calibration fitted: scores are uncalibrated "
            "(fit one with `thbscan calibration fit --version V`)"
        )
    for version, entry in sorted(rows.items()):
        mark = "*" if version == manifest["promoted_calibration"] else " "
        print(f"{mark} {version:<20} {entry['file']:<32} {entry.get('fitted_on')}")
    return 0


def run_promote(args: argparse.Namespace) -> int:
    registry = config.registry()
    version = None if args.version == NONE else args.version
    try:
        registry.promote_calibration(version)
    except ModelError as exc:
        err(str(exc))
        return 2
    what = f"calibration {version} promoted" if version else "scores are uncalibrated again"
    sys.stdout.write(f"{what}; `thbscan score` re-scores the archive under the new scorer key\n")
    return 0
