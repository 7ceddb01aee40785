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
import json
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .. import __version__
from ..files import write_atomic
from ..liveness import status_phrase
from ..model import Fetch, LinkCheck, Snapshot

_HOP_BY_HOP = {"content-encoding", "transfer-encoding", "content-length", "connection", "keep-alive"}


class WarcArchive:
    """One WARC file per run under ``archive/warc/``, plus ``archive/warc-index.json``."""

    def __init__(self, root: str | Path, run_id: str | None = None) -> None:
        self.root = Path(root)
        self.dir = self.root / "warc"
        self.dir.mkdir(parents=True, exist_ok=True)
        run_id = run_id or dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S") + f"-{os.getpid()}"
        self.path = self.dir / f"citewatch-{run_id}.warc.gz"
        self.index_path = self.root / "warc-index.json"
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
            self._earlier = load_index(self.root)
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
            extra = {"WARC-Date": warc_date}
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
            url=fetch.url, archive_url=where, timestamp=when, kind="local", http_status=fetch.http_status, note=note
        )

    def close(self) -> None:
        """Close the WARC and merge this run's entries into the index (atomically)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file, self._writer = None, None
            if not self.added:
                return
            index = load_index(self.root)
            for cited, entry in self.added.items():
                index.setdefault(cited, []).append(entry)
                index[cited] = index[cited][-10:]
            write_atomic(self.index_path, json.dumps(index, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
            self.added = {}


def load_index(root: str | Path) -> dict[str, list[dict]]:
    try:
        data = json.loads((Path(root) / "warc-index.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
