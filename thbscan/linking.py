"""Linking the stored archive, as part of scoring.

After each scoring run the listings not yet in the stored template index (new ones, and
those with a new version) are added to it (:mod:`review_queue.services.link_index`): the
index lives in the database, so every scoring process on every machine that shares the
database shares it, and a listing's text is read and hashed once. The clusters are then
made from what is stored (template links, pseudonymised identifiers, analysts' corrections),
and a listing whose cross-listing signals changed since its score was recorded is scored
again with them (:meth:`nlp.scorer.Scorer.with_links`): its explanation names the listings
it is linked to, and a new listing that links to older ones changes their scores too.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from nlp.linking import Cluster, Linker, LinkInput, Signal, TemplateConfig
from nlp.linking.clusters import Prepared, prepare
from nlp.linking.templates import band_keys, similarity
from nlp.pseudonym import Pseudonymiser
from nlp.scorer import Scorer
from review_queue.db.models import LinkGroup, ListingLink, Score
from review_queue.domain import events
from review_queue.services import audit, holds, link_index
from review_queue.services.links import overrides
from review_queue.services.scores import (
    PendingVersion,
    QueuePolicy,
    latest_scores,
    lock_versions,
    record_score,
)
from store import Listing, ListingVersion
from thbscan.scoring_job import to_score_input

__all__ = ["LinkReport", "archive_listings", "index_archive", "link_archive", "stored_linker"]

INDEX_BATCH = 500


@dataclass
class LinkReport:
    listings: int = 0
    indexed: int = 0
    clusters: int = 0
    rescored: int = 0
    flagged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StoredListing:
    listing: LinkInput  # without title and text unless asked for
    version_id: int
    links: tuple[tuple[str, tuple[str, ...]], ...]  # its score's link signals and listings


def archive_listings(
    session: Session, scorer_key: str | None = None, *, texts: bool = False
) -> Iterator[StoredListing]:
    """Each stored listing that is not removed, its current version (with its title and
    text if ``texts``), the kind its latest score found, and the link signals of its score
    under ``scorer_key``; oldest first."""
    latest = latest_scores(scorer_key)
    columns = [ListingVersion.title, ListingVersion.text] if texts else []
    query = (
        select(
            Listing.id,
            Listing.source,
            ListingVersion.id,
            ListingVersion.fields,
            ListingVersion.fetched_at,
            Score.explanation,
            Score.language,
            *columns,
        )
        .join(ListingVersion, ListingVersion.id == Listing.current_version_id)
        .outerjoin(latest, latest.c.version_id == ListingVersion.id)
        .outerjoin(Score, Score.id == latest.c.score_id)
        .where(Listing.removed_at.is_(None))
        .order_by(Listing.id)
        .execution_options(yield_per=1000)
    )
    for (
        listing_id,
        source,
        version_id,
        fields,
        fetched_at,
        explanation,
        language,
        *text,
    ) in session.execute(query):
        fields = dict(fields or {})
        explanation = explanation or {}
        stored = {
            "source": source,
            "kind": explanation.get("kind"),
            "language": language,
            "city": fields.get("city") or fields.get("location"),
            "posted_at": fields.get("date_posted") or fetched_at.isoformat(),
        }
        title, body = (text[0] or "", text[1] or "") if text else ("", "")
        yield StoredListing(
            LinkInput(str(listing_id), title, body, {k: v for k, v in stored.items() if v}),
            version_id,
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


def index_archive(
    sessions: sessionmaker[Session],
    config: TemplateConfig | None = None,
    *,
    batch: int = INDEX_BATCH,
) -> int:
    """Add the listings not yet in the stored template index, and store the template links
    they make; returns how many were added. Safe to run in several processes at once."""
    config = config or TemplateConfig()
    added = 0
    with sessions() as session:
        last = link_index.last_listing(session)
    for after in range(0, last, batch):  # windows of listing numbers
        with sessions.begin() as writer:  # committed before looking for neighbours
            todo = link_index.unindexed(writer, config.key, after, batch)
            if not todo:
                continue
            entries = [_entry(row, config) for row in todo]
            stored = set(link_index.put(writer, entries, config.key))
        mine = [e for e in entries if e.listing_id in stored and e.signature is not None]
        with sessions() as session:
            under, signatures = link_index.neighbours(session, (b for e in mine for b in e.buckets))
        links = []
        for e in mine:
            own = np.frombuffer(e.signature or b"", dtype=np.uint32)
            candidates = {c for b in e.buckets for c in under.get(b, ())} - {e.listing_id}
            for c in candidates:
                if c in signatures:
                    s = similarity(own, np.frombuffer(signatures[c], dtype=np.uint32))
                    if s >= config.threshold:
                        links.append((e.listing_id, c, s))
        with sessions.begin() as writer:
            link_index.add_links(writer, links)
        added += len(stored)
    return added


def _entry(row: link_index.Unindexed, config: TemplateConfig) -> link_index.Entry:
    p = prepare(LinkInput(str(row.listing_id), row.title, row.text), config)
    signature = None if p.signature is None else p.signature.astype(np.uint32)
    return link_index.Entry(
        row.listing_id,
        row.version_id,
        None if signature is None else signature.tobytes(),
        p.ages,
        [] if signature is None else band_keys(signature, config),
    )


def _load_texts(sessions: sessionmaker[Session], ids: Sequence[str]) -> Mapping[str, str]:
    with sessions() as session:
        return {
            str(listing_id): f"{title or ''}\n\n{text or ''}"
            for listing_id, title, text in session.execute(
                select(Listing.id, ListingVersion.title, ListingVersion.text)
                .join(ListingVersion, ListingVersion.id == Listing.current_version_id)
                .where(Listing.id.in_([int(i) for i in ids]))
            )
        }


def _pending(session: Session, version_ids: Sequence[int]) -> dict[int, PendingVersion]:
    out: dict[int, PendingVersion] = {}
    for i in range(0, len(version_ids), 500):
        for version in session.scalars(
            select(ListingVersion).where(ListingVersion.id.in_(version_ids[i : i + 500]))
        ):
            out[version.id] = PendingVersion(
                version.id, version.title or "", version.text or "", dict(version.fields or {})
            )
    return out


def _store_groups(session: Session, clusters: list[Cluster]) -> None:
    """Replace the stored clusters with ``clusters`` (what the review UI shows). A group on
    legal hold is kept: the cluster that continues it (the one with most of its listings)
    takes its place under its id, and the hold covers that cluster's listings too."""
    held = holds.held_groups(session)
    session.execute(delete(ListingLink))
    session.execute(delete(LinkGroup).where(LinkGroup.legal_hold.is_(False)))
    taken: set[int] = set()
    for cluster in clusters:
        values: dict[str, Any] = {
            "linked_by": cluster.kinds,
            "template": cluster.template,
            # slot values in the order of the template's members (at most 50 of them)
            "slots": {"members": cluster.template_members[:50], "values": cluster.slots},
            "signals": [signal.to_dict() for signal in cluster.signals],
        }
        continued = holds.carry_over(session, held, cluster.members, taken)
        group = session.get(LinkGroup, continued) if continued is not None else None
        if group is None:
            group = LinkGroup(**values)
            session.add(group)
        else:
            for name, value in values.items():
                setattr(group, name, value)
            group.updated_at = datetime.now(UTC)
        session.flush()
        templated = set(cluster.template_members)
        session.add_all(
            ListingLink(listing_id=int(m), group_id=group.id, in_template=m in templated)
            for m in cluster.members
        )


