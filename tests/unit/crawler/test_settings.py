"""R16, R19: the crawler's defaults are polite, identified and hardened."""

from scrapy.settings import Settings

from thbscan.crawling.runner import crawl_settings


def test_defaults_are_polite_identified_and_hardened() -> None:
    for settings in (crawl_settings("sqlite://"), _project()):
        assert settings.getbool("ROBOTSTXT_OBEY")
        assert not settings.getbool("TELNETCONSOLE_ENABLED")
        assert not settings.getbool("REMOTE_CONTROL_ENABLED")
        assert not settings.getbool("COOKIES_ENABLED")
        assert settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES")  # R19: TLS verified
        assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
        assert settings.getfloat("DOWNLOAD_DELAY") >= 1.0
        agent = settings.get("USER_AGENT")
        assert agent.startswith("thbscan/") and "+https://" in agent
        assert settings.getint("DOWNLOAD_MAXSIZE") <= 10 * 1024 * 1024
        assert settings.getint("REDIRECT_MAX_TIMES") <= 5


def _project() -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return settings
