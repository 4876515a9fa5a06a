"""Serve the pre-rendered fixture site on a loopback address: a Starlette app on uvicorn.

Every page is rendered once at start (:mod:`.render`); a request is a dictionary lookup
(:mod:`.routes`). GET and HEAD are answered, with conditional GET (ETag, Last-Modified) and
the boards' redirects; any other method gets 405. Every request is recorded, in order, as
(method, path as sent with its query string): the tests read what a crawler asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from types import TracebackType

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import NonLoopbackHostError
from .generate import FixtureListing, generate_listings, ground_truth
from .render import Page, build_pages, not_found_page
from .routes import not_modified, resolve

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8765
SERVER_NAME = "thbscan-fixture-site/1.0"
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


def loopback_address(host: str) -> tuple[str, socket.AddressFamily]:
    """Return the address to bind and its family; refuse anything that is not loopback."""
    if host == "localhost":
        return "127.0.0.1", socket.AF_INET
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise NonLoopbackHostError(
            f"the fixture site only listens on loopback; {host!r} is not an IP address "
            "(use 127.0.0.1, ::1 or localhost)"
        ) from None
    if not ip.is_loopback:
        raise NonLoopbackHostError(
            f"refusing to bind the fixture site to {host!r}: only loopback addresses "
            "(127.0.0.0/8, ::1, localhost) are allowed, so the fixtures are never exposed "
            "on a network"
        )
    return str(ip), socket.AF_INET6 if ip.version == 6 else socket.AF_INET


class _Site:
    """The pages and the request log behind the app."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.not_found = not_found_page()
        self.requests: list[tuple[str, str]] = []
        self.request_times: list[float] = []  # time.monotonic() of each entry of requests
        self._lock = threading.Lock()

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))
            self.request_times.append(time.monotonic())

    async def answer(self, request: Request) -> Response:
        target = request.scope["raw_path"].decode("latin-1")
        if request.scope["query_string"]:
            target += "?" + request.scope["query_string"].decode("latin-1")
        self.record(request.method, target)
        headers = {"Server": SERVER_NAME}
        if request.method not in ("GET", "HEAD"):
            return Response(
                status_code=HTTPStatus.METHOD_NOT_ALLOWED, headers={**headers, "Allow": "GET, HEAD"}
            )
        status, page, location = resolve(self.pages, self.not_found, target)
        if location is not None:
            return Response(status_code=status, headers={**headers, "Location": location})
        if status == HTTPStatus.OK:
            headers.update({"ETag": page.etag, "Last-Modified": page.last_modified})
            if not_modified(
                page, request.headers.get("if-none-match"), request.headers.get("if-modified-since")
            ):
                return Response(status_code=HTTPStatus.NOT_MODIFIED, headers=headers)
        return Response(
            page.body, status_code=status, media_type=page.content_type, headers=headers
        )


class FixtureSite:
    """A running fixture site. Use as a context manager, or call ``stop()``.

    ``url`` has no trailing slash ("http://127.0.0.1:8765"); ``requests`` lists (method, path)
    of every request served, path as sent (with its query string).
    """

    def __init__(
        self,
        server: uvicorn.Server,
        site: _Site,
        listings: list[FixtureListing],
        url: str,
        thread: threading.Thread | None,
    ) -> None:
        self._server = server
        self._thread = thread
        self.url = url
        host, port = url.rsplit(":", 1)
        self.host: str = host.split("//", 1)[1].strip("[]")
        self.port: int = int(port)
        self.requests = site.requests
        self.request_times = site.request_times
        self.listings: tuple[FixtureListing, ...] = tuple(listings)
        self.ground_truth: dict[str, FixtureListing] = ground_truth(listings=listings)

    def stop(self) -> None:
        """Stop serving and close the socket and any open connections. Safe to call twice."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FixtureSite:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FixtureSite {self.url} listings={len(self.listings)}>"


def _prepare(
    host: str,
    port: int,
    n_jobs: int | None,
    n_ads: int | None,
    seed: int,
    page_size: int,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
) -> tuple[uvicorn.Server, socket.socket, _Site, list[FixtureListing], str]:
    """A server ready to run on a socket bound now (so ``port=0`` has its number at once)."""
    address, family = loopback_address(host)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an integer from 0 to 65535 (0 = any free), got {port!r}")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ValueError(f"page_size must be a positive integer, got {page_size!r}")
    listings = generate_listings(n_jobs, n_ads, seed)
    site = _Site()
    # proto IPPROTO_TCP: asyncio then sets TCP_NODELAY on each connection (with proto 0 it
    # does not, and every keep-alive response waits 40 ms for a delayed ACK)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(128)  # a short backlog stalls a crawler opening many connections
        bound = sock.getsockname()[1]
        shown = f"[{address}]" if family == socket.AF_INET6 else address
        url = f"{'https' if ssl_certfile else 'http'}://{shown}:{bound}"
        site.pages = build_pages(listings, url, page_size)
    except BaseException:
        sock.close()
        raise
    app = Starlette(routes=[Route("/{path:path}", site.answer, methods=METHODS)])
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        timeout_keep_alive=60,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    return uvicorn.Server(config), sock, site, listings, url


def start_fixture_site(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    n_jobs: int | None = None,
    n_ads: int | None = None,
    seed: int = 7,
    page_size: int = 20,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> FixtureSite:
    """Start the site in a background thread and return once it is listening.

    ``port=0`` picks a free port (see ``FixtureSite.port``). Only loopback hosts are accepted;
    anything else raises ``NonLoopbackHostError`` (a ``ValueError``). With ``ssl_certfile``
    (a PEM certificate chain; ``ssl_keyfile`` its key, if not in the same file) the site
    speaks HTTPS.
    """
    server, sock, site, listings, url = _prepare(
        host, port, n_jobs, n_ads, seed, page_size, ssl_certfile, ssl_keyfile
    )
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])),
        name=f"fixture-site-{url.rsplit(':', 1)[1]}",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        server.should_exit = True
        sock.close()
        raise RuntimeError(f"the fixture site on {url} did not start (see the log)")
    return FixtureSite(server, site, listings, url, thread)


def serve_forever(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    n_jobs: int | None = None,
    n_ads: int | None = None,
    seed: int = 7,
    page_size: int = 20,
    on_ready: Callable[[FixtureSite], None] | None = None,
) -> None:
    """Serve in the calling thread until Ctrl-C; ``on_ready`` is called once listening."""
    server, sock, site, listings, url = _prepare(
        host, port, n_jobs, n_ads, seed, page_size, None, None
    )
    running = FixtureSite(server, site, listings, url, thread=None)
    logger.info("fixture site listening on %s (%d listings)", url, len(listings))
    if on_ready is not None:
        on_ready(running)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn itself stops on Ctrl-C
        asyncio.run(server.serve(sockets=[sock]))
    logger.info("fixture site on %s stopped", url)
