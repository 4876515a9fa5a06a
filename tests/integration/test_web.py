"""The analyst web application end to end (FastAPI TestClient), on SQLite and PostgreSQL.

Covers R03, R04, R11, R20-R25 and R28: login, session rotation and timeouts,
CSRF, deny-by-default, role checks, the decision flow, XSS payloads in every
listing-derived field, and the security headers.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from rq_helpers import PASSWORD, make_item
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from review_queue.db import AuditEvent, Decision, ReviewItem, WebSession
from review_queue.services import users
from review_queue.services.scores import QueuePolicy
from review_queue.web import create_app
from store import session_factory

STRONG_KEY = "k3Jd9-xQ2mZ7pL0vR8sT1uW4yA6bC5eF-test-only"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PUBLIC_PATHS = {"/healthz", "/login"}

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "<svg onload=alert(1)>",
    "{{7*7}}",
    "${7*7}",
    "{% raw %}x{% endraw %}",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">click</a>',
    "'><script src=//evil.example/x.js></script>",
    "<body onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '"onmouseover="alert(1)',
    "<style>@import 'http://evil.example/x.css';</style>",
    "<meta http-equiv=refresh content='0;url=http://evil.example'>",
    "<link rel=prefetch href=http://evil.example/>",
    "</textarea><script>alert(1)</script>",
    "<!--<img src=x onerror=alert(1)>-->",
    "\u202e<b>rtl</b>",
]
ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "link",
    "body",
    "a",
    "header",
    "nav",
    "form",
    "input",
    "span",
    "button",
    "main",
    "p",
    "h1",
    "h2",
    "h3",
    "small",
    "section",
    "div",
    "table",
    "caption",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "mark",
    "dl",
    "dt",
    "dd",
    "code",
    "ol",
    "ul",
    "li",
    "label",
    "textarea",
    "select",
    "option",
    "figure",
    "figcaption",
    "svg",
    "g",
    "text",
    "rect",
    "footer",
    "article",
    "strong",
    "br",
    "script",  # only our own file: see assert_no_live_markup
    "kbd",
    "fieldset",
    "legend",
    "details",
    "summary",
    "aside",
}
OWN_SCRIPT = '<script src="/static/keys.js" defer></script>'


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_no_live_markup(body: str) -> None:
    """Only our own tags and attributes; no handler, no script, no remote reference."""
    parser = TagCollector()
    parser.feed(body)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, f"unexpected <{tag}> in page"
        if tag == "script":
            assert attrs == [("src", "/static/keys.js"), ("defer", None)], attrs
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} on <{tag}>"
            if name in ("href", "src", "action"):
                assert (
                    value is not None
                    and value.startswith(("/", "#"))
                    and not value.startswith("//")
                ), f"{name}={value!r} on <{tag}> leaves the application"
    assert body.lower().count("<script") == body.count(OWN_SCRIPT) <= 1
    assert "<script>alert" not in body
    for match in re.finditer("onerror=", body):  # only ever in text, never inside a tag
        at = match.start()
        assert body.rfind("<", 0, at) < body.rfind(">", 0, at), body[at - 60 : at + 20]


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    with session_factory(migrated_engine)() as session:
        users.add_user(session, "ana", "analyst", PASSWORD)
        users.add_user(session, "lee", "lead", PASSWORD)
        users.add_user(session, "aud", "auditor", PASSWORD)
        make_item(session, "job-1", redirects=())
        session.commit()
    return migrated_engine


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine, secret_key=STRONG_KEY), follow_redirects=False) as c:
        yield c


def hidden(body: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', body)
    assert match, f"no hidden field {name}"
    return match.group(1)


def use_session(client: TestClient, token: str | None) -> None:
    """Keep exactly one session cookie in the client's jar."""
    client.cookies.delete("thbscan_session")
    if token:
        client.cookies.set("thbscan_session", token)


def login(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    current = client.cookies.get("thbscan_session")
    use_session(client, None)  # a logged-in browser is sent on from /login: get the form
    page = client.get("/login")
    use_session(client, current)
    assert page.status_code == 200
    response = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": hidden(page.text, "csrf_token")},
    )
    if "thbscan_session" in response.cookies:
        use_session(client, response.cookies["thbscan_session"])
    return response


def claim(client: TestClient, iid: int) -> None:
    """Claim an item as the logged-in analyst (deciding needs one's own claim)."""
    token = hidden(client.get(f"/items/{iid}").text, "csrf_token")
    assert client.post(f"/items/{iid}/claim", data={"csrf_token": token}).status_code == 303


def item_id(db: Session) -> int:
    return db.scalar(select(ReviewItem.id).order_by(ReviewItem.id).limit(1))


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI >= 0.16x nests them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def test_every_route_requires_login(client: TestClient, db: Session) -> None:
    checked = 0
    for route in api_routes(client.app.routes):  # type: ignore[attr-defined]
        if route.path in PUBLIC_PATHS:
            continue
        path = route.path.replace("{item_id}", str(item_id(db)))
        for method in route.methods:
            response = client.request(method, path, data={"csrf_token": "x"})
            if path == "/":
                assert response.headers["location"] == "/queue"
                continue
            assert response.status_code == 303, (method, path)
            assert response.headers["location"] == "/login"
            checked += 1
    assert checked >= 7
    assert db.scalar(select(func.count()).select_from(Decision)) == 0


def test_wrong_password(client: TestClient, db: Session) -> None:
    response = login(client, "ana", "wrong password here")
    assert response.status_code == 401
    assert "not correct" in response.text
    assert "thbscan_session" not in response.headers.get("set-cookie", "")
    response = login(client, "nobody", PASSWORD)
    assert response.status_code == 401 and "not correct" in response.text
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
    assert len(events) == 2
    assert all(
        "wrong password" not in str(e.details) and PASSWORD not in str(e.details) for e in events
    )
    assert client.get("/queue").status_code == 303


def test_login_without_csrf_refused(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"name": "ana", "password": PASSWORD})
    assert response.status_code == 403
    response = client.post(
        "/login", data={"name": "ana", "password": PASSWORD, "csrf_token": "0" * 64}
    )
    assert response.status_code == 403


def test_login_rotates_session_token(client: TestClient, db: Session) -> None:
    use_session(client, "attacker-chosen-session-id")
    response = login(client, "ana")
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    first = response.cookies["thbscan_session"]
    assert first != "attacker-chosen-session-id"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    assert client.get("/queue").status_code == 200
    second = login(client, "ana").cookies["thbscan_session"]
    assert second != first
    # the first session ended with the second login from the same browser
    use_session(client, first)
    assert client.get("/queue").headers["location"] == "/login"
    assert (
        db.scalar(select(func.count()).select_from(WebSession).where(WebSession.ended_at.is_(None)))
        == 1
    )


