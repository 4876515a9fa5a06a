"""The audit log page (filters, readable rows) and its hash-chained export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from review_queue.db.models import AuditEvent
from review_queue.domain import events
from review_queue.services import audit, queue
from review_queue.web.deps import CurrentAuth, DbSession, csrf_protect
from review_queue.web.params import period
from review_queue.web.rendering import render

router = APIRouter(dependencies=[Depends(csrf_protect)])

PAGE_SIZE = 50


def _audit_filters(actor: str, action: str, since: str, until: str) -> dict[str, Any]:
    start, end = period(since, until)
    return {"actor": actor.strip(), "action": action.strip(), "since": start, "until": end}


@router.get("/audit")
def audit_page(
    request: Request,
    auth: CurrentAuth,
    db: DbSession,
    offset: int = 0,
    actor: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    filters = _audit_filters(actor, action, since, until)
    events = queue.audit_log(db, PAGE_SIZE, offset, user=auth.user, **filters)
    query = urlencode({"actor": actor, "action": action, "since": since, "until": until})
    return render(
        request,
        "audit.html",
        {
            "events": events,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "filters": {"actor": actor, "action": action, "since": since, "until": until},
            "query": query,
        },
    )


@router.get("/audit/export")
def audit_export(
    request: Request,
    auth: CurrentAuth,
    actor: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    """The audit log (filtered as on the page), oldest first, as a JSON-lines hash chain
    that ``thbscan audit verify`` checks."""
    auth.require("view_audit")
    filters = _audit_filters(actor, action, since, until)
    with request.app.state.session_factory.begin() as writer:
        audit.record(
            writer,
            auth.name,
            events.AuditExported(
                filters={
                    k: v
                    for k, v in (
                        ("actor", actor),
                        ("action", action),
                        ("since", since),
                        ("until", until),
                    )
                    if v
                }
            ),
            "audit_events",
        )

    def lines() -> Iterator[str]:  # streamed in a session of its own
        with request.app.state.reader_factory() as session:
            # the whole log chains on from the last purge's anchor (filtered: from its start)
            start = None if any(filters.values()) else audit.anchor(session)
            if start is not None:
                yield json.dumps(start.record()) + "\n"
            query = audit.filtered(**filters).order_by(AuditEvent.id)
            if start is not None:  # a purge stopped half-way may have left some
                query = query.where(AuditEvent.id > start.through)
            events = session.scalars(query.execution_options(yield_per=1000))
            prev = audit.GENESIS if start is None else start.hash
            for record in audit.chained(events, prev):
                yield json.dumps(record, ensure_ascii=False) + "\n"

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.jsonl"'},
    )
