"""The crawl-runs page: recorded crawl runs with a small bar chart."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from review_queue.services import crawl_runs
from review_queue.web.deps import CurrentAuth, DbSession, csrf_protect
from review_queue.web.rendering import render

router = APIRouter(dependencies=[Depends(csrf_protect)])

CHART_RUNS = 20  # the chart shows the most recent runs
BAR_WIDTH = 14
BAR_GAP = 10
CHART_HEIGHT = 120


def chart(runs: list[crawl_runs.CrawlRunRow]) -> dict[str, object]:
    """Bars for pages and items of the most recent runs, oldest on the left."""
    shown = list(reversed(runs[:CHART_RUNS]))
    top = max((max(r.pages, r.items) for r in shown), default=0) or 1
    bars = []
    for index, run in enumerate(shown):
        x = 40 + index * (2 * BAR_WIDTH + BAR_GAP)
        pages_h = round(CHART_HEIGHT * run.pages / top)
        items_h = round(CHART_HEIGHT * run.items / top)
        bars.append(
            {
                "id": run.id,
                "pages": run.pages,
                "items": run.items,
                "x_pages": x,
                "x_items": x + BAR_WIDTH,
                "y_pages": 10 + CHART_HEIGHT - pages_h,
                "h_pages": pages_h,
                "y_items": 10 + CHART_HEIGHT - items_h,
                "h_items": items_h,
                "label_x": x + BAR_WIDTH,
            }
        )
    width = 60 + len(shown) * (2 * BAR_WIDTH + BAR_GAP)
    return {
        "bars": bars,
        "width": max(width, 200),
        "height": CHART_HEIGHT + 40,
        "base_y": CHART_HEIGHT + 10,
        "top": top,
        "bar_width": BAR_WIDTH,
    }


@router.get("/crawl-jobs")
def crawl_jobs_page(request: Request, auth: CurrentAuth, db: DbSession) -> Response:
    auth.require("view_crawl_jobs")
    runs = crawl_runs.recent_runs(db, limit=50)
    return render(request, "crawl_jobs.html", {"runs": runs, "chart": chart(runs)})
