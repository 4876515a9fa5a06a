"""Score stored listings that have no score under the current scorer.

Batched with keyset pagination (bounded memory), each batch committed on its
own (a killed run keeps what it finished and the next run continues), and
optionally spread over worker processes (one scorer per process; spaCy's own
``n_process`` was measured slower than a process per scorer on two cores).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from nlp.pseudonym import Pseudonymiser
from nlp.scorer import Assessment, Scorer
from review_queue.services import audit
from review_queue.services.scores import (
    PendingVersion,
    QueuePolicy,
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
    workers: int = 1
    stopped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "scored": self.scored,
            "flagged": self.flagged,
            "queued": self.queued,
            "seconds": round(self.seconds, 2),
            "workers": self.workers,
            "stopped": self.stopped,
        }


def to_score_input(
    version: PendingVersion, assessment: Assessment, scorer: Scorer, pseudonymiser: Pseudonymiser
) -> ScoreInput:
    identifiers = tuple(
        (e.kind, pseudonymiser.pseudonymise(e.kind, e.value))
        for e in assessment.extracted
        if e.kind in IDENTIFIER_KINDS
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


def score_batch(
    scorer: Scorer, pseudonymiser: Pseudonymiser, batch: list[PendingVersion]
) -> list[ScoreInput]:
    assessments = scorer.assess_many((v.title, v.text) for v in batch)
    return [
        to_score_input(v, a, scorer, pseudonymiser) for v, a in zip(batch, assessments, strict=True)
    ]


# -- worker processes --------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _init_worker(factory: Callable[[], tuple[Scorer, Pseudonymiser]]) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _WORKER["scorer"], _WORKER["pseudonymiser"] = factory()


def _score_in_worker(batch: list[PendingVersion]) -> list[ScoreInput]:
    return score_batch(_WORKER["scorer"], _WORKER["pseudonymiser"], batch)


def score_archive(
    sessions: sessionmaker[Session],
    scorer: Scorer,
    pseudonymiser: Pseudonymiser,
    *,
    rescore: bool = False,
    batch_size: int = 500,
    policy: QueuePolicy | None = None,
    progress: bool = True,
    actor: str = "system",
    workers: int = 1,
    worker_factory: Callable[[], tuple[Scorer, Pseudonymiser]] | None = None,
    should_stop: Callable[[], bool] | None = None,
    writer_sessions: sessionmaker[Session] | None = None,
) -> ScoringReport:
    """Score pending listing versions; ``workers > 1`` needs a picklable ``worker_factory``."""
    report = ScoringReport(workers=workers)
    started = time.perf_counter()
    pool = None
    if workers > 1:
        if worker_factory is None:
            raise ValueError("workers > 1 needs worker_factory to build a scorer per process")
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(worker_factory,),
        )
    try:
        with sessions() as reader:
            total = count_pending(reader, scorer.scorer_key) if not rescore else None
            bar = tqdm(
                total=total,
                unit="listing",
                desc="scoring",
                disable=not progress,
                file=sys.stderr,
                smoothing=0.1,
            )
            batches = pending_versions(
                reader, scorer.scorer_key, batch_size=batch_size, rescore=rescore
            )
            for results in _results(batches, scorer, pseudonymiser, pool, workers):
                _write(writer_sessions or sessions, results, report, scorer, policy, actor)
                bar.update(len(results))
                if should_stop is not None and should_stop():
                    report.stopped = True
                    break
            bar.close()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    report.seconds = time.perf_counter() - started
    return report


def _results(
    batches: Iterable[list[PendingVersion]],
    scorer: Scorer,
    pseudonymiser: Pseudonymiser,
    pool: ProcessPoolExecutor | None,
    workers: int,
) -> Iterable[list[ScoreInput]]:
    if pool is None:
        for batch in batches:
            yield score_batch(scorer, pseudonymiser, batch)
        return
    inflight: deque[Future[list[ScoreInput]]] = deque()
    for batch in batches:
        inflight.append(pool.submit(_score_in_worker, batch))
        if len(inflight) >= 2 * workers:  # bounded memory: a few batches in flight
            yield inflight.popleft().result()
    while inflight:
        yield inflight.popleft().result()


def _write(
    sessions: sessionmaker[Session],
    results: list[ScoreInput],
    report: ScoringReport,
    scorer: Scorer,
    policy: QueuePolicy | None,
    actor: str,
) -> None:
    with sessions.begin() as writer:
        for result in results:
            _score, item = record_score(writer, result, policy)
            report.scored += 1
            report.flagged += int(result.flagged)
            report.queued += int(item is not None)
        audit.record(
            writer,
            actor,
            "scoring.batch",
            "scorer",
            scorer.scorer_key[:60],
            listings=len(results),
            model_version=scorer.versions["model"],
            list_versions=scorer.versions["lists"],
        )
