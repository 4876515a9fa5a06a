"""Scrapy settings for thbscan: polite, identified and safe by default.

Every project setting has one default here, with a ``THBSCAN_`` prefix.
The composition root (``thbscan``) adds its storage pipeline and extensions.
"""

from crawler.denylist import BUNDLED as BUNDLED_DENYLIST

BOT_NAME = "thbscan"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

THBSCAN_CONTACT_URL = "https://github.com/thbscan/thbscan/blob/main/README.md#contact"
# Product token and contact URL (R16). No rotation, no browser disguise (R17).
USER_AGENT = f"thbscan/0.1 (+{THBSCAN_CONTACT_URL})"

# Source configs (crawler/sources/*.toml unless set).
THBSCAN_SOURCES_DIR = ""

# Politeness (R15, R16).
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "thbscan"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0
COOKIES_ENABLED = False  # never logs in (R17)
HTTPPROXY_ENABLED = False  # no proxies: the connect-time check sees the real peer (R12, R17)
# robots.txt that cannot be fetched (5xx, 429, network error) disallows the host for this long.
THBSCAN_ROBOTS_FAIL_TTL = 600.0
THBSCAN_CRAWL_DELAY_MAX = 60.0  # cap for robots.txt Crawl-delay, in seconds
THBSCAN_RETRY_AFTER_MAX = 300.0  # a longer Retry-After pauses the host instead
# Wait after a 429 or 5xx without Retry-After, doubled for every further 5xx in a row.
THBSCAN_RETRY_AFTER_DEFAULT = 10.0
THBSCAN_MAX_429 = 3  # this many 429s from one host pause it for the rest of the run
THBSCAN_MAX_5XX = 8  # this many 5xx in a row from one host pause it for the rest of the run
THBSCAN_PAUSE_STATUSES = [401, 403]  # responses that pause a host (R17)

# Opt-out (R18): hosts never crawled nor stored; one host per line in the file.
THBSCAN_DENYLIST: list[str] = []
THBSCAN_DENYLIST_FILE = str(BUNDLED_DENYLIST)

# Process hardening (R19): no telnet console, no remote-control endpoint, and TLS certificates
# verified (Scrapy's default accepts any certificate): the chain against the system's trust
# store (OpenSSL's default paths; SSL_CERT_FILE / SSL_CERT_DIR point elsewhere) and the host
# name, through Twisted's optionsForClientTLS.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
DOWNLOAD_VERIFY_CERTIFICATES = True

# Bounded resources (R13).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # also bounds decompressed bodies (gzip bombs)
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 10
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = False
DEPTH_LIMIT = 50  # link hops from a listing page: pagination does not add to it
THBSCAN_MAX_LISTING_PAGES = 1000  # listing pages followed through "next" (per source)
CLOSESPIDER_PAGECOUNT = 20_000
CLOSESPIDER_TIMEOUT = 4 * 3600
RETRY_TIMES = 2
MEDIA_ALLOW_REDIRECTS = False
CONCURRENT_ITEMS = 10  # measured faster than the default 100 on two cores
THBSCAN_MAX_LINKS_PER_PAGE = 500
# Run limits drop the requests waiting for their politeness delay instead of sending them.
EXTENSIONS = {
    "scrapy.extensions.closespider.CloseSpider": None,
    "crawler.closing.CloseSpiderNow": 0,
}

# SSRF guard (R12): URL checks before scheduling and a connect-time check in the resolver.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ssrf.SSRFGuardMiddleware": 40,  # before offsite: refusals logged
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.FailClosedRobotsTxtMiddleware": 100,
    "crawler.middlewares.hostguard.HostGuardMiddleware": 560,
}
SPIDER_MIDDLEWARES = {
    "crawler.middlewares.denylist_guard.DenylistMiddleware": 40,
}
TWISTED_DNS_RESOLVER = "crawler.resolver.SSRFSafeResolver"
DNSCACHE_ENABLED = True
# "host" or "host:port" entries that may be internal (the fixture site on 127.0.0.1 only).
THBSCAN_ALLOWED_PRIVATE_HOSTS: list[str] = []

# Distributed crawling (scrapy-redis) when set, e.g. redis://127.0.0.1:6379/0.
THBSCAN_REDIS_URL = ""
THBSCAN_REDIS_PREFIX = "thbscan"
THBSCAN_REDIS_RUN = "default"  # frontier/dupefilter namespace of one crawl round
THBSCAN_REDIS_WORKER_TTL = 30  # a worker silent for this long is dead: its requests re-queue
THBSCAN_REDIS_IDLE_CLOSE = 20.0  # seconds with an empty shared frontier before closing

ITEM_PIPELINES: dict[str, int] = {}
# Logs name a listing, never copy it (R08-R10): crawl and Scrapyd job logs hold no content.
LOG_FORMATTER = "crawler.logformat.ListingLogFormatter"
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
