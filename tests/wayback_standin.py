"""A local stand-in for the Wayback Machine that speaks its real API shapes.

- CDX: ``GET /cdx/search/cdx?url=…&output=json`` → JSON rows, header row first;
  ``from``/``to`` bounds, ``filter=statuscode:…`` (regex), ``limit`` (negative: last N).
- Save Page Now 2: ``POST /save`` (form ``url``; ``Authorization: LOW a:s``) →
  ``{"url", "job_id"}`` or an error *inside HTTP 200*; ``GET /save/status/<job>`` →
  pending / success (timestamp, original_url) / error (status_ext);
  ``GET /save/status/user`` → available slots.
- Replay: ``GET /web/<timestamp>id_/<url>`` → the archived bytes with ``Memento-Datetime``;
  a timestamp without a capture → 302 to the nearest capture.

Behaviours are switches on the object, so each test sets up the misbehaviour it needs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from urllib.parse import parse_qs, unquote, urlsplit

from .servers import Site, send


class WaybackStandin:
    def __init__(self) -> None:
        self.site = Site()
        self.captures: dict[str, list[dict]] = {}  # url -> [{timestamp, statuscode, body}]
        self.jobs: dict[str, dict] = {}
        self.calls: list[tuple[str, float]] = []  # (kind, time) seen by the server
        self.auth_seen: list[str | None] = []
        self.polls_until_success = 1
        self.submit_mode = "ok"  # ok | error-in-200 | daily-cap | 429 | 523-but-captured | never-finish
        self.submit_error_ext = "error:blocked-url"
        self.cdx_429_once = False
        self.hang_cdx = False
        self.hang_replay = False  # a replay that never answers (until the stand-in stops)
        self.available_slots = 5
        self._n = 0
        self._lock = threading.Lock()
        self.site.fallback = self._route

    @property
    def endpoint(self) -> str:
        return self.site.url("").rstrip("/")

    def stop(self) -> None:
        self.site.stop()

    def calls_of(self, kind: str) -> list[float]:
        return [t for k, t in self.calls if k == kind]

    def add_capture(
        self, url: str, timestamp: str, statuscode: str = "200", body: str | None = None, original: str | None = None
    ) -> None:
        """``original``: the address CDX answers with, when not ``url`` itself (the real one
        matches by a canonical key: a capture of http://www.x/ is found for https://x/)."""
        html = body or f"<html><head><title>Archived {url}</title></head><body>{'archived text ' * 50}</body></html>"
        capture = {"timestamp": timestamp, "statuscode": statuscode, "body": html, "original": original or url}
        self.captures.setdefault(url, []).append(capture)
        self.captures[url].sort(key=lambda c: c["timestamp"])

    # ------------------------------------------------------------------ routes
    def _route(self, req) -> None:
        parts = urlsplit(req.path)
        path = parts.path
        if path == "/cdx/search/cdx":
            return self._cdx(req, parse_qs(parts.query))
        if path == "/save" and req.command == "POST":
            return self._save(req)
        if path == "/save/status/user":
            self.calls.append(("user", time.monotonic()))
            return send(
                req,
                200,
                json.dumps({"available": self.available_slots, "processing": 5 - self.available_slots}),
                content_type="application/json",
            )
        m = re.match(r"^/save/status/(.+)$", path)
        if m:
            return self._status(req, m.group(1))
        m = re.match(r"^/web/(\d{14})(id_)?/(.+)$", req.path)
        if m:
            return self._replay(req, m.group(1), unquote(m.group(3)))
        send(req, 404, "not here")

    def _cdx(self, req, q: dict[str, list[str]]) -> None:
        self.calls.append(("cdx", time.monotonic()))
        if self.hang_cdx:
            self.site.stopping.wait(30)
            return
        if self.cdx_429_once:
            self.cdx_429_once = False
            return send(req, 429, "Too Many Requests", content_type="text/plain")
        url = q["url"][0]
        if q.get("matchType", [""])[0] == "domain":
            rows = [
                dict(c, original=orig)
                for orig, caps in self.captures.items()
                if (urlsplit(orig).hostname or "").endswith(url)
                for c in caps
            ]
            if "collapse" in q:  # collapse=urlkey: one row per address
                rows = list({r["original"]: r for r in sorted(rows, key=lambda r: r["timestamp"])}.values())
        else:
            rows = [dict(c) for c in self.captures.get(url, [])]
        if "from" in q:
            lo = q["from"][0].ljust(14, "0")
            rows = [r for r in rows if r["timestamp"] >= lo]
        if "to" in q:
            hi = q["to"][0].ljust(14, "9")
            rows = [r for r in rows if r["timestamp"] <= hi]
        for f in q.get("filter", []):
            field, _, pattern = f.partition(":")
            rows = [r for r in rows if re.fullmatch(pattern, r.get(field, ""))]
        limit = int(q.get("limit", ["25000"])[0])
        rows = rows[limit:] if limit < 0 else rows[:limit]
        header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
        body = [header] + [
            ["key", r["timestamp"], r["original"], "text/html", r["statuscode"], "DIGEST", "1234"] for r in rows
        ]
        send(req, 200, json.dumps(body if rows else []), content_type="application/json")

    def _save(self, req) -> None:
        self.calls.append(("save", time.monotonic()))
        self.auth_seen.append(req.headers.get("Authorization"))
        length = int(req.headers.get("Content-Length") or 0)
        form = parse_qs(req.rfile.read(length).decode())
        url = form["url"][0]
        mode = self.submit_mode
        if mode == "429":
            return send(req, 429, "Too Many Requests", content_type="text/plain")
        if mode == "error-in-200":
            return send(
                req,
                200,
                json.dumps({"status": "error", "status_ext": self.submit_error_ext, "message": "refused"}),
                content_type="application/json",
            )
        if mode == "daily-cap":
            return send(
                req,
                200,
                json.dumps({"status": "error", "status_ext": "error:too-many-daily-captures", "message": "daily cap"}),
                content_type="application/json",
            )
        if mode == "523-but-captured":
            self.add_capture(url, dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S"))
            return send(req, 523, "Origin Is Unreachable", content_type="text/plain")
        with self._lock:
            self._n += 1
            job = f"spn2-{self._n:04d}"
        self.jobs[job] = {"url": url, "polls": 0}
        send(req, 200, json.dumps({"url": url, "job_id": job}), content_type="application/json")

    def _status(self, req, job_id: str) -> None:
        self.calls.append(("status", time.monotonic()))
        job = self.jobs.get(job_id)
        if job is None:
            return send(
                req,
                200,
                json.dumps({"status": "error", "status_ext": "error:not-found", "message": "no such job"}),
                content_type="application/json",
            )
        job["polls"] += 1
        if self.submit_mode != "never-finish" and job["polls"] >= self.polls_until_success:
            ts = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
            if not job.get("ts"):
                job["ts"] = ts
                self.add_capture(job["url"], ts)
            body = {
                "status": "success",
                "job_id": job_id,
                "timestamp": job["ts"],
                "original_url": job["url"],
                "duration_sec": 3.2,
            }
        else:
            body = {"status": "pending", "job_id": job_id, "resources": []}
        send(req, 200, json.dumps(body), content_type="application/json")

    def _replay(self, req, ts: str, url: str) -> None:
        """As the real replay answers (see ../shared/recorded/wayback): an archived copy
        carries ``Memento-Datetime`` and ``Link`` (rel original / memento); a timestamp
        with no capture redirects (302) to the nearest one; no capture at all is the
        archive's own 404 page, without ``Memento-Datetime``."""
        self.calls.append(("replay", time.monotonic()))
        if self.hang_replay:
            self.site.stopping.wait(30)
            return
        caps = self.captures.get(url, [])
        for c in caps:
            if c["timestamp"] == ts:
                when = dt.datetime.strptime(ts, "%Y%m%d%H%M%S").strftime("%a, %d %b %Y %H:%M:%S GMT")
                link = f'<{url}>; rel="original", <{self.endpoint}/web/{ts}/{url}>; rel="memento"; datetime="{when}"'
                return send(req, 200, c["body"], headers={"Memento-Datetime": when, "Link": link})
        if caps:
            nearest = min(caps, key=lambda c: abs(int(c["timestamp"]) - int(ts)))["timestamp"]
            mode = "id_" if "id_/" in req.path else ""
            return send(req, 302, "", headers={"Location": f"{self.endpoint}/web/{nearest}{mode}/{url}"})
        send(req, 404, "<title>Wayback Machine</title>not archived")
