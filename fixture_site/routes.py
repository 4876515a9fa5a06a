"""What the fixture site answers to a request target: shared by both of its servers."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import parse_qs, unquote, urlsplit

from .render import PRIVATE_KEY, Page, list_key

BOARDS = ("jobs", "ads")


def resolve(pages: dict[str, Page], not_found: Page, raw_path: str) -> tuple[int, Page, str | None]:
    """Map a request target to (status, page, redirect location or None)."""
    parts = urlsplit(raw_path)
    path = unquote(parts.path)
    board = path.strip("/")
    if path in ("/jobs", "/ads"):
        query = f"?{parts.query}" if parts.query else ""
        return HTTPStatus.MOVED_PERMANENTLY, not_found, f"{path}/{query}"
    if board in BOARDS and path == f"/{board}/":
        number = parse_qs(parts.query).get("page", ["1"])[-1]
        if not (number.isascii() and number.isdigit()):
            return HTTPStatus.NOT_FOUND, not_found, None
        key = list_key(board, int(number))
    elif path == "/private" or path.startswith("/private/"):
        key = PRIVATE_KEY
    else:
        key = path
    page = pages.get(key)
    if page is None:
        return HTTPStatus.NOT_FOUND, not_found, None
    return HTTPStatus.OK, page, None


def not_modified(page: Page, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """Whether a conditional GET of ``page`` is answered 304 (If-None-Match wins)."""
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or page.etag in tags
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        return since.tzinfo is not None and since >= page.modified
    return False
