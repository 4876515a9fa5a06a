"""Calibration end to end: analysts' decisions in a real database, the fit, promotion, and
the archive re-scored with calibrated numbers while flags and bands stay as they were."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rq_helpers import PASSWORD, make_item
from sqlalchemy import select

from fixture_site import generate_listings
from models.registry import ARTIFACTS
from review_queue.db import ReviewItem, Score
from review_queue.services import decisions, queue
from review_queue.services.outcomes import decided_outcomes
from review_queue.services.scores import ScoreInput, enqueue, record_score
from review_queue.services.users import add_user
from store import Listing, ListingVersion, create_engine_for, session_factory

pytestmark = pytest.mark.slow


def decide(s, user, item_id: int, action: str, reason: str) -> None:
    """An analyst's decision as the review UI makes it: the item claimed first, and a
    blind-first item's first call recorded before."""
    if action != "reopen":
        queue.claim(s, user, item_id)
        if s.get(ReviewItem, item_id).blind:
            decisions.first_call(s, user, item_id, "concern")
    decisions.decide(s, user, item_id, action, reason)


def test_outcomes_are_the_latest_decision_of_each_item(migrated_engine) -> None:
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        analyst = add_user(s, "ana", "analyst", PASSWORD)
        lead = add_user(s, "lea", "lead", PASSWORD)
        items = [make_item(s, f"k{i}", text=f"Pay the fee number {i}.") for i in range(5)]
        # An unflagged listing queued as a sample (R04).
        sampled = make_item(s, "sample", text="Cook wanted.")
        score = s.get(Score, sampled.score_id)
        score.flagged = False
        s.delete(sampled)
        s.flush()
        sampled = enqueue(s, score, reason="sample")
        ids = [i.id for i in items] + [sampled.id]
    with sessions.begin() as s:
        decide(s, analyst, ids[0], "escalate", "fee and passport")
        decide(s, analyst, ids[1], "dismiss", "an ordinary agency")
        # Dismissed, reopened by a lead, then escalated: the last decision counts.
        decide(s, analyst, ids[2], "dismiss", "first look")
        decide(s, lead, ids[2], "reopen", "second look needed")
        decide(s, analyst, ids[2], "escalate", "debt bondage on a second read")
        # Escalated, then reopened: back in the queue, no outcome.
        decide(s, analyst, ids[3], "escalate", "fee")
        decide(s, lead, ids[3], "reopen", "wrong listing")
        # ids[4] is never decided.
        decide(s, analyst, ids[5], "dismiss", "a cook")
    with sessions() as s:
        got = [(o.item_id, o.escalated, o.sampled) for o in decided_outcomes(s, batch_size=2)]
        texts = {o.item_id: o.text for o in decided_outcomes(s)}
    assert got == [
        (ids[0], True, False),
        (ids[1], False, False),
        (ids[2], True, False),
        (ids[5], False, True),
    ]
    assert texts[ids[1]] == "Pay the fee number 1."


