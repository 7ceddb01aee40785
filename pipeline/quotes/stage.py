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

Who reads a page: a small page's verdicts (under pagereader's LARGE_PAGE) are decided in the
check's page-reading child (``decide``, which says why), never under the GIL of the check's
network threads. Such a page is handed to the stage's reader thread (``_Reader``), which
sends the pages waiting to the child in one batch and waits for their verdicts while the
check's workers go on fetching. A large page or a PDF is decided by the worker that fetched
it, as before, its text read in the child (pagetext): with such pages the child is what
bounds the run (the check reads every large page there too), and deciding them there as
well measured no better (2,000 pages of 150 KB: 48.5 s against 42.4 s, where the same
code measured 45.0 and 42.1 s in the next invocation). A page waiting for the reader is held in a bounded queue (``READ_QUEUE``
pages, their bodies ``READ_BYTES`` at most); when it is full, a worker waits for room, so
memory stays bounded however far the child falls behind. ``finish`` reads the pages still
waiting itself (the child, at a lower priority, may be starved of CPU on a loaded machine)
and waits for the batch the child holds.

With no child to ask, the reader thread does the same work itself, one page after the other
(pagetext bounds each step with a helper thread then). A batch the child has not answered
``BATCH_DEADLINES`` deadlines after it started has a child stuck where its timer cannot
reach: the child is killed and the batch's pages are read again here, each under its own
deadline — so a child can make the stage faster, never different or lost.
"""

from __future__ import annotations

import copy as copying
import datetime as dt
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable, MutableSequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urldefrag

from .. import citations as cit
from ..archive.wayback import WaybackClient, WaybackSettings
from ..fetch import Fetcher
from ..footnotes.fields import find_access_date
from ..model import Citation, Fetch, LinkCheck, PartialDate, Result, Snapshot, SnapshotKind, Status
from ..pagereader import NO_CHILD, PageReaders, _TooLong, needs_child
from .copies import CitedCopies, CitedCopy, citation_time
from .decide import Asked, Job, Outcome, QuoteSettings, Then, Verdicts, decide, do, verdicts
from .find import quotes_in
from .pagetext import PageText

__all__ = ["Asked", "QuoteSettings", "SourceTexts", "Verdicts", "ask", "keep_last_verdicts", "source_texts"]

# small pages (< 64 KB each) waiting for the stage's reader thread, at most: as many, and
# as many bytes of body. A reader that falls behind during the check (it shares the GIL
# with 48 busy workers) catches up after it, alone; a queue of 256 made the bench's workers
# wait for room at 700-1,400 of 2,000 pages, i.e. the reader paced the check
READ_QUEUE = 4096
READ_BYTES = 16_000_000
READER_IDLE = 2.0  # seconds a reader thread with nothing to read waits before it ends
BATCH = 32  # pages sent to the child at once, at most: one handoff each way for all of them
# seconds a batch waits for more pages: pages come in faster than the child reads them,
# so batches sent as soon as a page waits held 1-3 pages, and each handoff cost the run's
# process about what it saved (a page's verdicts are needed only at the finish)
BATCH_WAIT = 0.1
BATCH_DEADLINES = 3  # a batch unanswered after this many deadlines has a child stuck


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
        readers: PageReaders | None = None,
    ) -> None:
        self.settings = settings
        self.readers = readers  # the child that decides pages (None: the reader thread does)
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
        self._reader = _Reader(self._read_pages)

    def _wants_copy(self, url: str, asked: list[Asked]) -> bool:
        return self.settings.drift and any(a.near and self.copies.stored(url, a.near) is None for a in asked)

    def on_fetch(self, fetch: Fetch, check: LinkCheck) -> None:
        """The check's hook for each fetched page, in its worker, while the body is in memory:
        a small page is handed to the stage's reader thread (the worker goes on at once), a
        large page or a PDF sent to the child from here."""
        url = _key(fetch.url)
        if url not in self._reads:
            return
        if needs_child(fetch):  # read in the child, decided here: see the module's docstring
            self._read_pages([(url, fetch, check)], here=True)
        else:  # the check goes on with its LinkCheck (annotate fills in its history): a copy is read
            self._reader.hand_over(url, fetch, copying.copy(check))

    def _read_pages(self, pages: list[tuple[str, Fetch, LinkCheck]], here: bool = False) -> None:
        """Decide what these pages can decide: in the child, else (or ``here``) in this thread."""
        jobs = [self._job(url, fetch, check) for url, fetch, check in pages]
        outcomes = None if here else self._in_child(jobs)
        if outcomes is None:
            outcomes = do(jobs, self.settings)
        with self._lock:
            for job, outcome in zip(jobs, outcomes, strict=True):
                if isinstance(outcome, PageText):
                    self._waiting[job.url] = outcome
                elif outcome is not None:
                    self._done.update(outcome)
        for job in jobs:
            _searched((job.then or {}).values())

    def _job(self, url: str, fetch: Fetch, check: LinkCheck) -> Job:
        asked = self._asked[url]
        if self._wants_copy(url, asked) and self.may_fetch(url):
            # the comparison waits for the copy, fetched after the archive stage: today's
            # article is read now (drift needs it), and its verdicts decided then
            return Job(url, asked, fetch, check, None)
        return Job(url, asked, fetch, check, self._then(url, asked))

    def _in_child(self, jobs: list[Job]) -> list[Outcome] | None:
        """The jobs' outcomes from the child; None when there is none, or it was stuck."""
        if self.readers is None:
            return None
        try:
            got = self.readers.call(do, (jobs, self.settings), self.settings.deadline * BATCH_DEADLINES)
        except _TooLong:  # killed: read here instead, each page under its own deadline
            return None
        except Exception:  # a fault of ours in the handoff (something that does not pickle): read here
            return None
        return None if got is NO_CHILD else got

    def _then(self, url: str, asked: list[Asked]) -> Then:
        return {a.near: self.copies.stored(url, a.near) if self.settings.drift else None for a in asked}

    def _decide(self, url: str, asked: list[Asked], fetch: Fetch | None, check: LinkCheck | None) -> None:
        then = self._then(url, asked)
        decided = decide(url, asked, fetch, check, then, self.settings)
        _searched(then.values())
        with self._lock:
            self._done.update(decided)

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
        # every page the check handed over is read; those still waiting, by this thread too
        self._reader.wait(lambda pages: self._read_pages(pages, here=True))
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
                then = self._then(url, asked)
                self._done.update({a.index: verdicts(a, live, then[a.near], self.settings) for a in asked})
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

    def __init__(self, read: Callable[[list[tuple[str, Fetch, LinkCheck]]], None]) -> None:
        self._read = read
        self._queue: queue.SimpleQueue[tuple[str, Fetch, LinkCheck]] = queue.SimpleQueue()
        self._lock = threading.Condition()  # over the counts below: a page read makes room
        self._handed = 0  # pages handed over and not read yet
        self._bytes = 0  # their bodies' bytes
        self._running = False
        self._hurry = False  # finish is waiting: send what is there, do not wait for more

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
            batch = [(url, fetch, check)]
            until = time.monotonic() + BATCH_WAIT
            while len(batch) < BATCH:  # the pages waiting, and those handed over in BATCH_WAIT, go with it
                left = 0.0 if self._hurry else until - time.monotonic()
                try:
                    batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._read(batch)
            except Exception:  # a fault of ours: the batch's citations are decided unread
                pass
            finally:
                self._let_go(batch)
                del fetch, batch  # the bodies are let go before the next page is waited for

    def _let_go(self, pages: list[tuple[str, Fetch, LinkCheck]]) -> None:
        """These pages are read: their room in the queue is free again."""
        with self._lock:
            self._handed -= len(pages)
            self._bytes -= sum(len(fetch.body) for _, fetch, _ in pages)
            self._lock.notify_all()

    def wait(self, here: Callable[[list[tuple[str, Fetch, LinkCheck]]], None] | None = None) -> None:
        """Until every page handed over so far is read (no batch waits to fill up from now on).

        ``here`` reads pages in the caller's thread: it takes those still waiting while the
        reader's batch is in the child. The check is over, so this thread has the GIL to
        itself, while the child runs at a lower priority: on a loaded machine it is starved
        of CPU (a batch of 32 small pages took 9.1 s there against 1.6 s in a thread, with
        four other busy processes), and the finish would wait for it alone."""
        with self._lock:
            self._hurry = True
        while here is not None:
            try:
                page = self._queue.get_nowait()
            except queue.Empty:
                break
            try:
                here([page])
            except Exception:  # a fault of ours: the page's citations are decided unread
                pass
            finally:
                self._let_go([page])
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
    from ..pagereader import shared_readers

    client = WaybackClient(wayback or WaybackSettings())
    return SourceTexts(
        ask(citations),
        [c.url if c.bad_url is None else None for c, _ in citations],
        settings,
        CitedCopies(archive_dir, fetcher, client),
        fetcher.guard.may_share if wayback is not None else (lambda url: False),  # private URLs stay here
        shared_readers(),
    )
