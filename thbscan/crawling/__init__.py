"""thbscan's side of the Scrapy project: the settings module that ``scrapy.cfg`` names, the
item pipeline that writes to the listing store, the crawl-run extension and per-source
locks, incremental re-crawls, the crawl runner and the schedule. The spiders, middlewares
and sources are in ``crawler/``, which imports none of this."""
