"""The Wayback Machine: find snapshots (CDX) and request captures (Save Page Now 2).

Rules this module keeps, because breaking them gets a CI machine's address
blocked for an hour (doubling each time):
- one process-wide pacer per endpoint and kind of call (CDX, capture, status);
- a 429 pauses *every* call to that endpoint for at least ``backoff_429`` s;
- daily-cap, session-limit and unauthorized errors stop capturing for the rest
  of the run (lookups still go on), and say so once;
- every call has a wall-clock deadline (our watched session), since neither
  waybackpy nor requests has one of its own.

waybackpy is used where it is sound: its CDX query building (repeated
``filter``/``collapse`` keys) and its CDX row type. Its HTTP calls are not
used — they have no timeout, retry 5xx five times without telling the pacer,
and its save API only speaks the anonymous legacy ``GET /save/<url>``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from waybackpy.cdx_snapshot import CDXSnapshot
from waybackpy.cdx_utils import full_url

from ..files import write_atomic
from ..model import Snapshot, SnapshotKind
from ..transport import DEFAULT_USER_AGENT, deadline_scope, new_session
from .layout import ArchiveLayout
from .pacing import Pacer
from .service import Capture, Lookup

STOP_ERRORS = {
    "error:too-many-daily-captures": "the Wayback Machine's daily capture limit is reached",
    "error:user-session-limit": "too many captures in progress for this account",
    "error:unauthorized": "the Wayback keys were refused (check WAYBACK_ACCESS_KEY / WAYBACK_SECRET_KEY)",
}


@dataclass
class WaybackSettings:
    endpoint: str = "https://web.archive.org"
    access_key: str | None = None
    secret_key: str | None = None
    anonymous: bool = False  # try the anonymous capture (≤ 3/min) when there are no keys
    max_age: dt.timedelta = dt.timedelta(days=30)
    captures_per_minute: float = 6.0  # documented: ~7 with keys
    anonymous_captures_per_minute: float = 3.0
    cdx_per_minute: float = 25.0  # documented: ~30
    status_per_minute: float = 30.0
    poll_interval: float = 5.0
    poll_timeout: float = 180.0
    request_timeout: float = 30.0
    backoff_429: float = 60.0
    user_agent: str = DEFAULT_USER_AGENT

    @classmethod
    def from_env(cls, **kw: Any) -> WaybackSettings:
        kw.setdefault("access_key", os.environ.get("WAYBACK_ACCESS_KEY") or None)
        kw.setdefault("secret_key", os.environ.get("WAYBACK_SECRET_KEY") or None)
        return cls(**kw)

    @property
    def has_keys(self) -> bool:
        return bool(self.access_key and self.secret_key)

    def __repr__(self) -> str:  # keys never reach logs
        return f"WaybackSettings(endpoint={self.endpoint!r}, keys={'set' if self.has_keys else 'none'})"


class WaybackError(Exception):
    pass


@dataclass
class Pending:
    """Capture jobs not finished when a run ended, kept in archive/wayback-pending.json."""

    path: Path
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, root: str | Path) -> Pending:
        path = ArchiveLayout.at(root).pending
        try:
            jobs = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            jobs = {}
        return cls(path, jobs if isinstance(jobs, dict) else {})

    def put(self, url: str, job_id: str | None, note: str) -> None:
        with self._lock:
            self.jobs[url] = {
                "job_id": job_id,
                "submitted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "note": note,
            }
            self._save()

    def drop(self, url: str) -> None:
        with self._lock:
            if self.jobs.pop(url, None) is not None:
                self._save()

    def _save(self) -> None:
        write_atomic(self.path, json.dumps(self.jobs, indent=2, sort_keys=True) + "\n", durable=True)


_BLOCKED = re.compile(r"AdministrativeAccessControlException|Blocked Site Error|RobotAccessControlException")
_CDX_FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def _cdx_rows(text: str) -> list[dict[str, str]]:
    """CDX rows as dicts, from the JSON we ask for or the server's default plain text (one
    row per line, seven space-separated fields; a resume key after a blank line), which
    it sends when a parameter is ignored or a proxy rewrites the query."""
    if not text:
        return []
    if text.startswith("["):
        try:
            rows = json.loads(text)
        except ValueError:
            raise WaybackError("CDX API answered something that is not JSON") from None
        if not rows or not isinstance(rows, list):
            return []
        return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]
    rows = [line.split() for line in text.split("\n\n")[0].splitlines()]
    if not all(len(r) == len(_CDX_FIELDS) and r[1].isdigit() for r in rows):
        raise WaybackError("CDX API answered something that is neither JSON nor CDX rows")
    return [dict(zip(_CDX_FIELDS, r, strict=True)) for r in rows]


def _ts(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y%m%d%H%M%S")
    return value.strftime("%Y%m%d") + "000000"


class WaybackClient:
    def __init__(self, settings: WaybackSettings, session: requests.Session | None = None) -> None:
        self.s = settings
        self.endpoint = settings.endpoint.rstrip("/")
        self.session = session or new_session(settings.user_agent, pool_size=4)
        self.cdx_pacer = Pacer.get(self.endpoint, "cdx", settings.cdx_per_minute)
        per_min = settings.captures_per_minute if settings.has_keys else settings.anonymous_captures_per_minute
        self.capture_pacer = Pacer.get(self.endpoint, "capture", per_min)
        self.status_pacer = Pacer.get(self.endpoint, "status", settings.status_per_minute)
        self.stopped: str | None = None  # why captures stopped this run
        self.down: str | None = None  # why the endpoint is not called any more this run
        self._failures = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing
    def _auth(self) -> dict[str, str]:
        h = {"Accept": "application/json"}
        if self.s.has_keys:
            h["Authorization"] = f"LOW {self.s.access_key}:{self.s.secret_key}"
        return h

    def _call(self, pacer: Pacer, method: str, url: str, **kw: Any) -> requests.Response:
        """One paced request with a hard deadline; a 429 pauses all calls to the endpoint.

        An endpoint that cannot be reached at all is not called again this run
        (a circuit breaker): without it, an offline run would spend the whole
        pacing budget waiting to fail.
        """
        if self.down:
            raise WaybackError(self.down)
        pacer.wait()
        timeout = self.s.request_timeout
        with deadline_scope(timeout) as guarded:
            try:
                resp = self.session.request(method, url, timeout=(min(10.0, timeout), timeout), **kw)
                _ = resp.content  # read the body inside the deadline
            except requests.RequestException as e:
                timed_out = guarded.expired or isinstance(e, requests.Timeout)
                with self._lock:
                    self._failures = self._failures + 1 if timed_out else 3
                    if self._failures >= 3 and not self.down:
                        self.down = (
                            f"{self.endpoint} is unreachable ({type(e).__name__}); skipped for the rest of this run"
                        )
                raise WaybackError(
                    f"{method} {url.split('?')[0]}: {'timed out' if timed_out else type(e).__name__}"
                ) from None
        with self._lock:
            self._failures = 0
        if resp.status_code == 429:
            for p in (self.cdx_pacer, self.capture_pacer, self.status_pacer):
                p.pause(self.s.backoff_429)
        return resp

    def archive_url(self, timestamp: str, original: str) -> str:
        return f"{self.endpoint}/web/{timestamp}/{original}"

    def _snapshot(self, row: CDXSnapshot, note: str) -> Snapshot:
        return Snapshot(
            url=row.original,
            archive_url=self.archive_url(row.timestamp, row.original),
            timestamp=row.datetime_timestamp.replace(tzinfo=dt.UTC),
            kind=SnapshotKind.WAYBACK,
            http_status=int(row.statuscode) if str(row.statuscode).isdigit() else None,
            note=note,
        )

    # ------------------------------------------------------------------ CDX
    def cdx(self, params: dict[str, Any]) -> list[CDXSnapshot]:
        """Rows of a CDX query (output=json), as waybackpy CDXSnapshot objects."""
        params = {**params, "output": "json"}
        url = full_url(f"{self.endpoint}/cdx/search/cdx", params)
        resp = self._call(self.cdx_pacer, "GET", url)
        if resp.status_code == 429:
            raise WaybackError("CDX API rate limit (429): paused")
        if resp.status_code == 403 and _BLOCKED.search(resp.text[:2000]):
            raise WaybackError("the Wayback Machine refuses to show this site (blocked by its owner or the archive)")
        if resp.status_code >= 400:
            raise WaybackError(f"CDX API answered HTTP {resp.status_code}")
        out = []
        for props in _cdx_rows(resp.text.strip()):
            props.setdefault("urlkey", "")
            props.setdefault("mimetype", "")
            props.setdefault("digest", "")
            props.setdefault("length", "")
            try:
                out.append(CDXSnapshot(props))
            except (KeyError, ValueError):
                continue
        return out

    def lookup(self, url: str, near: dt.date | None = None) -> Lookup:
        """Snapshot closest to ``near`` (before, then after; 2xx only) and the latest one."""
        ok = "statuscode:2.."
        result = Lookup()
        latest = self.cdx({"url": url, "filter": ok, "limit": "-1"})
        if latest:
            result.latest = self._snapshot(latest[-1], "latest snapshot")
        if near is None:
            result.closest = result.latest
            return result
        if result.latest is None:
            return result
        before = self.cdx({"url": url, "to": _ts(near)[:8] + "235959", "filter": ok, "limit": "-1"})
        if before:
            result.closest = self._snapshot(before[-1], f"closest before {near.isoformat()}")
        else:
            after = self.cdx({"url": url, "from": _ts(near)[:8], "filter": ok, "limit": "1"})
            if after:
                result.closest = self._snapshot(after[0], f"closest after {near.isoformat()}")
        return result

    # ------------------------------------------------------------------ SPN2
    def user_status(self) -> dict[str, Any] | None:
        if not self.s.has_keys:
            return None
        try:
            resp = self._call(self.status_pacer, "GET", f"{self.endpoint}/save/status/user", headers=self._auth())
            return resp.json() if resp.status_code == 200 else None
        except (WaybackError, ValueError):
            return None

    def can_capture(self) -> bool:
        return (self.s.has_keys or self.s.anonymous) and self.stopped is None

    def _stop(self, status_ext: str) -> None:
        with self._lock:
            if self.stopped is None:
                self.stopped = STOP_ERRORS.get(status_ext, status_ext)

    def submit(self, url: str) -> Capture:
        if not self.can_capture():
            return Capture(error=self.stopped or "no Wayback keys: lookup-only mode")
        data = {
            "url": url,
            "skip_first_archive": "1",
            "if_not_archived_within": f"{int(self.s.max_age.total_seconds())}s",
        }
        try:
            resp = self._call(self.capture_pacer, "POST", f"{self.endpoint}/save", data=data, headers=self._auth())
        except WaybackError as e:
            return Capture(error=f"capture request failed: {e}", ambiguous=True)
        if resp.status_code in (520, 523, 502, 504):
            return Capture(error=f"capture answered HTTP {resp.status_code}", ambiguous=True)
        if resp.status_code == 429:
            return Capture(error="capture rate limit (429): paused")
        if resp.status_code in (401, 403):
            self._stop("error:unauthorized")
            return Capture(error=self.stopped)
        try:
            body = resp.json()
        except ValueError:
            return Capture(
                error=f"capture answered HTTP {resp.status_code} without JSON", ambiguous=resp.status_code >= 500
            )
        # SPN2 reports errors inside HTTP 200 bodies
        if body.get("status") == "error" or ("job_id" not in body and body.get("status_ext")):
            ext = body.get("status_ext") or ""
            if ext in STOP_ERRORS:
                self._stop(ext)
            return Capture(error=f"{ext or 'error'}: {body.get('message', '')}".strip(": "))
        job = body.get("job_id")
        if not job:
            return Capture(error=f"capture answered without a job id (HTTP {resp.status_code})")
        return Capture(pending_job=job)

    def job_status(self, job_id: str) -> dict[str, Any]:
        resp = self._call(self.status_pacer, "GET", f"{self.endpoint}/save/status/{job_id}", headers=self._auth())
        if resp.status_code != 200:
            return {
                "status": "pending" if resp.status_code in (429, 502, 503, 520, 523) else "error",
                "status_ext": f"http:{resp.status_code}",
            }
        try:
            return resp.json()
        except ValueError:
            return {"status": "pending"}

    def poll(self, url: str, job_id: str, timeout: float | None = None) -> Capture:
        """Poll a job until success/error or the poll deadline (~3 min): then it stays pending."""
        deadline = time.monotonic() + (self.s.poll_timeout if timeout is None else timeout)
        while True:
            try:
                st = self.job_status(job_id)
            except WaybackError:
                st = {"status": "pending"}
            status = st.get("status")
            if status == "success" and st.get("timestamp"):
                ts = st["timestamp"]
                original = st.get("original_url") or url
                snap = Snapshot(
                    url=url,
                    archive_url=self.archive_url(ts, original),
                    timestamp=dt.datetime.strptime(ts[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC),
                    kind=SnapshotKind.WAYBACK,
                    http_status=None,
                    note="captured now",
                )
                return Capture(snapshot=snap)
            if status == "error":
                ext = st.get("status_ext") or "error"
                if ext in STOP_ERRORS:
                    self._stop(ext)
                return Capture(error=f"{ext}: {st.get('message', '')}".strip(": "))
            if time.monotonic() + self.s.poll_interval > deadline:
                return Capture(pending_job=job_id, error="capture still in progress; will check next run")
            time.sleep(self.s.poll_interval)

    def capture(self, url: str, pending: Pending | None = None) -> Capture:
        """Submit, remember the job, poll; an ambiguous answer is checked against CDX."""
        submitted = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
        cap = self.submit(url)
        if cap.pending_job:
            if pending is not None:
                pending.put(url, cap.pending_job, "submitted")
            cap = self.poll(url, cap.pending_job)
        elif cap.ambiguous:
            found = self._captured_since(url, submitted)
            if found:
                return Capture(snapshot=found)
            if pending is not None:
                pending.put(url, None, cap.error or "ambiguous")
            return cap
        if pending is not None and not cap.pending_job:
            pending.drop(url)
        return cap

    def _captured_since(self, url: str, since: dt.datetime) -> Snapshot | None:
        try:
            rows = self.cdx({"url": url, "from": _ts(since), "filter": "statuscode:2..", "limit": "1"})
        except WaybackError:
            return None
        return self._snapshot(rows[0], "captured now (confirmed in CDX)") if rows else None

    def resume(self, pending: Pending) -> dict[str, Capture]:
        """Finish what an earlier run left pending, before submitting anything new."""
        done: dict[str, Capture] = {}
        for url, job in list(pending.jobs.items()):
            if job.get("job_id"):
                cap = self.poll(url, job["job_id"], timeout=0)
            else:
                since = dt.datetime.fromisoformat(job["submitted_at"]) - dt.timedelta(minutes=1)
                snap = self._captured_since(url, since)
                cap = Capture(snapshot=snap) if snap else Capture(error="earlier capture did not show up")
            if cap.pending_job and not cap.snapshot:
                continue  # still running
            pending.drop(url)
            done[url] = cap
        return done


class WaybackService:
    """The Wayback Machine as an archive service: CDX lookups, Save Page Now 2 captures,
    and the capture jobs an earlier run left pending (archive/wayback-pending.json)."""

    name = "Wayback Machine"
    keeps_live_pages = True

    def __init__(self, settings: WaybackSettings, root: str | Path) -> None:
        self.settings = settings
        self.max_age = settings.max_age
        self.client = WaybackClient(settings)
        self.pending = Pending.load(root)
        self._resumed: dict[str, Capture] = {}

    def start(self) -> list[str]:
        notes = []
        if not self.settings.has_keys:
            notes.append(
                "no Wayback keys (WAYBACK_ACCESS_KEY / WAYBACK_SECRET_KEY): lookup-only mode, nothing new is captured"
                + (" except anonymous attempts (--anonymous, ≤ 3/min)" if self.settings.anonymous else "")
            )
        else:
            slots = self.client.user_status()
            if slots and slots.get("available") == 0:
                notes.append(
                    f"the Wayback account has no free capture slot now ({slots.get('processing', '?')} captures"
                    " in progress); captures may be refused"
                )
        try:
            if self.client.can_capture() or self.pending.jobs:
                self._resumed = self.client.resume(self.pending)
        except WaybackError as e:
            notes.append(f"could not resume pending captures: {e}")
        return notes

    def can_capture(self, url: str) -> bool:
        return self.client.can_capture()

    def lookup(self, url: str, near: dt.date | None) -> Lookup:
        try:
            return self.client.lookup(url, near)
        except WaybackError as e:
            return Lookup(error=f"Wayback Machine: {e}")

    def capture(self, url: str) -> Capture:
        return self.client.capture(url, self.pending)

    def resumed(self, url: str) -> Snapshot | None:
        cap = self._resumed.get(url)
        return cap.snapshot if cap else None

    def raw_copy_url(self, snapshot: Snapshot) -> str:
        ts = snapshot.timestamp.strftime("%Y%m%d%H%M%S")
        return snapshot.archive_url.replace(f"/web/{ts}/", f"/web/{ts}id_/", 1)

    def finish(self) -> list[str]:
        notes = []
        if self.client.stopped:
            notes.append(f"captures stopped for this run: {self.client.stopped}")
        if self.client.down:
            notes.append(self.client.down)
        return notes
