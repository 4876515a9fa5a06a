"""Queue and item pages, and the state-changing review actions.

Handlers are thin: they check the role, call one service, commit, then answer.
A decision is acknowledged (the redirect) only after the commit (R28).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from review_queue.domain.states import DECISIONS, FIRST_CALLS, ItemState
from review_queue.services import (
    decisions,
    identifiers,
    links,
    queue,
    queue_filter,
    switches,
    websessions,
)
from review_queue.services.errors import InvalidInput
from review_queue.web import presenters
from review_queue.web.deps import SESSION_COOKIE, Auth, CurrentAuth, DbSession, csrf_protect
from review_queue.web.params import period
from review_queue.web.rendering import render

logger = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(csrf_protect)])

PAGE_SIZE = 50
CHART_WIDTH = 220
NOTICES = {
    "dismiss": "Decision recorded: dismissed.",
    "escalate": "Decision recorded: escalated.",
    "reopen": "Decision recorded: reopened and back in the queue.",
    "claim": "The item is yours until the time shown (extend it if you need longer).",
    "dismiss_next": "Item {previous} dismissed. This is the next one, claimed for you.",
    "escalate_next": "Item {previous} escalated. This is the next one, claimed for you.",
    "undo": "Your decision is taken back: the item is yours again, to decide anew.",
    "draft": "What you wrote before signing in again is back in its form: check it and submit.",
    "first_call": "First call recorded. The machine's suggestion is shown below: now decide.",
    "release": "The item is back in the queue.",
    "linking": "Correction recorded: it applies from the next linking run (after scoring).",
    "group": "Decisions recorded on {decided} items of the linked group; {left} left as they "
    "were (decided already or claimed by someone else).",
}


def _chart(counts: list[tuple[str, int]]) -> list[dict[str, object]]:
    top = max((count for _label, count in counts), default=0) or 1
    return [
        {
            "label": label.replace("_", " "),
            "count": count,
            "css": "bar-urgent" if label == "possible minor" else "bar",
            "y": index * 26,
            "width": max(2, round(CHART_WIDTH * count / top)),
        }
        for index, (label, count) in enumerate(counts)
    ]


FILTERS = (
    "text",
    "source",
    "kind",
    "form",
    "band",
    "language",
    "city",
    "since",
    "until",
    "decided_by",
)


RECENT_SECONDS = 30.0  # how old a slow queue aggregate (count, chart) may be when shown
SLOW_SECONDS = 0.05  # aggregates faster than this are made afresh on every view
CACHED = 64
_refreshing = threading.Lock()


def _recent(
    request: Request, db: Session, key: tuple[Any, ...], compute: Callable[[Session], Any]
) -> Any:
    """``compute(session)``; when it is slow (a large queue), its value from the last
    RECENT_SECONDS instead. An older value is shown while one background thread of the
    process makes the new one in its own read session: no request waits for a slow
    aggregate except the very first, and the same aggregate is never made twice at once."""
    state = request.app.state
    cache: dict[tuple[Any, ...], tuple[float, Any]] = state.__dict__.setdefault("recent", {})
    hit = cache.get(key)
    if hit is None:
        with _refreshing:  # the first view: made once, the views that came meanwhile wait
            hit = cache.get(key)
            return hit[1] if hit is not None else _remember(cache, key, compute, db)
    if hit[0] <= time.monotonic() and _refreshing.acquire(blocking=False):
        threading.Thread(
            target=_refresh, args=(state.reader_factory, cache, key, compute), daemon=True
        ).start()
    return hit[1]


def _refresh(
    factory: Callable[[], Session],
    cache: dict[tuple[Any, ...], tuple[float, Any]],
    key: tuple[Any, ...],
    compute: Callable[[Session], Any],
) -> None:
    try:
        with factory() as session:
            _remember(cache, key, compute, session)
    except Exception:  # the old value stays; the next view after it tries again
        logger.exception("refreshing a queue aggregate failed")
    finally:
        _refreshing.release()


def _remember(
    cache: dict[tuple[Any, ...], tuple[float, Any]],
    key: tuple[Any, ...],
    compute: Callable[[Session], Any],
    session: Session,
) -> Any:
    started = time.monotonic()
    value = compute(session)
    if time.monotonic() - started >= SLOW_SECONDS:
        if len(cache) >= CACHED:
            cache.clear()
        cache[key] = (time.monotonic() + RECENT_SECONDS, value)
    return value


@router.get("/queue")
def queue_page(
    request: Request,
    auth: CurrentAuth,
    db: DbSession,
    state: str = "new",
    lane: str = "",
    sort: str = "score",
    offset: int = 0,
    notice: str = "",
) -> Response:
    auth.require("view_queue")
    given = {name: request.query_params.get(name, "")[:200] for name in FILTERS}
    since, until = period(given["since"], given["until"])
    narrow = queue_filter.QueueFilter(
        **{k: v for k, v in given.items() if k not in ("since", "until")},
        since=since,
        until=until,
    )
    rows = queue.list_queue(
        db,
        state=state,
        lane=lane or None,
        sort=sort,
        limit=PAGE_SIZE,
        offset=offset,
        narrow=narrow,
    )
    total = _recent(
        request,
        db,
        ("count", state, lane, narrow),
        lambda s: queue.count_queue(s, state=state, lane=lane or None, narrow=narrow),
    )
    chart = _chart(
        _recent(
            request,
            db,
            ("chart", state, lane, narrow),
            lambda s: queue.category_counts(s, state=state, lane=lane or None, narrow=narrow),
        )
    )
    kept = {"state": state, "lane": lane, "sort": sort, **{k: v for k, v in given.items() if v}}
    return render(
        request,
        "queue.html",
        {
            "rows": rows,
            "total": total,
            "chart": chart,
            "chart_height": max(26, 26 * len(chart)),
            "chart_width": CHART_WIDTH,
            "filters": {"state": state, "lane": lane, "sort": sort},
            "more": given,
            "more_open": any(given.values()),
            "query": urlencode(kept),
            "states": queue.STATES,
            "lanes": queue.LANES,
            "sorts": queue.SORTS,
            "forms": queue_filter.FORMS,
            "bands": queue_filter.BANDS,
            "kinds": queue_filter.KINDS,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "notice": "No item is waiting to be claimed." if notice == "empty" else "",
        },
    )


@router.post("/queue/claim-next")
def claim_next(auth: CurrentAuth, db: DbSession) -> Response:
    return _claim_next(db, auth, "claim")


@router.get("/items/{item_id}")
def item_page(
    request: Request,
    item_id: int,
    auth: CurrentAuth,
    db: DbSession,
    notice: str = "",
    decided: int = 0,
    left: int = 0,
    previous: int = 0,
) -> Response:
    return _item_view(request, item_id, auth, db, notice, decided, left, previous)


@router.post("/items/{item_id}/reveal")
def reveal(
    request: Request,
    item_id: int,
    auth: CurrentAuth,
    db: DbSession,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """A lead reads the item's identifiers in clear, saying why (logged, R09)."""
    detail = queue.get_item(db, item_id, user=auth.user)
    revealed = identifiers.reveal(db, auth.user, detail.version.id, reason)
    db.commit()
    return _item_view(request, item_id, auth, db, revealed=revealed)


