"""The review UI in a real browser: Debian's chromium driven by Playwright.

Logs in, opens the highest-scored item, checks that highlighted listing text is
rendered inert (no script runs, no request leaves 127.0.0.1), dismisses the item
with a reason and checks the recorded decision. Saves screenshots for people.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from nlp.scorer import Scorer
from review_queue.db import Decision
from review_queue.services.scores import QueuePolicy, ScoreInput, record_score
from review_queue.services.users import add_user
from review_queue.web import create_app
from store import session_factory
from store.listings import ListingInput, store_listing

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("THBSCAN_SCREENSHOTS", "/tmp/thbscan-screenshots"))
PASSWORD = "a long demo password"
SEEN = QueuePolicy(sample_rate=0, blind_share=0)  # nothing sampled, nothing blind-first
LISTINGS = [
    (
        "Warehouse work in Denmark",
        "We arrange your flight and papers. A recruitment fee of 300 EUR "
        "is paid before departure. We keep your passport safe for you. <script>alert(1)</script>",
    ),
    ("Support desk", "Our support desk is open 24/7. No experience needed, full training."),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@contextlib.contextmanager
def _serve(engine):
    """The review UI on a free loopback port, in a thread; its base URL."""
    import uvicorn

    port = _free_port()
    app = create_app(engine, secret_key="x" * 48, mode="test")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _queue_flagged(s, listing: ListingInput, score: float, *, blind: bool = False) -> None:
    """Store a listing and queue it as flagged (band high, forced labour), blind-first or
    not, nothing sampled."""
    stored = store_listing(s, listing)
    record_score(
        s,
        ScoreInput(
            stored.version_id,
            "test",
            score,
            "high",
            True,
            False,
            ["forced_labour"],
            {"indicators": []},
            "en",
            "none",
            {},
        ),
        policy=QueuePolicy(sample_rate=0, blind_share=1.0 if blind else 0.0),
    )


def _login(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#name", "ana")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/queue*")


def test_login_review_and_dismiss(browser, migrated_engine) -> None:
    from indicator_lists import load_catalogue

    scorer = Scorer(load_catalogue())
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        for i, (title, text) in enumerate(LISTINGS):
            stored = store_listing(
                s, ListingInput("test", f"id-{i}", title, text, url=f"https://jobs.example/{i}")
            )
            a = scorer.assess(title, text)
            record_score(
                s,
                ScoreInput(
                    stored.version_id,
                    scorer.scorer_key,
                    a.score,
                    a.band,
                    a.flagged or i == 0,
                    a.possible_minor,
                    a.categories,
                    a.explanation(),
                    a.language,
                    "none",
                    scorer.versions["lists"],
                ),
                policy=SEEN,
            )
        add_user(s, "ana", "analyst", PASSWORD)

    SHOTS.mkdir(parents=True, exist_ok=True)
    with _serve(migrated_engine) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        outside: list[str] = []
        dialogs: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{base}/queue")
        assert "/login" in page.url  # deny by default
        page.fill("#name", "ana")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/queue*")
        page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)
        page.click("a[href^='/items/']")
        page.wait_for_url(f"{base}/items/*")
        assert page.locator("mark").count() >= 3  # highlighted indicator spans
        assert "<script>alert(1)</script>" in page.inner_text("body")  # shown as text
        page.screenshot(path=str(SHOTS / "item.png"), full_page=True)
        page.click("button:has-text('Claim this item')")
        page.wait_for_url(f"{base}/items/*notice=claim*")
        page.fill("#reason-dismiss", "Checked: a legitimate agency, documents explained.")
        page.click("form.decision-dismiss button:not([name])")
        page.wait_for_url(f"{base}/items/*notice=dismiss*")
        assert not dialogs, f"listing content ran script: {dialogs}"
        assert not outside, f"the browser contacted other origins: {outside}"
    with sessions() as s:
        decision = s.scalars(select(Decision)).one()
        assert decision.action == "dismiss" and decision.user.name == "ana"
        assert decision.reason.startswith("Checked")
        assert decision.band_shown and decision.list_versions


def test_linked_listings_lead_from_a_job_ad_to_the_escort_ad(browser, migrated_engine) -> None:
    """A job ad and an escort ad with one phone number, scored and linked by the real
    scoring and linking passes: the job ad's item page names the escort ad and leads to it."""
    from indicator_lists import load_catalogue
    from nlp.pseudonym import Pseudonymiser
    from thbscan.linking import link_archive
    from thbscan.scoring_job import score_archive

    ads = [
        (
            "Hostess jobs abroad",
            "Hostess work abroad, travel and papers paid by us, you repay from your salary. "
            "We keep your passport safe. Call +45 20 55 12 34.",
        ),
        (
            "Lily, 19, new in town",
            "Sweet Lily, 19 years old, new in town. Full service, no limits, my manager "
            "takes the bookings. Call +45 20551234.",
        ),
    ]
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        for i, (title, text) in enumerate(ads):
            store_listing(
                s, ListingInput("test", f"ad-{i}", title, text, url=f"https://x.example/{i}")
            )
        add_user(s, "ana", "analyst", PASSWORD)
    scorer = Scorer(load_catalogue())
    pseudonymiser = Pseudonymiser(b"k" * 32, "k1")
    score_archive(sessions, scorer, pseudonymiser, progress=False, policy=SEEN)
    report = link_archive(sessions, scorer, pseudonymiser, policy=SEEN)
    assert report.rescored == 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    with _serve(migrated_engine) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, base)
        page.click("a:has-text('Hostess jobs abroad')")
        page.wait_for_url(f"{base}/items/*")
        links = page.locator("#links")
        assert "link.job_to_escort_bridge" in links.inner_text()
        cluster = page.locator("#cluster").inner_text()
        assert "Its cluster: 2 linked listings" in cluster and "(this listing)" in cluster
        assert "link.shared_phone" not in links.inner_text()  # one phone in two listings
        page.screenshot(path=str(SHOTS / "item-links.png"), full_page=True)
        links.locator("a:has-text('Lily, 19, new in town')").first.click()
        page.wait_for_url(f"{base}/items/*")
        assert "Lily, 19, new in town" in page.inner_text("h1, h2, article")
        assert "Hostess jobs abroad" in page.locator("#links").inner_text()


