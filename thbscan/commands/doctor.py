"""``thbscan doctor``: is this installation ready to run unattended?

Each check gives one line, ok, warn or FAIL, with what to run or set. The checks reuse the
code that does the work: the settings (:mod:`thbscan.config`), the schema check every
command makes (:func:`review_queue.db.migrate.check_current`), the web app's secret-key
rule, the pseudonymiser's key rule, the model registry's SHA-256 check
(:func:`models.registry.verified`) and the indicator lists' validator.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from thbscan import config
from thbscan.commands.common import emit_json
from thbscan.ops_parser import DOCTOR_CHECKS

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from thbscan.config import Settings

OK, WARN, FAIL = "ok", "warn", "FAIL"
KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


@dataclass
class Check:
    name: str
    status: str
    message: str


@dataclass
class Context:
    """What the checks share: the settings, the command line, the database engine."""

    settings: Settings
    db: str | None
    lists: str | None
    engine: Engine | None = None
    db_problem: str = ""
    backend: str = ""
    server_major: int | None = None


def run_doctor(args: argparse.Namespace) -> int:
    checks: list[Check] = []

    def report(check: Check) -> None:
        check.message = " ".join(check.message.split())  # one line, whatever an error holds
        checks.append(check)
        if not args.json:
            print(f"{check.status:<4}  {check.name:<13}  {check.message}", flush=True)

    try:
        settings = config.settings()
    except SystemExit as exc:  # a bad THBSCAN_* value: nothing else can be trusted
        report(Check("config", FAIL, f"{exc}; correct it, then run `thbscan doctor` again"))
        return _finish(args, checks)
    ctx = Context(settings, args.db, args.lists)
    try:
        for name, check in CHECKS.items():
            if name in args.skip:
                continue
            try:
                report(check(ctx))
            except Exception as exc:  # a check that breaks is a failed check, not a crash
                report(Check(name, FAIL, f"the check itself failed: {type(exc).__name__}: {exc}"))
    finally:
        if ctx.engine is not None:
            ctx.engine.dispose()
    return _finish(args, checks)


def _finish(args: argparse.Namespace, checks: list[Check]) -> int:
    failed = sum(c.status == FAIL for c in checks)
    warned = sum(c.status == WARN for c in checks)
    if args.json:
        emit_json(
            {
                "ok": failed == 0,
                "failed": failed,
                "warnings": warned,
                "checks": [asdict(c) for c in checks],
            }
        )
    else:
        verdict = "ready" if failed == 0 else "not ready"
        print(f"doctor: {verdict}: {failed} failed, {warned} warning(s)")
    return 1 if failed else 0


# -- the checks, in the order they run --------------------------------------------------


def check_config(ctx: Context) -> Check:
    s = ctx.settings
    problems: list[str] = []
    if s.reason_codes is not None:
        from thbscan.commands.web import reason_codes

        try:
            reason_codes()
        except SystemExit as exc:
            problems.append(f"THBSCAN_REASON_CODES: {str(exc).removeprefix('thbscan: ')}")
    from crawler.denylist import Denylist
    from crawler.errors import CrawlerError
    from crawler.settings import THBSCAN_DENYLIST_FILE

    try:
        Denylist.from_values((), s.denylist_file or THBSCAN_DENYLIST_FILE)
    except CrawlerError as exc:
        problems.append(str(exc))
    if s.models_dir is not None and not Path(s.models_dir).is_dir():
        problems.append(
            f"THBSCAN_MODELS_DIR={str(s.models_dir)!r} is not a directory: correct or unset it"
        )
    if problems:
        return Check("config", FAIL, "; ".join(problems))
    if s.mode != "production":
        return Check(
            "config",
            WARN,
            f"THBSCAN_MODE={s.mode}: missing secrets are replaced by public or per-process "
            "ones; set THBSCAN_MODE=production (the default) for real data",
        )
    return Check("config", OK, "settings read; mode production")


def check_sources(ctx: Context) -> Check:
    from crawler.sources import load_sources, validate_sources

    directory = Path(ctx.settings.sources_dir) if ctx.settings.sources_dir else None
    if directory is not None and not directory.is_dir():
        return Check(
            "sources",
            FAIL,
            f"THBSCAN_SOURCES_DIR={str(directory)!r} is not a directory: create it or unset it",
        )
    problems = validate_sources(directory)
    if problems:
        return Check(
            "sources",
            FAIL,
            f"{len(problems)} problem(s), first: {problems[0]}; run `thbscan sources "
            "validate` for all",
        )
    sources = load_sources(directory)
    enabled = sum(s.enabled for s in sources.values())
    if not enabled:
        return Check(
            "sources", WARN, "no enabled source: `thbscan schedule run` will crawl nothing"
        )
    return Check("sources", OK, f"{len(sources)} source config(s) valid, {enabled} enabled")


def check_database(ctx: Context) -> Check:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from store import create_engine_for
    from store.errors import DatabaseConfigError

    url = config.database_url(ctx.db)
    where = "--db" if ctx.db else "THBSCAN_DATABASE_URL"
    try:
        parsed = make_url(url)
    except ArgumentError:
        ctx.db_problem = "the database URL is not valid"
        return Check(
            "database",
            FAIL,
            f"{where} {url!r} is not a database URL: use e.g. sqlite:///thbscan.db or "
            "postgresql+psycopg://user@127.0.0.1:5432/thbscan",
        )
    safe = parsed.render_as_string(hide_password=True)
    ctx.backend = parsed.get_backend_name()
    if ctx.backend == "sqlite":
        file = parsed.database or ""
        if file in ("", ":memory:"):
            ctx.db_problem = "an in-memory database keeps nothing"
            return Check("database", FAIL, f"{safe} is an in-memory database: give a file")
        if not Path(file).expanduser().is_file():
            ctx.db_problem = "the database file does not exist"
            return Check(
                "database",
                FAIL,
                f"database file {file} does not exist: create it with "
                f"`thbscan db upgrade --db {safe}`, or correct {where}",
            )
    kwargs: dict[str, Any] = {}
    if ctx.backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 5}
    try:
        engine = create_engine_for(url, **kwargs)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if ctx.backend == "postgresql":
                ctx.server_major = (
                    int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
                )
    except DatabaseConfigError as exc:
        ctx.db_problem = "the database URL is not usable"
        return Check("database", FAIL, f"{exc} (from {where})")
    except SQLAlchemyError as exc:
        ctx.db_problem = "the database does not answer"
        reason = getattr(exc, "orig", None) or exc
        return Check(
            "database",
            FAIL,
            f"cannot use {safe}: {reason}; check {where} and that the server runs and "
            "accepts this user",
        )
    ctx.engine = engine
    server = f" (PostgreSQL {ctx.server_major})" if ctx.server_major else ""
    return Check("database", OK, f"connected to {safe}{server}")


def check_migrations(ctx: Context) -> Check:
    from review_queue.db.errors import SchemaOutOfDate
    from review_queue.db.migrate import check_current, current_revision

    if ctx.engine is None:
        return Check(
            "migrations", FAIL, f"not checked: {ctx.db_problem or 'no database'} (see above)"
        )
    try:
        check_current(ctx.engine)
    except SchemaOutOfDate as exc:
        return Check("migrations", FAIL, str(exc))
    return Check("migrations", OK, f"schema at revision {current_revision(ctx.engine)}, the newest")


def check_backup_tools(ctx: Context) -> Check:
    if ctx.backend != "postgresql":
        return Check("backup-tools", OK, "SQLite: `thbscan backup` uses Python's sqlite3")
    problems, found = [], []
    for tool in ("pg_dump", "pg_restore", "psql"):
        path = shutil.which(tool)
        if path is None:
            problems.append(f"{tool} is not on PATH")
            continue
        version = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        match = re.search(r"(\d+)\.\d+", version)
        major = int(match.group(1)) if match else None
        found.append(f"{tool} {major}")
        if major is not None and ctx.server_major is not None and major < ctx.server_major:
            problems.append(f"{tool} {major} is older than the server ({ctx.server_major})")
    if problems:
        return Check(
            "backup-tools",
            WARN,
            f"{'; '.join(problems)}: `thbscan backup` and `restore` need the PostgreSQL "
            "client of the server's version or newer (Debian: apt install postgresql-client)",
        )
    return Check("backup-tools", OK, ", ".join(found))


def check_secret_key(ctx: Context) -> Check:
    from review_queue.web.security import check_secret_key as web_rule

    s = ctx.settings
    try:
        used = web_rule(s.secret_key, s.mode)
    except ValueError as exc:
        return Check("secret-key", FAIL, str(exc))
    if used != s.secret_key:
        return Check(
            "secret-key",
            WARN,
            f"THBSCAN_SECRET_KEY is missing or weak: mode {s.mode} makes one per process, so "
            f"sessions end at each restart; generate one with `{KEY_HINT}`",
        )
    if s.pseudonym_key and s.secret_key == s.pseudonym_key:
        return Check(
            "secret-key",
            FAIL,
            "THBSCAN_SECRET_KEY equals THBSCAN_PSEUDONYM_KEY: give each its own random value",
        )
    return Check("secret-key", OK, f"set, {len(s.secret_key)} characters")


def check_pseudonym_key(ctx: Context) -> Check:
    from nlp.errors import NlpError
    from nlp.pseudonym import DEMO_KEY_VERSION
    from thbscan.redaction import pseudonymiser

    try:
        keyed = pseudonymiser(ctx.settings.mode)
    except NlpError as exc:
        return Check("pseudonym-key", FAIL, str(exc))
    if keyed.key_version == DEMO_KEY_VERSION:
        return Check(
            "pseudonym-key",
            WARN,
            f"THBSCAN_PSEUDONYM_KEY is not set: mode {ctx.settings.mode} uses the public demo "
            "key, so stored pseudonyms protect nothing; generate one with "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`",
        )
    return Check(
        "pseudonym-key",
        OK,
        f"set (key version {keyed.key_version}); keep it safe outside the database: "
        "pseudonyms made with another key match nothing stored",
    )


def check_models(ctx: Context) -> Check:
    from models.errors import ModelError, UntrustedModel
    from models.registry import verified

    registry = config.registry()
    no_model = ctx.settings.no_model
    if not registry.manifest_path.is_file():
        return Check(
            "models",
            WARN,
            f"no model manifest in {registry.directory}: scoring uses the indicator lists "
            "only; train a model (`thbscan model train`) or set THBSCAN_MODELS_DIR",
        )
    try:
        manifest = registry.manifest()
    except (OSError, ValueError) as exc:
        return Check(
            "models", FAIL, f"{registry.manifest_path} is not readable ({exc}): restore it"
        )
    failed: list[str] = []
    missing: list[str] = []
    artefacts = [
        ("model", version, entry, version == manifest.get("promoted") and not no_model)
        for version, entry in manifest["models"].items()
    ] + [
        ("calibration", version, entry, version == manifest.get("promoted_calibration"))
        for version, entry in manifest["calibrations"].items()
    ]
    for what, version, entry, in_use in artefacts:
        try:
            verified(registry.directory / entry["file"], entry["sha256"], f"{what} {version}")
        except UntrustedModel as exc:
            failed.append(str(exc))
        except ModelError as exc:
            (failed if in_use else missing).append(str(exc))
    if failed:
        return Check(
            "models",
            FAIL,
            f"{'; '.join(failed)}. Restore the file from a backup or the release, or train "
            "and register a new version (`thbscan model train`)",
        )
    promoted = manifest.get("promoted")
    state = (
        "THBSCAN_NO_MODEL=1: scoring without the text model"
        if no_model
        else f"promoted model {promoted}"
    )
    summary = (
        f"{len(manifest['models'])} model(s) and {len(manifest['calibrations'])} "
        f"calibration(s) in {registry.directory} match their SHA-256; {state}"
    )
    if missing:
        return Check("models", WARN, f"{'; '.join(missing)} (not in use); {state}")
    if promoted is None and not no_model:
        return Check(
            "models",
            WARN,
            f"no promoted model: scoring uses the indicator lists only; promote one with "
            f"`thbscan model promote VERSION` ({summary})",
        )
    return Check("models", OK, summary)


def check_indicators(ctx: Context) -> Check:
    from indicator_lists import validate
    from indicator_lists.compile import set_cache_dir

    set_cache_dir(ctx.settings.cache_dir)
    problems = validate(ctx.lists)
    which = ctx.lists or "the bundled lists"
    if problems:
        again = f" {ctx.lists}" if ctx.lists else ""
        return Check(
            "indicators",
            FAIL,
            f"{len(problems)} problem(s) in {which}, first: {problems[0]}; run "
            f"`thbscan indicators validate{again}` for all",
        )
    return Check("indicators", OK, f"{which} are valid")


def check_redis(ctx: Context) -> Check:
    url = ctx.settings.redis_url
    if not url:
        return Check(
            "redis",
            OK,
            "not configured: each crawl keeps its frontier in its own process "
            "(THBSCAN_REDIS_URL shares one between crawler processes)",
        )
    safe = hide_password(url)
    try:
        import redis
        import scrapy_redis  # noqa: F401  (the crawler's scheduler needs it too)
    except ImportError as exc:
        return Check(
            "redis",
            FAIL,
            f"THBSCAN_REDIS_URL is set but {exc.name} is not installed: pip install "
            "'thbscan[redis]', or unset THBSCAN_REDIS_URL",
        )
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError, OSError) as exc:
        return Check(
            "redis",
            FAIL,
            f"cannot reach Redis at {safe} ({type(exc).__name__}: {exc}): start Redis "
            "there, or correct or unset THBSCAN_REDIS_URL",
        )
    return Check("redis", OK, f"Redis at {safe} answers")


def hide_password(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = f"{parts.username}:***@" if parts.username else ":***@"
        return urlunsplit(parts._replace(netloc=user + netloc))
    except ValueError:
        return "<the URL in THBSCAN_REDIS_URL>"


CHECKS: dict[str, Callable[[Context], Check]] = {
    "config": check_config,
    "sources": check_sources,
    "database": check_database,
    "migrations": check_migrations,
    "backup-tools": check_backup_tools,
    "secret-key": check_secret_key,
    "pseudonym-key": check_pseudonym_key,
    "models": check_models,
    "indicators": check_indicators,
    "redis": check_redis,
}
assert tuple(CHECKS) == DOCTOR_CHECKS, "the parser's --skip names are the checks"
