"""``thbscan link``: listings as JSON lines on stdin, the clusters they form on stdout."""

from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from indicator_lists.matcher.jsonl import read_jsonl
from nlp.linking import Cluster, Linker, LinkInput, TemplateConfig
from review_queue.services.links import overrides
from thbscan.commands.common import emit_json, err, open_db
from thbscan.linking import archive_listings

FIELDS = ("kind", "city", "country", "language", "source", "posted_at")


def run_link(args: argparse.Namespace) -> int:
    if not 0 < args.threshold <= 1:
        err(f"--threshold {args.threshold}: give a Jaccard similarity in (0, 1], e.g. 0.6")
        return 2
    if args.max_degree < 2:
        err(f"--max-degree {args.max_degree}: give at least 2 (listings an identifier may link)")
        return 2
    linker = Linker(max_degree=args.max_degree, templates=TemplateConfig(threshold=args.threshold))
    errors: list[str] = []
    seen: set[str] = set()
    if args.db is not None:
        return _link_archive(args, linker)
    lines = tqdm(
        read_jsonl(sys.stdin, required=("text", "title")),
        unit="listing",
        desc="linking",
        disable=args.json or not sys.stderr.isatty(),
    )
    for line in lines:
        if line.value is None:
            errors.append(line.error or f"line {line.number}: unreadable")
            continue
        value = line.value
        ident = str(value.get("id") if value.get("id") is not None else line.number)
        if ident in seen:
            errors.append(f"line {line.number}: id {ident!r} given twice; the first one counts")
            continue
        seen.add(ident)
        fields = {k: value[k] for k in FIELDS if isinstance(value.get(k), str | int)}
        linker.add(
            LinkInput(ident, str(value.get("title") or ""), str(value.get("text") or ""), fields)
        )
    clusters = linker.clusters()
    for problem in errors:
        print(problem, file=sys.stderr)
    if args.json:
        out = {
            "clusters": [c.to_dict() for c in clusters],
            "listings": len(seen),
            "hubs": [{"kind": kind, "listings": n} for kind, n in linker.hubs()],
            "errors": len(errors),
        }
        print(json.dumps(out, ensure_ascii=False))
    else:
        _print_summary(clusters, len(seen), linker.hubs())
    return 1 if errors else 0


def _link_archive(args: argparse.Namespace, linker: Linker) -> int:
    """Link the current version of every stored listing that is not removed."""
    _engine, sessions = open_db(args.db)
    with sessions() as session:
        rows = (row.listing for row in archive_listings(session, texts=True))
        linker.add_many(
            tqdm(rows, unit="listing", desc="linking", disable=args.json or not sys.stderr.isatty())
        )
        linker.override(*overrides(session))  # analysts' corrections
    clusters = linker.clusters()
    if args.json:
        emit_json(
            {
                "clusters": [c.to_dict() for c in clusters],
                "listings": len(linker.ids),
                "hubs": [{"kind": kind, "listings": n} for kind, n in linker.hubs()],
                "errors": 0,
            }
        )
    else:
        _print_summary(clusters, len(linker.ids), linker.hubs())
    return 0


def _print_summary(clusters: list[Cluster], listings: int, hubs: list[tuple[str, int]]) -> None:
    linked = sum(len(c.members) for c in clusters)
    print(f"{listings} listings, {linked} linked in {len(clusters)} clusters")
    for c in clusters:
        extra = []
        if c.bridge:
            extra.append("job-to-escort bridge")
        if c.cities:
            extra.append("cities: " + ", ".join(c.cities))
        if c.first_seen:
            extra.append(f"seen {c.first_seen} to {c.last_seen}")
        if c.cities_per_week > 1:
            extra.append(f"up to {c.cities_per_week} cities a week")
        print(
            f"\n{c.id}: {len(c.members)} listings, linked by {', '.join(c.kinds)}"
            + (f" ({'; '.join(extra)})" if extra else "")
        )
        print("  members: " + ", ".join(c.members[:20]) + (" ..." if len(c.members) > 20 else ""))
        for signal in c.signals:
            print(f"  {signal.id}: {signal.why} ({', '.join(signal.listings[:10])})")
        if c.template:
            print(f"  template: {c.template[:300]}")
            for name, values in list(c.slots.items())[:10]:
                print(f"    {{{name}}}: " + " | ".join(v or "-" for v in values[:8]))
    for kind, n in hubs:
        print(f"\nnot linked: a {kind} in {n} listings (more than --max-degree)")
