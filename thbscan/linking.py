"""Linking the stored archive, as part of scoring.

After each scoring run the archive is linked again (each listing's current version), and a
listing whose cross-listing signals changed since its score was recorded is scored again
with them (:meth:`nlp.scorer.Scorer.with_links`): its explanation names the listings it is
linked to, and a new listing that links to older ones changes their scores too. The whole
archive is linked each time, in memory (a few seconds per 10,000 listings); an index kept
between runs is what a large archive needs next.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from nlp.linking import Cluster, Linker, LinkInput, Signal
from nlp.pseudonym import Pseudonymiser
from nlp.scorer import Scorer
from review_queue.db.models import LinkGroup, ListingLink, Score
from review_queue.services import audit
from review_queue.services.links import overrides
from review_queue.services.scores import (
    DEFAULT_SAMPLE_RATE,
    PendingVersion,
    latest_scores,
    record_score,
)
from store import Listing, ListingVersion
from thbscan.scoring_job import to_score_input

__all__ = ["LinkReport", "archive_listings", "link_archive"]


@dataclass
class LinkReport:
    listings: int = 0
    clusters: int = 0
    rescored: int = 0
    flagged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StoredListing:
    listing: LinkInput
    version: PendingVersion
    links: tuple[tuple[str, tuple[str, ...]], ...]  # its score's link signals and listings


def archive_listings(session: Session, scorer_key: str | None = None) -> Iterator[StoredListing]:
    """Each stored listing that is not removed, its current version, the kind its latest
    score found, and the link signals of its score under ``scorer_key``; oldest first."""
    latest = latest_scores(scorer_key)
    query = (
        select(Listing.id, Listing.source, ListingVersion, Score.explanation, Score.language)
        .join(ListingVersion, ListingVersion.id == Listing.current_version_id)
        .outerjoin(latest, latest.c.version_id == ListingVersion.id)
        .outerjoin(Score, Score.id == latest.c.score_id)
        .where(Listing.removed_at.is_(None))
        .order_by(Listing.id)
        .execution_options(yield_per=1000)
    )
    for listing_id, source, version, explanation, language in session.execute(query):
        fields = dict(version.fields or {})
        explanation = explanation or {}
        stored = {
            "source": source,
            "kind": explanation.get("kind"),
            "language": language,
            "city": fields.get("city") or fields.get("location"),
            "posted_at": fields.get("date_posted") or version.fetched_at.isoformat(),
        }
        yield StoredListing(
            LinkInput(
                str(listing_id),
                version.title or "",
                version.text or "",
                {k: v for k, v in stored.items() if v},
            ),
            PendingVersion(version.id, version.title or "", version.text or "", fields),
            _signature(
                (str(link.get("id")), link.get("listings") or ())
                for link in explanation.get("links", ())
                if isinstance(link, dict)
            ),
        )


def _signature(
    links: Iterable[tuple[str, Iterable[Any]]],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Link signals compared across runs: each id with the sorted listings it names."""
    return tuple(sorted((i, tuple(sorted(str(x) for x in listings))) for i, listings in links))


def _store_groups(session: Session, clusters: list[Cluster]) -> None:
    """Replace the stored clusters with ``clusters`` (what the review UI shows)."""
    session.execute(delete(ListingLink))
    session.execute(delete(LinkGroup))
    for cluster in clusters:
        group = LinkGroup(
            linked_by=cluster.kinds,
            template=cluster.template,
            # slot values in the order of the template's members (at most 50 of them)
            slots={"members": cluster.template_members[:50], "values": cluster.slots},
            signals=[signal.to_dict() for signal in cluster.signals],
        )
        session.add(group)
        session.flush()
        templated = set(cluster.template_members)
        session.add_all(
            ListingLink(listing_id=int(m), group_id=group.id, in_template=m in templated)
            for m in cluster.members
        )


def link_archive(
    sessions: sessionmaker[Session],
    scorer: Scorer,
    pseudonymiser: Pseudonymiser,
    *,
    sample_rate: float = DEFAULT_SAMPLE_RATE,
    actor: str = "system",
) -> LinkReport:
    """Link the archive and score again the listings whose link signals changed."""
    report = LinkReport()
    linker = Linker()
    stored: dict[str, StoredListing] = {}
    with sessions() as session:
        for row in archive_listings(session, scorer.scorer_key):
            stored[row.listing.id] = row
            linker.add(row.listing)
        detached, merged = overrides(session)  # analysts' corrections
    linker.override(detached, merged)
    report.listings = len(stored)
    signals: dict[str, list[Signal]] = defaultdict(list)
    clusters = linker.clusters()
    report.clusters = len(clusters)
    for cluster in clusters:
        for signal in cluster.signals:
            for listing_id in signal.listings:
                others = tuple(i for i in signal.listings if i != listing_id)
                signals[listing_id].append(Signal(signal.id, others, signal.why))
    changed = [  # a signal came or went, or names other listings now
        row
        for listing_id, row in stored.items()
        if _signature((s.id, s.listings) for s in signals.get(listing_id, ())) != row.links
    ]
    with sessions.begin() as writer:
        _store_groups(writer, clusters)
    if not changed:
        return report
    assessments = scorer.assess_many((row.version.title, row.version.text) for row in changed)
    with sessions.begin() as writer:
        for row, assessment in zip(changed, assessments, strict=True):
            linked = scorer.with_links(assessment, signals.get(row.listing.id, ()))
            result = to_score_input(row.version, linked, scorer, pseudonymiser)
            record_score(writer, result, sample_rate=sample_rate)
            report.rescored += 1
            report.flagged += int(linked.flagged)
        audit.record(
            writer,
            actor,
            "scoring.linked",
            "scorer",
            scorer.scorer_key[:60],
            listings=report.listings,
            clusters=report.clusters,
            rescored=report.rescored,
        )
    return report
