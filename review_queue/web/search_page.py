"""The search page: listings by words, identifier, source, indicator and date.

The form is sent with POST: an identifier typed into it (a phone number, an e-mail address,
"telegram @name") must not end up in a URL, a browser history or an access log. It is turned
into the pseudonyms it is stored as and then forgotten; the audit log records that a search
ran and which filters it used, never their values.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_queue.domain import events
from review_queue.services import audit, search, watches
from review_queue.services.errors import InvalidInput
from review_queue.web.deps import CurrentAuth, DbSession, csrf_protect
from review_queue.web.params import day
from review_queue.web.rendering import render

router = APIRouter(dependencies=[Depends(csrf_protect)])


@router.get("/search")
def search_form(request: Request, auth: CurrentAuth) -> Response:
    auth.require("view_queue")
    return render(
        request,
        "search.html",
        {"hits": None, "form": {}, "by_identifier": request.app.state.pseudonyms_of is not None},
    )


@router.post("/search")
def search_run(
    request: Request,
    auth: CurrentAuth,
    db: DbSession,
    text: Annotated[str, Form()] = "",
    identifier: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    indicator: Annotated[str, Form()] = "",
    since: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
) -> Response:
    auth.require("view_queue")
    pseudonyms_of = request.app.state.pseudonyms_of
    pseudonyms: tuple[str, ...] = ()
    if identifier.strip():
        if pseudonyms_of is None:
            raise InvalidInput("search by identifier is off: the server has no pseudonym key")
        pseudonyms = tuple(pseudonyms_of(identifier[:200]))
        if not pseudonyms:
            raise InvalidInput(
                "no phone number, e-mail address or messenger handle was recognised in the "
                'identifier: type for example "+45 12 34 56 78", "name@example.com" or '
                '"telegram @name"'
            )
    query = search.SearchQuery(
        text=text.strip(),
        pseudonyms=pseudonyms,
        source=source.strip()[:100],
        indicator=indicator.strip()[:100],
        since=day(since.strip(), "from"),
        until=day(until.strip(), "to"),
    )
    if query.empty():
        raise InvalidInput(
            "give at least one filter: words, an identifier, a source, an indicator or a date"
        )
    hits = search.search(db, query)
    used = [
        name
        for name, value in (
            ("text", text),
            ("identifier", identifier),
            ("source", source),
            ("indicator", indicator),
            ("since", since),
            ("until", until),
        )
        if value.strip()
    ]
    audit.record(db, auth.name, events.SearchRun(filters=used, results=len(hits)), "search")
    db.commit()
    form = {
        "text": query.text,
        "source": query.source,
        "indicator": query.indicator,
        "since": since.strip()[:10],
        "until": until.strip()[:10],
        "pseudonyms": " ".join(pseudonyms),
    }
    return render(
        request,
        "search.html",
        {
            "hits": hits,
            "form": form,
            "by_identifier": pseudonyms_of is not None,
            "identifier_used": bool(pseudonyms),
        },
    )


@router.post("/watches")
def watch_add(
    request: Request,
    auth: CurrentAuth,
    db: DbSession,
    text: Annotated[str, Form()] = "",
    pseudonyms: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    indicator: Annotated[str, Form()] = "",
) -> Response:
    """Watch a search just run (its pseudonyms, not the identifier typed)."""
    query = search.SearchQuery(
        text=text.strip()[: search.MAX_TEXT],
        pseudonyms=tuple(p for p in pseudonyms.split()[:10] if len(p) <= 200),
        source=source.strip()[:100],
        indicator=indicator.strip()[:100],
    )
    parts = [
        f"words {query.text!r}" if query.text else "",
        "an identifier" if query.pseudonyms else "",
        f"source {query.source!r}" if query.source else "",
        f"indicator {query.indicator!r}" if query.indicator else "",
    ]
    watches.add_watch(db, auth.user, "; ".join(p for p in parts if p), query)
    db.commit()
    return RedirectResponse("/watches?notice=added", status_code=303)


@router.get("/watches")
def watch_list(request: Request, auth: CurrentAuth, db: DbSession, notice: str = "") -> Response:
    auth.require("view_queue")
    return render(
        request,
        "watches.html",
        {
            "watches": watches.user_watches(db, auth.user),
            "notice": {
                "added": "Watch added: new matching listings enter the queue.",
                "stopped": "Watch stopped.",
            }.get(notice, ""),
        },
    )


@router.post("/watches/{watch_id}/stop")
def watch_stop(watch_id: int, auth: CurrentAuth, db: DbSession) -> Response:
    watches.stop_watch(db, auth.user, watch_id)
    db.commit()
    return RedirectResponse("/watches?notice=stopped", status_code=303)
