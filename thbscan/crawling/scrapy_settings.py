"""Scrapy settings for ``scrapy crawl`` and Scrapyd (scrapy.cfg points here).

The crawler package's settings plus thbscan's storage pipeline, crawl-run
records, stop switch and incremental middleware. The database comes from
``THBSCAN_DATABASE_URL`` (environment), as for the ``thbscan`` command.
"""

from scrapy.settings import Settings

from crawler.settings import *  # noqa: F403
from thbscan import config
from thbscan.crawling.runner import apply_thbscan

_settings = Settings()
_settings.setmodule("crawler.settings", priority="project")
apply_thbscan(_settings, config.database_url())

THBSCAN_DATABASE_URL = _settings.get("THBSCAN_DATABASE_URL")
ITEM_PIPELINES = _settings.getdict("ITEM_PIPELINES")
EXTENSIONS = _settings.getdict("EXTENSIONS")
DOWNLOADER_MIDDLEWARES = _settings.getdict("DOWNLOADER_MIDDLEWARES")
for _name in config.CRAWL_SETTINGS:
    globals()[f"THBSCAN_{_name.upper()}"] = _settings.get(f"THBSCAN_{_name.upper()}")
del _settings, _name
