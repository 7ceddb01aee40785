"""Loopback corpus for the benchmark: N hosts (127.0.0.2, 127.0.0.3, …), each a threaded
HTTP server adding fixed latency per request. /page/N answers 200 with a small article
page; /missing/N answers 404; /slow/N is a page that takes --slow-seconds more. Each
host counts its requests and the most it had in flight at once: GET /__stats answers
"requests max_in_flight last_answer_time" and starts the count again. Prints one base URL per line, then
serves until killed (or for --max-seconds, so a forgotten server stops by itself)."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def padding(kb: int) -> str:
    """Filler shaped like a news page (navigation, paragraphs, inline scripts) up to ``kb``
    KB, so per-page work (parsing, marker search) costs what it costs on real pages."""
    if kb <= 0:
        return ""
    block = (
        '<nav><a href="/section/world">World</a> <a href="/section/business">Business</a>'
        ' <a href="/subscribe">Subscribe</a></nav>'
        "<p>" + "Officials said on Tuesday that the talks would continue next week. " * 12 + "</p>"
        '<script>window.dataLayer=window.dataLayer||[];dataLayer.push({"event":"view","n":1});</script>'
    )
    return block * (kb * 1024 // len(block) + 1)


class Counter:
    """Requests and the most in flight at once, for one host (the scheduler's evidence)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = self.active = self.max_active = 0
        self.last = 0.0  # time.time() of the last request's end

    def enter(self) -> None:
        with self.lock:
            self.requests += 1
            self.active += 1
            self.max_active = max(self.max_active, self.active)

    def leave(self) -> None:
        with self.lock:
            self.active -= 1
            self.last = time.time()

    def take(self) -> bytes:
        with self.lock:
            out = f"{self.requests} {self.max_active} {self.last}".encode()
            self.requests = self.max_active = 0
        return out


def make_handler(latency: float, page_kb: int = 0, slow_seconds: float = 2.0):
    pad = padding(page_kb)
    counter = Counter()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # one segment per response and no Nagle: otherwise every keep-alive request
        # waits ~40 ms for a delayed ACK, which would measure the server, not the client
        disable_nagle_algorithm = True
        wbufsize = 65536

        def log_message(self, *a):
            pass

        def _answer(self):
            if self.path == "/__stats":
                body = counter.take()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            counter.enter()
            try:
                self._page()
            finally:
                counter.leave()

        def _page(self):
            time.sleep(latency + (slow_seconds if self.path.startswith("/slow/") else 0))
            if self.path.startswith("/missing/"):
                code, body = 404, b"<html><head><title>404 Not Found</title></head><body>gone</body></html>"
            else:
                n = self.path.rsplit("/", 1)[-1]
                body = (
                    f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Story {n} | Bench News</title>"
                    f'<meta property="og:title" content="Story {n}"><meta property="article:published_time" content="2021-12-23T10:00:00Z">'
                    f"</head><body><h1>Story {n}</h1><p>{'Some article text. ' * 40}</p>{pad}</body></html>"
                ).encode()
                code = 200
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = _answer
        do_HEAD = _answer

    return Handler


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--max-seconds", type=float, default=1800)
    ap.add_argument("--page-kb", type=int, default=0, help="pad each page to about this size")
    ap.add_argument("--slow-seconds", type=float, default=2.0, help="extra time /slow/N pages take")
    args = ap.parse_args()
    servers = []
    for i in range(args.hosts):
        srv = ThreadingHTTPServer((f"127.0.0.{i + 2}", 0), make_handler(args.latency, args.page_kb, args.slow_seconds))
        srv.daemon_threads = True
        srv.request_queue_size = 256
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        print(f"http://127.0.0.{i + 2}:{srv.server_address[1]}", flush=True)
    print("ready", flush=True)
    deadline = time.monotonic() + args.max_seconds
    try:
        while time.monotonic() < deadline and not sys.stdin.closed:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
