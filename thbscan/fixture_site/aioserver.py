"""The fixture site on an asyncio event loop: the same pages and answers as the threaded
stdlib server (:mod:`.server`), at a fraction of its CPU per request.

The crawl benchmark runs the site on the machine whose cores the crawlers use; a real site
costs the crawler's machine nothing. ``http.server`` spends 0.28-0.32 ms of CPU per request
here (a thread per connection, the e-mail header parser), this server 0.10-0.11 ms (10,000
detail pages over 8 keep-alive connections): it parses only what the site needs (the request
line, the conditional and body headers) and writes pre-encoded header blocks. One event loop
thread serves every connection.

Keep-alive as in the stdlib server: HTTP/1.1 keeps the connection unless the client sends
``Connection: close``; HTTP/1.0 closes it unless the client asks to keep it. A request with a
body is answered and the connection closed (a body is never read). A head over 64 KiB, or a
request line that is not HTTP, is answered 400 and the connection closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

from .render import Page, not_found_page
from .routes import not_modified, resolve

SERVER_NAME = b"thbscan-fixture-site/1.0"
MAX_HEAD = 65536
IDLE_TIMEOUT = 60.0  # s an idle keep-alive connection stays open


def _status_line(status: int) -> bytes:
    return f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode("ascii")


def _validators(page: Page) -> bytes:
    return f"ETag: {page.etag}\r\nLast-Modified: {page.last_modified}\r\n".encode("latin-1")


class _Clock:
    """The Date header, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._header = b""

    def header(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._header = b"Date: " + formatdate(now, usegmt=True).encode("ascii") + b"\r\n"
        return self._header


class _Connection(asyncio.Protocol):
    def __init__(self, server: AsyncioFixtureServer) -> None:
        self.server = server
        self.transport: Any = None
        self.buffer = b""
        self.active = 0.0  # loop time of the last data received
        self.idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.server.connections.add(transport)
        self.active = self.server.loop.time()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self.transport)
        if self.idle is not None:
            self.idle.cancel()

    def _watch(self) -> None:
        """Close the connection once idle for IDLE_TIMEOUT. One timer per connection, set
        again only when it fires early (not a new timer for every request)."""
        left = self.active + IDLE_TIMEOUT - self.server.loop.time()
        if left <= 0:
            self.transport.close()
        else:
            self.idle = self.server.loop.call_later(left, self._watch)

    def data_received(self, data: bytes) -> None:
        self.active = self.server.loop.time()
        self.buffer += data
        while not self.transport.is_closing():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0 and len(self.buffer) <= MAX_HEAD:
                return  # the head is not complete yet
            if end < 0 or end > MAX_HEAD:
                self._bad_request()
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            if not self._handle(head):
                self.transport.close()
                return

    def _bad_request(self) -> None:
        self.transport.write(self.server.simple(HTTPStatus.BAD_REQUEST, close=True))
        self.transport.close()

    def _handle(self, head: bytes) -> bool:
        """Answer one request; whether the connection stays open."""
        lines = head.split(b"\r\n")
        while lines and not lines[0]:  # blank lines before a request line are allowed
            lines.pop(0)
        parts = lines[0].split(b" ") if lines else []
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self._bad_request()
            return False
        method = parts[0].decode("latin-1")
        target = parts[1].decode("latin-1")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if sep:
                headers[name.strip().lower().decode("latin-1")] = \
                    value.strip().decode("latin-1")
        connection = headers.get("connection", "").lower()
        keep = (connection != "close" if parts[2] == b"HTTP/1.1"
                else connection == "keep-alive")
        if headers.get("content-length", "0").strip() not in ("", "0") \
                or "transfer-encoding" in headers:
            keep = False  # a request body is never read: end the connection
        server = self.server
        server.record(method, target)
        if method not in ("GET", "HEAD"):
            self.transport.write(server.simple(HTTPStatus.METHOD_NOT_ALLOWED, close=True,
                                               extra=b"Allow: GET, HEAD\r\n"))
            return False
        self.transport.writelines(server.answer(method == "GET", target, headers, keep))
        return keep