def stored_linker(
    sessions: sessionmaker[Session],
    config: TemplateConfig | None = None,
    scorer_key: str | None = None,
) -> tuple[Linker, dict[str, StoredListing]]:
    """A linker holding the archive as the stored index has it (no text is read but the
    slot tables'), with the analysts' corrections; and the listings by id."""
    linker = Linker(templates=config, load_texts=functools.partial(_load_texts, sessions))
    stored: dict[str, StoredListing] = {}
    with sessions() as session:
        ages = link_index.entries(session)
        identifiers = link_index.current_identifiers(session)
        for row in archive_listings(session, scorer_key):
            stored[row.listing.id] = row
            n = int(row.listing.id)
            linker.add_prepared(
                Prepared(
                    row.listing.id,
                    row.listing.fields,
                    "",
                    tuple(identifiers.get(n, ())),
                    tuple(ages.get(n, ())),
                    None,
                )
            )
        linker.link_templates((str(a), str(b)) for a, b in link_index.template_links(session))
        linker.override(*overrides(session))  # analysts' corrections
    return linker, stored


def link_archive(
    sessions: sessionmaker[Session],
    scorer: Scorer,
    pseudonymiser: Pseudonymiser,
    *,
    policy: QueuePolicy | None = None,
    actor: str = "system",
    config: TemplateConfig | None = None,
) -> LinkReport:
    """Bring the stored index up to date, link the archive from it, and score again the
    listings whose link signals changed."""
    config = config or TemplateConfig()
    report = LinkReport(indexed=index_archive(sessions, config))
    linker, stored = stored_linker(sessions, config, scorer.scorer_key)
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
    with sessions() as session:
        versions = _pending(session, [row.version_id for row in changed])
    pending = [versions[row.version_id] for row in changed]
    assessments = scorer.assess_many((v.title, v.text) for v in pending)
    with sessions.begin() as writer:
        lock_versions(writer, [v.version_id for v in pending])  # beside other machines' scoring
        for row, version, assessment in zip(changed, pending, assessments, strict=True):
            linked = scorer.with_links(assessment, signals.get(row.listing.id, ()))
            result = to_score_input(version, linked, scorer, pseudonymiser)
            record_score(writer, result, policy)
            report.rescored += 1
            report.flagged += int(linked.flagged)
        audit.record(
            writer,
            actor,
            events.LinkingRun(
                listings=report.listings,
                indexed=report.indexed,
                clusters=report.clusters,
                rescored=report.rescored,
            ),
            "scorer",
            scorer.scorer_key[:60],
        )
    return report
