"""Local copies: each reached page's response as WARC request/response records.

The response written is the one the check already fetched — no second
request. Bodies were decoded while reading (to cap decoded bytes), so the
stored headers drop Content-Encoding/Transfer-Encoding and carry the stored
length; a body cut at the cap gets ``WARC-Truncated: length`` so replay tools
know the copy is partial. Each record is its own gzip member, so a file cut
short by an interrupted run is still readable up to its last whole record.

A weekly job commits archive/, so a page that has not changed since an earlier copy
is not stored again: the run writes a ``revisit`` record (WARC 1.1, identical payload
digest) that points at that copy, as Heritrix and wget's ``--warc-dedup`` do. Replay
tools such as pywb resolve it to the earlier record.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import threading
import zlib
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .. import __version__
from ..files import write_atomic
from ..liveness import status_phrase
from ..model import Fetch, LinkCheck, Snapshot, SnapshotKind
from .layout import ArchiveLayout

# Extension fields (WARC 1.1 allows them) so the index can be rebuilt from the files alone:
# the address the footnote cited (the record's target is where redirects ended) and the check
CITED_HEADER = "Citewatch-Cited-URI"
STATUS_HEADER = "Citewatch-Check-Status"
_HOP_BY_HOP = {"content-encoding", "transfer-encoding", "content-length", "connection", "keep-alive"}


class WarcArchive:
    """One WARC file per run under ``archive/warc/``, plus ``archive/warc-index.json``."""

    def __init__(self, root: str | Path, run_id: str | None = None) -> None:
        self.layout = ArchiveLayout.at(root)
        self.root = self.layout.root
        self.dir = self.layout.warc_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        run_id = run_id or dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S") + f"-{os.getpid()}"
        self.path = self.layout.warc_file(run_id)
        n = 1
        while self.path.exists():  # one file per run, even for two runs in one second
            n += 1
            self.path = self.layout.warc_file(f"{run_id}-{n}")
        self.index_path = self.layout.warc_index
        self._lock = threading.Lock()
        self._file = None
        self._writer: WARCWriter | None = None
        self.added: dict[str, dict] = {}
        self._earlier: dict[str, list[dict]] | None = None  # the index as earlier runs left it

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self._file = open(self.path, "ab")
            self._writer = WARCWriter(self._file, gzip=True)
            info = self._writer.create_warcinfo_record(
                self.path.name, {"software": f"citewatch/{__version__}", "format": "WARC File Format 1.1"}
            )
            self._writer.write_record(info)
        return self._writer

    def _same_copy(self, cited: str, digest: str, status: int) -> dict | None:
        """The latest earlier copy of ``cited`` with this very payload, if its WARC is still there."""
        if self._earlier is None:
            self._earlier = load_index(self.root, exclude=self.path)
        for entry in reversed(self._earlier.get(cited, [])):
            if entry.get("digest") == digest and entry.get("http_status") == status and not entry.get("truncated"):
                if entry.get("warc_date") and (self.root / entry["warc"]).is_file():
                    return entry
        return None

    def write(self, fetch: Fetch, check: LinkCheck | None = None) -> Snapshot | None:
        """Record the final response of ``fetch``; None if there was no response."""
        if fetch.http_status is None:
            return None
        url = fetch.final_url or fetch.url
        when = fetch.started_at or dt.datetime.now(dt.UTC)
        warc_date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_headers = [("Host", parts.netloc)] + [(k, v) for k, v in fetch.request_headers.items()]
        resp_headers = [(k.title(), v) for k, v in fetch.headers.items() if k.lower() not in _HOP_BY_HOP]
        resp_headers.append(("Content-Length", str(len(fetch.body))))
        status_line = f"{fetch.http_status} {fetch.reason_phrase or status_phrase(fetch.http_status)}".strip()
        http_headers = StatusAndHeaders(status_line, resp_headers, protocol=fetch.http_version)
        digest = "sha1:" + base64.b32encode(hashlib.sha1(fetch.body).digest()).decode("ascii")
        with self._lock:
            same = None if fetch.truncated else self._same_copy(fetch.url, digest, fetch.http_status)
            writer = self._open()
            extra = {"WARC-Date": warc_date, CITED_HEADER: fetch.url}
            if check is not None:
                extra[STATUS_HEADER] = check.status.value
            if same is not None:
                resp = writer.create_revisit_record(
                    url, digest, same["url"], same["warc_date"], http_headers=http_headers, warc_headers_dict=extra
                )
            else:
                if fetch.truncated:
                    extra["WARC-Truncated"] = "length"
                resp = writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(fetch.body),
                    length=len(fetch.body),
                    http_headers=http_headers,
                    warc_headers_dict=extra,
                )
            req = writer.create_warc_record(
                url,
                "request",
                payload=io.BytesIO(b""),
                length=0,
                http_headers=StatusAndHeaders(f"GET {path} HTTP/1.1", req_headers, is_http_request=True),
                warc_headers_dict={"WARC-Date": warc_date},
            )
            offset = self._file.tell()
            writer.write_request_response_pair(req, resp)
            self._file.flush()
            entry = {
                "url": url,
                "cited_url": fetch.url,
                "warc": str(self.path.relative_to(self.root)),
                "offset": offset,
                "timestamp": when.strftime("%Y%m%d%H%M%S"),
                "warc_date": warc_date,
                "digest": digest,
                "http_status": fetch.http_status,
                "truncated": fetch.truncated,
                "bytes": len(fetch.body),
                "status": check.status.value if check else None,
            }
            if same is not None:  # the bytes are in the earlier record: that is the copy to open
                entry["revisit_of"] = {"warc": same["warc"], "offset": same["offset"], "timestamp": same["timestamp"]}
            self.added[fetch.url] = entry
        if same is not None:
            since = dt.datetime.strptime(same["timestamp"], "%Y%m%d%H%M%S").strftime("%Y-%m-%d")
            where = f"{same['warc']}#offset={same['offset']}"
            note = f"local WARC copy, unchanged since {since} (this run wrote a revisit record)"
        else:
            where = f"{entry['warc']}#offset={offset}"
            note = "truncated copy (body capped)" if fetch.truncated else "local WARC copy"
        return Snapshot(
            url=fetch.url,
            archive_url=where,
            timestamp=when,
            kind=SnapshotKind.LOCAL,
            http_status=fetch.http_status,
            note=note,
        )

    def close(self) -> None:
        """Close the WARC and merge this run's entries into the index (atomically)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file, self._writer = None, None
            if not self.added and not _stale(self.layout, exclude=self.path):
                return
            # the index read for this run's revisit records, if it was: not a second copy of it
            index = self._earlier if self._earlier is not None else load_index(self.root, exclude=self.path)
            self._earlier = None
            for cited, entry in self.added.items():
                _add(index, cited, entry)
            # encoded as it is written: at 200,000 URLs the index as one string (and the
            # encoder's pieces of it) was the run's largest moment, 3.5 KB per URL at once
            encoder = json.JSONEncoder(indent=1, sort_keys=True, ensure_ascii=False)
            write_atomic(self.index_path, itertools.chain(encoder.iterencode(index), ["\n"]))
            self.added = {}