def _item_view(
    request: Request,
    item_id: int,
    auth: Auth,
    db: Session,
    notice: str = "",
    decided: int = 0,
    left: int = 0,
    previous: int = 0,
    *,
    revealed: list[identifiers.Revealed] | None = None,
) -> Response:
    detail = queue.get_item(db, item_id, user=auth.user)
    mine = detail.state == ItemState.CLAIMED and detail.item.claimed_by == auth.user.id
    version, score = detail.version, detail.score
    hidden = detail.hidden  # blind-first: nothing of the machine's until the first call
    explanation = {} if hidden else score.explanation
    linked = links.linked_listings(db, presenters.link_listing_ids(explanation))
    open_states = (ItemState.NEW, ItemState.CLAIMED)
    actions = [
        action
        for action in DECISIONS
        if auth.can(action)
        and (detail.state in open_states) == (action != "reopen")
        and (action == "reopen" or (mine and not hidden))
    ]
    undoable = [  # the analyst's own decision of a moment ago, here or on the item before
        i for i in dict.fromkeys((previous, item_id)) if i and decisions.can_undo(db, auth.user, i)
    ]
    return render(
        request,
        "item.html",
        {
            "detail": detail,
            "title_html": presenters.highlight(
                version.title, presenters.collect_spans(explanation, "title")
            ),
            "text_html": presenters.highlight(
                version.text, presenters.collect_spans(explanation, "text")
            ),
            "explanation": presenters.explain(explanation, version.text, version.title),
            "links": presenters.link_rows(explanation, linked),
            "cluster": None if hidden else links.cluster_of(db, detail.item.listing_id),
            "hidden": hidden,
            "first_calls": FIRST_CALLS if auth.can("first_call") and hidden and mine else (),
            "mine": mine,
            "undoable": undoable,
            "reason_codes": request.app.state.reason_codes,
            "linked_open": sum(1 for other in linked.values() if other.state in ("new", "claimed")),
            "fields": presenters.field_rows(version.fields),
            "redirects": presenters.text_list(version.redirect_chain),
            "categories": [] if hidden else presenters.text_list(score.categories, 50),
            "list_versions": presenters.field_rows(score.list_versions),
            "actions": actions,
            "can_claim": auth.can("claim") and detail.state == ItemState.NEW,
            "can_release": auth.can("release")
            and detail.state == ItemState.CLAIMED
            and (detail.item.claimed_by == auth.user.id or auth.role in ("lead", "admin")),
            "idempotency_key": secrets.token_urlsafe(24),
            "draft": auth.draft_for(item_id),
            "notice": NOTICES.get(notice, "").format(decided=decided, left=left, previous=previous),
            "group_actions": [a for a in ("dismiss", "escalate") if auth.can(a)],
            "identifier_tokens": identifiers.tokens(db, version.id),
            "can_reveal": auth.can("reveal_identifiers"),
            "revealed": revealed,
        },
    )


