"""Scrapy settings for thbscan: polite, identified and safe by default.

Every project setting has one default here, with a ``THBSCAN_`` prefix.
"""

BOT_NAME = "thbscan"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

THBSCAN_CONTACT_URL = "https://github.com/thbscan/thbscan/blob/main/README.md#contact"
# Product token and contact URL (R16). No rotation, no browser disguise (R17).
USER_AGENT = f"thbscan/0.1 (+{THBSCAN_CONTACT_URL})"

# Politeness (R15, R16).
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = False
COOKIES_ENABLED = False  # never logs in (R17)

# Process hardening (R19): no telnet console, no remote-control endpoint.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# Bounded resources (R13).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 5
DEPTH_LIMIT = 50
CLOSESPIDER_PAGECOUNT = 20_000
CLOSESPIDER_TIMEOUT = 4 * 3600
RETRY_TIMES = 2
MEDIA_ALLOW_REDIRECTS = False
CONCURRENT_ITEMS = 10  # faster than the default 100 here (FINDINGS.md)

# SSRF guard (R12): refuse private, loopback, link-local and metadata addresses.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ssrf.SSRFGuardMiddleware": 50,
}
THBSCAN_ALLOWED_PRIVATE_HOSTS: list[str] = []  # e.g. ["127.0.0.1"] for the fixture site only

ITEM_PIPELINES: dict[str, int] = {}
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
