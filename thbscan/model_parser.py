"""The text model's commands of the ``thbscan`` parser: model train, evaluate, list,
promote (docs/models.md)."""

from __future__ import annotations

import argparse
from typing import Any

from thbscan.parser import _db, _json, _lazy, _lists

DATASET_HELP = (
    "KIND [PATH], the labelled listings: 'emscad FILE' (EMSCAD CSV: title, "
    "company_profile, description, requirements, benefits, the structured fields, "
    "fraudulent 1/0), 'jsonl FILE' (one "
    '{"text", "label", optional "title", "id", "fields", "language", "kind", "source"} a '
    "line), 'decisions' (the analysts' final decisions in the review queue database, "
    "--db), 'corpus' (the development split of the bundled blind evaluation corpus) or "
    "'fixture' (the bundled fixture corpus)"
)
PREVALENCE_HELP = (
    "also give precision, F1 and PR-AUC with the negatives reweighted so that positives are "
    "this share of the data (e.g. 0.0484, EMSCAD's real rate)"
)


def _dataset(p: argparse.ArgumentParser, *, default: list[str] | None = None) -> None:
    p.add_argument(
        "--dataset",
        nargs="+",
        required=default is None,
        default=default,
        metavar="KIND",
        help=DATASET_HELP + (f" (default: {' '.join(default)})" if default else ""),
    )


def _quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress messages on stderr")


def add_model_commands(sub: Any) -> None:
    """``model train|evaluate|list|promote`` on the subcommands ``sub``."""
    p: argparse.ArgumentParser = sub.add_parser(
        "model",
        help="the scorer's text model: train, evaluate, list, promote",
        description="Train the text model on labelled listings, evaluate it on data it was "
        "not trained on (HTML report and model card), and register it; using it for "
        "scoring is a person's decision (promote).",
    )
    msub = p.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    q = msub.add_parser(
        "train",
        help="train on labelled listings; write a versioned model directory",
        description="Deduplicates the data by text, cross-validates (figures from "
        "out-of-fold predictions only), chooses the threshold with the highest F1 on the "
        "out-of-fold probabilities (negatives reweighted to --prevalence when given), fits "
        "the final model on every row and writes DIR/model.joblib with DIR/model.json (data "
        "hash, config, metrics, threshold, the artefact's SHA-256). A directory inside "
        "$THBSCAN_MODELS_DIR (the default) is registered; it is not promoted unless asked.",
    )
    _dataset(q, default=["fixture"])
    q.add_argument("--out", metavar="DIR", help="model directory (default: $THBSCAN_MODELS_DIR/V)")
    q.add_argument("--version", help="model version (default: the name of --out)")
    q.add_argument("--prevalence", type=float, metavar="P", help=PREVALENCE_HELP)
    q.add_argument("--config", metavar="FILE", help="model config (default models/config.toml)")
    q.add_argument(
        "--pattern",
        metavar="TEXT",
        help="what a flag by this model means, shown to analysts (default by dataset, e.g. "
        "'deceptive-recruitment pattern' for emscad)",
    )
    q.add_argument(
        "--languages",
        metavar="LIST",
        help="comma-separated ISO 639-1 codes the model may raise listings in (default: the "
        "data's, e.g. en for emscad; none named: any)",
    )
    q.add_argument(
        "--kinds",
        metavar="LIST",
        help="comma-separated kinds of listing (job, escort, classified, social) the model "
        "may raise (default: the data's, e.g. job for emscad; none named: any)",
    )
    q.add_argument(
        "--raises",
        choices=("alone", "with-evidence"),
        help="how the model may raise a listing to the queue: on its own, or only where the "
        "indicators found some evidence (default: with-evidence for 'corpus', else alone)",
    )
    q.add_argument(
        "--raises-alone-at",
        type=float,
        metavar="P",
        help="with --raises with-evidence: let the model also raise a listing in which the "
        "indicators found no evidence when its probability is at least P (e.g. 0.98, "
        "chosen with thbscan indicators evaluate --cross-validate --raises-alone-at)",
    )
    q.add_argument(
        "--register",
        action="store_true",
        help="register the model even when --out is outside $THBSCAN_MODELS_DIR",
    )
    q.add_argument("--promote", action="store_true", help="register and use it for scoring")
    _db(q)
    _quiet(q)
    _json(q)
    q.set_defaults(func=_lazy("text_model", "run_train"))

    q = msub.add_parser(
        "evaluate",
        help="measure a model on labelled data; write an HTML report and a model card",
        description="Prints n, positives, precision, recall and F1 at the model's stored "
        "threshold, PR-AUC, ROC-AUC, the Brier score and, with --prevalence, the same at that "
        "prevalence; metrics per language, kind and source; and how the model and the "
        "indicators combine. Writes an HTML report (PR curve, calibration plot, confusion "
        "matrix, per-group metrics) and a Markdown model card.",
    )
    _dataset(q)
    q.add_argument("--model", metavar="DIR", help="a model directory written by `model train`")
    q.add_argument("--version", help="a registered model instead of --model")
    q.add_argument("--prevalence", type=float, metavar="P", help=PREVALENCE_HELP)
    q.add_argument("--report", metavar="FILE", help="HTML report (default: in the model's DIR)")
    q.add_argument("--card", metavar="FILE", help="model card (default: in the model's DIR)")
    q.add_argument(
        "--no-indicators",
        action="store_true",
        help="do not score the listings with the indicators (no language and kind groups, "
        "no combination figures; faster)",
    )
    _lists(q)
    _db(q)
    _quiet(q)
    _json(q)
    q.set_defaults(func=_lazy("text_model", "run_evaluate"))

    q = msub.add_parser("list", help="registered models (* = promoted)")
    _json(q)
    q.set_defaults(func=_lazy("text_model", "run_list"))
    q = msub.add_parser("promote", help="use a registered model for scoring (a human decision)")
    q.add_argument("version")
    q.set_defaults(func=_lazy("text_model", "run_promote"))
    q = msub.add_parser(
        "retire",
        help="take a superseded model out of the registry (never the promoted one); its "
        "directory in the registry is deleted",
    )
    q.add_argument("version")
    q.set_defaults(func=_lazy("text_model", "run_retire"))
