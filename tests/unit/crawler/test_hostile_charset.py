"""R14: a charset Python does not know never garbles a page's text.

Pages whose declared charset (Content-Type header or ``<meta charset>``) is missing
or unknown go through a spider's real parse callback as Scrapy responses: a UTF-8
body stays UTF-8 even with a stray invalid byte, a legacy body is detected, a BOM
and a charset Python knows are obeyed as before.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.items import ListingItem
from crawler.spiders.jobposting import JobPostingSpider

URL = "http://127.0.0.1:8765/jobs/job-1.html"
BOGUS = b"text/html; charset=x-bogus-42"
DANISH = "Kok søges – æøå. Smørrebrød på bordet, blåbærgrød og rødgrød med fløde."


def page(title: str, text: str, head: str = "") -> str:
    return (
        f"<html><head>{head}</head><body><h1>{title}</h1>"
        f"<div class='text'><p>{text}</p></div></body></html>"
    )


def extract(body: bytes, content_type: bytes | None = BOGUS) -> ListingItem:
    spider: Any = JobPostingSpider.from_crawler(get_crawler(Spider, {}), source="fixture-jobs")
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = HtmlResponse(URL, body=body, headers=headers, request=Request(URL))
    items = list(spider.parse_detail(response))
    assert len(items) == 1 and isinstance(items[0], ListingItem)
    return items[0]


def test_an_unknown_charset_keeps_a_utf8_body_utf8_despite_stray_bytes() -> None:
    body = page("Kok søges æøå", DANISH).encode()
    for hostile in (
        body.replace(b"<body>", b"<body>\xff"),  # one stray byte
        body + b"\xc3",  # a sequence cut off at the end
        body.replace(b"</p>", b"\xed\xa0\x80</p>"),  # an encoded surrogate
    ):
        item = extract(hostile)
        assert item.title == "Kok søges æøå", item.title
        assert DANISH in item.text, item.text


def test_an_unknown_charset_on_a_legacy_body_is_detected() -> None:
    cases = {
        "cp1252": ("Kok søges æøå", DANISH),
        "latin-1": ("Köchin gesucht", "Köchin gesucht: Größe, Übung, schöne Straße in München."),
        "cp1250": ("Hledáme kuchaře", "Příliš žluťoučký kůň úpěl ďábelské ódy. Hledáme kuchaře."),
        "cp1251": ("Требуется повар", "Требуется повар в ресторан, зарплата по договоренности."),
        "shift_jis": ("料理人募集", "東京のレストランで料理人を募集しています。給与は応相談。"),
    }
    for encoding, (title, text) in cases.items():
        item = extract(page(title, text).encode(encoding))
        assert item.title == title and text in item.text, encoding
    # a large page: detection looks at what surrounds its non-ASCII bytes
    huge = page("Kok søges æøå", DANISH).replace("<h1>", f"<h1 title='{'a' * 8_000_000}'>")
    assert extract(huge.encode("cp1252")).title == "Kok søges æøå"


def test_a_bogus_meta_charset_falls_back_to_detection_and_a_bom_still_wins() -> None:
    bogus_meta = '<meta charset="x-bogus">'
    legacy = page("Kok søges æøå", DANISH, bogus_meta).encode("cp1252")
    for content_type in (b"text/html", None, BOGUS):
        item = extract(legacy, content_type)
        assert item.title == "Kok søges æøå" and DANISH in item.text, content_type
    with_bom = b"\xef\xbb\xbf" + page("Kok søges æøå", DANISH, bogus_meta).encode()
    assert extract(with_bom + b"\xff").title == "Kok søges æøå"
    # a charset Python knows is obeyed as declared, even a legacy one
    czech = page("Hledáme kuchaře", "Žluťoučký kůň.").encode("cp1250")
    assert extract(czech, b"text/html; charset=windows-1250").title == "Hledáme kuchaře"
    as_declared = "Hledáme kuchaře".encode("cp1250").decode("cp1252")
    assert extract(czech, b"text/html; charset=iso-8859-1").title == as_declared