def test_secure_cookie_over_https(engine: Engine) -> None:
    app = create_app(engine, secret_key=STRONG_KEY)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = login(client, "ana")
        assert response.status_code == 303
        assert "secure" in response.headers["set-cookie"].lower()


def test_csrf_missing_or_wrong_is_403(client: TestClient, db: Session) -> None:
    login(client, "ana")
    iid = item_id(db)
    for data in (
        {"action": "dismiss", "reason": "x"},
        {"action": "dismiss", "reason": "x", "csrf_token": "forged"},
    ):
        response = client.post(f"/items/{iid}/decide", data=data)
        assert response.status_code == 403
    assert client.post(f"/items/{iid}/claim").status_code == 403
    assert client.post("/logout").status_code == 403
    db.expire_all()
    assert db.get(ReviewItem, iid).state == "new"
    assert db.scalar(select(func.count()).select_from(Decision)) == 0


def test_decide_flow(client: TestClient, db: Session) -> None:
    login(client, "ana")
    iid = item_id(db)
    claim(client, iid)
    page = client.get(f"/items/{iid}")
    assert page.status_code == 200
    assert "Machine suggestion" in page.text
    assert "model-1.0" in page.text and "forced_labour 1.2.0" in page.text
    form = {
        "csrf_token": hidden(page.text, "csrf_token"),
        "idempotency_key": hidden(page.text, "idempotency_key"),
        "score_id": hidden(page.text, "score_id"),
        "action": "dismiss",
        "reason": "An ordinary agency ad; the fee is a visa cost.",
    }
    assert 'name="action" value="reopen"' not in page.text  # analysts cannot reopen
    response = client.post(f"/items/{iid}/decide", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/items/{iid}?notice=dismiss"
    # a retry of the same form (lost response) does not make a second decision (R28)
    assert client.post(f"/items/{iid}/decide", data=form).status_code == 303
    db.rollback()  # end the test session's read snapshot: see what the app committed
    decisions = db.scalars(select(Decision)).all()
    assert len(decisions) == 1
    decision = decisions[0]
    assert decision.user.name == "ana" and decision.created_at is not None
    assert decision.score_shown == pytest.approx(0.6) and decision.band_shown == "medium"
    assert decision.model_version == "model-1.0"
    assert decision.list_versions == {"forced_labour": "1.2.0"}
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "decision.dismiss"))
    assert event is not None and event.actor == "ana" and event.object_id == str(iid)
    shown = client.get(response.headers["location"])
    assert "Decision recorded" in shown.text and "the fee is a visa cost" in shown.text


def test_reason_required(client: TestClient, db: Session) -> None:
    login(client, "ana")
    iid = item_id(db)
    page = client.get(f"/items/{iid}")
    response = client.post(
        f"/items/{iid}/decide",
        data={"csrf_token": hidden(page.text, "csrf_token"), "action": "escalate", "reason": "  "},
    )
    assert response.status_code == 422 and "needs a reason" in response.text


def test_lead_reopens_and_illegal_transition_is_409(client: TestClient, db: Session) -> None:
    login(client, "lee")
    iid = item_id(db)
    claim(client, iid)
    page = client.get(f"/items/{iid}")
    csrf = hidden(page.text, "csrf_token")
    assert (
        client.post(
            f"/items/{iid}/decide",
            data={"csrf_token": csrf, "action": "escalate", "reason": "debt bondage"},
        ).status_code
        == 303
    )
    again = client.post(
        f"/items/{iid}/decide",
        data={"csrf_token": csrf, "action": "dismiss", "reason": "changed my mind"},
    )
    assert again.status_code == 409 and "escalated" in again.text
    page = client.get(f"/items/{iid}")
    assert 'name="action" value="reopen"' in page.text
    assert (
        client.post(
            f"/items/{iid}/decide",
            data={"csrf_token": csrf, "action": "reopen", "reason": "needs a second look"},
        ).status_code
        == 303
    )
    db.rollback()  # a fresh snapshot
    assert [d.action for d in db.scalars(select(Decision).order_by(Decision.id))] == [
        "escalate",
        "reopen",
    ]


def test_claim_and_claim_next(client: TestClient, db: Session) -> None:
    login(client, "ana")
    csrf = hidden(client.get("/queue").text, "csrf_token")
    response = client.post("/queue/claim-next", data={"csrf_token": csrf})
    iid = item_id(db)
    assert response.headers["location"] == f"/items/{iid}?notice=claim"
    assert "claimed by ana" in client.get(f"/items/{iid}").text
    response = client.post("/queue/claim-next", data={"csrf_token": csrf})
    assert response.headers["location"] == "/queue?notice=empty"
    assert client.post(f"/items/{iid}/release", data={"csrf_token": csrf}).status_code == 303
    assert client.post(f"/items/{iid}/claim", data={"csrf_token": csrf}).status_code == 303


def test_queue_filters_allowlisted(client: TestClient) -> None:
    login(client, "ana")
    page = client.get("/queue")
    assert page.status_code == 200 and "Warehouse job abroad" in page.text
    assert "<svg" in page.text and "forced labour" in page.text  # chart per form
    assert "band-medium" not in page.text  # no bands in the list: samples stay blind (R04)
    for query, name in (("sort=reason", "'reason'"), ("state=x", "'x'"), ("lane=vip", "'vip'")):
        response = client.get(f"/queue?{query}")
        assert response.status_code == 422
        assert name.replace("'", "&#39;") in response.text
    assert client.get("/queue?offset=abc").status_code == 422
    assert client.get("/queue?state=all&lane=normal&sort=oldest").status_code == 200
    assert client.get("/items/999999").status_code == 404


def test_auditor_cannot_decide(client: TestClient, db: Session) -> None:
    response = login(client, "aud")
    assert response.headers["location"] == "/audit"
    audit_page = client.get("/audit")
    assert audit_page.status_code == 200 and "auth.login" in audit_page.text
    csrf = hidden(audit_page.text, "csrf_token")
    iid = item_id(db)
    assert client.get("/queue").status_code == 403
    assert client.get(f"/items/{iid}").status_code == 403
    response = client.post(
        f"/items/{iid}/decide",
        data={"csrf_token": csrf, "action": "dismiss", "reason": "auditors only read"},
    )
    assert response.status_code == 403
    assert client.post(f"/items/{iid}/claim", data={"csrf_token": csrf}).status_code == 403
    assert db.scalar(select(func.count()).select_from(Decision)) == 0