def test_ten_items_with_the_keyboard_only(browser, migrated_engine) -> None:
    """Sign in, claim, make a blind-first item's first call and decide ten items with a
    reason code each, pressing keys only (no mouse, no typing into a reason)."""
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        for i in range(10):
            listing = ListingInput(
                "test", f"kb-{i}", f"Job {i}", f"Pay the fee {i}.", url=f"https://x/{i}"
            )
            _queue_flagged(s, listing, 0.9 - i / 100, blind=i == 2)
        add_user(s, "ana", "analyst", PASSWORD)
    with _serve(migrated_engine) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/login")
        # the name field takes the focus by itself (autofocus): wait for it, then type
        page.wait_for_function("document.activeElement && document.activeElement.id === 'name'")
        page.keyboard.type("ana")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/queue*")
        page.keyboard.press("?")
        assert page.locator("details#shortcuts").get_attribute("open") is not None
        page.keyboard.press("n")
        page.wait_for_url(f"{base}/items/*")
        blind_seen = 0
        for n in range(10):
            if page.locator("text=Blind first").count():
                blind_seen += 1
                assert page.locator(".band").count() == 0
                page.keyboard.press("+")
                page.wait_for_url(f"{base}/items/*notice=first_call*")
            page.keyboard.press("e" if n % 2 else "d")
            page.keyboard.press("2")
            with page.expect_navigation():
                page.keyboard.press("Enter")
        assert "/queue?notice=empty" in page.url
        page.screenshot(path=str(SHOTS / "queue-done.png"), full_page=True)
    assert blind_seen == 1
    with sessions() as s:
        decided = s.scalars(select(Decision).order_by(Decision.id)).all()
    assert len(decided) == 10
    assert {d.reason_code for d in decided} == {"words_mean_otherwise", "documents_or_movement"}


