"""Local copies: each reached page's response as WARC request/response records.

The response written is the one the check already fetched — no second
request. Bodies were decoded while reading (to cap decoded bytes), so the
stored headers drop Content-Encoding/Transfer-Encoding and carry the stored
length; a body cut at the cap gets ``WARC-Truncated: length`` so replay tools
know the copy is partial. Each record is its own gzip member, so a file cut
short by an interrupted run is still readable up to its last whole record.

A weekly job commits archive/, so a page that has not changed since its latest copy
is not stored again: the run writes a ``revisit`` record (WARC 1.1, identical payload
digest) that points at that copy, as Heritrix and wget's ``--warc-dedup`` do. Replay
tools such as pywb resolve it to the earlier record. The index of the copies
(warc-index.json) is read and written a URL at a time: see warc_index.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import itertools
import json
import operator
import os
import tempfile
import threading
import zlib
from collections.abc import Iterator
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
from .warc_index import KEEP_PER_URL, Damaged, Lookup, add, build_lookup, merge, read_blocks, read_index

__all__ = ["KEEP_PER_URL", "WarcArchive", "load_index", "read_entries"]

# Extension fields (WARC 1.1 allows them) so the index can be rebuilt from the files alone:
# the address the footnote cited (the record's target is where redirects ended) and the check
CITED_HEADER = "Citewatch-Cited-URI"
STATUS_HEADER = "Citewatch-Check-Status"
_HOP_BY_HOP = {"content-encoding", "transfer-encoding", "content-length", "connection", "keep-alive"}


class WarcArchive:
    """One WARC file per run under ``archive/warc/``, plus ``archive/warc-index.json``.

    The index is never held whole (warc_index.py): a run that writes copies builds a compact
    lookup of each URL's latest copy for its revisit records, spools its own entries (and
    those of WARC files the index never heard of) to an unnamed temporary file beside the
    index, and merges them in at the end, streamed from the old file to the new one."""

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
        self.problems: list[str] = []  # one line each: a damaged index, said once
        self._lock = threading.Lock()
        self._file = None
        self._writer: WARCWriter | None = None
        self._lookup: Lookup | None = None  # each URL's latest copy in earlier runs
        self._read_back: set[Path] = set()  # WARC files whose records were read back in
        self._stale = False  # a WARC file newer than the index: the index is written again
        self._rebuild = False  # the index is damaged: every WARC file is read back
        self._spool = None  # this run's index entries (and read-back ones), a JSON line each
        self._spooled: list[tuple[str, int]] = []  # (cited URL, where its entry is in the spool)
        self._warc_there: dict[str, bool] = {}

    @property
    def _shown(self) -> str:
        return str(self.index_path)

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self._file = open(self.path, "ab")
            self._writer = WARCWriter(self._file, gzip=True)
            info = self._writer.create_warcinfo_record(
                self.path.name, {"software": f"citewatch/{__version__}", "format": "WARC File Format 1.1"}
            )
            self._writer.write_record(info)
        return self._writer

    def _earlier(self) -> Lookup:
        """Each URL's latest copy in earlier runs: the index, then WARC files it never heard of."""
        if self._lookup is None:
            self._lookup = Lookup()
            found: list[str] = []
            build_lookup(read_blocks(self.index_path, self._shown), self._lookup, found, self._shown)
            if found:
                self._damaged(found)
            self._read_stale()
        return self._lookup

    def _read_stale(self) -> None:
        stale = _stale(self.layout, exclude=self.path)
        self._stale = self._stale or bool(stale)
        self._read_warcs(stale)

    def _damaged(self, problems: list[str]) -> None:
        """Say the damage once, and read every WARC file back: the copies the damaged part
        listed are in them (records already in the index are not added twice)."""
        if not self.problems:
            more = len(problems) - 1
            also = f" ({more} more damaged part{'s' if more > 1 else ''} in the file)" if more > 0 else ""
            self.problems.append(problems[0] + also)
        self._rebuild = True
        self._read_warcs([p for p in self.layout.warc_files() if p != self.path])

    def _read_warcs(self, paths: list[Path]) -> None:
        for path in paths:
            if path in self._read_back:
                continue
            self._read_back.add(path)
            for cited, entry in read_entries(path, self.root):
                self._add(cited, entry)

    def _add(self, cited: str, entry: dict, earlier: bool = True) -> None:
        """An entry for the index, spooled until the merge; an ``earlier`` run's is also
        remembered for revisits (this run's are not, as before)."""
        if self._spool is None:
            self._spool = tempfile.TemporaryFile(dir=self.root)  # unnamed: gone with the process
        self._spool.seek(0, os.SEEK_END)
        self._spooled.append((cited, self._spool.tell()))
        self._spool.write(json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")
        if earlier and self._lookup is not None:
            self._lookup.remember(cited, entry)

    def _additions(self) -> Iterator[tuple[str, list[dict]]]:
        """The spooled entries by URL, in the index's order (each URL's in the order added)."""
        spool = self._spool
        for cited, group in itertools.groupby(sorted(self._spooled), key=operator.itemgetter(0)):
            entries = []
            for _, where in group:
                spool.seek(where)
                entries.append(json.loads(spool.readline()))
            yield cited, entries

    def _same_copy(self, cited: str, digest: str, status: int) -> dict | None:
        """The latest earlier copy of ``cited`` if it has this very payload and its WARC is still there."""
        entry = self._earlier().latest(cited)
        if entry is None or entry["digest"] != digest or entry["http_status"] != status:
            return None
        there = self._warc_there.get(entry["warc"])
        if there is None:
            there = self._warc_there[entry["warc"]] = (self.root / entry["warc"]).is_file()
        return entry if there else None

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
            self._add(fetch.url, entry, earlier=False)
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
        """Close the WARC and merge this run's entries into the index: streamed into a
        temporary file renamed over the old index, so a run stopped here leaves it whole."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file, self._writer = None, None
            try:
                if self._lookup is None:  # nothing written: WARC files of killed runs may still need indexing
                    self._read_stale()
                if not self._spooled and not self._stale and not self._rebuild:
                    if self.index_path.exists():
                        write_covered(self.layout)  # (once, for an archive from before the file)
                    return
                found: list[str] = []
                parsed = self._lookup is not None and not self._rebuild  # every block parsed for the lookup
                try:
                    merge(self.index_path, self._additions(), self._rebuild, self._shown, found, parsed)
                except Damaged as e:  # found only now (a list that does not parse): rebuilt, said once
                    self._damaged([e.problem])
                    merge(self.index_path, self._additions(), True, self._shown, found)
                if found and not self.problems:
                    self.problems.append(found[0])
                write_covered(self.layout)
            finally:
                if self._spool is not None:
                    self._spool.close()
                self._spool, self._spooled, self._lookup = None, [], None


def _stale(layout: ArchiveLayout, exclude: Path | None) -> list[Path]:
    """The WARC files the index does not cover (all of them when there is no index): a
    run killed before its end wrote records the index never heard of."""
    covered = covered_files(layout)
    stale = []
    for path in layout.warc_files():
        try:
            if path != exclude and covered.get(path.name) != path.stat().st_size:
                stale.append(path)
        except OSError:
            continue
    return stale


def covered_files(layout: ArchiveLayout) -> dict[str, int]:
    """The WARC files the index covers, and their sizes then (warc-indexed.json).

    Told by modification times before: a WARC file newer than the index was not in it.
    But a fresh clone (every scheduled CI run) writes warc-index.json before warc/ (git
    checks files out in path order), so every WARC file looked newer: each run read every
    one back, minutes at 200,000 URLs a week. Without the file (an archive from before it,
    or a merge that left a damaged index part out), the times still decide, once."""
    try:
        indexed_at = layout.warc_index.stat().st_mtime
    except OSError:
        return {}  # no index: it covers nothing, whatever the list says
    try:
        data = json.loads(layout.warc_indexed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if type(data) is dict and all(type(k) is str and type(v) is int for k, v in data.items()):
        return data
    return _sizes(layout, older_than=indexed_at)


def _sizes(layout: ArchiveLayout, older_than: float = float("inf")) -> dict[str, int]:
    """Each WARC file's size, by name (those modified at ``older_than`` or before)."""
    sizes = {}
    for path in layout.warc_files():
        try:
            st = path.stat()
        except OSError:
            continue
        if st.st_mtime <= older_than:
            sizes[path.name] = st.st_size
    return sizes


def write_covered(layout: ArchiveLayout, covered: dict[str, int] | None = None) -> None:
    """Say which WARC files the index now covers (all there are, unless told): written
    after the index, so a run stopped between the two reads a file or two back, no more."""
    if covered is None:
        covered = _sizes(layout)
    text = json.dumps(dict(sorted(covered.items())), indent=1) + "\n"
    try:
        if layout.warc_indexed.read_text(encoding="utf-8") == text:
            return
    except (OSError, ValueError):
        pass
    write_atomic(layout.warc_indexed, text)


def load_index(root: str | Path, exclude: Path | None = None) -> dict[str, list[dict]]:
    """archive/warc-index.json as a dict, with the records of WARC files newer than it read
    back in (``exclude``: a file whose entries the caller adds itself). Whole, for tests and
    tools on small archives: a run reads it a URL at a time (warc_index.py)."""
    layout = ArchiveLayout.at(root)
    index = read_index(layout.warc_index)
    for path in _stale(layout, exclude):
        for cited, entry in read_entries(path, layout.root):
            index[cited] = add(index.get(cited, []), entry)
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
