"""Does the source still say it? The quotes stage of a run, between the check and the report.

Each citation's quotations (in its citing text) are looked for in its source's main text
today and in the source's archived copy from the citation time, and that copy is compared
with today's text (drift). The work happens where its inputs are in hand:

- during the check, while each live page's body is in memory (``SourceTexts.on_fetch``):
  the page's text is read under pagetext's deadline. When the copy from the citation time
  is already kept in archive/ (every run after the first), or none is wanted, the verdicts
  are decided right there and only they are kept, not the text;
- after the archive stage (``SourceTexts.finish``): the copies not kept yet are fetched —
  at most once per URL, the snapshot the archive stage found reused, the replays paced with
  the other Wayback calls, never for a URL that must stay on this machine — and the
  remaining verdicts decided.

A page the check skipped as fresh was not read: its citations keep the last run's
verdicts (``keep_last_verdicts``).

Who reads a page: a small page (under pagereader's LARGE_PAGE, read in this process) is
handed to one reader thread of the stage (``_Reader``), which reads the pages one after
the other while the check's workers go on fetching; a large page or a PDF is read by the
worker that fetched it, which waits for the check's child process anyway. Reading the
small pages in the 48 workers themselves, each handing its article to a helper thread for
the deadline, cost ~2.3 s of CPU on the 2,000-URL bench where the same work takes ~1 s in
one thread: dozens of threads taking turns at the GIL with the network threads (twice the
context switches and 60,000 more futex calls a run) — see bench/README.md, quotes_bench.
A page waiting for the reader is held in a bounded queue (``READ_QUEUE`` pages, their
bodies ``READ_BYTES`` at most); when it is full, a worker waits for room, so memory stays
bounded however far the reader falls behind. The reader gets a small share of the GIL while
the workers are busy and catches up once the check is done (``finish`` waits for it).
"""

from __future__ import annotations

import copy as copying
import datetime as dt
import json
import queue
import threading
from collections.abc import Callable, Iterable, MutableSequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag

from .. import citations as cit
from ..archive.wayback import WaybackClient, WaybackSettings
from ..fetch import Fetcher
from ..footnotes.fields import find_access_date
from ..model import Citation, Fetch, LinkCheck, PartialDate, Result, Snapshot, SnapshotKind, Status
from ..pagereader import needs_child
from .check import check_quote
from .copies import CitedCopies, CitedCopy, citation_time
from .drift import compare
from .find import quotes_in
from .pagetext import DEADLINE, PageText, live_text, read_text
from .verdicts import Drift, DriftVerdict, QuoteCheck, Unreadable

# small pages (< 64 KB each) waiting for the stage's reader thread, at most: as many, and
# as many bytes of body. A reader that falls behind during the check (it shares the GIL
# with 48 busy workers) catches up after it, alone; a queue of 256 made the bench's workers
# wait for room at 700-1,400 of 2,000 pages, i.e. the reader paced the check
READ_QUEUE = 4096
READ_BYTES = 16_000_000
READER_IDLE = 2.0  # seconds a reader thread with nothing to read waits before it ends


@dataclass
class QuoteSettings:
    drift: bool = True  # False (--no-drift): no copy from the citation time is fetched or compared
    deadline: float = DEADLINE  # seconds to read one page's text, and to compare two texts


@dataclass
class Asked:
    """What one citation asks of its source: its quotations, and the day it was cited."""

    index: int  # the citation's place among the run's citations (and results)
    quotes: list[str]
    near: dt.date | None  # the citation time; None: no date to look a copy up by
    note: str | None = None  # why there is no citation time


@dataclass
class Verdicts:
    quotes: list[QuoteCheck]
    drift: Drift | None


def _key(url: str) -> str:
    return urldefrag(url)[0]


def _date(value: Any) -> PartialDate | None:
    try:
        return cit.to_partial_date(value)
    except ValueError:
        return None


