"""``thbscan indicators validate|list|diff|export``: the indicator catalogue."""

from __future__ import annotations

import argparse
from pathlib import Path

from indicator_lists import (
    CatalogueError,
    diff,
    export,
    format_diff,
    format_table,
    load_catalogue,
    rows,
    validate,
    verify_export,
)
from indicator_lists.export import load_profiles
from thbscan.commands.common import emit_json, err


def run_validate(args: argparse.Namespace) -> int:
    problems = validate(args.path)
    for problem in problems:
        err(str(problem))
    if args.json:
        emit_json({"valid": not problems, "problems": [
            {"file": p.file, "line": p.line, "message": p.message} for p in problems]})
    elif not problems:
        print("all indicator lists are valid")
    return 1 if problems else 0


def run_list(args: argparse.Namespace) -> int:
    catalogue = load_catalogue(args.lists)
    table = rows(catalogue, category=args.category, lang=args.lang)
    if args.json:
        emit_json({"indicators": table})
    else:
        print(format_table(table))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    result = diff(Path(args.old), Path(args.new))
    if args.json:
        emit_json(result)
    else:
        print(format_diff(result))
    return 0


def run_export(args: argparse.Namespace) -> int:
    profiles = load_profiles()
    if args.partner_profile not in profiles:
        raise CatalogueError(
            f"unknown partner profile {args.partner_profile!r}: choose one of "
            f"{', '.join(sorted(profiles))}"
        )
    out = export(load_catalogue(args.lists), args.partner_profile, args.format, args.out)
    problems = verify_export(out)
    for problem in problems:
        err(str(problem))
    if args.json:
        emit_json({"export": str(out), "profile": args.partner_profile, "format": args.format,
                   "verified": not problems})
    else:
        print(f"wrote {args.format} export for profile {args.partner_profile!r} to {out} "
              f"(manifest {'verified' if not problems else 'FAILED'})")
    return 1 if problems else 0
