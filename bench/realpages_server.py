"""Loopback corpus of real news pages: the 348 saved pages in ../shared/realpages, served
by N hosts (127.0.0.2, …) with fixed latency per request, so a benchmark measures what
citewatch costs on pages as large and as messy as the ones people cite.

The pages are read from ../shared/realpages and gunzipped once into memory; they are never
copied into the project. /page/N answers page N mod 348 (so 2,000 URLs cycle through the
set); /missing/N answers 404. Prints one base URL per line, then "ready", then serves
until stdin closes or --max-seconds pass.

    python bench/realpages_server.py --hosts 20 --latency 0.1
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# ../shared/realpages beside the checkout; CITEWATCH_REALPAGES names another place
REALPAGES = Path(os.environ.get("CITEWATCH_REALPAGES") or Path(__file__).resolve().parents[2] / "shared" / "realpages")


def page_files(root: Path = REALPAGES) -> list[Path]:
    """The stored pages, in a stable order; empty when the set is not on this machine."""
    return sorted((root / "pages").glob("*.html.gz")) if (root / "pages").is_dir() else []


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # a client that hangs up after the headers (lychee does) is not our error


def make_handler(latency: float, files: list[Path]):
    cache: dict[int, bytes] = {}  # unzipped once, in memory only

    def body_of(n: int) -> bytes:
        if n not in cache:
            cache[n] = gzip.decompress(files[n].read_bytes())
        return cache[n]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # one segment per answer (see corpus_server.py)
        wbufsize = 65536

        def log_message(self, *a):
            pass

        def do_GET(self):
            time.sleep(latency)
            tail = self.path.rsplit("/", 1)[-1]
            if self.path.startswith("/page/") and tail.isdigit():
                code, body = 200, body_of(int(tail) % len(files))
            else:
                code, body = 404, b"<html><head><title>404 Not Found</title></head><body>gone</body></html>"
            # no charset: the set stores no headers (see ../shared/realpages/README.md)
            self.send_response(code)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--max-seconds", type=float, default=1800)
    args = ap.parse_args()
    files = page_files()
    if not files:
        sys.exit(f"realpages_server: no pages under {REALPAGES / 'pages'} (the shared set is not on this machine)")
    handler = make_handler(args.latency, files)
    for i in range(args.hosts):
        srv = QuietServer((f"127.0.0.{i + 2}", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        print(f"http://127.0.0.{i + 2}:{srv.server_address[1]}", flush=True)
    print("ready", flush=True)
    closed = threading.Event()  # the benchmark closed our stdin (or died): stop
    threading.Thread(target=lambda: (sys.stdin.read(), closed.set()), daemon=True).start()
    closed.wait(args.max_seconds)


if __name__ == "__main__":
    main()
