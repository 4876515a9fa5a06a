"""Decoding a page whose charset is missing or unknown to Python (R14).

Scrapy decodes such a page with the first of ASCII, UTF-8 and charset-normalizer's
best guess that fits. On hostile or short pages that guess garbles text: one stray
byte in a UTF-8 page makes it a CJK codec, and Danish windows-1252 text decodes as
cleanly in windows-1250, whose "ćřĺ" wins on letter statistics that a few words
cannot give. Here a BOM or a charset Python knows (Content-Type header,
``<meta charset>``, XML declaration) is obeyed as before; otherwise UTF-8 is kept
when the body is UTF-8 but for a few bad bytes, and else charset-normalizer detects
the encoding, windows-1252 (what browsers assume for an unlabelled Western page)
winning whenever it decodes the page as cleanly as the best guess.
"""

from __future__ import annotations

import re

from charset_normalizer import from_bytes
from scrapy.http import Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

FALLBACK = "cp1252"  # windows-1252, the WHATWG default
SAMPLE_BYTES = 64 * 1024  # bytes of a large body that detection looks at
CONTEXT = 200  # bytes before each run of non-ASCII bytes kept in the sample
_NON_ASCII = re.compile(rb"[\x80-\xff]+")


def declared_encoding(response: TextResponse) -> str | None:
    """The encoding a BOM, the Content-Type header or the body declares, if Python knows it."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    return (
        read_bom(response.body)[0]
        or http_content_type_encoding(content_type)
        or html_body_declared_encoding(response.body)
    )


def detect_encoding(body: bytes) -> str:
    """The encoding of a body that declares none Python knows."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    decoded = len(text) - len(text.encode("ascii", "ignore")) - bad  # valid non-ASCII
    if decoded >= 2 * bad:  # UTF-8 but for a few stray or cut-off bytes
        return "utf-8"
    try:
        matches = from_bytes(_sample(body))
    except (ValueError, LookupError, RecursionError):
        return FALLBACK
    best = matches.best()
    if best is None:
        return FALLBACK
    for match in matches:  # as clean as the best guess: the web's default wins
        if match.chaos <= best.chaos and FALLBACK in match.could_be_from_charset:
            return FALLBACK
    return str(best.encoding)


def _sample(body: bytes) -> bytes:
    """The body, or for a large one its runs of non-ASCII bytes with what comes before."""
    if len(body) <= SAMPLE_BYTES:
        return body
    parts: list[bytes] = []
    size = end = 0
    for run in _NON_ASCII.finditer(body):
        start = max(run.start() - CONTEXT, end)
        if start > end and parts:
            parts.append(b" ")
        end = min(run.end(), start + SAMPLE_BYTES - size)
        parts.append(body[start:end])
        size += end - start
        if size >= SAMPLE_BYTES:
            break
    return b"".join(parts)


def with_known_encoding(response: Response) -> Response:
    """``response``, or a copy decoded with a detected encoding when it declares no
    encoding Python knows (R14)."""
    if not isinstance(response, TextResponse) or declared_encoding(response):
        return response
    # not response.replace(): that would first run Scrapy's own detection on the body
    kept = {name: getattr(response, name) for name in response.attributes if name != "encoding"}
    return type(response)(**kept, encoding=detect_encoding(response.body))
