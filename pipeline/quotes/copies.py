"""The source as it was when it was cited: its Wayback copy closest to the citation time.

When was it cited? The note's access date ("accessed/retrieved …") if it gives one, else
the article's own date, else the source's date. The copy is the latest 2xx snapshot on
or before that day (or the first after it), read from the Wayback Machine's raw ``id_``
replay, which serves the page's own bytes without the replay banner and rewritten links.

Bounds: one lookup and one replay per URL per run, paced with the other Wayback calls
(the CDX lookup through the shared client, the replay on its own process-wide pacer);
the replay is an ordinary bounded fetch (deadline, size cap, address guard). A copy from
the citation time does not change, so its main text is kept in
``archive/cited-copies/<host>/<hash>.json`` and later runs read it from there; a lookup
that found no copy is asked again after ``RETRY_MISSING``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..archive.layout import ArchiveLayout
from ..archive.wayback import Pacer, WaybackClient, WaybackError
from ..fetch import Fetcher
from ..files import read_text, write_atomic
from ..model import PartialDate, Snapshot
from .pagetext import EXTRACTOR, PageText, copy_text
from .verdicts import Unreadable

RETRY_MISSING = dt.timedelta(days=7)


def citation_time(
    accessed: PartialDate | None, article_date: PartialDate | None, source_date: PartialDate | None
) -> dt.date | None:
    """The day the source was cited: when it was read, else when the article or the source appeared."""
    for when in (accessed, article_date, source_date):
        if when is not None:
            return when.as_date()
    return None


@dataclass
class CitedCopy:
    """The archived copy of one source from its citation time, read (or why there is none)."""

    url: str
    near: dt.date | None
    archive_url: str | None = None  # the replay a person opens (with the Wayback banner)
    timestamp: dt.datetime | None = None
    text: PageText | None = None  # None: no copy
    note: str | None = None  # why there is no copy
    reused: bool = False  # read from archive/, not fetched this run

    def to_store(self) -> dict[str, Any]:
        text = self.text
        return {
            "url": self.url,
            "near": self.near.isoformat() if self.near else None,
            "archive_url": self.archive_url,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "text": text.text if text else None,
            "reason": text.reason.value if text and text.reason else None,
            "language": text.language if text else None,
            "extractor": EXTRACTOR if text and text.text else None,
            "note": self.note,
            "looked_up_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    @classmethod
    def loaded(cls, d: dict[str, Any]) -> CitedCopy:
        text = None
        if d.get("text") or d.get("reason"):
            reason = Unreadable(d["reason"]) if d.get("reason") in Unreadable._value2member_map_ else None
            text = PageText(d.get("text"), reason, d.get("language"), d.get("archive_url"))
        stamp = d.get("timestamp")
        return cls(
            url=d["url"],
            near=dt.date.fromisoformat(d["near"]) if d.get("near") else None,
            archive_url=d.get("archive_url"),
            timestamp=dt.datetime.fromisoformat(stamp) if stamp else None,
            text=text,
            note=d.get("note"),
            reused=True,
        )


@functools.lru_cache(maxsize=1024)
def _host_folder(hostname: str | None) -> str:
    """The folder of a host's copies: its name, lower case, other characters as ``_``."""
    return re.sub(r"[^a-z0-9.-]", "_", (hostname or "no-host").lower())[:100] or "no-host"


def raw_replay_url(endpoint: str, timestamp: dt.datetime, url: str) -> str:
    """The ``id_`` replay: the archived bytes as the site sent them."""
    return f"{endpoint.rstrip('/')}/web/{timestamp.strftime('%Y%m%d%H%M%S')}id_/{url}"


