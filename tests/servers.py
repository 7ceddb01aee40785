"""Small threaded HTTP servers on 127.0.0.x for tests: real sockets, real timing.

A route is a function ``(req) -> None`` that writes the whole response itself
through ``req`` (a BaseHTTPRequestHandler), so tests can misbehave on purpose:
hang, drip, lie about charsets, send 200 MB. Every server binds port 0 and is
stopped by its fixture; hanging handlers are released on stop.
"""

from __future__ import annotations

import gzip
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

Route = Callable[[BaseHTTPRequestHandler], None]


class Site:
    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.fallback: Route | None = None
        self.log: list[tuple[str, str, float]] = []  # (method, path, time)
        self.active = 0
        self.max_active = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # one segment per response and no Nagle: otherwise every keep-alive request
            # waits ~40 ms for a delayed ACK, which would measure the server, not the client
            disable_nagle_algorithm = True
            wbufsize = 65536

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _dispatch(self) -> None:
                with site._lock:
                    site.log.append((self.command, self.path, time.monotonic()))
                    site.active += 1
                    site.max_active = max(site.max_active, site.active)
                try:
                    path = urlsplit(self.path).path
                    route = site.routes.get(path) or site.routes.get(self.path) or site.fallback
                    if route is None:
                        send(self, 404, "<html><head><title>404 Not Found</title></head><body>nope</body></html>")
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with site._lock:
                        site.active -= 1

            do_GET = _dispatch
            do_HEAD = _dispatch
            do_POST = _dispatch

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.scheme = "https" if tls else "http"
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.host, self.port = self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def route(self, path: str) -> Callable[[Route], Route]:
        def deco(fn: Route) -> Route:
            self.routes[path] = fn
            return fn

        return deco

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.log if urlsplit(p).path == path)

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def send(
    req: BaseHTTPRequestHandler,
    status: int,
    body: str | bytes = b"",
    headers: dict[str, str] | None = None,
    content_type: str = "text/html; charset=utf-8",
) -> None:
    data = body.encode("utf-8") if isinstance(body, str) else body
    req.send_response(status)
    hdrs = {"Content-Type": content_type, "Content-Length": str(len(data))}
    hdrs.update(headers or {})
    for k, v in hdrs.items():
        if v is not None:
            req.send_header(k, v)
    req.end_headers()
    if req.command != "HEAD":
        req.wfile.write(data)


def page(title: str, body: str = "", head: str = "") -> str:
    filler = " ".join(["This paragraph is real article text about the subject."] * 12)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
        f"<body><h1>{title}</h1><p>{body or filler}</p></body></html>"
    )


def redirect(location: str, status: int = 301) -> Route:
    return lambda req: send(req, status, b"", {"Location": location})


def html(title: str, status: int = 200, headers: dict[str, str] | None = None, body: str = "", head: str = "") -> Route:
    return lambda req: send(req, status, page(title, body, head), headers)


def hang(site: Site) -> Route:
    """Accept the request and never answer (until the server stops)."""

    def route(req: BaseHTTPRequestHandler) -> None:
        site.stopping.wait(30)

    return route


def drip(site: Site, every: float = 0.3, close: bool = False) -> Route:
    """Send headers, then one byte every ``every`` seconds, forever. ``close``: a body that
    ends when the connection does (``Connection: close``, no length), as HTTP/1.0 sends."""

    def route(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        if close:
            req.send_header("Connection", "close")
        else:
            req.send_header("Content-Length", "100000000")
        req.end_headers()
        ends = time.monotonic() + 10  # a test that fails ends, rather than waiting for the server
        while not site.stopping.is_set() and time.monotonic() < ends:
            req.wfile.write(b"x")
            req.wfile.flush()
            time.sleep(every)

    return route


def huge(site: Site, total: int = 200_000_000) -> Route:
    """A 200 MB body streamed as fast as the client reads it; counts what was sent."""

    def route(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", str(total))
        req.end_headers()
        chunk = b"<p>" + b"a" * 65530 + b"</p>"
        sent = 0
        site.sent = 0
        try:
            while sent < total and not site.stopping.is_set():
                req.wfile.write(chunk)
                sent += len(chunk)
                site.sent = sent
        except OSError:
            pass

    return route


def gzip_bomb(uncompressed: int = 300_000_000) -> Route:
    block = gzip.compress(b"\0" * uncompressed, compresslevel=9)

    def route(req: BaseHTTPRequestHandler) -> None:
        send(req, 200, block, {"Content-Encoding": "gzip"})

    return route


def brotli_bomb() -> Route:
    """1.3 KB that Brotli turns into 100 MB of zeros (stored: compressing it takes seconds)."""
    block = (Path(__file__).parent / "fixtures" / "bombs" / "zeros-100mb.br").read_bytes()

    def route(req: BaseHTTPRequestHandler) -> None:
        send(req, 200, block, {"Content-Encoding": "br"})

    return route


def encoded(body: bytes, *encodings: str) -> Route:
    """``body`` compressed with each of ``encodings`` in turn, named in Content-Encoding."""
    import zlib

    for enc in encodings:
        body = gzip.compress(body) if enc == "gzip" else zlib.compress(body)

    def route(req: BaseHTTPRequestHandler) -> None:
        send(req, 200, body, {"Content-Encoding": ", ".join(encodings)})

    return route


def raw(answer: bytes) -> Route:
    """Write ``answer`` as it is, whatever it is, and close: for answers that are not HTTP."""

    def route(req: BaseHTTPRequestHandler) -> None:
        req.close_connection = True
        req.wfile.write(answer)
        req.wfile.flush()

    return route


def sequence(*routes: Route) -> Route:
    """Answer the n-th request with the n-th route (the last one repeats)."""
    state = {"n": 0}

    def route(req: BaseHTTPRequestHandler) -> None:
        i = min(state["n"], len(routes) - 1)
        state["n"] += 1
        routes[i](req)

    return route


def slow(seconds: float, inner: Route) -> Route:
    def route(req: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        inner(req)

    return route