def test_analyst_cannot_read_audit(client: TestClient) -> None:
    login(client, "ana")
    assert client.get("/audit").status_code == 403


def test_disabled_users_session_ends(client: TestClient, db: Session) -> None:
    login(client, "ana")
    assert client.get("/queue").status_code == 200
    users.disable_user(db, "ana", "admin-cli")
    db.commit()
    response = client.get("/queue")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert login(client, "ana").status_code == 401


def test_logout(client: TestClient) -> None:
    login(client, "ana")
    csrf = hidden(client.get("/queue").text, "csrf_token")
    old = client.cookies["thbscan_session"]
    assert client.post("/logout", data={"csrf_token": csrf}).headers["location"] == "/login"
    use_session(client, old)
    assert client.get("/queue").status_code == 303


def test_idle_timeout(engine: Engine) -> None:
    app = create_app(engine, secret_key=STRONG_KEY, session_idle_minutes=0.05)  # 3 s
    with TestClient(app, follow_redirects=False) as client:
        login(client, "ana")
        assert client.get("/queue").status_code == 200
        time.sleep(3.5)
        assert client.get("/queue").headers["location"] == "/login"


def test_secret_key_refused(engine: Engine) -> None:
    for key in (None, "", "too-short-key"):
        with pytest.raises(ValueError, match="THBSCAN_SECRET_KEY"):
            create_app(engine, secret_key=key)
    assert create_app(engine, secret_key=None, mode="test") is not None


def test_security_headers(client: TestClient, db: Session) -> None:
    anonymous = [client.get(path) for path in ("/login", "/healthz", "/nowhere")]
    static = client.get("/static/app.css")
    assert static.status_code == 200 and "mark.ind" in static.text
    login(client, "ana")
    pages = [client.get("/queue"), client.get(f"/items/{item_id(db)}")]
    for response in [*anonymous, static, *pages]:
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-frame-options"] == "DENY"
    for response in pages:
        assert response.headers["cache-control"] == "no-store"
        assert response.text.count("<script") == response.text.count(OWN_SCRIPT)
        assert "style=" not in response.text


def test_xss_payloads_are_inert(client: TestClient, db: Session) -> None:
    corpus = "\n".join(XSS_PAYLOADS)
    text = f"Pay the recruitment fee.\n{corpus}\nKeep your passport with us."
    script_at = text.index("alert(1)</script>")
    img_at = text.index("<img src=x")
    explanation = {
        "indicators": [
            {
                "id": "fl.recruitment_fee",
                "category": "forced_labour",
                "weight": 0.35,
                "grade": "strong",
                "spans": [{"start": 8, "end": 23, "text": "recruitment fee"}],
            },
            {
                "id": "<script>alert('id')</script>",
                "category": XSS_PAYLOADS[1],
                "weight": 0.2,
                "grade": XSS_PAYLOADS[3],
                "title": XSS_PAYLOADS[7],
                "spans": [
                    {"start": script_at, "end": script_at + 8},
                    {"start": img_at, "end": img_at + 10, "text": XSS_PAYLOADS[0]},
                    {"start": 0, "end": 6, "field": "title"},
                    {"start": len(text) - 3, "end": len(text) + 50},
                    {"start": 5, "end": "x"},
                    {"start": 9, "end": 2},
                ],
            },
        ],
        "rules": [{"id": XSS_PAYLOADS[4], "weight": 0.1, "description": XSS_PAYLOADS[2]}],
        "model": {
            "probability": 0.99,
            "threshold": 0.5,
            "raised": True,
            "reason": f"text model: {XSS_PAYLOADS[0]}, without the indicators' evidence",
        },
        "counter": [XSS_PAYLOADS[9], {"id": XSS_PAYLOADS[11]}],
    }
    fields = {f"field{i}": payload for i, payload in enumerate(XSS_PAYLOADS)}
    fields[XSS_PAYLOADS[0]] = "key is a payload"
    item = make_item(
        db,
        "xss",
        title=" ".join(XSS_PAYLOADS[:6]),
        text=text,
        fields=fields,
        explanation=explanation,
        url="javascript:alert(document.cookie)",
        redirects=("https://evil.example/<script>alert(1)</script>", XSS_PAYLOADS[1]),
        band="<b>high</b>",
    )
    db.commit()
    login(client, "ana")
    item_page = client.get(f"/items/{item.id}")
    queue_page = client.get("/queue?state=all")
    assert item_page.status_code == 200 and queue_page.status_code == 200
    for body in (item_page.text, queue_page.text):
        assert_no_live_markup(body)
        assert "{{7*7}}" in body and "${7*7}" in body  # shown literally, never evaluated
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<b>high</b>" not in body
    assert "&lt;b&gt;high&lt;/b&gt;" in item_page.text  # the band is shown on the item page
    body = item_page.text
    assert '&lt;script&gt;<mark class="ind"' in body  # the span inside a payload
    assert re.search(r'<mark class="ind" title="[^"]*">alert\(1\)</mark>&lt;/script&gt;', body)
    assert re.search(r'<mark class="ind" title="[^"]*">&lt;img src=x</mark>', body)
    assert "&lt;script&gt;alert(&#39;id&#39;)&lt;/script&gt;" in body
    assert "javascript:alert(document.cookie)" in body  # shown as text
    assert "Raised to the queue by the text model: " in body  # why, escaped
    assert "without the indicators&#39; evidence" in body
    assert 'href="javascript' not in body and "href=javascript" not in body
    assert 'href="https://evil' not in body and 'href="https://jobs' not in body


def test_item_page_shows_linked_listings(client: TestClient, db: Session) -> None:
    from store import Listing

    other = make_item(db, "escort-1", title=XSS_PAYLOADS[0], text="Lily, new in town.")
    other_listing = db.scalar(select(Listing.id).where(Listing.natural_key == "escort-1"))
    explanation = {
        "indicators": [],
        "links": [
            {
                "id": "link.job_to_escort_bridge",
                "weight": 3.0,
                "title": "Same contact in a job ad and an escort ad",
                "why": "job ads and escort ads in one cluster",
                "listings": [str(other_listing), "999999", XSS_PAYLOADS[1]],
                "counted": True,
            }
        ],
    }
    item = make_item(db, "job-linked", explanation=explanation)
    db.commit()
    login(client, "ana")
    body = client.get(f"/items/{item.id}").text
    assert_no_live_markup(body)
    assert "Linked listings" in body and "link.job_to_escort_bridge" in body
    assert f'href="/items/{other.id}"' in body
    assert "fixture: &lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "not in the archive" in body
    plain = client.get(f"/items/{item_id(db)}").text
    assert "Linked listings" not in plain