@router.post("/items/{item_id}/decide")
def decide(
    request: Request,
    item_id: int,
    auth: CurrentAuth,
    db: DbSession,
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form()] = "",
    score_id: Annotated[str, Form()] = "",
    reason_code: Annotated[str, Form()] = "",
    then: Annotated[str, Form()] = "",
) -> Response:
    """Record a decision; with ``then=next`` claim the next item and go there."""
    shown = int(score_id) if score_id.isdigit() and len(score_id) < 12 else None
    decision = decisions.decide(
        db,
        auth.user,
        item_id,
        action,
        reason,
        idempotency_key=idempotency_key or None,
        score_id_shown=shown,
        reason_code=_reason_code(request, action, reason_code),
    )
    _drop_draft(request, auth, db, item_id)
    db.commit()  # acknowledged only after the commit (R28)
    if then == "next":
        return _claim_next(db, auth, f"{decision.action}_next", item_id)
    return RedirectResponse(f"/items/{item_id}?notice={decision.action}", status_code=303)


def _drop_draft(request: Request, auth: CurrentAuth, db: DbSession, item_id: int) -> None:
    """The item is decided: the text kept for its form (if any) has served."""
    if auth.draft_for(item_id):
        websessions.keep_draft(db, request.cookies.get(SESSION_COOKIE), None)


def _claim_next(db: DbSession, auth: CurrentAuth, notice: str, previous: int = 0) -> Response:
    queue.lease_only(db)  # the decision before it, if any, is committed already
    ids = queue.claim_next(db, auth.user, 1)
    db.commit()
    after = f"&previous={previous}" if previous else ""
    if not ids:
        return RedirectResponse(f"/queue?notice=empty{after}", status_code=303)
    return RedirectResponse(f"/items/{ids[0]}?notice={notice}{after}", status_code=303)