def thbscan(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thbscan", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_fit_promote_and_rescore_from_the_command_line(tmp_path: Path) -> None:
    models_dir = tmp_path / "models"
    shutil.copytree(ARTIFACTS, models_dir)  # the bundled text models, and room for ours
    env = {**os.environ, "THBSCAN_MODE": "test", "THBSCAN_MODELS_DIR": str(models_dir)}
    db = f"sqlite:///{tmp_path / 'cal.db'}"
    listings = generate_listings()
    truth = {x.id: x.expected == "flagged" for x in listings}
    path = tmp_path / "listings.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": x.id, "title": x.title, "text": x.text}) + "\n" for x in listings
        ),
        encoding="utf-8",
    )
    # A quarter of the unflagged listings sampled into the queue (R04), for enough dismissals.
    for args in (
        ("ingest", "--jsonl", str(path), "--source", "fixture"),
        ("score", "--quiet", "--workers", "1", "--sample-rate", "0.25"),
    ):
        done = thbscan(*args, "--db", db, env=env)
        assert done.returncode == 0, done.stderr[-2000:]

    bad = thbscan("calibration", "fit", "--version", "../c0", "--db", db, env=env)
    assert bad.returncode == 2 and "calibration version '../c0'" in bad.stderr
    too_early = thbscan("calibration", "fit", "--version", "c0", "--db", db, env=env)
    assert too_early.returncode == 2
    assert "0 decided listings" in too_early.stderr and "keep reviewing" in too_early.stderr

    # Analysts decide every queued item; here by the fixture's ground truth.
    engine = create_engine_for(db)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        analyst = add_user(s, "ana", "analyst", PASSWORD)
        rows = s.execute(
            select(ReviewItem.id, ListingVersion.listing_id, ReviewItem.reason).join(
                ListingVersion, ListingVersion.id == ReviewItem.version_id
            )
        ).all()
        keys = dict(s.execute(select(Listing.id, Listing.natural_key)).all())
        for item_id, listing_id, _reason in rows:
            action = "escalate" if truth[keys[listing_id]] else "dismiss"
            decide(s, analyst, item_id, action, "by the fixture's ground truth")
        before = {
            v: (f, b, sc)
            for v, f, b, sc in s.execute(
                select(Score.version_id, Score.flagged, Score.band, Score.score)
            )
        }
    sampled = sum(1 for r in rows if r[2] == "sample")
    assert sampled >= 20 and len(rows) - sampled >= 50

    fitted = thbscan(
        "calibration",
        "fit",
        "--version",
        "c1",
        "--db",
        db,
        "--json",
        "--sample-rate",
        "0.25",
        env=env,
    )
    assert fitted.returncode == 0, fitted.stderr[-2000:]
    result = json.loads(fitted.stdout)
    assert result["promoted"] is False
    report = Path(result["report"])
    assert report.parent == models_dir and report.read_text().count("<svg") == 2
    assert result["brier_calibrated"] <= result["brier_raw"]
    manifest = json.loads((models_dir / "manifest.json").read_text())
    assert manifest["promoted_calibration"] is None and "c1" in manifest["calibrations"]

    promoted = thbscan("calibration", "promote", "c1", env=env)
    assert promoted.returncode == 0 and "re-score" in promoted.stdout
    rescored = json.loads(
        thbscan("score", "--db", db, "--json", "--quiet", "--workers", "1", env=env).stdout
    )
    assert rescored["scored"] == len(listings)  # a new scorer key: the archive is re-scored
    assert rescored["scorer"].endswith("|cal:c1")

    from nlp.calibration import Calibration

    cal = Calibration.from_json((models_dir / "calibration-c1.json").read_text())
    with sessions() as s:
        after = s.execute(
            select(
                Score.version_id, Score.flagged, Score.band, Score.score, Score.explanation
            ).where(Score.scorer_key == rescored["scorer"])
        ).all()
    assert len(after) == len(listings)
    changed = 0
    for version_id, flagged, band, score, explanation in after:
        f0, b0, raw = before[version_id]
        assert (flagged, band) == (f0, b0)  # the policy stays on the raw score
        assert explanation["raw_score"] == pytest.approx(raw, abs=1e-4)
        assert score == pytest.approx(cal(raw), abs=1e-4)
        changed += abs(score - raw) > 0.01
    # the calibration is no identity (most of the fixture's benign listings have no evidence,
    # a raw score of 0, since the promoted model no longer blends into the score)
    assert changed >= 10, changed

    line = json.dumps({"title": "Job", "text": "We keep your passport."}) + "\n"
    check = subprocess.run(
        [sys.executable, "-m", "thbscan", "check", "--json"],
        input=line,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    out = json.loads(check.stdout)
    assert out["versions"]["calibration"] == "c1"
    # both printed to 4 decimals: the rounding of raw_score moves cal() by up to its slope
    assert out["score"] == pytest.approx(cal(out["raw_score"]), abs=1e-3)

    # Fitted for another scorer (here: without the text model): not applied, and said so.
    other = subprocess.run(
        [sys.executable, "-m", "thbscan", "check", "--json"],
        input=line,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**env, "THBSCAN_NO_MODEL": "1"},
    )
    assert json.loads(other.stdout)["versions"]["calibration"] == "none"
    assert "calibration c1 was fitted for scorer" in other.stderr

    back = thbscan("calibration", "promote", "none", env=env)
    assert back.returncode == 0 and "uncalibrated" in back.stdout
    unknown = thbscan("calibration", "promote", "c9", env=env)
    assert unknown.returncode == 2 and "known versions are c1" in unknown.stderr
    engine.dispose()


def test_queue_order_follows_the_raw_score_within_a_calibrated_plateau(migrated_engine) -> None:
    """Isotonic maps give many raw scores one calibrated value; the queue still puts the
    listing with more evidence first."""
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        priorities = {}
        for key, raw in (("weaker", 0.6), ("stronger", 0.9)):
            version_id = make_item(s, key).version_id
            _score, item = record_score(
                s,
                ScoreInput(
                    version_id=version_id,
                    scorer_key="cal",
                    score=0.4,
                    band="high",
                    flagged=True,
                    possible_minor=False,
                    categories=[],
                    explanation={"raw_score": raw},
                    language="en",
                    model_version="m",
                    list_versions={},
                ),
            )
            priorities[key] = item.priority
    assert priorities == {"weaker": 0.6, "stronger": 0.9}
