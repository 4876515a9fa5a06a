"""Serve the pre-rendered fixture site on a loopback address (stdlib ``http.server``)."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from .aioserver import AsyncioFixtureServer
from .errors import NonLoopbackHostError
from .generate import FixtureListing, generate_listings, ground_truth
from .render import Page, build_pages, not_found_page
from .routes import not_modified, resolve

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8765


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


class _Handler(BaseHTTPRequestHandler):
    server: _FixtureHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive: many requests per connection
    server_version = "thbscan-fixture-site/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections are closed after this many seconds

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line per request on stderr."""

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _method_not_allowed(self) -> None:
        self.server.record(self.command, self.path)
        self.close_connection = True  # the request body, if any, is never read
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _method_not_allowed

    def _respond(self, send_body: bool) -> None:
        self.server.record(self.command, self.path)
        length = self.headers.get("Content-Length", "0").strip()
        if length not in ("", "0") or "Transfer-Encoding" in self.headers:
            self.close_connection = True  # a request body is never read: end the connection
        status, page, location = self.server.resolve(self.path)
        if location is not None:
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if status == HTTPStatus.OK and self._not_modified(page):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", page.etag)
            self.send_header("Last-Modified", page.last_modified)
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        if status == HTTPStatus.OK:
            self.send_header("ETag", page.etag)
            self.send_header("Last-Modified", page.last_modified)
        self.end_headers()
        if send_body:
            self.wfile.write(page.body)

    def _not_modified(self, page: Page) -> bool:
        return not_modified(page, self.headers.get("If-None-Match"),
                            self.headers.get("If-Modified-Since"))


class _FixtureHTTPServer(ThreadingHTTPServer):
    """Threaded server with a long listen backlog (the default of 5 stalls Scrapy)."""

    request_queue_size = 128
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.address_family = family
        self.scheme = "http"
        self.pages: dict[str, Page] = {}
        self.not_found = not_found_page()
        self.request_log: list[tuple[str, str]] = []
        self.request_times: list[float] = []  # time.monotonic() of each request_log entry
        self._log_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)
        if ssl_context is not None:  # HTTPS: the handshake happens as a connection is accepted
            try:
                self.socket = ssl_context.wrap_socket(self.socket, server_side=True)
            except BaseException:
                self.server_close()
                raise
            self.scheme = "https"

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(), a name lookup we do not need.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def record(self, method: str, path: str) -> None:
        with self._log_lock:
            self.request_log.append((method, path))
            self.request_times.append(time.monotonic())

    def resolve(self, raw_path: str) -> tuple[int, Page, str | None]:
        """Map a request target to (status, page, redirect location or None)."""
        return resolve(self.pages, self.not_found, raw_path)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End open keep-alive connections, so nothing is served after stop()."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("fixture site: error while serving %s", client_address, exc_info=True)


class FixtureSite:
    """A running fixture site. Use as a context manager, or call ``stop()``.

    ``url`` has no trailing slash ("http://127.0.0.1:8765"); ``requests`` lists (method, path)
    of every request served, path as sent (with its query string).
    """

    def __init__(
        self,
        server: _FixtureHTTPServer,
        listings: list[FixtureListing],
        thread: threading.Thread | None,
    ) -> None:
        self._server = server
        self._thread = thread
        self._stopped = False
        self.host: str = server.server_address[0]
        self.port: int = server.server_address[1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url: str = f"{server.scheme}://{shown}:{self.port}"
        self.requests: list[tuple[str, str]] = server.request_log
        self.request_times: list[float] = server.request_times  # when each arrived
        self.listings: tuple[FixtureListing, ...] = tuple(listings)
        self.ground_truth: dict[str, FixtureListing] = ground_truth(listings=listings)

    def stop(self) -> None:
        """Stop serving and close the socket and any open connections. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()
        self._server.close_connections()

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


ENGINES = ("threads", "asyncio")


def _create_server(
    host: str,
    port: int,
    n_jobs: int | None,
    n_ads: int | None,
    seed: int,
    page_size: int,
    ssl_context: ssl.SSLContext | None = None,
    engine: str = "threads",
) -> tuple[Any, list[FixtureListing]]:
    address, family = loopback_address(host)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an integer from 0 to 65535 (0 = any free), got {port!r}")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ValueError(f"page_size must be a positive integer, got {page_size!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    listings = generate_listings(n_jobs, n_ads, seed)
    server_class = AsyncioFixtureServer if engine == "asyncio" else _FixtureHTTPServer
    server: Any = server_class((address, port), family, ssl_context)
    try:
        bound_host, bound_port = server.server_address[:2]
        shown = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
        server.pages = build_pages(listings, f"{server.scheme}://{shown}:{bound_port}",
                                   page_size)
    except BaseException:
        server.server_close()
        raise
    return server, listings


def start_fixture_site(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    n_jobs: int | None = None,
    n_ads: int | None = None,
    seed: int = 7,
    page_size: int = 20,
    ssl_context: ssl.SSLContext | None = None,
    engine: str = "threads",
) -> FixtureSite:
    """Start the site in a background thread and return once it is listening.

    ``port=0`` picks a free port (see ``FixtureSite.port``). Only loopback hosts are accepted;
    anything else raises ``NonLoopbackHostError`` (a ``ValueError``). With ``ssl_context`` (a
    server-side context holding a certificate) the site speaks HTTPS. ``engine`` is
    ``threads`` (``http.server``, a thread per connection) or ``asyncio`` (one event loop,
    about a third of the CPU per request: see :mod:`.aioserver`); both serve the same answers.
    """
    server, listings = _create_server(host, port, n_jobs, n_ads, seed, page_size, ssl_context,
                                      engine)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name=f"fixture-site-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return FixtureSite(server, listings, thread)


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
    server, listings = _create_server(host, port, n_jobs, n_ads, seed, page_size)
    site = FixtureSite(server, listings, thread=None)
    logger.info("fixture site listening on %s (%d listings)", site.url, len(listings))
    try:
        if on_ready is not None:
            on_ready(site)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        logger.info("fixture site on %s stopped", site.url)
    finally:
        site.stop()
