"""Identifiers out of stored text (R09), where listings are stored: each listing's title,
text and fields are redacted (:mod:`nlp.redact`) before the store sees them, and the
identifiers found are recorded with the stored version, the values in clear apart
(:mod:`review_queue.services.identifiers`). :func:`redact_archive` does the same to the
versions an older thbscan stored in clear (``thbscan db upgrade`` runs it).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from nlp.pseudonym import Pseudonymiser
from nlp.redact import Found, Redactor, Shift
from review_queue.db.models import Score
from review_queue.services import identifiers
from store import ListingVersion
from store.listings import IngestResult, ListingInput, content_hash
from thbscan import config

logger = logging.getLogger(__name__)

BATCH = 200


def pseudonymiser(run_mode: str) -> Pseudonymiser:
    """The configured pseudonym key (production mode needs one; demo and test fall back to
    the public demo key)."""
    settings = config.settings()
    return Pseudonymiser.from_env(
        {
            "THBSCAN_PSEUDONYM_KEY": settings.pseudonym_key,
            "THBSCAN_PSEUDONYM_KEY_VERSION": settings.pseudonym_key_version,
        },
        mode=run_mode,
    )


def redactor(run_mode: str) -> Redactor:
    """The redactor under the configured pseudonym key. Light on purpose: the crawl process
    builds it, and must not load the scorer (its memory is bounded, R13)."""
    return Redactor(pseudonymiser(run_mode))


def redacted(redact: Redactor, listing: ListingInput) -> tuple[ListingInput, tuple[Found, ...]]:
    """``listing`` with its identifiers as tokens, and the identifiers found."""
    if listing.redacted:
        return listing, ()
    done = redact.listing(listing.title or "", listing.text or "", listing.fields)
    return (
        replace(listing, title=done.title, text=done.text, fields=done.fields, redacted=True),
        done.found,
    )


def remember(session: Session, results: Sequence[object], found: Sequence[Sequence[Found]]) -> None:
    """Record the identifiers of each stored listing (results that are errors are skipped)."""
    for result, taken in zip(results, found, strict=True):
        if isinstance(result, IngestResult):
            identifiers.remember(session, result.version_id, taken)


def redact_archive(
    sessions: sessionmaker[Session], redact: Redactor, *, quiet: bool = False
) -> int:
    """Redact every version stored in clear, a batch per transaction (a stopped run goes on
    where it was); returns how many versions were rewritten."""
    with sessions() as session:
        left = session.scalar(
            select(ListingVersion.id).where(ListingVersion.redacted.is_(False)).limit(1)
        )
    if left is None:
        return 0
    done, after = 0, 0
    with tqdm(desc="taking identifiers out of stored text", unit=" versions", disable=quiet) as bar:
        while True:
            with sessions() as session:
                batch = session.scalars(
                    select(ListingVersion)
                    .where(ListingVersion.redacted.is_(False), ListingVersion.id > after)
                    .order_by(ListingVersion.id)
                    .limit(BATCH)
                ).all()
                if not batch:
                    break
                for version in batch:
                    _redact_version(session, redact, version)
                after = batch[-1].id
                session.commit()
            done += len(batch)
            bar.update(len(batch))
    logger.info("identifiers taken out of %d stored versions", done)
    return done


def _redact_version(session: Session, redact: Redactor, version: ListingVersion) -> None:
    result = redact.listing(version.title or "", version.text or "", version.fields or {})
    digest = content_hash(result.title, result.text, result.fields)
    taken = session.scalar(  # another version of the listing may read the same once redacted
        select(ListingVersion.id).where(
            ListingVersion.listing_id == version.listing_id,
            ListingVersion.content_sha256 == digest,
            ListingVersion.id != version.id,
        )
    )
    session.execute(
        update(ListingVersion)
        .where(ListingVersion.id == version.id)
        .values(
            title=result.title,
            text=result.text,
            fields=result.fields,
            redacted=True,
            # a hash of the text in clear would let the key-less guess a phone number back;
            # two versions that differed only in a number keep distinct hashes
            content_sha256=digest if taken is None else _distinct(digest, version.id),
        )
        .execution_options(synchronize_session=False)
    )
    identifiers.remember(session, version.id, result.found)
    shifts = {"title": result.title_shift, "text": result.text_shift}
    for score in session.scalars(select(Score).where(Score.version_id == version.id)):
        score.explanation = _follow(score.explanation, shifts, redact)


def _follow(value: Any, shifts: dict[str, Shift], redact: Redactor) -> Any:
    """A stored explanation made for the text in clear, for the redacted text: its spans
    moved with the text, its quotes redacted."""
    if isinstance(value, str):
        return redact.text(value)[0]
    if isinstance(value, list):
        return [_follow(v, shifts, redact) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _follow(v, shifts, redact) for k, v in value.items()}
    shift = shifts.get(str(out.get("field") or "text"))
    if shift and isinstance(out.get("start"), int) and isinstance(out.get("end"), int):
        out["start"], out["end"] = shift(out["start"]), shift(out["end"], end=True)
    return out


def _distinct(digest: str, version_id: int) -> str:
    return hashlib.sha256(f"{digest}:{version_id}".encode()).hexdigest()
