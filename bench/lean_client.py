"""The least work a Python program can do to GET a list of URLs: a yardstick, not a link
checker. It answers the question "is lychee's wall time reachable from Python at all?".

One thread, one asyncio event loop, raw keep-alive HTTP/1.1 over loopback, and lychee's
scheduling: at most ``--concurrency`` requests in flight, taken in input order, with
``--per-host`` requests per host. No TLS, no redirects, no retries, no address checks, no
decompression, no page reading, no history, no report: a response is read and dropped. The
URL list is pulled from the file by a regular expression, not parsed or validated. It only
understands what the benchmark corpus serves (plain http, Content-Length bodies).

    python bench/lean_client.py urls.txt --concurrency 32 --per-host 2
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from urllib.parse import urlsplit


async def fetch_all(urls: list[str], concurrency: int, per_host: int) -> int:
    idle: dict[tuple[str, int], list] = {}
    host_slots: dict[tuple[str, int], asyncio.Semaphore] = {}
    answered = 0

    async def get(url: str) -> None:
        nonlocal answered
        parts = urlsplit(url)
        host = (parts.hostname or "", parts.port or 80)
        slot = host_slots.setdefault(host, asyncio.Semaphore(per_host))
        async with slot:
            pool = idle.setdefault(host, [])
            reader, writer = pool.pop() if pool else await asyncio.open_connection(*host)
            writer.write(f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            pool.append((reader, writer))
            answered += 1

    running: set[asyncio.Task] = set()
    for url in urls:  # like lychee: a window of `concurrency` tasks, filled in input order
        running.add(asyncio.create_task(get(url)))
        if len(running) >= concurrency:
            _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    await asyncio.gather(*running)
    return answered


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", help="any text file; every http:// URL in it is fetched")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--per-host", type=int, default=2)
    args = ap.parse_args()
    with open(args.file, encoding="utf-8") as f:
        urls = re.findall(r"http://[^\s'\"<>]+", f.read())
    answered = asyncio.run(fetch_all(urls, args.concurrency, args.per_host))
    print(f"{answered} of {len(urls)} answered", file=sys.stderr)


if __name__ == "__main__":
    main()
