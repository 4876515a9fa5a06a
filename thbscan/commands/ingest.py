"""``thbscan ingest``: store listings given as JSON lines."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from crawler.denylist import Denylist
from crawler.settings import THBSCAN_DENYLIST_FILE
from indicator_lists.matcher.jsonl import read_jsonl
from store import session_factory
from store.errors import InvalidListing
from store.listings import ListingInput, content_hash, store_listing
from thbscan import config
from thbscan.commands.common import emit_json, err, open_db
from thbscan.redaction import redacted, redactor, remember

KNOWN = {"title", "text", "url", "id", "fields"}


def run_ingest(args: argparse.Namespace) -> int:
    engine, _sessions = open_db(args.db, migrate=True)
    sessions = session_factory(engine, writer=True)
    # the opt-out denylist applies to every way in, as to crawling (R18)
    denylist = Denylist.from_values((), config.settings().denylist_file or THBSCAN_DENYLIST_FILE)
    redact = redactor(config.mode())
    counts = {"new": 0, "changed": 0, "unchanged": 0, "denied": 0, "errors": 0}
    stream = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")  # noqa: SIM115
    with stream, sessions() as session:
        for line in read_jsonl(stream, required=("title", "text")):
            if line.value is None:
                counts["errors"] += 1
                err(f"{args.jsonl}: {line.error}")
                continue
            value = line.value
            given = value.get("fields")
            fields: dict[str, Any] = given if isinstance(given, dict) else {}
            fields = {**fields, **{k: v for k, v in value.items() if k not in KNOWN}}
            url = value.get("url")
            if isinstance(url, str) and denylist.url_denied(url):
                counts["denied"] += 1
                err(
                    f"{args.jsonl}: line {line.number}: {url[:200]!r} is on a denylisted host "
                    "(R18): not stored"
                )
                continue
            title, text = str(value.get("title") or ""), str(value.get("text") or "")
            given = ListingInput(args.source, "", title, text, value.get("url"), fields)
            item, found = redacted(redact, given)  # identifiers out of the text (R09)
            # Natural key: the listing id, else its URL, else its (redacted) content (R27).
            key = str(value.get("id") or value.get("url") or "") or (
                "sha256:" + content_hash(item.title, item.text, {})
            )
            try:
                with session.begin_nested():
                    result = store_listing(session, replace(item, natural_key=key))
                    remember(session, [result], [found])
            except InvalidListing as exc:
                counts["errors"] += 1
                err(f"{args.jsonl}: line {line.number}: {exc}")
                continue
            counts[result.status] += 1
        session.commit()
    if args.json:
        emit_json(counts)
    else:
        print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0 if counts["errors"] == 0 and counts["denied"] == 0 else 1