class AsyncioFixtureServer:
    """Duck-types what :class:`.server.FixtureSite` uses of the stdlib server."""

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.scheme = "https" if ssl_context is not None else "http"
        self.pages: dict[str, Page] = {}
        self.not_found = not_found_page()
        self.request_log: list[tuple[str, str]] = []
        self.request_times: list[float] = []
        self.connections: set[Any] = set()
        self._heads: dict[tuple[int, int], bytes] = {}  # (id(page), status) -> head
        self._clock = _Clock()
        self._ssl = ssl_context
        self.loop = asyncio.new_event_loop()
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind(address)
            self.socket.listen(128)
            self.socket.setblocking(False)
        except BaseException:
            self.socket.close()
            self.loop.close()
            raise
        self.server_address = self.socket.getsockname()
        self._server: asyncio.base_events.Server | None = None
        self._stopping = asyncio.Event()  # set by shutdown(), even before serving began
        self._closed = False

    def record(self, method: str, path: str) -> None:
        self.request_log.append((method, path))
        self.request_times.append(time.monotonic())

    def _start(self, status: int, close: bool) -> bytes:
        """Status line, Server, Date and, if the connection ends, Connection: close."""
        return (_status_line(status) + b"Server: " + SERVER_NAME + b"\r\n"
                + self._clock.header() + (b"Connection: close\r\n" if close else b""))

    def simple(self, status: int, *, close: bool, extra: bytes = b"") -> bytes:
        """A response without a body."""
        return self._start(status, close) + extra + b"Content-Length: 0\r\n\r\n"

    def _head(self, page: Page, status: int) -> bytes:
        """The header lines of a response with ``page`` as its body (no Date, no end)."""
        key = (id(page), status)
        head = self._heads.get(key)
        if head is None:
            validators = _validators(page) if status == HTTPStatus.OK else b""
            head = self._heads[key] = (
                f"Content-Type: {page.content_type}\r\nContent-Length: {len(page.body)}\r\n"
                .encode("latin-1") + validators)
        return head

    def answer(self, send_body: bool, target: str, headers: dict[str, str],
               keep: bool) -> list[bytes]:
        status, page, location = resolve(self.pages, self.not_found, target)
        if location is not None:
            return [self.simple(status, close=not keep,
                                extra=b"Location: " + location.encode("latin-1") + b"\r\n")]
        if status == HTTPStatus.OK and not_modified(page, headers.get("if-none-match"),
                                                    headers.get("if-modified-since")):
            return [self._start(HTTPStatus.NOT_MODIFIED, not keep), _validators(page), b"\r\n"]
        return [self._start(status, not keep), self._head(page, status), b"\r\n",
                page.body if send_body else b""]

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve on this thread until :meth:`shutdown` (``poll_interval`` is unused: the
        stdlib server's signature)."""
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        finally:
            self._close_all()

    async def _serve(self) -> None:
        self._server = await self.loop.create_server(
            lambda: _Connection(self), sock=self.socket, ssl=self._ssl)
        await self._stopping.wait()

    def shutdown(self) -> None:
        """Stop serving (from another thread); returns once the loop has taken the request
        (:meth:`serve_forever` then closes everything and returns)."""
        done = threading.Event()

        def stop() -> None:
            self._stopping.set()
            done.set()

        with contextlib.suppress(RuntimeError):  # the loop has already ended
            self.loop.call_soon_threadsafe(stop)
            done.wait(timeout=10)

    def _close_all(self) -> None:
        if self._server is not None:
            self._server.close()
        for transport in list(self.connections):
            transport.abort()
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(asyncio.sleep(0))
        self.loop.close()
        self.socket.close()
        self._closed = True

    def server_close(self) -> None:
        """Close the listening socket and the loop (when :meth:`serve_forever` never ran)."""
        if not self._closed:
            self.socket.close()
            if not self.loop.is_running():
                self.loop.close()
            self._closed = True

    def close_connections(self) -> None:
        """Nothing left to close: the loop's end closed every connection."""
