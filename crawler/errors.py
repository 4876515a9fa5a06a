"""Errors of the crawler package."""


class CrawlerError(Exception):
    """A crawler problem with a message that names the value and what to do."""


class SourceConfigError(CrawlerError):
    """A source config file that cannot be used: file, key and problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))
