"""The statistics page (charts drawn on the server as SVG) and the decisions export."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from review_queue.domain import events
from review_queue.services import audit, stats
from review_queue.services.errors import InvalidInput
from review_queue.services.queue import utc_now
from review_queue.web.deps import CurrentAuth, DbSession, csrf_protect
from review_queue.web.rendering import render

router = APIRouter(dependencies=[Depends(csrf_protect)])

BAR_WIDTH = 260  # of the longest stacked bar
ROW = 24
DAY_WIDTH = 14
DAY_HEIGHT = 120
MAX_DAYS = 366


def stacked(groups: dict[str, Counter[str]], limit: int = 15) -> list[dict[str, object]]:
    """Horizontal bars, dismissed then escalated, most decisions first."""
    rows = sorted(groups.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:limit]
    top = max((sum(c.values()) for _k, c in rows), default=0) or 1
    out = []
    for index, (label, counts) in enumerate(rows):
        dismissed = round(BAR_WIDTH * counts["dismiss"] / top)
        escalated = round(BAR_WIDTH * counts["escalate"] / top)
        out.append(
            {
                "label": label.replace("_", " ")[:40],
                "dismiss": counts["dismiss"],
                "escalate": counts["escalate"],
                "y": index * ROW,
                "w_dismiss": dismissed,
                "w_escalate": escalated,
                "x_escalate": 180 + dismissed,
                "x_total": 186 + dismissed + escalated,
            }
        )
    return out


def columns(per_day: list[tuple[str, int, int]]) -> dict[str, object]:
    """Vertical stacked columns per day (dismissed below, escalated on top)."""
    top = max((d + e for _day, d, e in per_day), default=0) or 1
    bars = []
    for index, (day, dismissed, escalated) in enumerate(per_day):
        h_d = round(DAY_HEIGHT * dismissed / top)
        h_e = round(DAY_HEIGHT * escalated / top)
        x = 36 + index * (DAY_WIDTH + 4)
        bars.append(
            {
                "day": day,
                "dismiss": dismissed,
                "escalate": escalated,
                "x": x,
                "y_d": 10 + DAY_HEIGHT - h_d,
                "h_d": h_d,
                "y_e": 10 + DAY_HEIGHT - h_d - h_e,
                "h_e": h_e,
            }
        )
    return {"bars": bars, "width": 40 + len(per_day) * (DAY_WIDTH + 4), "top": top}


def _days(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days {days} is out of range: use 1 to {MAX_DAYS}")
    return days


@router.get("/stats")
def stats_page(request: Request, auth: CurrentAuth, db: DbSession, days: int = 30) -> Response:
    figures = stats.queue_stats(db, user=auth.user, days=_days(days))
    groups = {
        "analyst": figures.by_analyst,
        "form": figures.by_form,
        "band shown": figures.by_band,
        "source": figures.by_source,
        "language": figures.by_language,
    }
    return render(
        request,
        "stats.html",
        {
            "s": figures,
            "days": figures.days,
            "per_day": columns(figures.decisions_per_day),
            "charts": {name: stacked(g) for name, g in groups.items()},
            "codes": sorted(figures.by_code.items(), key=lambda kv: (-kv[1], kv[0])),
            "row": ROW,
        },
    )


def _safe_cell(value: object) -> object:
    """A spreadsheet does not run a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@router.get("/decisions/export")
def export(request: Request, auth: CurrentAuth, format: str = "csv", days: int = 0) -> Response:
    """Every decision (of the last ``days`` when given) as CSV or JSON lines."""
    if format not in ("csv", "jsonl"):
        raise InvalidInput(f"export format {format!r} is unknown: use csv or jsonl")
    auth.require("export_decisions")
    since = utc_now() - timedelta(days=_days(days)) if days else None
    with request.app.state.session_factory.begin() as writer:  # who took what, when
        audit.record(
            writer,
            auth.name,
            events.DecisionsExported(format=format),  # type: ignore[arg-type]  # checked above
            "decisions",
        )
    user_id = auth.user.id

    def lines() -> Iterator[str]:  # streamed in a session of its own, closed at the end
        with request.app.state.reader_factory() as session:
            user = session.get(type(auth.user), user_id)
            rows = stats.export_decisions(session, user=user, since=since)
            if format == "jsonl":
                for record in rows:
                    yield json.dumps(record, ensure_ascii=False) + "\n"
                return
            buffer = io.StringIO()
            out = csv.writer(buffer)
            out.writerow(stats.EXPORT_FIELDS)
            for record in rows:
                out.writerow([_safe_cell(v) for v in record.values()])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()

    media = "text/csv" if format == "csv" else "application/x-ndjson"
    stamp = utc_now().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        lines(),
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="decisions-{stamp}.{format}"'},
    )