CONTRAST_JS = """
() => {
  const rgb = (s) => {
    const m = s.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map(parseFloat);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest('svg')) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    const fg = rgb(style.color), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    const text = n.textContent.trim().slice(0, 30);
    if (ratio < need) bad.push(`${el.tagName} "${text}" ${ratio.toFixed(2)}`);
  }
  return bad;
}
"""


def test_pages_fit_a_phone_and_a_wide_screen_with_aa_contrast(browser, migrated_engine) -> None:
    """WCAG AA text contrast (4.5:1, 3:1 for large text) on every page, no page wider than
    a 420 px screen, and a visible keyboard focus."""
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        for i, blind in enumerate((False, True)):
            listing = ListingInput(
                "test",
                f"lay-{i}",
                "Warehouse work in Denmark " * 3,
                LISTINGS[0][1] + " averyveryverylongwordwithoutanybreakopportunity" * 4,
                url=f"https://x/{i}",
                fields={"city": "Odense"},
            )
            _queue_flagged(s, listing, 0.8, blind=blind)
        add_user(s, "ana", "admin", PASSWORD)
    with _serve(migrated_engine) as base:
        for width, height in ((420, 860), (1920, 1080)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{base}/login")
            assert page.evaluate(CONTRAST_JS) == [], "login"
            _login(page, base)
            for path in (
                "/queue",
                "/items/1",
                "/items/2",
                "/stats",
                "/audit",
                "/admin/users",
                "/search",
            ):
                page.goto(f"{base}{path}")
                assert page.evaluate(CONTRAST_JS) == [], (width, path)
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, f"{path} is {overflow} px wider than a {width} px screen"
                page.screenshot(
                    path=str(SHOTS / f"{path.strip('/').replace('/', '-')}-{width}.png"),
                    full_page=True,
                )
            page.goto(f"{base}/items/1")
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            outline = page.evaluate(
                "getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                "getComputedStyle(document.activeElement).outlineWidth"
            )
            assert not outline.startswith("none") and not outline.endswith(" 0px"), outline
            page.close()


def test_an_ended_session_keeps_the_decision_and_the_audit_export_verifies(
    browser, migrated_engine, tmp_path
) -> None:
    """In chromium: the session ends while an analyst writes a decision; after signing in
    again the text is back in its form and the decision is recorded. A lead downloads the
    audit log, and its hash chain verifies."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from review_queue.db import WebSession
    from review_queue.services.audit import verify

    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        _queue_flagged(s, ListingInput("test", "end-1", *LISTINGS[0], url="https://x/1"), 0.8)
        add_user(s, "ana", "analyst", PASSWORD)
        add_user(s, "lee", "lead", PASSWORD)
    note = "Passport kept and a fee before travel: escalate to the partner team."
    with _serve(migrated_engine) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, base)
        page.click("button:has-text('Claim the next item')")
        page.wait_for_url(f"{base}/items/*")
        page.fill("#reason-escalate", note)
        with sessions.begin() as s:  # an hour idle: the session has ended
            idle = datetime.now(UTC) - timedelta(hours=1)
            s.execute(update(WebSession).values(last_seen_at=idle))
        page.click("form.decision-escalate button:not([name])")
        assert "Your session has ended" in page.inner_text("main")
        page.fill("#name", "ana")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/items/*notice=draft*")
        assert page.input_value("#reason-escalate") == note
        page.click("form.decision-escalate button:not([name])")
        page.wait_for_url(f"{base}/items/*notice=escalate*")
        page.close()

        lead = browser.new_page(viewport={"width": 1280, "height": 900})
        lead.goto(f"{base}/login")
        lead.fill("#name", "lee")
        lead.fill("#password", PASSWORD)
        lead.click("button[type=submit]")
        lead.wait_for_url(f"{base}/queue*")
        lead.goto(f"{base}/audit")
        with lead.expect_download() as download:
            lead.click("a:has-text('Export JSON lines')")
        path = tmp_path / "audit.jsonl"
        download.value.save_as(path)
    with sessions() as s:
        decision = s.scalars(select(Decision)).one()
    assert decision.action == "escalate" and decision.reason == note
    result = verify(path.read_text(encoding="utf-8").splitlines())
    assert result.error is None and result.events >= 5