def test_a_linked_group_is_decided_at_once_each_item_on_its_own(
    client: TestClient, db: Session
) -> None:
    from review_queue.services import queue as queue_service
    from store import Listing

    others = [make_item(db, f"persona-{i}", title=f"Ad {i}") for i in range(3)]
    listing_ids = [
        db.scalar(select(Listing.id).where(Listing.natural_key == f"persona-{i}")) for i in range(3)
    ]
    explanation = {
        "indicators": [],
        "links": [
            {
                "id": "link.shared_phone",
                "weight": 2.5,
                "why": "one phone in 4 listings",
                "listings": [str(i) for i in listing_ids],
                "counted": True,
            }
        ],
    }
    item = make_item(db, "persona-main", explanation=explanation)
    lee = db.scalar(select(users.User).where(users.User.name == "lee"))
    queue_service.claim(db, lee, others[2].id)  # someone else holds this one
    db.commit()
    login(client, "ana")
    assert "Decide the linked group" not in client.get(f"/items/{item.id}").text
    claim(client, item.id)  # the analyst holds this item; the group's others are open
    page = client.get(f"/items/{item.id}")
    assert "Decide the linked group" in page.text and "Dismiss all 4" in page.text
    form = {
        "csrf_token": hidden(page.text, "csrf_token"),
        "action": "dismiss",
        "reason": "One agency's ordinary ads, checked by phone.",
        "idempotency_key": hidden(page.text, "idempotency_key"),
    }
    response = client.post(f"/items/{item.id}/decide-linked", data=form)
    assert response.status_code == 303
    assert "decided=3&left=1" in response.headers["location"]
    again = client.post(f"/items/{item.id}/decide-linked", data=form)  # a retried request
    assert again.status_code == 303
    db.expire_all()
    decided = db.scalars(select(Decision).order_by(Decision.item_id)).all()
    assert [d.item_id for d in decided] == sorted([item.id, others[0].id, others[1].id])
    assert {d.reason for d in decided} == {form["reason"]}
    assert db.get(ReviewItem, others[2].id).state == "claimed"
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "decision.group_dismiss")
    ).all()
    assert events and events[0].details["items"] == sorted([item.id, others[0].id, others[1].id])
    shown = client.get(f"/items/{item.id}?notice=group&decided=3&left=1").text
    assert "Decisions recorded on 3 items of the linked group; 1 left" in shown


def test_search_by_words_and_by_an_identifier_typed_in_clear(engine: Engine, db: Session) -> None:
    from datetime import UTC, datetime

    from review_queue.db import Identifier
    from thbscan.commands.web import identifier_pseudonyms

    pseudonyms_of = identifier_pseudonyms("test")
    assert pseudonyms_of is not None
    phone = make_item(db, "phone-ad", title="Hostess work", text="Call +45 20 55 12 34 today.")
    make_item(db, "other-ad", title="Cleaner", text="Cleaning job, passport kept by us.")
    [pseudonym] = pseudonyms_of("+4520551234")
    db.add(Identifier(version_id=phone.version_id, kind="phone", pseudonym=pseudonym))
    db.commit()
    app = create_app(engine, secret_key=STRONG_KEY, pseudonyms_of=pseudonyms_of)
    with TestClient(app, follow_redirects=False) as client:
        login(client, "ana")
        page = client.get("/search")
        assert page.status_code == 200 and 'name="identifier"' in page.text
        token = hidden(page.text, "csrf_token")
        found = client.post("/search", data={"csrf_token": token, "identifier": "20 55 12 34"})
        assert found.status_code == 200
        assert "Hostess work" in found.text and "Cleaner" not in found.text
        assert "20 55 12 34" not in found.text  # the typed identifier is not shown back
        words = client.post("/search", data={"csrf_token": token, "text": "PASSPORT"})
        assert "Cleaner" in words.text and "Hostess work" not in words.text
        none = client.post("/search", data={"csrf_token": token, "text": "100%_"})
        assert "Nothing matched" in none.text  # % and _ are searched as written
        unknown = client.post("/search", data={"csrf_token": token, "identifier": "hello"})
        assert unknown.status_code == 422 and "no phone number" in unknown.text
        today = datetime.now(UTC).date().isoformat()
        dated = client.post(
            "/search",
            data={"csrf_token": token, "text": "passport", "since": today, "until": today},
        )
        assert dated.status_code == 200 and "Cleaner" in dated.text
        old = client.post("/search", data={"csrf_token": token, "until": "2001-01-01"})
        assert "Nothing matched" in old.text
        bad = client.post("/search", data={"csrf_token": token, "since": "yesterday"})
        assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
        empty = client.post("/search", data={"csrf_token": token})
        assert empty.status_code == 422 and "at least one filter" in empty.text
        forged = client.post("/search", data={"text": "x"})
        assert forged.status_code == 403
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "search.run")).all()
    assert [e.details["filters"] for e in events] == [
        ["identifier"],
        ["text"],
        ["text"],
        ["text", "since", "until"],
        ["until"],
    ]
    assert all("20551234" not in str(e.details) for e in events)


def test_item_page_shows_its_cluster_timeline_and_slot_table(
    client: TestClient, db: Session
) -> None:
    from review_queue.db import LinkGroup, ListingLink
    from store import Listing

    a = make_item(db, "tpl-a", title="Just turned 18", fields={"city": "Odense"})
    b = make_item(db, "tpl-b", title=XSS_PAYLOADS[0], fields={"city": XSS_PAYLOADS[1]})
    ids = [
        db.scalar(select(Listing.id).where(Listing.natural_key == key))
        for key in ("tpl-a", "tpl-b")
    ]
    group = LinkGroup(
        linked_by=["phone", "template"],
        template="Just turned {1} new in {2}",
        slots={
            "members": [str(i) for i in ids],
            "values": {"1": ["18", "19"], "2": ["Odense", XSS_PAYLOADS[2]]},
        },
        signals=[],
    )
    db.add(group)
    db.flush()
    db.add_all(ListingLink(listing_id=i, group_id=group.id, in_template=True) for i in ids)
    db.commit()
    login(client, "ana")
    body = client.get(f"/items/{a.id}").text
    assert_no_live_markup(body)
    assert "Its cluster: 2 linked listings" in body and "by phone, template" in body
    assert f'href="/items/{b.id}"' in body and "(this listing)" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "Just turned {1} new in {2}" in body and '<th scope="col">{1}</th>' in body
    assert "Cities: " in body and "Odense" in body
    alone = client.get(f"/items/{item_id(db)}").text
    assert "Its cluster" not in alone


