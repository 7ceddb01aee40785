"""Memento lookups (RFC 7089): copies of a page in archives other than the Wayback Machine.

A dead page the Wayback Machine never kept may still be in archive.today, a national
library's archive or Arquivo.pt. Each of them publishes, per address, a *TimeMap*: a list
of its copies ("mementos") with their dates, in the link format of RFC 6690
(``application/link-format``)::

    <http://example.com/a>; rel="original",
    <https://archive.ph/20200101/http://example.com/a>; rel="first memento";
        datetime="Wed, 01 Jan 2020 00:00:00 GMT",
    ...

The Memento aggregator (timetravel.mementoweb.org) merges the TimeMaps of many archives
into one, so one request asks them all. This service only looks up — it never asks an
archive to capture — and each lookup is paced, bounded by a deadline and read up to a
size cap (a popular page's TimeMap runs to megabytes; the copies near a footnote's date
are rarely needed from the far end of it).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from ..model import Snapshot, SnapshotKind
from ..transport import DEFAULT_USER_AGENT, deadline_scope, new_session
from .pacing import Pacer
from .service import Capture, Lookup

AGGREGATOR = "https://timetravel.mementoweb.org/timemap/link/1/{url}"
ARCHIVE_TODAY = "https://archive.ph/timemap/{url}"


@dataclass
class MementoSettings:
    timemap: str = AGGREGATOR  # the TimeMap address, {url} standing for the cited address
    per_minute: float = 20.0
    request_timeout: float = 20.0  # the aggregator asks the archives in real time: it is slow
    max_bytes: int = 2_000_000
    user_agent: str = DEFAULT_USER_AGENT

    @property
    def host(self) -> str:
        return urlsplit(self.timemap).hostname or self.timemap


@dataclass(frozen=True)
class Memento:
    url: str
    when: dt.datetime


# one link: <target> followed by ;name=value parameters (values quoted or bare tokens);
# quoted values may hold commas ("Wed, 01 Jan 2020 ..."), so links are not split on ","
_LINK = re.compile(r'\s*,?\s*<([^>]*)>((?:\s*;\s*[\w*.-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,\s]*))*)')
_PARAM = re.compile(r'\s*;\s*([\w*.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,\s]*))')


def parse_timemap(text: str) -> list[Memento]:
    """The mementos of a link-format TimeMap, oldest first; a link without a parseable
    datetime, or cut short by the size cap, is left out."""
    found: dict[str, Memento] = {}
    for m in _LINK.finditer(text):
        params = {
            p.group(1).lower(): p.group(2) if p.group(2) is not None else p.group(3)
            for p in _PARAM.finditer(m.group(2))
        }
        if "memento" not in (params.get("rel") or "").split():
            continue
        try:
            when = email.utils.parsedate_to_datetime(params.get("datetime") or "")
        except (TypeError, ValueError, IndexError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        found[m.group(1)] = Memento(m.group(1), when.astimezone(dt.UTC))
    return sorted(found.values(), key=lambda x: x.when)


def choose(mementos: list[Memento], near: dt.date | None) -> tuple[Memento | None, Memento | None]:
    """(closest to ``near`` — the last one on or before that day, else the first after — , latest)."""
    if not mementos:
        return None, None
    latest = mementos[-1]
    if near is None:
        return latest, latest
    before = [m for m in mementos if m.when.date() <= near]
    return (before[-1] if before else next(m for m in mementos if m.when.date() > near)), latest


_WAYBACK_STYLE = re.compile(r"/(\d{14})/")
_NO_RAW_MODE = re.compile(r"(?:^|\.)archive\.(?:today|ph|is|li|md|vn|fo)$", re.I)


class MementoService:
    """A Memento TimeMap (the aggregator, or one archive's) as a lookup-only archive service."""

    def __init__(self, settings: MementoSettings, session: requests.Session | None = None) -> None:
        self.s = settings
        self.name = f"Memento ({settings.host})"
        self.max_age = dt.timedelta(days=30)
        self.keeps_live_pages = False  # a lookup per live page would only slow a run down
        self.session = session or new_session(settings.user_agent, pool_size=4)
        self.pacer = Pacer.get(settings.host, "timemap", settings.per_minute)
        self.down: str | None = None
        self._failures = 0
        self._lock = threading.Lock()

    def start(self) -> list[str]:
        return []

    def can_capture(self, url: str) -> bool:
        return False

    def capture(self, url: str) -> Capture:
        return Capture(error=f"{self.name} is lookup-only")

    def resumed(self, url: str) -> Snapshot | None:
        return None

    def lookup(self, url: str, near: dt.date | None) -> Lookup:
        text, error = self._timemap(url)
        if error:
            return Lookup(error=f"{self.name}: {error}")
        closest, latest = choose(parse_timemap(text or ""), near)
        when = f" {near.isoformat()}" if near else ""
        side = "before" if closest and near and closest.when.date() <= near else "after"
        return Lookup(
            closest=self._snapshot(url, closest, f"closest {side}{when}" if near else "latest copy"),
            latest=self._snapshot(url, latest, "latest copy"),
        )

    def _snapshot(self, url: str, m: Memento | None, note: str) -> Snapshot | None:
        if m is None:
            return None
        host = urlsplit(m.url).hostname or "another archive"
        return Snapshot(
            url=url, archive_url=m.url, timestamp=m.when, kind=SnapshotKind.ARCHIVE, note=f"{note} ({host})"
        )

    def _timemap(self, url: str) -> tuple[str | None, str | None]:
        """The TimeMap's text (None when the archives hold no copy), or why there is none."""
        if self.down:
            return None, self.down
        self.pacer.wait()
        address = self.s.timemap.replace("{url}", url)
        timeout = self.s.request_timeout
        with deadline_scope(timeout) as guarded:
            try:
                # not followed: a redirect could send this request anywhere, past the address guard
                kw = {"timeout": (min(10.0, timeout), timeout), "stream": True, "allow_redirects": False}
                with self.session.get(address, **kw) as resp:
                    if resp.is_redirect:
                        return None, f"TimeMap redirected to {resp.headers.get('Location', '?')[:200]} (not followed)"
                    if resp.status_code == 404:  # the TimeMap of a page no archive holds
                        return None, None
                    if resp.status_code >= 400:
                        return None, f"TimeMap answered HTTP {resp.status_code}"
                    body = _read_capped(resp, self.s.max_bytes)
            except requests.RequestException as e:
                return None, self._failed(guarded.expired or isinstance(e, requests.Timeout), e)
        with self._lock:
            self._failures = 0
        return body.decode(resp.encoding or "utf-8", "replace"), None

    def _failed(self, timed_out: bool, e: Exception) -> str:
        """A circuit breaker as for the Wayback Machine: three failures in a row (one if the
        endpoint refused the connection) and it is not asked again this run."""
        with self._lock:
            self._failures = self._failures + 1 if timed_out else 3
            if self._failures >= 3 and not self.down:
                self.down = f"{self.s.host} is unreachable ({type(e).__name__}); skipped for the rest of this run"
        return "timed out" if timed_out else type(e).__name__

    def raw_copy_url(self, snapshot: Snapshot) -> str:
        """Wayback-style archives (pywb, OpenWayback: most national archives) replay the
        original bytes under ``<timestamp>id_``; archive.today has no such mode."""
        if _NO_RAW_MODE.search(urlsplit(snapshot.archive_url).hostname or ""):
            return snapshot.archive_url
        return _WAYBACK_STYLE.sub(lambda m: f"/{m.group(1)}id_/", snapshot.archive_url, count=1)

    def finish(self) -> list[str]:
        return [self.down] if self.down else []


def _read_capped(resp: requests.Response, limit: int) -> bytes:
    chunks, size = [], 0
    for chunk in resp.iter_content(65536):
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]
