"""Test data for the review-queue tests, shared by the unit and integration tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from review_queue.db import ReviewItem
from review_queue.services.scores import QueuePolicy, ScoreInput, record_score
from store.listings import ListingInput, store_listing

PASSWORD = "correct horse battery staple"
SEEN = QueuePolicy(sample_rate=1.0, blind_share=0.0)  # no flagged item blind-first


def make_item(
    session: Session,
    key: str,
    *,
    title: str = "Warehouse job abroad",
    text: str = "Pay the recruitment fee before travel.",
    score: float = 0.6,
    band: str = "medium",
    minor: bool = False,
    explanation: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    url: str | None = None,
    redirects: tuple[str, ...] | None = None,
    flagged: bool = True,
    categories: tuple[str, ...] = ("forced_labour",),
    policy: QueuePolicy = SEEN,
) -> ReviewItem:
    """A stored, scored listing with its review item (defaults: a plain English fee listing,
    flagged for one strong indicator, reached through one redirect, not blind-first; an
    unflagged one is queued as a sample, blind-first as every sample is)."""
    stored = store_listing(
        session,
        ListingInput(
            source="fixture",
            natural_key=key,
            title=title,
            text=text,
            fields=fields or {},
            url=url or f"https://jobs.example.invalid/{key}",
            redirect_chain=(f"http://jobs.example.invalid/{key}",)
            if redirects is None
            else redirects,
        ),
    )
    _score, item = record_score(
        session,
        ScoreInput(
            version_id=stored.version_id,
            scorer_key="test-scorer",
            score=score,
            band=band,
            flagged=flagged,
            possible_minor=minor,
            categories=list(categories),
            explanation=explanation
            if explanation is not None
            else {
                "indicators": [
                    {
                        "id": "fl.recruitment_fee",
                        "category": "forced_labour",
                        "weight": 0.35,
                        "grade": "strong",
                        "spans": [{"start": 8, "end": 23, "text": "recruitment fee"}],
                    }
                ],
            },
            language="en",
            model_version="model-1.0",
            list_versions={"forced_labour": "1.2.0"},
        ),
        policy,
    )
    assert item is not None
    return item