KEEP_PER_URL = 10  # copies of one URL the index remembers (the WARC files keep them all)


def _add(index: dict[str, list[dict]], cited: str, entry: dict) -> None:
    entries = index.setdefault(cited, [])
    if not any(e.get("warc") == entry["warc"] and e.get("offset") == entry["offset"] for e in entries):
        entries.append(entry)
        entries.sort(key=lambda e: e.get("timestamp") or "")
    index[cited] = entries[-KEEP_PER_URL:]


def _stale(layout: ArchiveLayout, exclude: Path | None) -> list[Path]:
    """The WARC files written after the index (all of them when there is no index): a run
    killed before its end wrote records the index never heard of."""
    try:
        indexed_at = layout.warc_index.stat().st_mtime
    except OSError:
        indexed_at = float("-inf")
    newer = []
    for path in layout.warc_files():
        try:
            if path != exclude and path.stat().st_mtime > indexed_at:
                newer.append(path)
        except OSError:
            continue
    return newer


def load_index(root: str | Path, exclude: Path | None = None) -> dict[str, list[dict]]:
    """archive/warc-index.json, with the records of WARC files newer than it read back in
    (``exclude``: the file this run is writing, whose entries it adds itself)."""
    layout = ArchiveLayout.at(root)
    try:
        data = json.loads(layout.warc_index.read_text(encoding="utf-8"))
        index = data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        index = {}
    for path in _stale(layout, exclude):
        for cited, entry in read_entries(path, layout.root):
            _add(index, cited, entry)
    return index


def read_entries(path: Path, root: Path) -> list[tuple[str, dict]]:
    """Index entries for the response and revisit records of one WARC file, read back from
    it; a file cut short by a killed run gives the records before the cut."""
    out: list[tuple[str, dict]] = []
    try:
        with open(path, "rb") as f:
            records = ArchiveIterator(f)
            for record in records:
                if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                    continue
                body = record.content_stream().read() if record.rec_type == "response" else b""
                out.append(_entry_of(record, records.get_record_offset(), path, root, len(body)))
    except (OSError, ArchiveLoadFailed, EOFError, zlib.error):
        pass  # the whole records before the damage are kept
    return out


def _entry_of(record, offset: int, path: Path, root: Path, size: int) -> tuple[str, dict]:
    h = record.rec_headers
    url = h.get_header("WARC-Target-URI")
    warc_date = h.get_header("WARC-Date") or ""
    when = dt.datetime.strptime(warc_date[:19], "%Y-%m-%dT%H:%M:%S") if warc_date else None
    code = record.http_headers.get_statuscode()
    entry = {
        "url": url,
        "cited_url": h.get_header(CITED_HEADER) or url,
        "warc": str(path.relative_to(root)),
        "offset": offset,
        "timestamp": when.strftime("%Y%m%d%H%M%S") if when else "",
        "warc_date": warc_date,
        "digest": h.get_header("WARC-Payload-Digest"),
        "http_status": int(code) if code and code.isdigit() else None,
        "truncated": bool(h.get_header("WARC-Truncated")),
        "bytes": size if record.rec_type == "response" else int(record.http_headers.get_header("Content-Length") or 0),
        "status": h.get_header(STATUS_HEADER),
    }
    return entry["cited_url"], entry
