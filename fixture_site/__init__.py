"""The fixture listing site: a deterministic local job board and classified ad board.

The demo, the tests and the benchmarks crawl this site and nothing else. Listings are generated
from the YAML files in ``data/`` with a seeded generator, so every run serves the same bytes, and
each listing carries its ground truth (expected verdict, forms of exploitation, signals).

    with start_fixture_site() as site:
        ...  # crawl site.url; site.ground_truth maps "/jobs/job-0007" to its FixtureListing
"""

from .errors import FixtureDataError, FixtureSiteError, NonLoopbackHostError
from .generate import FixtureListing, generate_listings, ground_truth
from .server import DEFAULT_PORT, FixtureSite, serve_forever, start_fixture_site

__all__ = [
    "DEFAULT_PORT",
    "FixtureDataError",
    "FixtureListing",
    "FixtureSite",
    "FixtureSiteError",
    "NonLoopbackHostError",
    "generate_listings",
    "ground_truth",
    "serve_forever",
    "start_fixture_site",
]