def ask(citations: Iterable[tuple[Citation, cit.CitationsFile | None]]) -> list[Asked]:
    """What each citation asks, in order: the quotations of the sentences citing it (its
    ``citing_text`` and its other places', from the article via citations.yaml), and the
    citation time — when the note says it was read, else the article's ``date``, else the
    source's date."""
    entries: dict[int, dict[str, Any]] = {}
    asked = []
    for i, (c, cf) in enumerate(citations):
        entry: dict[str, Any] = {}
        article_date = None
        if cf is not None:
            if id(cf) not in entries:
                entries[id(cf)] = {str(e.get("id")): e for e in cf.entries if isinstance(e, dict)}
            entry = entries[id(cf)].get(c.id) or {}
            article_date = _date((cf.doc.get("article") or {}).get("date"))
        near = citation_time(_accessed(entry), article_date, c.date)
        note = None if near else "no date to look for a copy by: the note, the article and the source give none"
        quotes = list(dict.fromkeys(q for t in _citing_texts(c) for q in quotes_in(t)))
        asked.append(Asked(i, quotes, near, note))
    return asked


def _accessed(entry: dict[str, Any]) -> PartialDate | None:
    """When the note's author read the source: its entry's ``access_date``, else the date the
    note's own words give ("accessed 3 May 2024", "retrieved …")."""
    if entry.get("access_date"):
        return _date(entry["access_date"])
    note = entry.get("note")
    return find_access_date(note) if isinstance(note, str) else None


def _citing_texts(c: Citation) -> list[str]:
    """Every sentence of the article citing the source: the first place's, then those of the
    other places a source linked more than once is linked from."""
    return list(dict.fromkeys(t for t in [c.citing_text, *(p.citing_text for p in c.places)] if t))


