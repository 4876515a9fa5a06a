"""Score stored listings that have no score under the current scorer (resumable)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from nlp.pseudonym import Pseudonymiser
from nlp.scorer import Assessment, Scorer
from review_queue.services import audit
from review_queue.services.scoring import (
    DEFAULT_SAMPLE_RATE,
    PendingVersion,
    ScoreInput,
    count_pending,
    pending_versions,
    record_score,
)

IDENTIFIER_KINDS = ("phone", "email", "handle")


@dataclass
class ScoringReport:
    scored: int = 0
    flagged: int = 0
    queued: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"scored": self.scored, "flagged": self.flagged, "queued": self.queued,
                "seconds": round(self.seconds, 2)}


def to_score_input(version: PendingVersion, assessment: Assessment, scorer: Scorer,
                   pseudonymiser: Pseudonymiser) -> ScoreInput:
    identifiers = tuple(
        (e.kind, pseudonymiser.pseudonymise(e.kind, e.value))
        for e in assessment.extracted if e.kind in IDENTIFIER_KINDS
    )
    return ScoreInput(
        version_id=version.version_id,
        scorer_key=scorer.scorer_key,
        score=assessment.score,
        band=assessment.band,
        flagged=assessment.flagged,
        possible_minor=assessment.possible_minor,
        categories=assessment.categories,
        explanation=assessment.explanation(),
        language=assessment.language,
        model_version=scorer.versions["model"],
        list_versions=scorer.versions["lists"],
        identifiers=identifiers,
    )


def score_archive(
    sessions: sessionmaker[Session], scorer: Scorer, pseudonymiser: Pseudonymiser, *,
    rescore: bool = False, batch_size: int = 500, sample_rate: float = DEFAULT_SAMPLE_RATE,
    progress: bool = True, actor: str = "system",
) -> ScoringReport:
    """Score pending listing versions in committed batches.

    Each batch commits on its own, so a killed run keeps what it finished and a
    new run continues with the rest.
    """
    report = ScoringReport()
    started = time.perf_counter()
    with sessions() as reader:
        total = count_pending(reader, scorer.scorer_key) if not rescore else None
        bar = tqdm(total=total, unit="listing", desc="scoring", disable=not progress,
                   file=sys.stderr)
        for batch in pending_versions(reader, scorer.scorer_key, batch_size=batch_size,
                                      rescore=rescore):
            assessments = list(scorer.assess_many((v.title, v.text) for v in batch))
            with sessions.begin() as writer:
                for version, assessment in zip(batch, assessments, strict=True):
                    _score, item = record_score(
                        writer, to_score_input(version, assessment, scorer, pseudonymiser),
                        sample_rate=sample_rate,
                    )
                    report.scored += 1
                    report.flagged += int(assessment.flagged)
                    report.queued += int(item is not None)
                audit.record(
                    writer, actor, "scoring.batch", "scorer", scorer.scorer_key[:60],
                    listings=len(batch), model_version=scorer.versions["model"],
                    list_versions=scorer.versions["lists"],
                )
            bar.update(len(batch))
        bar.close()
    report.seconds = time.perf_counter() - started
    return report