class CitedCopies:
    """Archived copies from the citation time: fetched at most once per URL per run, kept in archive/."""

    def __init__(self, archive_dir: str | Path, fetcher: Fetcher, wayback: WaybackClient) -> None:
        self.root = ArchiveLayout.at(archive_dir).cited_copies
        self._root = os.fspath(self.root)
        self.fetcher = fetcher
        self.wayback = wayback
        self.replay_pacer = Pacer.get(wayback.endpoint, "replay", wayback.s.cdx_per_minute)
        self._seen: dict[tuple[str, dt.date | None], CitedCopy] = {}
        self._busy: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def path_for(self, url: str) -> Path:
        return Path(self._file_for(url))

    def _file_for(self, url: str) -> str:
        """``path_for`` as a string: every run looks each of its URLs up here, and pathlib's
        joins cost more than the read of a small copy."""
        name = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
        return os.path.join(self._root, _host_folder(urlsplit(url).hostname), f"{name}.json")

    def get(self, url: str, near: dt.date | None, closest: Snapshot | None = None) -> CitedCopy:
        """The copy of ``url`` closest to ``near`` (the citation time). ``closest``: that
        snapshot when the archive stage has already looked it up (the CDX API's ~25 calls a
        minute are the scarcest budget of a run: a lookup is three of them)."""
        if near is None:
            return CitedCopy(url, None, note="no date to look for: the note, the article and the source give none")
        with self._lock:
            busy = self._busy.setdefault(url, threading.Lock())
        with busy:  # a second footnote citing the same URL waits for the first one's copy
            key = (url, near)
            if key not in self._seen:
                self._seen[key] = self._stored(url, near) or self._fetch(url, near, closest)
            return self._seen[key]

    def stored(self, url: str, near: dt.date | None) -> CitedCopy | None:
        """The copy an earlier run (or this one) kept in archive/, without any network call."""
        if near is None:
            return None
        key = (url, near)
        if key not in self._seen:
            copy = self._stored(url, near)
            if copy is None:
                return None
            with self._lock:
                self._seen.setdefault(key, copy)
        return self._seen[key]

    def _stored(self, url: str, near: dt.date) -> CitedCopy | None:
        try:
            d = json.loads(read_text(self._file_for(url)))
            copy = CitedCopy.loaded(d)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if copy.near != near:
            return None  # the citation's date was corrected: another copy is wanted
        if copy.text is not None and copy.text.text and d.get("extractor") != EXTRACTOR:
            return None  # read by another extractor: read again (one paced replay, once)
        if copy.text is None:
            looked = dt.datetime.fromisoformat(d.get("looked_up_at") or "1970-01-01T00:00:00+00:00")
            if dt.datetime.now(dt.UTC) - looked > RETRY_MISSING:
                return None
        return copy

    def _fetch(self, url: str, near: dt.date, snapshot: Snapshot | None) -> CitedCopy:
        copy = CitedCopy(url, near)
        if snapshot is None:
            try:
                snapshot = self.wayback.lookup(url, near).closest
            except WaybackError as e:
                copy.note = f"Wayback lookup failed: {e}"
                return copy  # not stored: a failed lookup is asked again next run
        if snapshot is None:
            copy.note = f"the Wayback Machine has no good copy near {near.isoformat()}"
        else:
            copy.archive_url, copy.timestamp = snapshot.archive_url, snapshot.timestamp
            self.replay_pacer.wait()
            fetched = self.fetcher.fetch(raw_replay_url(self.wayback.endpoint, snapshot.timestamp, snapshot.url or url))
            if fetched.http_status == 429:
                self.replay_pacer.pause(self.wayback.s.backoff_429)
            copy.text = copy_text(fetched, snapshot.archive_url)
            if copy.text is None:
                copy.note = f"the copy could not be read ({fetched.error_reason or fetched.http_status})"
                return copy  # not stored: the replay may work next run
            if copy.text.reason is Unreadable.TOO_SLOW:
                return copy  # not stored: a less busy run may read it
        write_atomic(self.path_for(url), json.dumps(copy.to_store(), ensure_ascii=False, indent=1) + "\n")
        return copy
