"""A local stand-in for a Memento TimeMap service (RFC 7089), answering like the Memento
aggregator (timetravel.mementoweb.org/timemap/link/1/<url>):

- ``GET /timemap/link/1/<url>`` → ``200 application/link-format``: the original, the
  TimeMap itself, the TimeGate, then each memento with ``rel`` ("first memento", "last
  memento", "memento") and ``datetime`` (RFC 1123, with its comma), parameters spread over
  several lines as real TimeMaps do; ``404`` when no archive holds the address.
- ``GET /archive/<timestamp>[id_]/<url>`` → the archived bytes with ``Memento-Datetime`` and
  ``Link`` (a pywb-style archive).

Misbehaviours are switches on the object.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time
from urllib.parse import unquote

from .servers import Site, page, send


class MementoStandin:
    def __init__(self) -> None:
        self.site = Site()
        self.copies: dict[str, list[dict]] = {}  # url -> [{timestamp, status, body}]
        self.calls: list[float] = []  # TimeMap requests, as the server saw them
        self.hang = False
        self.redirect_to: str | None = None  # answer every TimeMap request with a 302 there
        self.endless = False  # after the real links, more links for ever (a TimeMap with no end)
        self.site.fallback = self._route

    @property
    def timemap(self) -> str:
        return self.site.url("/timemap/link/1/") + "{url}"

    def stop(self) -> None:
        self.site.stop()

    def add_copy(self, url: str, timestamp: str, title: str = "Archived elsewhere", status: int = 200) -> str:
        self.copies.setdefault(url, []).append({"timestamp": timestamp, "status": status, "body": page(title)})
        self.copies[url].sort(key=lambda c: c["timestamp"])
        return self.memento_url(timestamp, url)

    def memento_url(self, timestamp: str, url: str) -> str:
        return self.site.url(f"/archive/{timestamp}/{url}")

    def _route(self, req) -> None:
        if req.path.startswith("/timemap/link/1/"):
            return self._timemap(req, unquote(req.path[len("/timemap/link/1/") :]))
        m = re.match(r"^/archive/(\d{14})(id_)?/(.+)$", req.path)
        if m:
            url = unquote(m.group(3))
            for c in self.copies.get(url, []):
                if c["timestamp"] == m.group(1):  # a memento carries its datetime (RFC 7089 2.1.1)
                    when = _http_date(c["timestamp"])
                    link = f'<{url}>; rel="original", <{self.timemap.replace("{url}", url)}>; rel="timemap"'
                    return send(req, c["status"], c["body"], headers={"Memento-Datetime": when, "Link": link})
        send(req, 404, "not here")

    def _timemap(self, req, url: str) -> None:
        self.calls.append(time.monotonic())
        if self.hang:
            self.site.stopping.wait(30)
            return
        if self.redirect_to:
            return send(req, 302, "", headers={"Location": self.redirect_to})
        copies = self.copies.get(url, [])
        if not copies:
            return send(req, 404, "", content_type="application/link-format")
        if not self.endless:
            return send(req, 200, self.render(url, copies), content_type="application/link-format")
        req.send_response(200)
        req.send_header("Content-Type", "application/link-format")
        req.end_headers()
        req.wfile.write(self.render(url, copies).rstrip().encode() + b",\n")
        filler = b'<http://elsewhere.example/x>; rel="memento"; datetime="Mon, 01 Jan 2001 00:00:00 GMT",\n' * 1000
        try:
            while not self.site.stopping.is_set():
                req.wfile.write(filler)
        except OSError:
            pass  # the client stopped reading: what a size cap does

    def render(self, url: str, copies: list[dict]) -> str:
        when = _http_date
        lines = [
            f'<{url}>;rel="original",',
            f'<{self.timemap.replace("{url}", url)}>\n  ; rel="self";type="application/link-format"'
            f'\n  ; from="{when(copies[0]["timestamp"])}"\n  ; until="{when(copies[-1]["timestamp"])}",',
            f'<{self.site.url("/timegate/")}{url}>\n  ; rel="timegate",',
        ]
        for i, c in enumerate(copies):
            rel = "first memento" if i == 0 else "last memento" if i == len(copies) - 1 else "memento"
            lines.append(
                f'<{self.memento_url(c["timestamp"], url)}>\n  ; rel="{rel}";datetime="{when(c["timestamp"])}"'
                '\n  ; license="http://creativecommons.org/publicdomain/zero/1.0/",'
            )
        return "\n".join(lines).rstrip(",") + "\n"


def _http_date(timestamp: str) -> str:
    t = dt.datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    return email.utils.format_datetime(t, usegmt=True)