def test_analysts_correct_the_linking_with_a_reason(client: TestClient, db: Session) -> None:
    from review_queue.db import LinkGroup, LinkOverride, ListingLink
    from review_queue.services.links import overrides
    from store import Listing

    a = make_item(db, "fix-a", title="Ad A")
    make_item(db, "fix-b", title="Ad B")
    ids = [
        db.scalar(select(Listing.id).where(Listing.natural_key == key))
        for key in ("fix-a", "fix-b")
    ]
    group = LinkGroup(linked_by=["phone"], template=None, slots={}, signals=[])
    db.add(group)
    db.flush()
    db.add_all(ListingLink(listing_id=i, group_id=group.id, in_template=False) for i in ids)
    db.commit()
    login(client, "ana")
    page = client.get(f"/items/{a.id}").text
    assert "Correct the linking" in page
    token = hidden(page, "csrf_token")
    detach = client.post(
        f"/items/{a.id}/cluster",
        data={"csrf_token": token, "action": "detach", "reason": "Another person, checked."},
    )
    assert detach.status_code == 303 and "notice=linking" in detach.headers["location"]
    merge = client.post(
        f"/items/{a.id}/cluster",
        data={"csrf_token": token, "action": "merge", "other": str(ids[1]), "reason": "Same"},
    )
    assert merge.status_code == 303
    missing = client.post(
        f"/items/{a.id}/cluster",
        data={"csrf_token": token, "action": "merge", "other": "999999", "reason": "x"},
    )
    assert missing.status_code == 404 and "does not exist" in missing.text
    no_reason = client.post(
        f"/items/{a.id}/cluster", data={"csrf_token": token, "action": "detach", "reason": " "}
    )
    assert no_reason.status_code == 422
    login(client, "aud")
    auditor = client.post(
        f"/items/{a.id}/cluster",
        data={
            "csrf_token": hidden(client.get("/queue").text, "csrf_token"),
            "action": "detach",
            "reason": "x",
        },
    )
    assert auditor.status_code == 403
    assert len(db.scalars(select(LinkOverride)).all()) == 2
    assert overrides(db) == ([str(ids[0])], [(str(ids[0]), str(ids[1]))])


def test_crawl_runs_page(client: TestClient, db: Session) -> None:
    from review_queue.services.crawl_runs import recent_runs
    from store import CrawlJob

    db.add_all(
        [
            CrawlJob(
                source="fixture-jobs",
                spider="jobposting",
                status="finished",
                pages=40,
                items=30,
                new=30,
                errors=0,
                robots_denied=1,
            ),
            CrawlJob(
                source=XSS_PAYLOADS[0],
                spider="board",
                status="stopped",
                pages=7,
                items=3,
                new=1,
                changed=2,
                errors=4,
                stop_reason=XSS_PAYLOADS[1],
            ),
        ]
    )
    db.commit()
    rows = recent_runs(db, limit=50)
    assert [r.source for r in rows] == [XSS_PAYLOADS[0], "fixture-jobs"]  # newest first
    assert rows[0].changed == 2 and rows[0].stop_reason == XSS_PAYLOADS[1]
    assert len(recent_runs(db, limit=1)) == 1
    with pytest.raises(ValueError, match="limit"):
        recent_runs(db, limit=0)

    login(client, "ana")  # analysts: deny by default
    assert client.get("/crawl-jobs").status_code == 403
    assert 'href="/crawl-jobs"' not in client.get("/queue").text
    for name in ("lee", "aud"):
        login(client, name)
        page = client.get("/crawl-jobs")
        assert page.status_code == 200, name
        assert 'href="/crawl-jobs"' in page.text
        assert "fixture-jobs" in page.text and ">40<" in page.text and ">30<" in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert page.text.count("<rect") == 4  # pages and items of two runs
        assert page.text.count("<script") == page.text.count(OWN_SCRIPT)
        assert "style=" not in page.text
        assert page.headers["content-security-policy"] == CSP
        assert_no_live_markup(page.text)


def test_a_watched_identifier_queues_new_listings_only(engine: Engine, db: Session) -> None:
    from datetime import UTC, datetime, timedelta

    from review_queue.db import Identifier, Watch
    from review_queue.services.scores import ScoreInput, record_score
    from review_queue.services.watches import check_watches
    from store.listings import ListingInput, store_listing
    from thbscan.commands.web import identifier_pseudonyms

    pseudonyms_of = identifier_pseudonyms("test")
    assert pseudonyms_of is not None
    [pseudonym] = pseudonyms_of("+4520551234")
    old = make_item(db, "old-ad", title="Old ad", text="Call +45 20 55 12 34.")
    db.add(Identifier(version_id=old.version_id, kind="phone", pseudonym=pseudonym))
    db.commit()
    app = create_app(engine, secret_key=STRONG_KEY, pseudonyms_of=pseudonyms_of)
    with TestClient(app, follow_redirects=False) as client:
        login(client, "ana")
        token = hidden(client.get("/search").text, "csrf_token")
        found = client.post("/search", data={"csrf_token": token, "identifier": "20551234"})
        assert "Watch this search" in found.text
        added = client.post(
            "/watches",
            data={"csrf_token": token, "pseudonyms": hidden(found.text, "pseudonyms")},
        )
        assert added.status_code == 303
        listing = client.get("/watches").text
        assert "an identifier" in listing and "20551234" not in listing
    [watch] = db.scalars(select(Watch)).all()
    assert watch.pseudonyms == [pseudonym] and watch.active

    # A new, unflagged listing with the number; the watch queues it, and only once.
    stored = store_listing(db, ListingInput("fixture", "new-ad", "New ad", "Ring 20 55 12 34 nu."))
    record_score(
        db,
        ScoreInput(
            stored.version_id,
            "test-scorer",
            0.05,
            "low",
            False,
            False,
            [],
            {},
            "da",
            "none",
            {},
            (("phone", pseudonym),),
        ),
        policy=QueuePolicy(sample_rate=0),
    )
    db.commit()
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert check_watches(db, later) == 1
    item = db.scalar(select(ReviewItem).where(ReviewItem.version_id == stored.version_id))
    assert item is not None and item.reason == "watched"
    assert check_watches(db, later + timedelta(seconds=1)) == 0
    db.commit()
    with TestClient(app, follow_redirects=False) as client:
        login(client, "ana")
        page = client.get("/watches").text
        stopped = client.post(
            f"/watches/{watch.id}/stop", data={"csrf_token": hidden(page, "csrf_token")}
        )
        assert stopped.status_code == 303
        lee_login = login(client, "lee")
        assert lee_login.status_code == 303
        other = client.post(
            f"/watches/{watch.id}/stop",
            data={"csrf_token": hidden(client.get("/watches").text, "csrf_token")},
        )
        assert other.status_code == 404  # not one of lee's
    db.expire_all()
    assert db.get(Watch, watch.id).active is False