class SourceTexts:
    """Quote and drift verdicts for a run's citations, decided as their pages are read."""

    def __init__(
        self,
        asked: list[Asked],
        urls: list[str | None],
        settings: QuoteSettings,
        copies: CitedCopies,
        may_fetch: Callable[[str], bool],
    ) -> None:
        self.settings = settings
        self.copies = copies
        self.may_fetch = may_fetch  # may a copy of this URL be asked of the archive?
        self._all = asked
        self._asked: dict[str, list[Asked]] = {}
        for a, url in zip(asked, urls, strict=True):
            if url:
                self._asked.setdefault(_key(url), []).append(a)
        # the URLs whose page says anything: without quotes or drift, a citation's verdicts
        # are the same whatever its page holds (decided in ``finish``, the page not looked at)
        self._reads = {url for url, asked in self._asked.items() if settings.drift or any(a.quotes for a in asked)}
        self._done: dict[int, Verdicts] = {}
        self._waiting: dict[str, PageText] = {}  # today's text of a URL whose copy is fetched after the archive stage
        self._lock = threading.Lock()
        self._reader = _Reader(self._read)

    def _wants_copy(self, url: str, asked: list[Asked]) -> bool:
        return self.settings.drift and any(a.near and self.copies.stored(url, a.near) is None for a in asked)

    def on_fetch(self, fetch: Fetch, check: LinkCheck) -> None:
        """The check's hook for each fetched page, in its worker, while the body is in memory:
        a small page is handed to the stage's reader thread (the worker goes on at once), a
        large page or a PDF read here."""
        url = _key(fetch.url)
        if url not in self._reads:
            return
        if needs_child(fetch):
            self._read(url, fetch, check)
        else:  # the check goes on with its LinkCheck (annotate fills in its history): a copy is read
            self._reader.hand_over(url, fetch, copying.copy(check))

    def _read(self, url: str, fetch: Fetch, check: LinkCheck) -> None:
        """Read one page fetched by the check and decide what it can decide."""
        asked = self._asked[url]
        if self._wants_copy(url, asked) and self.may_fetch(url):
            # the comparison waits for the copy: read the article now, as drift needs it
            live = live_text(fetch, check, deadline=self.settings.deadline)
            with self._lock:
                self._waiting[url] = live
            return
        self._decide(url, asked, fetch, check)

    def _decide(self, url: str, asked: list[Asked], fetch: Fetch | None, check: LinkCheck | None) -> None:
        then = {a.near: self.copies.stored(url, a.near) if self.settings.drift else None for a in asked}
        quotes = sorted({q for a in asked for q in a.quotes})
        if not quotes and not any(c is not None and c.text is not None and c.text.readable for c in then.values()):
            live = PageText(reason=Unreadable.NOT_FETCHED)  # nothing to look for: not read at all
        else:
            live = live_text(fetch or Fetch(url=url), check, deadline=self.settings.deadline, quotes=quotes)
        article = None
        if fetch is not None and live.whole_page:  # today's article, read only if the whole page seems changed

            def article() -> PageText:
                return read_text(fetch, live.language, self.settings.deadline)

        verdicts = {a.index: self._verdicts(a, live, then[a.near], article) for a in asked}
        _searched(then.values())
        with self._lock:
            self._done.update(verdicts)

    def _verdicts(
        self, a: Asked, live: PageText, copy: CitedCopy | None, article: Callable[[], PageText] | None
    ) -> Verdicts:
        then = copy.text if copy is not None else None
        checks = [check_quote(q, live, then) for q in a.quotes]
        if not self.settings.drift:
            return Verdicts(checks, None)
        if then is None:
            why = a.note or (copy.note if copy is not None else None) or "no archived copy from the citation time"
            return Verdicts(checks, Drift(DriftVerdict.UNKNOWN, note=why))
        return Verdicts(checks, compare(then, live, self.settings.deadline, article))

    def finish(
        self,
        results: list[Result],
        snapshots: dict[str, list[dict[str, Any]]],
        workers: int = 4,
        archive_down: bool = False,
    ) -> None:
        """Fetch the copies not kept yet, decide what is left, and put every verdict on its result.

        ``snapshots``: archive/snapshots.json as the archive stage left it, whose copy
        closest to a citation time is read without a second lookup. ``archive_down``: the
        archive stage found the Wayback Machine unreachable, so no copy is asked for.
        A page whose reading failed (a fault of ours) is decided as one not read this run:
        never ``not-found``."""
        self._reader.wait()  # every page the check handed over is read
        pending = [url for url, asked in self._asked.items() if not any(a.index in self._done for a in asked)]
        if self.settings.drift and not archive_down:
            jobs = [
                (url, near)
                for url in pending
                if (url in self._waiting or not _fresh(results[self._asked[url][0].index].check))
                and self.may_fetch(url)
                for near in dict.fromkeys(a.near for a in self._asked[url] if a.near)
            ]
            self._fetch_copies(jobs, snapshots, workers)
        for url in pending:
            asked = self._asked[url]
            live = self._waiting.pop(url, None)
            if live is None:  # not read this run (unreachable, refused, fresh): the copy from then is all there is
                self._decide(url, asked, None, results[asked[0].index].check)
            else:
                then = {a.near: self.copies.stored(url, a.near) for a in asked}
                self._done.update({a.index: self._verdicts(a, live, then[a.near], None) for a in asked})
                _searched(then.values())
        for a in self._all:
            done = self._done.get(a.index)
            if done is not None:
                results[a.index].quotes, results[a.index].drift = done.quotes, done.drift

    def _fetch_copies(self, jobs: list[tuple[str, dt.date]], snapshots: dict[str, Any], workers: int) -> None:
        pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="citewatch-copies")
        try:
            list(pool.map(lambda job: self.copies.get(*job, _closest(snapshots, *job)), jobs))
        except BaseException:  # Ctrl-C: start no new replay, cut those under way (a cut one is not kept)
            from ..transport import abandon  # (urllib3: not imported by a run that fetches nothing)

            abandon(pool)
            raise
        finally:
            pool.shutdown(wait=True)


