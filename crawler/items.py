"""Items produced by the spiders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ListingItem:
    """One public listing as collected. Stored by the composition root's pipeline."""

    source: str
    natural_key: str  # the site's listing id, else the canonical URL (R27)
    url: str
    title: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    fetched_at: str = ""  # ISO 8601, UTC
    final_url: str = ""
    redirect_chain: list[str] = field(default_factory=list)
    etag: str = ""  # HTTP validators, for conditional re-fetches
    last_modified: str = ""