def _row(page: str, item: int) -> str:
    match = re.search(rf"<tr>\s*<td>{item}</td>.*?</tr>", page, re.S)
    assert match, f"item {item} is not in the queue page"
    return re.sub(r"\d+|<a href=\"[^\"]*\">[^<]*</a>", "", match.group(0))


def test_a_sample_and_a_blind_flagged_item_look_alike_until_the_first_call(
    client: TestClient, db: Session
) -> None:
    sample = make_item(
        db,
        "sample-1",
        title="Hotel cleaner",
        text="Hotel cleaner for evenings, Danish contract.",
        score=0.05,
        band="low",
        flagged=False,
        categories=(),
        explanation={"indicators": [], "model_probability": 0.05},
    )
    flagged = make_item(db, "flagged-1", policy=QueuePolicy(blind_share=1.0))
    plain = make_item(db, "plain-1")
    db.commit()
    assert (sample.reason, sample.blind, flagged.blind, plain.blind) == ("sample", 1, 1, 0)
    login(client, "ana")
    queue_page = client.get("/queue?state=new").text
    assert _row(queue_page, sample.id) == _row(queue_page, flagged.id)  # R04
    assert "after your first call" in _row(queue_page, sample.id)
    assert "forced" in _row(queue_page, plain.id)
    for item in (sample, flagged):
        claim(client, item.id)
        page = client.get(f"/items/{item.id}").text
        assert "Blind first" in page
        for shown in ("band-", "No indicator matched", "probability", "forced", "<mark"):
            assert shown not in page, shown
        token = hidden(page, "csrf_token")
        refused = client.post(
            f"/items/{item.id}/decide",
            data={"action": "dismiss", "reason": "looks fine", "csrf_token": token},
        )
        assert refused.status_code == 409 and "first call" in refused.text
        called = client.post(
            f"/items/{item.id}/first-call", data={"call": "concern", "csrf_token": token}
        )
        assert called.status_code == 303
        page = client.get(f"/items/{item.id}").text
        assert "band-" in page and "Blind first" not in page
        decided = client.post(
            f"/items/{item.id}/decide",
            data={"action": "escalate", "reason": "a concern", "csrf_token": token},
        )
        assert decided.status_code == 303
    db.expire_all()
    calls = db.scalars(select(AuditEvent).where(AuditEvent.action == "item.first_call")).all()
    assert len(calls) == 2
    assert db.get(ReviewItem, sample.id).first_call == "concern"


def test_the_queue_chart_counts_blind_items_apart(client: TestClient, db: Session) -> None:
    make_item(db, "blind-1", policy=QueuePolicy(blind_share=1.0))
    make_item(db, "seen-1", categories=("forced_labour", "forced_criminality"))
    db.commit()
    login(client, "ana")
    page = client.get("/queue?state=new").text
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert "blind first" in chart and "forced labour" in chart
    counts = dict(re.findall(r'class="label">([a-z ]+)</text>.*?class="count">(\d+)<', chart, re.S))
    assert counts.get("blind first") == "1" and counts.get("forced labour") == "2", counts


def test_wrong_passwords_lock_the_account_even_for_the_right_one(
    client: TestClient, db: Session
) -> None:
    for attempt in range(1, 6):
        response = login(client, "ana", f"wrong password {attempt}")
        assert response.status_code == (429 if attempt == 5 else 401), attempt
    assert "Too many failed sign-ins" in response.text and "UTC" in response.text
    response = login(client, "ana", PASSWORD)  # the right password, during the lock
    assert response.status_code == 429 and "thbscan_session" not in response.cookies
    assert login(client, "lee").status_code == 303  # another account is not locked
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_throttled"))
    assert len(events.all()) == 1
    from review_queue.db.models import LoginThrottle

    lock = db.get(LoginThrottle, "account:ana")
    assert lock is not None and lock.locked_until is not None
    lock.locked_until = lock.locked_until - timedelta(minutes=16)  # the lock has ended
    db.commit()
    use_session(client, None)
    assert login(client, "ana").status_code == 303


def test_failures_from_one_address_lock_it_for_every_account(engine: Engine) -> None:
    from review_queue.services.throttle import Limits

    app = create_app(engine, secret_key=STRONG_KEY, login_limits=Limits(address_failures=3))
    with TestClient(app, follow_redirects=False) as client:
        for name in ("nobody", "someone", "anyone"):
            assert login(client, name, "guess").status_code in (401, 429)
        assert login(client, "lee").status_code == 429


