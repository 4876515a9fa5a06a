"""Score stored listings that have no score under the current scorer.

Batched (bounded memory), each batch committed on its own (a killed run keeps what it
finished and the next run continues), and optionally spread over worker processes (one
scorer per process; spaCy's own ``n_process`` was measured slower than a process per
scorer on two cores).

On PostgreSQL the batches are leased through the database, so any number of machines can
score one archive at once: each batch is taken with ``FOR NO KEY UPDATE SKIP LOCKED``
(:func:`~review_queue.services.scores.lease_pending`) in a transaction that stays open
while the batch is scored and then writes its scores and queue items and commits. A dead
worker's connection closes and its rows are free again; a hung one's transaction is ended
by the server after ``lease_seconds`` idle (``idle_in_transaction_session_timeout``).
On SQLite (one machine, one writer) and for ``rescore`` the batches are read with keyset
pagination, as before.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from nlp.pseudonym import Pseudonymiser
from nlp.scorer import Assessment, Scorer
from review_queue.domain import events
from review_queue.services import audit
from review_queue.services.scores import (
    PendingVersion,
    QueuePolicy,
    ScoreInput,
    count_pending,
    lease_pending,
    lock_versions,
    pending_versions,
    record_score,
)

IDENTIFIER_KINDS = ("phone", "email", "handle")
LEASE_SECONDS = 600.0  # a batch held idle this long (a hung worker) is freed by the server
MAX_INFLIGHT = 12  # batches being scored at once: each leased one holds a connection


class LeaseLost(RuntimeError):
    """The connection holding a leased batch was closed before its scores were written."""


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
    lease_seconds: float = LEASE_SECONDS,
    report: ScoringReport | None = None,
) -> ScoringReport:
    """Score pending listing versions; ``workers > 1`` needs a picklable ``worker_factory``.
    On PostgreSQL (unless ``rescore``) batches are leased, so other processes and machines
    may score the same archive at once; ``lease_seconds`` bounds how long a hung worker
    holds its batch. A ``report`` given is added to (a run resumed after a restart)."""
    report = report or ScoringReport(workers=workers)
    started = time.perf_counter()
    writers = writer_sessions or sessions
    with ExitStack() as stack:
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
            stack.callback(pool.shutdown, wait=True, cancel_futures=True)
        with sessions() as counter:
            total = count_pending(counter, scorer.scorer_key) if not rescore else None
        claims: Iterable[_Claim]
        if not rescore and _dialect(writers) == "postgresql":
            leases = _Leases(writers, scorer.scorer_key, batch_size, lease_seconds)
            stack.callback(leases.close)
            claims = leases.claims()
        else:
            reader = stack.enter_context(sessions())
            claims = (
                _Claim(batch)
                for batch in pending_versions(
                    reader, scorer.scorer_key, batch_size=batch_size, rescore=rescore
                )
            )
        bar = tqdm(
            total=total,
            unit="listing",
            desc="scoring",
            disable=not progress,
            file=sys.stderr,
            smoothing=0.1,
        )
        stack.callback(bar.close)
        for claim, results in _results(claims, scorer, pseudonymiser, pool, workers):
            _write(writers, claim, results, report, scorer, policy, actor)
            bar.update(len(results))
            if should_stop is not None and should_stop():
                report.stopped = True
                break
    report.seconds = time.perf_counter() - started
    return report


def _dialect(sessions: sessionmaker[Session]) -> str:
    bind = sessions.kw.get("bind")
    return bind.dialect.name if bind is not None else ""


@dataclass
class _Claim:
    """A batch to score; ``session`` holds a leased batch's rows until it commits."""

    batch: list[PendingVersion]
    session: Session | None = None


