"""Run the fixture site: ``python -m fixture_site [--port 8765]``; Ctrl-C stops it."""

from __future__ import annotations

import argparse
import sys

from .server import DEFAULT_PORT, FixtureSite, serve_forever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fixture_site", description="Serve the local fixture listing site."
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--jobs", type=int, default=None, help="number of job listings")
    parser.add_argument("--ads", type=int, default=None, help="number of classified ads")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=20)
    args = parser.parse_args(argv)

    def ready(site: FixtureSite) -> None:
        print(f"Fixture site on {site.url}/ ({len(site.listings)} listings); Ctrl-C stops it.")
        sys.stdout.flush()

    try:
        serve_forever(
            args.host,
            args.port,
            n_jobs=args.jobs,
            n_ads=args.ads,
            seed=args.seed,
            page_size=args.page_size,
            on_ready=ready,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