def test_a_form_posted_from_another_origin_is_refused(client: TestClient, db: Session) -> None:
    login(client, "ana")
    item = item_id(db)
    token = hidden(client.get(f"/items/{item}").text, "csrf_token")
    refused = client.post(
        f"/items/{item}/claim",
        data={"csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert refused.status_code == 403
    same = client.post(
        f"/items/{item}/claim", data={"csrf_token": token}, headers={"Origin": "http://testserver"}
    )
    assert same.status_code == 303


def test_a_decision_written_as_the_session_ends_survives_the_new_sign_in(
    client: TestClient, db: Session
) -> None:
    login(client, "ana")
    item = item_id(db)
    claim(client, item)
    token = hidden(client.get(f"/items/{item}").text, "csrf_token")
    db.rollback()  # a fresh snapshot before writing
    web_session = db.scalars(select(WebSession).where(WebSession.ended_at.is_(None))).one()
    web_session.last_seen_at -= timedelta(hours=1)  # idle for an hour: ended
    db.commit()
    reason = 'Fee asked before travel; same wording as item 7 <b>"x"</b>'
    ended = client.post(
        f"/items/{item}/decide",
        data={"action": "escalate", "reason": reason, "csrf_token": token},
    )
    assert ended.status_code == 401 and "Your session has ended" in ended.text
    assert hidden(ended.text, "draft_item") == str(item)
    assert db.scalar(select(func.count()).select_from(Decision)) == 0
    login_token = hidden(ended.text, "csrf_token")
    fields = {
        name: html.unescape(hidden(ended.text, name))  # as a browser sends it
        for name in ("draft_item", "draft_action", "draft_reason")
    }
    signed_in = client.post(
        "/login",
        data={"name": "ana", "password": PASSWORD, "csrf_token": login_token, **fields},
    )
    assert signed_in.headers["location"] == f"/items/{item}?notice=draft"
    use_session(client, signed_in.cookies["thbscan_session"])
    page = client.get(signed_in.headers["location"]).text
    assert "back in its form" in page
    assert "same wording as item 7 &lt;b&gt;&#34;x&#34;&lt;/b&gt;</textarea>" in page
    decided = client.post(
        f"/items/{item}/decide",
        data={"action": "escalate", "reason": reason, "csrf_token": hidden(page, "csrf_token")},
    )
    assert decided.status_code == 303

    db.rollback()  # a new snapshot
    assert db.scalars(select(Decision.reason)).all() == [reason]
    assert db.scalars(select(WebSession.draft).where(WebSession.ended_at.is_(None))).all() == [None]


def test_a_conflict_keeps_what_was_typed(client: TestClient, db: Session) -> None:
    login(client, "ana")
    item = item_id(db)
    claim(client, item)
    page = client.get(f"/items/{item}").text
    stale = client.post(
        f"/items/{item}/decide",
        data={
            "action": "dismiss",
            "reason": "An ordinary cleaning job, checked the company.",
            "csrf_token": hidden(page, "csrf_token"),
            "score_id": str(int(hidden(page, "score_id")) + 1000),  # re-scored since
        },
    )
    assert stale.status_code == 409 and "re-scored" in stale.text
    assert "An ordinary cleaning job, checked the company." in stale.text
    again = client.get(f"/items/{item}").text
    assert "An ordinary cleaning job, checked the company.</textarea>" in again


def test_decide_and_next_with_a_reason_code_then_undo(client: TestClient, db: Session) -> None:
    second = make_item(db, "job-2", score=0.5)  # after job-1 (0.6) in the queue
    db.commit()
    login(client, "ana")
    csrf = hidden(client.get("/queue").text, "csrf_token")
    location = client.post("/queue/claim-next", data={"csrf_token": csrf}).headers["location"]
    first = item_id(db)
    assert location == f"/items/{first}?notice=claim"
    page = client.get(location).text
    assert 'name="reason_code" value="fees_or_debt"' in page and "and next" in page
    form = {"csrf_token": csrf, "action": "escalate", "reason": "", "then": "next"}
    wrong = client.post(f"/items/{first}/decide", data={**form, "reason_code": "ordinary_ad"})
    assert wrong.status_code == 422 and "not offered for 'escalate'" in html.unescape(wrong.text)
    done = client.post(f"/items/{first}/decide", data={**form, "reason_code": "fees_or_debt"})
    assert done.headers["location"] == (f"/items/{second.id}?notice=escalate_next&previous={first}")
    page = client.get(done.headers["location"]).text
    assert f"Item {first} escalated" in page and "claimed by ana" in page
    assert f'action="/items/{first}/undo"' in page
    undone = client.post(f"/items/{first}/undo", data={"csrf_token": csrf})
    assert undone.headers["location"] == f"/items/{first}?notice=undo"
    db.rollback()
    recorded = db.scalars(select(Decision).order_by(Decision.id)).all()
    assert [(d.action, d.reason_code) for d in recorded] == [
        ("escalate", "fees_or_debt"),
        ("undo", None),
    ]
    item = db.get(ReviewItem, first)
    assert item.state == "claimed" and item.claimed_by is not None
    assert "Escalate and next" in client.get(f"/items/{first}").text  # to decide anew


def test_stats_show_the_samples_escalation_rate_and_decisions_export(
    client: TestClient, db: Session
) -> None:
    from review_queue.services import decisions as decision_service
    from review_queue.services import queue as queue_service

    sample = make_item(db, "sample-s", flagged=False, categories=(), score=0.05, band="low")
    lee = db.scalar(select(users.User).where(users.User.name == "lee"))
    for item, action, note in (
        (sample, "escalate", '=HYPERLINK("http://evil.example")'),
        (db.get(ReviewItem, item_id(db)), "dismiss", "an ordinary ad"),
    ):
        queue_service.claim(db, lee, item.id)
        if item.blind:
            decision_service.first_call(db, lee, item.id, "concern")
        decision_service.decide(db, lee, item.id, action, note)
    db.commit()
    login(client, "ana")
    assert client.get("/stats").status_code == 403
    assert client.get("/decisions/export").status_code == 403
    login(client, "lee")
    page = client.get("/stats")
    assert page.status_code == 200
    assert_no_live_markup(page.text)
    assert "100.0 % (1 of 1" in page.text  # the sample: 1 decided, escalated
    assert "Decisions by analyst" in page.text and ">lee<" in page.text
    csv_text = client.get("/decisions/export?format=csv").text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("decision_id,item_id,listing_id,source,action")
    assert len(lines) == 3 and "'=HYPERLINK" in csv_text  # no formula runs in a spreadsheet
    records = [
        json.loads(line) for line in client.get("/decisions/export?format=jsonl").text.splitlines()
    ]
    assert [r["action"] for r in records] == ["escalate", "dismiss"]
    assert records[0]["analyst"] == "lee" and records[0]["note"].startswith("=HYPERLINK")
    db.rollback()
    exports = db.scalars(select(AuditEvent).where(AuditEvent.action == "decisions.export"))
    assert len(exports.all()) == 2


def test_the_audit_log_filters_and_exports_a_chain_that_verify_checks(
    client: TestClient, tmp_path
) -> None:
    import subprocess
    import sys

    login(client, "ana", "a wrong password")
    login(client, "lee")
    page = client.get("/audit?actor=anonymous&action=auth.")
    assert page.status_code == 200 and "auth.login_failed" in page.text
    assert "auth.login<" not in page.text  # lee's login is not anonymous
    assert '<dl class="details">' in page.text and "{&#34;" not in page.text
    assert client.get("/audit?since=yesterday").status_code == 422
    export = client.get("/audit/export")
    assert export.status_code == 200
    lines = export.text.splitlines()
    assert len(lines) >= 3 and json.loads(lines[0])["prev"] == "0" * 64
    path = tmp_path / "audit.jsonl"
    path.write_text(export.text, encoding="utf-8")

    def verify(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "thbscan", "audit", "verify", str(path), *extra],
            capture_output=True,
            text=True,
            check=False,
        )

    ok = verify()
    assert ok.returncode == 0 and f"{len(lines)} events, chain intact" in ok.stdout
    second = json.loads(lines[1])
    assert verify("--expect", f"{second['id']}:{second['hash']}").returncode == 0
    assert verify("--expect", f"{second['id']}:{'f' * 64}").returncode == 1
    changed = json.loads(lines[1])
    changed["actor"] = "someone else"
    path.write_text("\n".join([lines[0], json.dumps(changed), *lines[2:]]), encoding="utf-8")
    broken = verify()
    assert broken.returncode == 1 and "line 2: its content was changed" in broken.stderr
    path.write_text("\n".join([lines[0], *lines[2:]]), encoding="utf-8")  # one dropped
    assert "line 2: does not follow" in verify().stderr


def test_the_stop_switch_is_on_every_page_and_leads_turn_it(
    client: TestClient, db: Session
) -> None:
    from review_queue.services.switches import is_stopped

    login(client, "ana")
    page = client.get("/queue").text
    assert "Stop switch off" in page and 'action="/stop-switch"' not in page
    csrf = hidden(page, "csrf_token")
    refused = client.post("/stop-switch", data={"csrf_token": csrf, "stopped": "on", "reason": "x"})
    assert refused.status_code == 403
    login(client, "lee")
    page = client.get(f"/items/{item_id(db)}").text
    csrf = hidden(page, "csrf_token")
    assert (
        client.post(
            "/stop-switch", data={"csrf_token": csrf, "stopped": "on", "reason": ""}
        ).status_code
        == 422
    )
    turned = client.post(
        "/stop-switch",
        data={"csrf_token": csrf, "stopped": "on", "reason": "a source complained"},
    )
    assert turned.status_code == 303
    db.rollback()
    assert is_stopped(db)
    page = client.get("/stats").text
    assert "Stop switch ON" in page and "a source complained" in page and "Resume" in page
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "crawl.stop_switch_on"))


