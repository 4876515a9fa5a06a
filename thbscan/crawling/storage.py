"""Storing crawled listings: the writes behind the crawl's item pipeline
(:mod:`thbscan.crawling.pipelines`), which runs them on its writer thread. A payload is
``(item, listing)``: the crawler's item (for its HTTP validators) and the
:class:`ListingInput` built from it.
"""

from __future__ import annotations

from dataclasses import is_dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nlp.redact import Redactor
from store import FetchValidator
from store.listings import ListingInput, in_chunks, store_listing, store_listings
from thbscan.redaction import redacted, remember


def _validator_row(item: Any, fetched_at: datetime) -> dict[str, Any] | None:
    """The fetch_validators row of an item, bounded; None without ETag/Last-Modified."""
    etag = (getattr(item, "etag", "") or "")[:200] or None
    last_modified = (getattr(item, "last_modified", "") or "")[:100] or None
    if not (etag or last_modified) or not item.url:
        return None
    return {
        "source": item.source,
        "url": item.url[:2000],
        "natural_key": item.natural_key[:1000],
        "etag": etag,
        "last_modified": last_modified,
        "fetched_at": fetched_at,
    }


def save_validator(session: Session, item: Any, fetched_at: datetime) -> None:
    values = _validator_row(item, fetched_at)
    if values is None:
        return
    row = session.scalar(
        select(FetchValidator).where(
            FetchValidator.source == values["source"], FetchValidator.url == values["url"]
        )
    )
    if row is None:
        try:
            with session.begin_nested():
                session.add(FetchValidator(**values))
        except IntegrityError:
            pass  # another ingester recorded it
        return
    for key in ("etag", "last_modified", "fetched_at", "natural_key"):
        setattr(row, key, values[key])


def save_validators(session: Session, payloads: list[tuple[Any, ListingInput]]) -> None:
    """:func:`save_validator` for a batch: one SELECT, then inserts and updates in bulk.
    A concurrent ingester (PostgreSQL) inserting the same row sends the batch down the
    one-by-one path."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for item, listing in payloads:
        row = _validator_row(item, listing.fetched_at or datetime.now(UTC))
        if row is not None:
            rows[(row["source"], row["url"])] = row  # the last fetch of a URL wins
    if not rows:
        return
    table = cast(Table, FetchValidator.__table__)
    known: set[tuple[str, str]] = set()
    by_source: dict[str, list[str]] = {}
    for source, url in rows:
        by_source.setdefault(source, []).append(url)
    for source, urls in by_source.items():
        for chunk in in_chunks(urls):
            known.update(
                (row.source, row.url)
                for row in session.execute(
                    select(table.c.source, table.c.url).where(
                        table.c.source == source, table.c.url.in_(chunk)
                    )
                )
            )
    new = [row for key, row in rows.items() if key not in known]
    old = [{f"b_{k}": v for k, v in row.items()} for key, row in rows.items() if key in known]
    try:
        with session.begin_nested():
            if new:
                session.execute(insert(table), new)
            if old:
                session.execute(
                    update(table)
                    .where(
                        table.c.source == bindparam("b_source"), table.c.url == bindparam("b_url")
                    )
                    .values(
                        natural_key=bindparam("b_natural_key"),
                        etag=bindparam("b_etag"),
                        last_modified=bindparam("b_last_modified"),
                        fetched_at=bindparam("b_fetched_at"),
                    ),
                    old,
                )
    except IntegrityError:
        for item, listing in payloads:
            save_validator(session, item, listing.fetched_at or datetime.now(UTC))


def store_batch(
    session: Session, payloads: list[tuple[Any, ListingInput]], redact: Redactor
) -> list[Any]:
    """A group commit's listings in a few statements (each result or its error), their
    identifiers taken out of the text first (R09)."""
    prepared = [redacted(redact, listing) for _item, listing in payloads]
    results = store_listings(session, [listing for listing, _found in prepared])
    remember(session, results, [found for _listing, found in prepared])
    stored = [
        p
        for p, r in zip(payloads, results, strict=True)
        if not isinstance(r, Exception) and is_dataclass(p[0])
    ]
    save_validators(session, stored)
    return results


def store_one(session: Session, payload: tuple[Any, ListingInput], redact: Redactor) -> Any:
    item, listing = payload
    clean, found = redacted(redact, listing)
    result = store_listing(session, clean)
    remember(session, [result], [found])
    if is_dataclass(item):
        save_validator(session, item, listing.fetched_at or datetime.now(UTC))
    return result
