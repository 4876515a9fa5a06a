"""The data register (R08-R10): what thbscan stores, in which table and column, what kind of
data it is, why it is kept and for how long.

Every stored column has a data category and a retention class, tagged where the column is
defined: ``mapped_column(..., info=tag(CONTENT))``, with a table-wide default in
``__table_args__`` (:func:`table_tag`) that the table's columns inherit unless they name
their own. :func:`collect` reads the tags from SQLAlchemy metadata, :func:`problems` names
every column without a category or a retention class and every tag that names an unknown one,
and :func:`to_json` and :func:`to_markdown` print the register (``thbscan data-register``).

The retention classes say how long each row is kept (:data:`RETENTION`, the one place that
gives each class its period); every table's rows are kept by one class (:func:`table_retention`)
and ``thbscan purge`` deletes what has expired (R10, docs/retention.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, MetaData, Table


@dataclass(frozen=True)
class Category:
    """A kind of stored data: what it is, and why thbscan keeps it (purpose and basis)."""

    name: str
    definition: str
    purpose: str


@dataclass(frozen=True)
class RetentionClass:
    """How long a row is kept: ``days`` after the ``start`` event, and in any case for as
    long as ``kept_while`` holds (with no ``days``, only for as long as it holds)."""

    name: str
    rule: str
    days: int | None = None
    start: str | None = None
    kept_while: str | None = None


# Data categories (the ``data`` tag).
CONTENT = "listing content"
IDENTIFIER = "identifier"
IDENTIFIER_IN_CLEAR = "identifier in clear"
DERIVED = "derived"
DECISION = "decision record"
ANALYST = "analyst personal data"
SECRET = "secret"  # noqa: S105 - a category name, not a secret
OPERATIONAL = "operational metadata"

# Retention classes (the ``retention`` tag).
LISTING = "listing"
REFERENCED = "while referenced"
AUDIT = "audit"
ACCOUNT = "account"
RECENT = "recent"
CURRENT = "current"

CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category(
            CONTENT,
            "Text and addresses published in a public listing, as fetched or ingested (title, "
            "text, fields, URLs). It may name or describe a person, advertisers and possible "
            "victims alike, and may reveal their sex life.",
            "finding indicators of trafficking for human review (R01); task in the public "
            "interest (GDPR Art. 6(1)(e), 9(2)(g)), data minimised at collection (R08)",
        ),
        Category(
            IDENTIFIER,
            "Pseudonyms of the phone numbers, e-mail addresses and messenger handles found in "
            "listings: keyed HMAC (R09), linkable to a person only with the key, which is "
            "never stored in the database. Still personal data.",
            "linking listings that share a contact, for review; public-interest task, "
            "pseudonymised (GDPR Art. 6(1)(e), 25, 32)",
        ),
        Category(
            IDENTIFIER_IN_CLEAR,
            "The phone numbers, e-mail addresses and messenger handles themselves, taken out of "
            "the stored listing text (which keeps a token in their place, R09), in one table "
            "apart. Read only by leads, each reading logged with who, when and why.",
            "letting a lead confirm or pass on a contact that review found to matter; "
            "public-interest task, restricted access (GDPR Art. 6(1)(e), 25, 32)",
        ),
        Category(
            DERIVED,
            "What thbscan computes from listings: scores, bands, indicators, explanations (which "
            "quote the listing's words), language, ages read, links and template signatures. "
            "Personal data where the listing is about a person.",
            "explaining why a listing is in the queue; the basis of the listing content it is "
            "computed from",
        ),
        Category(
            DECISION,
            "Who decided, noted or asked for what about which listing, when and why: decisions "
            "and their notes, first calls, claims, link corrections, watches, the audit log. "
            "Free text in it may hold personal data.",
            "accountable human oversight (R02, R03); public-interest task (GDPR Art. 6(1)(e))",
        ),
        Category(
            ANALYST,
            "Data about the people who use thbscan: account names and roles, when they were "
            "signed in, failed sign-ins by account and network address, who changed a switch.",
            "access control and security of processing (R11, R22; GDPR Art. 32)",
        ),
        Category(
            SECRET,
            "Credentials: password hashes, hashes of session tokens, CSRF tokens. Never shown, "
            "exported or logged.",
            "authenticating users (R11; GDPR Art. 32)",
        ),
        Category(
            OPERATIONAL,
            "Keys, references, counters, states, timestamps, hashes and settings thbscan needs "
            "to run. Personal data only through the row they belong to.",
            "running crawls, scoring and the queue; the basis of the row they belong to",
        ),
    )
}

RETENTION: dict[str, RetentionClass] = {
    r.name: r
    for r in (
        RetentionClass(
            LISTING,
            "180 days after the listing was last seen (a version that a newer one replaced: "
            "180 days after it was replaced); a version that a kept decision refers to is "
            "kept with the decision, and its listing with it; a legal hold keeps what it covers",
            days=180,
            start="listing last seen, or version replaced",
            kept_while="a kept decision refers to it, or a legal hold covers it",
        ),
        RetentionClass(
            REFERENCED,
            "as long as what it was computed from or belongs to is kept (the listing version, "
            "the listing, the link group), or a kept decision refers to it; a link group on "
            "legal hold is kept until the hold is cleared",
            kept_while="the row it refers to is kept, a kept decision refers to it, or it is "
            "on legal hold",
        ),
        RetentionClass(
            AUDIT,
            "5 years after it was recorded; a decision on an item that a legal hold covers is "
            "kept while the hold lasts; the audit log goes oldest first, without gaps",
            days=5 * 365,
            start="recorded",
            kept_while="it is a decision on an item that a legal hold covers",
        ),
        RetentionClass(
            ACCOUNT,
            "while the account is enabled, then as long as a kept decision or audit event names it",
            kept_while="the account is enabled, or a kept decision or audit event names it",
        ),
        RetentionClass(
            RECENT,
            "90 days after the row last changed (a session: after it ended or was last used)",
            days=90,
            start="last changed",
        ),
        RetentionClass(
            CURRENT,
            "while it is current, until thbscan or its owner replaces or ends it (an expired "
            "crawl lock, a stopped watch, a cleared legal hold); a switch is always current",
            kept_while="it is current",
        ),
    )
}

NOTE = (
    "The purposes and legal bases are the project's proposal: the organisation that runs "
    "thbscan confirms them for its own mandate. Retention says how long a row is kept: "
    "`thbscan purge` deletes every row whose class's period has passed and that nothing "
    "kept needs (a decision within its own retention keeps the listing version it was made "
    "on; a legal hold on a review item or a link group keeps everything it needs), in "
    "batches, in dependency order; `--dry-run` counts what would go (R10, docs/retention.md)."
)


def cutoff(retention: str, now: datetime) -> datetime:
    """The moment before which a row of class ``retention`` has expired at ``now`` (its
    ``start`` event at or before it): ``now`` minus the class's days. Only classes with a
    period have one."""
    days = RETENTION[retention].days
    if days is None:
        raise ValueError(
            f"retention class {retention!r} has no period: it is kept while "
            f"{RETENTION[retention].kept_while}"
        )
    return now - timedelta(days=days)


def table_retention(table: Table) -> str:
    """The one retention class that keeps ``table``'s rows (a row is deleted whole). A
    table whose columns name different classes, or none, raises ``ValueError``."""
    classes = {_tags(table, column)[1] for column in table.columns}
    if len(classes) != 1 or None in classes:
        raise ValueError(
            f"table {table.name}: its columns name the retention classes "
            f"{sorted(map(str, classes))}: give the table one class (its rows are purged whole)"
        )
    return str(classes.pop())


def tag(data: str | None = None, retention: str | None = None) -> dict[str, str]:
    """``info=`` for a column: its data category and/or retention class. A name that is not
    in the register raises ``ValueError`` (:func:`problems` also catches hand-written
    ``info``)."""
    if data is not None and data not in CATEGORIES:
        raise ValueError(f"unknown data category {data!r}: one of {sorted(CATEGORIES)}")
    if retention is not None and retention not in RETENTION:
        raise ValueError(f"unknown retention class {retention!r}: one of {sorted(RETENTION)}")
    info: dict[str, str] = {}
    if data is not None:
        info["data"] = data
    if retention is not None:
        info["retention"] = retention
    return info


def table_tag(data: str | None = None, retention: str | None = None) -> dict[str, Any]:
    """Table-wide defaults, for ``__table_args__`` (its last element when it is a tuple)."""
    return {"info": tag(data, retention)}


@dataclass(frozen=True)
class ColumnEntry:
    table: str
    column: str
    type: str
    category: str | None
    retention: str | None


def _tags(table: Table, column: Column[Any]) -> tuple[Any, Any]:
    merged = {**table.info, **column.info}
    return merged.get("data"), merged.get("retention")


def _type(column: Column[Any]) -> str:
    try:
        return str(column.type)
    except Exception:  # a type the default dialect cannot compile
        return type(column.type).__name__


def tables(metadatas: Iterable[MetaData]) -> list[Table]:
    """Every table of ``metadatas``, by name."""
    return sorted((t for m in metadatas for t in m.tables.values()), key=lambda t: t.name)


def collect(metadatas: Iterable[MetaData]) -> list[ColumnEntry]:
    """One entry per column of every table, tables by name, columns in table order."""
    out = []
    for table in tables(metadatas):
        for column in table.columns:
            category, retention = _tags(table, column)
            out.append(ColumnEntry(table.name, column.name, _type(column), category, retention))
    return out


def problems(metadatas: Iterable[MetaData]) -> list[str]:
    """Every column without a category or retention class, and every tag (a column's or a
    table's) that names an unknown one: empty when the register is complete."""
    found = []
    for table in tables(metadatas):
        for owner, info in [(table.name, table.info)] + [
            (f"{table.name}.{c.name}", c.info) for c in table.columns
        ]:
            data, retention = info.get("data"), info.get("retention")
            if data is not None and data not in CATEGORIES:
                found.append(f"{owner}: unknown data category {data!r}")
            if retention is not None and retention not in RETENTION:
                found.append(f"{owner}: unknown retention class {retention!r}")
        for column in table.columns:
            data, retention = _tags(table, column)
            if data is None:
                found.append(f"{table.name}.{column.name}: no data category")
            if retention is None:
                found.append(f"{table.name}.{column.name}: no retention class")
    return found


def to_json(metadatas: Iterable[MetaData]) -> dict[str, Any]:
    entries = collect(metadatas)
    by_table: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_table.setdefault(e.table, []).append(
            {"column": e.column, "type": e.type, "category": e.category, "retention": e.retention}
        )
    return {
        "categories": [asdict(c) for c in CATEGORIES.values()],
        "retention_classes": [asdict(r) for r in RETENTION.values()],
        "tables": [{"table": name, "columns": cols} for name, cols in by_table.items()],
        "note": NOTE,
    }


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|")


def to_markdown(metadatas: Iterable[MetaData]) -> str:
    register = to_json(metadatas)
    lines = [
        "# Data register",
        "",
        "Generated by `thbscan data-register` from the tags on the table definitions "
        "(`store/register.py`); a test keeps this file equal to the command's output. Every "
        "stored column of every table has a data category and a retention class.",
        "",
        NOTE,
        "",
        "## Data categories",
        "",
        "| category | what it is | purpose and legal basis |",
        "|---|---|---|",
    ]
    lines += [
        f"| {_cell(c['name'])} | {_cell(c['definition'])} | {_cell(c['purpose'])} |"
        for c in register["categories"]
    ]
    lines += [
        "",
        "## Retention classes",
        "",
        "| class | rule | days | counted from | kept while |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {_cell(r['name'])} | {_cell(r['rule'])} | {_cell(r['days'])} | "
        f"{_cell(r['start'])} | {_cell(r['kept_while'])} |"
        for r in register["retention_classes"]
    ]
    for table in register["tables"]:
        lines += [
            "",
            f"## `{table['table']}`",
            "",
            "| column | type | category | retention |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{c['column']}` | {_cell(c['type'])} | {_cell(c['category'])} | "
            f"{_cell(c['retention'])} |"
            for c in table["columns"]
        ]
    return "\n".join(lines) + "\n"
