"""A hostile web server on 127.0.0.1 for crawler robustness tests (R12, R13, R16, R17).

Every path misbehaves in one way: 5xx, 429 with Retry-After, slow and hanging
responses, redirect loops, endless pagination, a gzip bomb, a 50 MB page, and
redirects to another loopback port and to 169.254.169.254.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LINKS = [
    "/5xx",
    "/429",
    "/slow",
    "/hang",
    "/loop/a",
    "/bomb",
    "/private/x",
    "/big",
    "/big-chunked",
    "/to-loopback",
    "/to-metadata",
    "/to-metadata-name",
    "/ok/1",
    "/ok/2",
    "/bad-charset",
    "/captcha-free",
]


def _page(
    title: str, body: str, links: tuple[str, ...] | list[str] = (), next_href: str | None = None
) -> bytes:
    anchors = "".join(f'<a class="l" href="{h}">{h}</a>\n' for h in links)
    if next_href:
        anchors += f'<a class="next" href="{next_href}">next</a>'
    return (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
        f"<div class='text'><p>{body}</p></div>{anchors}"
        f"</body></html>"
    ).encode()


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, other_port: int) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.other_port = other_port
        self.requests: list[tuple[float, str]] = []
        self.hits_429 = 0
        self.hits_ra = 0
        self.robots = "ok"  # or "5xx", "disallow-all", "hang", "reset"
        self.stopping = threading.Event()
        # ~10 MB of zeros compressed: expands far past DOWNLOAD_MAXSIZE
        self.bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        ctype: str = "text/html; charset=utf-8",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        self.server.requests.append((time.monotonic(), path))
        other = self.server.other_port
        if path == "/robots.txt":
            self._robots()
        elif path == "/":
            self._send(200, _page("Hostile index", "start here", LINKS, "/page/1"))
        elif path == "/5xx":
            self._send(503, b"down")
        elif path == "/429":
            self.server.hits_429 += 1
            if self.server.hits_429 == 1:
                self._send(429, b"slow down", {"Retry-After": "2"})
            else:
                self._send(200, _page("After 429", "patience paid off"))
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200, _page("Slow", "worth the wait"))
        elif path == "/hang":
            self.server.stopping.wait(60)
        elif path.startswith("/loop/"):
            target = "/loop/b" if path == "/loop/a" else "/loop/a"
            self._send(302, b"", {"Location": target})
        elif path.startswith("/page/"):
            n = int(path.rsplit("/", 1)[1] or 0)
            self._send(200, _page(f"Page {n}", "more below", (), f"/page/{n + 1}"))
        elif path == "/bomb":
            self._send(200, self.server.bomb, {"Content-Encoding": "gzip"})
        elif path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            try:
                chunk = b"<p>" + b"x" * 65536 + b"</p>"
                for _ in range(50 * 16):
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif path == "/big-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                chunk = b"x" * 65536
                for _ in range(50 * 16):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
        elif path == "/to-loopback":
            self._send(302, b"", {"Location": f"http://127.0.0.1:{other}/secret"})
        elif path == "/to-metadata":
            self._send(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-metadata-name":
            self._send(302, b"", {"Location": "http://metadata.google.internal/computeMetadata/"})
        elif path.startswith("/ok/"):
            self._send(200, _page(f"Fine listing {path}", "an ordinary listing text"))
        elif path == "/bad-charset":
            body = (
                b"<html><head><meta charset='x-no-such-charset'></head><body><h1>Bad \xff\xfe"
                b"</h1><div class='text'><p>caf\xe9 \x00 nul \xc3\x28</p></div></body></html>"
            )
            self._send(200, body, ctype="text/html; charset=bogus")
        elif path.startswith("/limits/"):
            self._limits(path)
        elif path.startswith("/html/"):
            body, ctype = hostile_html(path)
            self._send(200 if body else 404, body, ctype=ctype)
        else:
            self._send(404, b"nothing here")

    def _robots(self) -> None:
        mode = self.server.robots
        if mode == "5xx":
            self._send(503, b"robots.txt is down")
        elif mode == "disallow-all":
            self._send(200, b"User-agent: *\nDisallow: /\n", ctype="text/plain")
        elif mode == "hang":
            self.server.stopping.wait(60)
        elif mode == "reset":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._send(200, b"User-agent: *\nDisallow: /private/\n", ctype="text/plain")

    def _limits(self, path: str) -> None:
        """Run limits and back-off: ``/limits/<kind>/`` lists 40 pages ``/limits/<kind>/N``.

        * ``ra``: the first page fetched answers 429 with ``Retry-After: 3``;
        * ``storm``: every page answers 503 without Retry-After;
        * ``ok``: every page is fine.
        """
        kind, _, rest = path[len("/limits/") :].partition("/")
        if not rest:
            links = [f"/limits/{kind}/{n}" for n in range(1, 41)]
            self._send(200, _page(f"Index {kind}", "forty listings", links))
        elif kind == "ra" and not self.server.hits_ra:
            self.server.hits_ra += 1
            self._send(429, b"slow down", {"Retry-After": "3"})
        elif kind == "storm":
            self._send(503, b"overloaded")
        else:
            self._send(200, _page(f"Listing {kind} {rest}", "an ordinary listing text"))


def start_hostile_server(other_port: int) -> HostileServer:
    server = HostileServer(other_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _quiet(self: HostileServer, request: object, client_address: object) -> None:
    pass  # clients hanging up on the big pages is expected


HostileServer.handle_error = _quiet  # type: ignore[method-assign]


# Hostile HTML (R14): pages whose stored title and text must be their real text.
HTML_TEXT = "Kok søges – æøå. Smørrebrød på bordet, blåbærgrød og rødgrød med fløde."
HTML_PAGES = {  # path -> the title the page shows
    "/html/huge-attribute": "Real title",
    "/html/deep-huge-attribute": "Deep real title",
    "/html/bogus-charset-utf8": "Kok søges æøå",
    "/html/bogus-charset-legacy": "Kok søges æøå",
    "/html/bogus-meta-charset": "Kok søges æøå",
    "/html/bogus-charset-bom": "Kok søges æøå",
}

_HUGE_ATTRIBUTE = ' title="' + "a" * (8 * 1024 * 1024) + '"'


def hostile_html(path: str) -> tuple[bytes, str]:
    """Body and Content-Type of a hostile-HTML page (an empty body: no such page)."""
    bogus = "text/html; charset=x-bogus-42"
    title = HTML_PAGES.get(path, "")
    meta = '<meta charset="x-bogus">'
    if path == "/html/":
        return "".join(f"<a class='l' href='{p}'>{p}</a>" for p in HTML_PAGES).encode(), bogus
    if path == "/html/huge-attribute":  # 8 MB inside one tag
        return _html(title, attrs=_HUGE_ATTRIBUTE).encode(), "text/html; charset=utf-8"
    if path == "/html/deep-huge-attribute":  # deeper than the parser goes: source fallback
        page = _html(title, attrs=_HUGE_ATTRIBUTE, paragraphs=4)
        page = page.replace("<body>", "<body>" + "<div>" * 3000)
        return page.replace("</body>", "</div>" * 3000 + "</body>").encode(), "text/html"
    if path == "/html/bogus-charset-utf8":  # one stray byte: strict UTF-8 decoding fails
        return _html(title).encode().replace(b"<body>", b"<body>\xff"), bogus
    if path == "/html/bogus-charset-legacy":
        return _html(title).encode("cp1252"), bogus
    if path == "/html/bogus-meta-charset":
        return _html(title, head=meta).encode("cp1252"), "text/html"
    if path == "/html/bogus-charset-bom":
        return b"\xef\xbb\xbf" + _html(title, head=meta).encode() + b"\xff", bogus
    return b"", "text/plain"


def _html(title: str, head: str = "", attrs: str = "", paragraphs: int = 1) -> str:
    return (
        f"<html><head>{head}</head><body><h1{attrs}>{title}</h1>"
        f"<div class='text'>{f'<p>{HTML_TEXT}</p>' * paragraphs}</div></body></html>"
    )