def test_admins_manage_users_from_the_ui(engine: Engine, client: TestClient, db: Session) -> None:
    users.add_user(db, "adm", "admin", PASSWORD)
    db.commit()
    login(client, "ana")
    assert client.get("/admin/users").status_code == 403
    ana_session = client.cookies["thbscan_session"]
    login(client, "adm")
    page = client.get("/admin/users")
    assert page.status_code == 200 and ">ana<" in page.text
    csrf = hidden(page.text, "csrf_token")
    short = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "name": "bob", "role": "analyst", "password": "short"},
    )
    assert short.status_code == 422 and "too short" in short.text
    added = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "name": "bob", "role": "analyst", "password": PASSWORD},
    )
    assert added.headers["location"] == "/admin/users?notice=added"
    role = client.post("/admin/users/bob/role", data={"csrf_token": csrf, "role": "lead"})
    assert role.status_code == 303
    assert (
        client.post(
            "/admin/users/adm/role", data={"csrf_token": csrf, "role": "analyst"}
        ).status_code
        == 409
    )
    assert client.post("/admin/users/bob/disable", data={"csrf_token": csrf}).status_code == 303
    assert client.post("/admin/users/ana/sessions", data={"csrf_token": csrf}).status_code == 303
    db.rollback()
    bob = users.get_user(db, "bob")
    assert bob.role == "lead" and bob.disabled
    with TestClient(create_app(engine, secret_key=STRONG_KEY), follow_redirects=False) as other:
        assert login(other, "bob").status_code == 401  # disabled
        use_session(other, ana_session)
        assert other.get("/queue").status_code == 303  # her sessions were ended
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.actor == "adm")))
    assert {"user.add", "user.role", "user.disable", "user.sessions_ended"} <= actions


def test_queue_filters_narrow_the_list_and_never_reveal_blind_items(
    client: TestClient, db: Session
) -> None:
    odense = make_item(
        db,
        "odense-1",
        title="Massage 100% discreet",
        fields={"city": "Odense"},
        explanation={"indicators": [], "kind": "escort"},
        categories=("sexual_exploitation",),
        band="high",
    )
    blind = make_item(db, "blind-2", band="high", policy=QueuePolicy(blind_share=1.0))
    db.commit()
    login(client, "ana")

    def ids(query: str) -> set[int]:
        page = client.get(f"/queue?state=all&{query}")
        assert page.status_code == 200, page.text
        return {int(i) for i in re.findall(r"<tr>\s*<td>(\d+)</td>", page.text)}

    first = item_id(db)
    assert ids("") == {first, odense.id, blind.id}
    assert ids("city=odense") == {odense.id}
    assert ids("kind=escort") == {odense.id}
    assert ids("form=sexual_exploitation") == {odense.id}
    assert ids("text=100%25") == {odense.id}  # a literal %, not a wildcard
    assert ids("band=high") == {odense.id}  # the blind one stays out until its first call
    assert ids("band=medium") == {first}
    assert ids("source=nowhere") == set()
    assert client.get("/queue?form=arson").status_code == 422
    lee = db.scalar(select(users.User).where(users.User.name == "lee"))
    from review_queue.services import decisions as decision_service
    from review_queue.services import queue as queue_service

    queue_service.claim(db, lee, first)
    decision_service.decide(db, lee, first, "dismiss", "fine")
    db.commit()
    assert ids("decided_by=lee") == {first}
    page = client.get("/queue?state=all&city=odense")
    assert 'name="city" type="text" value="odense"' in page.text
    assert '<details class="more-filters" open>' in page.text


def test_a_slow_queue_count_is_refreshed_in_the_background(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large queue's count is shown from the last refresh; once it is old, the view that
    finds it so shows it still and a background thread makes the new one."""
    from review_queue.web import review

    monkeypatch.setattr(review, "SLOW_SECONDS", 0.0)  # every aggregate counts as slow
    monkeypatch.setattr(review, "RECENT_SECONDS", 3600.0)
    login(client, "ana")

    def shown() -> int:
        page = client.get("/queue?state=new").text
        found = re.search(r"(\d+) item", page)
        assert found, page[:2000]
        return int(found.group(1))

    assert shown() == 1
    make_item(db, "job-2")
    db.commit()
    assert shown() == 1  # within RECENT_SECONDS: the value of the last refresh
    cache = client.app.state.recent  # type: ignore[attr-defined]
    for key, (_, value) in list(cache.items()):
        cache[key] = (0.0, value)  # aged past RECENT_SECONDS, without a wall-clock race
    assert shown() == 1  # old: shown once more while the refresh runs
    for _ in range(100):
        if shown() == 2:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the background refresh never replaced the old count")