class _Reader:
    """The stage's reader thread: reads the small pages the check's workers hand over, one
    after the other, while the workers go on fetching (see the module's docstring).

    Started by the first page handed over, it ends after ``READER_IDLE`` seconds with
    nothing to read (a run stopped before its finish leaves no thread behind) and is started
    again by the next page. Each page is still read under pagetext's deadline."""

    def __init__(self, read: Callable[[str, Fetch, LinkCheck], None]) -> None:
        self._read = read
        self._queue: queue.SimpleQueue[tuple[str, Fetch, LinkCheck]] = queue.SimpleQueue()
        self._lock = threading.Condition()  # over the counts below: a page read makes room
        self._handed = 0  # pages handed over and not read yet
        self._bytes = 0  # their bodies' bytes
        self._running = False

    def hand_over(self, url: str, fetch: Fetch, check: LinkCheck) -> None:
        """Queue a page for reading; waits for room when the queue is full."""
        size = len(fetch.body)
        with self._lock:
            while self._handed and (self._handed >= READ_QUEUE or self._bytes + size > READ_BYTES):
                self._lock.wait()
            self._handed += 1
            self._bytes += size
            if not self._running:
                self._running = True
                threading.Thread(target=self._serve, name="citewatch-quotes", daemon=True).start()
        self._queue.put((url, fetch, check))

    def _serve(self) -> None:
        while True:
            try:
                url, fetch, check = self._queue.get(timeout=READER_IDLE)
            except queue.Empty:
                with self._lock:  # nothing on its way (a page counted is put right after): end
                    if self._handed == 0:
                        self._running = False
                        return
                continue
            size = len(fetch.body)
            try:
                self._read(url, fetch, check)
            except Exception:  # a fault of ours on one page: its citations are decided unread
                pass
            finally:
                del fetch  # the body is let go before the next page is waited for
                with self._lock:
                    self._handed -= 1
                    self._bytes -= size
                    self._lock.notify_all()

    def wait(self) -> None:
        """Until every page handed over so far is read."""
        with self._lock:
            while self._handed:
                self._lock.wait()


def _searched(copies: Iterable[CitedCopy | None]) -> None:
    """A source's citations are decided: its copies from then, kept for the run, let go of
    what their searches made."""
    for copy in copies:
        if copy is not None and copy.text is not None:
            copy.text.searched()


def _fresh(check: LinkCheck | None) -> bool:
    """Skipped as checked recently: the page was not read, the last run's verdicts stand."""
    return check is not None and check.status is Status.SKIPPED and check.previous_status is not None


def _closest(snapshots: dict[str, list[dict[str, Any]]], url: str, near: dt.date) -> Snapshot | None:
    """The Wayback copy the archive stage found closest to ``near`` for ``url``, if it looked."""
    wanted = (f"closest before {near.isoformat()}", f"closest after {near.isoformat()}")
    for d in snapshots.get(url) or []:
        if d.get("note") in wanted and d.get("kind") == SnapshotKind.WAYBACK.value:
            return Snapshot(
                url=d["url"],
                archive_url=d["archive_url"],
                timestamp=dt.datetime.fromisoformat(d["timestamp"]),
                kind=SnapshotKind.WAYBACK,
                http_status=d.get("http_status"),
                note=d.get("note"),
            )
    return None


def read_snapshots(path: Any) -> dict[str, list[dict[str, Any]]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def keep_last_verdicts(results: MutableSequence[Result], previous: Iterable[Result]) -> None:
    """A page skipped as fresh was not read: its citations keep what the last run found,
    as long as the article still cites it with the same words."""
    before = {r.citation.id: r for r in previous}
    for i, r in enumerate(results):
        old = before.get(r.citation.id)
        if old is not None and _fresh(r.check) and old.citation.citing_text == r.citation.citing_text:
            r.quotes, r.drift = old.quotes, old.drift
            results[i] = r  # read from a spool, a result is a copy: put it back


def source_texts(
    citations: list[tuple[Citation, cit.CitationsFile | None]],
    settings: QuoteSettings,
    archive_dir: Any,
    fetcher: Fetcher,
    wayback: WaybackSettings | None,
) -> SourceTexts:
    """The stage for one run: what each citation asks, the copies kept in ``archive_dir``,
    and which URLs may be looked up at the Wayback Machine (none without it)."""
    client = WaybackClient(wayback or WaybackSettings())
    return SourceTexts(
        ask(citations),
        [c.url if c.bad_url is None else None for c, _ in citations],
        settings,
        CitedCopies(archive_dir, fetcher, client),
        fetcher.guard.may_share if wayback is not None else (lambda url: False),  # private URLs stay here
    )