@dataclass
class _Leases:
    """Leased batches (PostgreSQL): each in its own open transaction, in version order
    from where this worker's last one ended; when none is left above it, once more from
    the start for batches that a worker that died had taken."""

    sessions: sessionmaker[Session]
    scorer_key: str
    batch_size: int
    lease_seconds: float
    held: weakref.WeakSet[Session] = field(default_factory=weakref.WeakSet)  # not written

    def claims(self) -> Iterator[_Claim]:
        after = 0
        while True:
            session = self.sessions()
            self.held.add(session)
            # READ COMMITTED is what lease_pending relies on; a transaction left idle
            # longer than the lease is ended by the server, freeing its rows
            session.connection(execution_options={"isolation_level": "READ COMMITTED"})
            timeout = str(max(1, round(self.lease_seconds * 1000)))
            session.execute(
                select(func.set_config("idle_in_transaction_session_timeout", timeout, True))
            )
            batch = lease_pending(session, self.scorer_key, batch_size=self.batch_size, after=after)
            if not batch:
                self.release(session)
                if after == 0:
                    return
                after = 0  # sweep from the start: a dead worker's batch is free again
                continue
            after = batch[-1].version_id
            yield _Claim(batch, session)

    def release(self, session: Session) -> None:
        self.held.discard(session)
        session.close()

    def close(self) -> None:
        for session in list(self.held):
            self.release(session)


def _results(
    claims: Iterable[_Claim],
    scorer: Scorer,
    pseudonymiser: Pseudonymiser,
    pool: ProcessPoolExecutor | None,
    workers: int,
) -> Iterable[tuple[_Claim, list[ScoreInput]]]:
    if pool is None:
        for claim in claims:
            yield claim, score_batch(scorer, pseudonymiser, claim.batch)
        return
    inflight: deque[tuple[_Claim, Future[list[ScoreInput]]]] = deque()
    limit = min(2 * workers, MAX_INFLIGHT)  # bounded memory (and connections)
    for claim in claims:
        inflight.append((claim, pool.submit(_score_in_worker, claim.batch)))
        if len(inflight) >= limit:
            done, future = inflight.popleft()
            yield done, future.result()
    while inflight:
        done, future = inflight.popleft()
        yield done, future.result()


def _write(
    sessions: sessionmaker[Session],
    claim: _Claim,
    results: list[ScoreInput],
    report: ScoringReport,
    scorer: Scorer,
    policy: QueuePolicy | None,
    actor: str,
) -> None:
    if claim.session is None:
        with sessions.begin() as writer:
            lock_versions(writer, [r.version_id for r in results])  # beside leased workers
            _record(writer, results, report, scorer, policy, actor)
        return
    writer = claim.session
    try:
        counts = ScoringReport()
        _record(writer, results, counts, scorer, policy, actor)
        writer.commit()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        first, last = claim.batch[0].version_id, claim.batch[-1].version_id
        raise LeaseLost(
            f"the database closed the connection holding listing versions {first}..{last} "
            "before their scores were written (the lease ran out, or the database went "
            "away); nothing of that batch was stored and another worker scores it. If "
            "batches wait longer than the lease, give a longer --lease-timeout."
        ) from exc
    finally:
        writer.close()
    report.scored += counts.scored
    report.flagged += counts.flagged
    report.queued += counts.queued


def _record(
    writer: Session,
    results: list[ScoreInput],
    report: ScoringReport,
    scorer: Scorer,
    policy: QueuePolicy | None,
    actor: str,
) -> None:
    for result in results:
        _score, item = record_score(writer, result, policy)
        report.scored += 1
        report.flagged += int(result.flagged)
        report.queued += int(item is not None)
    audit.record(
        writer,
        actor,
        events.ScoringBatch(
            listings=len(results),
            flagged=sum(int(r.flagged) for r in results),
            model_version=scorer.versions["model"],
            list_versions=scorer.versions["lists"],
        ),
        "scorer",
        scorer.scorer_key[:60],
    )


@contextmanager
def one_at_a_time(engine: Engine, name: str, on_wait: Callable[[], None]) -> Iterator[None]:
    """PostgreSQL: hold the advisory lock ``name`` (of the current schema) while the block
    runs; a second holder calls ``on_wait`` and waits. The lock goes with the connection, so
    a process that dies frees it. Nothing on SQLite (one machine; writers take turns)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    key = "hashtext(:name || ':' || current_schema())"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.scalar(text(f"SELECT pg_try_advisory_lock({key})"), {"name": name}):
            on_wait()
            conn.execute(text(f"SELECT pg_advisory_lock({key})"), {"name": name})
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock({key})"), {"name": name})
