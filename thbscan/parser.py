"""The ``thbscan`` command line's parser: every command, its options and its help. The
handlers are imported when their command runs (the command line starts fast)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

EPILOG = """\
The system never acts on a score: flagged listings go to a human review queue,
and every decision is a person's, recorded with who, when and why.

Environment:
  THBSCAN_DATABASE_URL   SQLAlchemy URL (default sqlite:///thbscan.db)
  THBSCAN_MODE           production (default), demo or test
  THBSCAN_SECRET_KEY     web session secret (required in production)
  THBSCAN_PSEUDONYM_KEY  HMAC key for identifiers (required in production)
  THBSCAN_MODELS_DIR     text models and calibrations (default models/artifacts)
"""


def _lazy(module: str, func: str) -> Callable[[argparse.Namespace], int]:
    """A command's handler, imported when the command runs (the command line starts fast)."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(f"thbscan.commands.{module}"), func)(args)

    run.target = (module, func)  # type: ignore[attr-defined]
    return run


def _db(p: argparse.ArgumentParser, default: str | None = None) -> None:
    p.add_argument(
        "--db",
        default=default,
        metavar="URL",
        help="SQLAlchemy database URL (default: $THBSCAN_DATABASE_URL or "
        f"{default or 'sqlite:///thbscan.db'})",
    )


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable JSON output")


def _lists(p: argparse.ArgumentParser, *, drafts: bool = False) -> None:
    p.add_argument("--lists", metavar="DIR", help="indicator lists directory or partner export")
    if drafts:
        p.add_argument(
            "--drafts",
            action="store_true",
            help="use each list's newest version even if not approved yet",
        )


def build_parser() -> argparse.ArgumentParser:
    from thbscan.model_parser import add_model_commands
    from thbscan.ops_parser import add_ops_commands
    from thbscan.retention_parser import add_retention_commands
    from thbscan.review_parser import add_review_commands

    parser = argparse.ArgumentParser(
        prog="thbscan",
        description="Online-trafficking indicator scanner: crawl public listings politely, "
        "score them against versioned indicator lists, and queue flagged "
        "listings for human review.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "demo",
        help="run a full demo scan on the bundled fixture site",
        description="Start the fixture site, crawl it, score, queue flagged "
        "listings, create a demo user and serve the review UI.",
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy database URL (default: $THBSCAN_DATABASE_URL or "
        "sqlite:///thbscan-demo.db)",
    )
    _json(p)
    p.add_argument("--no-serve", action="store_true", help="stop after scoring and queueing")
    p.add_argument("--host", default="127.0.0.1", help="web UI address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="web UI port (default 8000)")
    p.add_argument(
        "--fixture-port", type=int, default=0, help="fixture site port (default: any free port)"
    )
    p.set_defaults(func=_lazy("demo", "run_demo"))

    p = sub.add_parser("db", help="database schema")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    q = dsub.add_parser(
        "upgrade",
        help="create or migrate the schema to the newest revision, then take identifiers out "
        "of any listing text stored in clear by an older version (R09)",
    )
    _db(q)
    _json(q)
    q.set_defaults(func=_lazy("db", "run_upgrade"))

    p = sub.add_parser(
        "data-register",
        help="the data register: every stored column's data category and retention class",
        description="Prints every column of every table with its data category and retention "
        "class, and what each category (with its purpose and legal basis) and class means: "
        "Markdown (docs/data-register.md), or JSON with --json. Exit status 1 if a column "
        "lacks either.",
    )
    _json(p)
    p.set_defaults(func=_lazy("data_register", "run_data_register"))

    p = sub.add_parser("fixture-site", help="serve the bundled fixture listing site on loopback")
    p.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.set_defaults(func=_lazy("crawling", "run_fixture_site"))

    p = sub.add_parser(
        "crawl",
        help="crawl configured sources now",
        description="Crawl sources from crawler/sources/*.toml and store listings.",
        epilog=CRAWL_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="source names")
    p.add_argument("--all", action="store_true", help="crawl every enabled source")
    p.add_argument(
        "--base-url",
        help="resolve the sources' relative start URLs against this "
        "URL (e.g. the fixture site's address)",
    )
    _crawl_options(p)
    p.set_defaults(func=_lazy("crawling", "run_crawl"))

    p = sub.add_parser("stop", help="stop switch ON: halt crawling and scoring within 60 s")
    p.add_argument("--reason", required=True, help="why (recorded with who and when)")
    p.add_argument("--by", default=_user(), help="who (default: the login name)")
    _db(p)
    p.set_defaults(func=_lazy("crawling", "run_stop"))
    p = sub.add_parser("resume", help="stop switch OFF: crawling and scoring may run again")
    p.add_argument("--reason", required=True, help="why (recorded with who and when)")
    p.add_argument("--by", default=_user(), help="who (default: the login name)")
    _db(p)
    p.set_defaults(func=_lazy("crawling", "run_resume"))

    p = sub.add_parser("schedule", help="scheduled crawling (run from cron or a systemd timer)")
    schsub = p.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    q = schsub.add_parser(
        "run",
        help="crawl every enabled source whose schedule is due",
        description="Crawls each enabled source whose last run started "
        "longer ago than its [schedule] every.",
        epilog=CRAWL_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    q.add_argument("--dry-run", action="store_true", help="only list the due sources")
    q.add_argument("--base-url", help="resolve relative start URLs against this URL")
    q.set_defaults(sources=[], all=False)
    _crawl_options(q)
    q.set_defaults(func=_lazy("crawling", "run_schedule"))

    p = sub.add_parser("sources", help="source configs")
    ssub = p.add_subparsers(dest="sources_command", metavar="ACTION", required=True)
    q = ssub.add_parser("validate", help="check every source config (file, key, problem)")
    q.add_argument("path", nargs="?", default=None, type=_path, help="directory of configs")
    q.set_defaults(func=_lazy("crawling", "run_sources_validate"))
    q = ssub.add_parser("list", help="list configured sources")
    _json(q)
    q.set_defaults(func=_lazy("crawling", "run_sources_list"))

    p = sub.add_parser("crawl-jobs", help="recorded crawl runs, newest first")
    p.add_argument("--limit", type=int, default=20)
    _db(p)
    _json(p)
    p.set_defaults(func=_lazy("crawling", "run_crawl_jobs"))

    p = sub.add_parser(
        "ingest",
        help="store listings given as JSON lines",
        description='Each line: {"title": ..., "text": ..., optional '
        '"url", "id", "fields"}. Bad lines are reported by '
        "number and skipped; exit status 1 if any line was rejected.",
    )
    p.add_argument("--jsonl", required=True, metavar="FILE", help="JSON-lines file, - for stdin")
    p.add_argument("--source", required=True, help="source name stored with the listings")
    _db(p)
    _json(p)
    p.set_defaults(func=_lazy("ingest", "run_ingest"))

    p = sub.add_parser(
        "score", help="score stored listings not yet scored by the current lists and model"
    )
    p.add_argument(
        "--rescore",
        action="store_true",
        help="re-score every current listing version, even if already scored",
    )
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="scoring processes (default: one per core, at most 4)",
    )
    p.add_argument(
        "--lease-timeout",
        type=float,
        default=600,
        metavar="SECONDS",
        help="PostgreSQL: a batch held idle this long (a hung worker) goes back to other machines",
    )
    _lists(p)
    p.add_argument(
        "--sample-rate",
        type=float,
        metavar="RATE",
        help="share of unflagged listings also queued for review, unmarked, against "
        "automation bias (R04; default 0.02); give the same rate to "
        "`thbscan calibration fit`",
    )
    p.add_argument(
        "--blind-share",
        type=float,
        metavar="SHARE",
        help="share of flagged items shown blind-first, like every sampled one: no band, "
        "categories or explanation until the analyst records a first call (R04; default 0.1)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--no-link",
        action="store_true",
        help="skip linking the archive afterwards (listings whose shared phones, handles "
        "or templates changed are otherwise scored again with those links)",
    )
    _db(p)
    _json(p)
    p.set_defaults(func=_lazy("score", "run_score"))

    p = sub.add_parser(
        "check",
        help="score JSON-lines listings from stdin (stable interface)",
        description='Reads {"title": ..., "text": ...} per line on stdin and '
        "writes one result per line, in order. With --json each "
        "result is a JSON object: score, flagged, band, categories, "
        "possible_minor, indicators, language, versions, raw_score, "
        "kind, language_supported; a bad line (invalid UTF-8 or "
        "JSON, a lone surrogate, deep nesting) or a listing whose "
        'scoring fails gives {"line": N, "error": ...}, every '
        "other line is scored, and the exit status is 1.",
    )
    _lists(p)
    p.add_argument(
        "--no-model",
        action="store_true",
        help="indicators only, no text model (what a partner's reference matcher gives)",
    )
    p.add_argument("--batch-size", type=int, default=256)
    _json(p)
    p.set_defaults(func=_lazy("score", "run_check"))

    p = sub.add_parser(
        "link",
        help="link JSON-lines listings from stdin into clusters (shared contacts, templates)",
        description='Reads {"id": ..., "title": ..., "text": ...} per line on stdin (optional '
        '"kind", "city", "country", "language", "source", "posted_at") and links listings '
        "that share a phone number, an e-mail address or a messenger handle, or that are "
        "near-duplicates of one "
        'template. With --json it prints {"clusters": [{"id", "members", "kinds", '
        '"template", "slots", "signals", ...}], ...}, the signals being the '
        "catalogue's link.* indicators with the listings that make them fire; listings "
        "linked to nothing are in no cluster. Nothing is stored. A bad line is reported on "
        "stderr and the exit status is 1.",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=0.6,
        help="estimated Jaccard similarity of masked word shingles at which two listings "
        "share a template (default 0.6)",
    )
    p.add_argument(
        "--max-degree",
        type=int,
        default=200,
        help="an identifier in more listings than this links none of them (a switchboard, "
        "a platform's own number; default 200)",
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help="link the stored archive (each listing's current version) instead of stdin",
    )
    _json(p)
    p.set_defaults(func=_lazy("link", "run_link"))

    add_review_commands(sub)

    add_model_commands(sub)
    add_retention_commands(sub)
    add_ops_commands(sub)

    p = sub.add_parser(
        "calibration",
        help="calibrate the score on analysts' decisions",
        description="A calibration maps the raw score to the share of such "
        "listings that analysts escalated. It never changes which listings are "
        "flagged, their band or their order in the queue. Artefacts live with "
        "the text models ($THBSCAN_MODELS_DIR, default models/artifacts).",
    )
    csub = p.add_subparsers(dest="calibration_command", metavar="ACTION", required=True)
    q = csub.add_parser(
        "fit",
        help="fit on the decided review items; write a report with charts",
        description="Re-scores every listing whose review item was escalated "
        "or dismissed (its latest decision) with the current scorer, "
        "uncalibrated, and fits a monotone map (isotonic regression) from raw "
        "score to outcome. Sampled unflagged items are weighted by 1/rate.",
    )
    q.add_argument("--version", required=True, help="new calibration version, e.g. 2026-11a")
    q.add_argument(
        "--sample-rate",
        type=float,
        metavar="RATE",
        help="rate at which unflagged listings were sampled into the queue "
        "(default: the rate `thbscan score` samples at, 0.02)",
    )
    q.add_argument(
        "--min-decisions",
        type=int,
        default=50,
        metavar="N",
        help="refuse to fit on fewer decided listings (default 50)",
    )
    q.add_argument(
        "--report", metavar="FILE", help="HTML report path (default: next to the artefact)"
    )
    q.add_argument("--promote", action="store_true", help="use it for scoring right away")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    _lists(q)
    _db(q)
    _json(q)
    q.set_defaults(func=_lazy("calibrate", "run_fit"))
    q = csub.add_parser("list", help="fitted calibrations (* = in use)")
    _json(q)
    q.set_defaults(func=_lazy("calibrate", "run_list"))
    q = csub.add_parser(
        "promote", help="use a fitted calibration for scoring, or 'none' (a human decision)"
    )
    q.add_argument("version", help="a fitted version, or none for uncalibrated scores")
    q.set_defaults(func=_lazy("calibrate", "run_promote"))

    p = sub.add_parser("indicators", help="the indicator catalogue")
    isub = p.add_subparsers(dest="indicators_command", metavar="ACTION", required=True)
    q = isub.add_parser("validate", help="validate indicator list files (file:line: problem)")
    q.add_argument("path", nargs="?", default=None, help="lists directory or a list file")
    _json(q)
    q.set_defaults(func=_lazy("indicators", "run_validate"))
    q = isub.add_parser("list", help="table of indicators")
    q.add_argument("--category", help="only this category")
    q.add_argument("--lang", help="only indicators with patterns in this language")
    _lists(q)
    _json(q)
    q.set_defaults(func=_lazy("indicators", "run_list"))
    q = isub.add_parser("diff", help="what changed between two list versions (files or dirs)")
    q.add_argument("old")
    q.add_argument("new")
    _json(q)
    q.set_defaults(func=_lazy("indicators", "run_diff"))
    q = isub.add_parser("export", help="write a versioned partner export")
    q.add_argument(
        "--partner-profile",
        required=True,
        metavar="NAME",
        help="recruitment, classifieds, social or payments",
    )
    q.add_argument("--format", choices=["json", "csv"], default="json")
    q.add_argument("--out", required=True, metavar="DIR")
    q.add_argument("--lists", metavar="DIR", help="lists directory (default: bundled)")
    _json(q)
    q.set_defaults(func=_lazy("indicators", "run_export"))
    q = isub.add_parser(
        "evaluate",
        help="recall, precision and false flags on the blind evaluation corpus",
        description="Scores the evaluation corpus (written blind: its writers saw only the "
        "indicator titles and descriptions) end to end and prints recall, "
        "precision and the false-flag rate per language, form and kind, and "
        "writes an HTML report with charts and the listings missed. Tune on the "
        "dev split; the test split is locked and scored once per catalogue "
        "release. With --real-data, also the false-flag rate on real ordinary "
        "listings found there (EMSCAD CSV, jobtext JSONL, Kompetencer CoNLL, "
        "saved HTML job pages).",
    )
    q.add_argument("--split", choices=["dev", "test"], default="dev")
    q.add_argument(
        "--real-data",
        metavar="DIR",
        help="a directory of real ordinary listings for the false-flag rate",
    )
    q.add_argument(
        "--report",
        metavar="FILE",
        help="HTML report path (default: indicator-evaluation-SPLIT.html)",
    )
    _lists(q, drafts=True)
    q.add_argument("--no-model", action="store_true", help="indicators only, no text model")
    q.add_argument(
        "--cross-validate",
        metavar="CONFIG",
        help="dev split only: judge each listing by the indicators with a second-opinion "
        "model trained with this model config (e.g. models/corpus.toml) on the other folds, "
        "never on the listing itself (with --real-data, a model trained on the whole split "
        "scores the real listings)",
    )
    q.add_argument("--seed", type=int, default=0, help="fold seed of --cross-validate (default 0)")
    q.add_argument(
        "--raises-alone-at",
        type=float,
        metavar="P",
        help="with --cross-validate: the second opinion also raises listings with no "
        "evidence at probability P or more (measures a choice of P, out of fold and, "
        "with --real-data, on real listings)",
    )
    _json(q)
    q.set_defaults(func=_lazy("indicators", "run_evaluate"))
    q = isub.add_parser(
        "explain",
        help="what the matcher finds in a text: language, kind, concepts, quantities, indicators",
        description="Shows, for one listing, every concept the lexicons find (with the words), "
        "the quantities read (hours, pay, ages), the listing's kind and language, "
        "and the indicators and rules that fire: for writing and checking "
        "lexicons and indicators.",
    )
    q.add_argument("text", nargs="?", help="the listing (default: read from stdin)")
    q.add_argument("--title", default="")
    q.add_argument("--lang", help="take this language instead of identifying it")
    _lists(q, drafts=True)
    _json(q)
    q.set_defaults(func=_lazy("indicators", "run_explain"))
    return parser


CRAWL_EXIT_CODES = """\
exit status: 0 every crawl finished complete; 2 configuration or database problem;
3 a crawl stopped early (time or page limit, paused host) or is incomplete (a limit,
error or refusal dropped requests: nothing is marked removed); 4 a source is locked by a
run already in progress; 5 the stop switch is on; 6 not one page of a source was fetched
(robots.txt, denylist, SSRF guard, network): `thbscan crawl-jobs` says why.
"""


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "operator"


def _crawl_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.add_argument(
        "--sources-dir",
        type=_path,
        default=None,
        metavar="DIR",
        help="directory of source configs (default: crawler/sources)",
    )
    p.add_argument(
        "--max-runtime",
        type=int,
        default=4 * 3600,
        metavar="SECONDS",
        help="close each crawl after this long (default 4 h)",
    )
    _db(p)
    _json(p)


def _path(value: str) -> Path:
    return Path(value)