def _reason_code(request: Request, action: str, code: str) -> str | None:
    """The chosen reason code, if it is one offered for ``action``."""
    if not code:
        return None
    offered = request.app.state.reason_codes.get(action, {})
    if code not in offered:
        raise InvalidInput(
            f"reason code {code[:40]!r} is not offered for {action!r}: pick one from the list"
        )
    return code


@router.post("/items/{item_id}/undo")
def undo(item_id: int, auth: CurrentAuth, db: DbSession) -> Response:
    """Take back one's own decision of a moment ago (a new recorded decision)."""
    decisions.undo(db, auth.user, item_id)
    db.commit()
    return RedirectResponse(f"/items/{item_id}?notice=undo", status_code=303)


@router.post("/items/{item_id}/first-call")
def first_call(
    item_id: int,
    auth: CurrentAuth,
    db: DbSession,
    call: Annotated[str, Form()] = "",
) -> Response:
    """A blind-first item's first call, before its suggestion is shown (R04)."""
    decisions.first_call(db, auth.user, item_id, call)
    db.commit()
    return RedirectResponse(f"/items/{item_id}?notice=first_call", status_code=303)


@router.post("/items/{item_id}/decide-linked")
def decide_linked(
    request: Request,
    item_id: int,
    auth: CurrentAuth,
    db: DbSession,
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form()] = "",
    reason_code: Annotated[str, Form()] = "",
) -> Response:
    """This item and the open items of the listings its score links it to, decided at once:
    the group is found here, from the stored links, never from the form."""
    detail = queue.get_item(db, item_id, user=auth.user)
    group = [
        item_id,
        *links.linked_item_ids(db, presenters.link_listing_ids(detail.score.explanation)),
    ]
    decided, left = decisions.decide_group(
        db,
        auth.user,
        group,
        action,
        reason,
        idempotency_key=idempotency_key,
        reason_code=_reason_code(request, action, reason_code),
    )
    _drop_draft(request, auth, db, item_id)
    db.commit()  # acknowledged only after the commit (R28)
    return RedirectResponse(
        f"/items/{item_id}?notice=group&decided={len(decided)}&left={len(left)}", status_code=303
    )


@router.post("/items/{item_id}/cluster")
def correct_cluster(
    item_id: int,
    auth: CurrentAuth,
    db: DbSession,
    action: Annotated[str, Form()] = "",
    other: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Detach the item's listing from its cluster, or merge its cluster with another
    listing's; recorded, and applied from the next linking run on."""
    detail = queue.get_item(db, item_id, user=auth.user)
    other_id = int(other) if other.strip().isdigit() and len(other.strip()) < 12 else None
    links.record_override(db, auth.user, action, detail.item.listing_id, reason, other_id)
    db.commit()
    return RedirectResponse(f"/items/{item_id}?notice=linking", status_code=303)


@router.post("/items/{item_id}/claim")
def claim(item_id: int, auth: CurrentAuth, db: DbSession) -> Response:
    """Claim an item, or extend one's own claim on it."""
    queue.claim(db, auth.user, item_id)
    db.commit()
    return RedirectResponse(f"/items/{item_id}?notice=claim", status_code=303)


@router.post("/items/{item_id}/release")
def release(item_id: int, auth: CurrentAuth, db: DbSession) -> Response:
    queue.release(db, auth.user, item_id)
    db.commit()
    return RedirectResponse(f"/items/{item_id}?notice=release", status_code=303)


@router.post("/stop-switch")
def stop_switch_control(
    auth: CurrentAuth,
    db: DbSession,
    stopped: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Leads turn the stop switch on or off, with a reason (R05)."""
    auth.require("stop_switch")
    if stopped not in ("on", "off"):
        raise InvalidInput(f"stop switch {stopped[:10]!r}: use on or off")
    if not reason.strip():
        raise InvalidInput("turning the stop switch needs a reason: say why")
    switches.set_stopped(db, stopped == "on", actor=auth.name, reason=reason.strip())
    db.commit()
    return RedirectResponse("/queue", status_code=303)
