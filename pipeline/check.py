"""The check stage: distinct URLs → fetch → liveness → page metadata, with memory.

Each URL is handled start to finish inside one worker: its response is
classified, its metadata read and handed to the local archiver while the
body is in memory, then dropped. A run's memory therefore grows with the
number of URLs, not with the size of the pages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .archive.history import ConfirmPolicy, History, annotate, check_entry, fresh
from .fetch import Fetcher, FetchSettings, Stopped, to_uri
from .files import DISK_ERRNOS
from .model import Fetch, FetchError, LinkCheck, PageMeta, Snapshot, Status
from .pagereader import PageReaders, needs_child, read_page, shared_readers


@dataclass
class CheckSettings:
    fetch: FetchSettings = field(default_factory=FetchSettings)
    recheck_after: dt.timedelta = dt.timedelta(days=1)
    force: bool = False
    confirm: ConfirmPolicy = field(default_factory=ConfirmPolicy)
    probe: bool = True
    # child processes that read large pages; None: one per spare core (pagereader)
    page_processes: int | None = None


@dataclass
class UrlOutcome:
    check: LinkCheck
    page: PageMeta | None = None
    local: Snapshot | None = None  # the WARC copy, if the archiver made one


OnFetch = Callable[[Fetch, LinkCheck], Snapshot | None]
OnProgress = Callable[[str, UrlOutcome], None]


class _ProbeCache:
    """One made-up sibling per (host, folder): many URLs in one folder share it."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._lock = threading.Lock()
        self._events: dict[tuple[str, str], threading.Event] = {}
        self._results: dict[tuple[str, str], Fetch] = {}

    def get(self, url: str) -> Fetch:
        from . import liveness

        key = liveness.probe_key(url)
        with self._lock:
            event = self._events.get(key)
            owner = event is None
            if owner:
                event = self._events[key] = threading.Event()
        if owner:
            try:
                self._results[key] = self.fetcher.fetch(liveness.sibling_url(url))
            finally:
                event.set()
        else:
            event.wait()
        return self._results.get(key) or Fetch(url=url, error=FetchError.ERROR, error_reason="probe failed")


@dataclass
class _Job:
    """What one URL's check needs once its response is in."""

    fetcher: Fetcher
    settings: CheckSettings
    history: History | None
    probes: _ProbeCache | None
    on_fetch: OnFetch | None = None
    readers: PageReaders | None = None


def _from_cache(url: str, previous: list[dict[str, Any]], job: _Job, now: dt.datetime) -> UrlOutcome | None:
    if job.history is None or job.settings.force:
        return None
    recent = fresh(previous, job.settings.recheck_after, now)
    if recent is None:
        return None
    from . import metadata

    check = LinkCheck(
        url=url,
        status=Status.SKIPPED,
        reason=f"fresh in the cache: {recent['status']} at {recent['at']} (use --force to recheck)",
        http_status=recent.get("http_status"),
        final_url=recent.get("final_url"),
        checked_at=now,
        previous_status=Status(recent["status"]),
    )
    local = None
    if recent.get("warc"):  # the copy that check made is still the latest one
        local = Snapshot(
            url=url,
            archive_url=recent["warc"],
            timestamp=dt.datetime.fromisoformat(recent["at"]),
            kind="local",
            http_status=recent.get("http_status"),
            note="local WARC copy from an earlier run",
        )
    return UrlOutcome(check, metadata.page_from_dict(recent.get("page")), local)


def read_response(url: str, fetched: Fetch, previous: list[dict[str, Any]], job: _Job) -> UrlOutcome:
    """Everything after the GET: liveness (and the sibling probe if the cheap signals are
    ambiguous), page metadata, the local copy, history. Large pages are read in a child
    process when there is one (pagereader); the result is the same either way."""
    get_probe = job.probes.get if job.settings.probe and job.probes is not None else None
    reading = None
    if job.readers is not None and needs_child(fetched):  # bounded: the URL's deadline, a memory cap
        reading = job.readers.read(fetched, probe_allowed=get_probe is not None, seconds=job.settings.fetch.timeout)
    if reading is None or reading.needs_probe:  # (a child cannot fetch the probe: read here)
        reading = read_page(fetched, get_probe)
    check, page = reading.check, reading.page
    local = None
    if job.on_fetch is not None and fetched.http_status is not None:
        local = job.on_fetch(fetched, check)
    annotate(check, previous, job.settings.confirm)
    if job.history is not None:
        extra: dict[str, Any] = {"page": page.to_dict()} if page else {}
        if local is not None:
            extra["warc"] = local.archive_url
        job.history.record(url, check_entry(check, extra), previous)
    return UrlOutcome(check, page, local)


def check_one(url: str, job: _Job) -> UrlOutcome:
    now = dt.datetime.now(dt.UTC)
    previous = job.history.checks(url) if job.history else []
    cached = _from_cache(url, previous, job, now)
    if cached is not None:
        return cached
    try:
        return read_response(url, job.fetcher.fetch(url), previous, job)
    except Stopped:
        raise
    except Exception as e:
        if isinstance(e, OSError) and e.errno in DISK_ERRNOS:
            raise  # the history cannot be written (read-only, disk full): the run's problem, said once
        # A fault of ours on one odd page must cost that URL, not the run and the checks
        # of the others. Nothing goes into the history, so the next run checks it again.
        reason = f"internal error while checking ({type(e).__name__}: {str(e)[:200]}); please report it"
        return UrlOutcome(LinkCheck(url=url, status=Status.ERROR, reason=reason, checked_at=now))


def warm_up(readers: PageReaders | None = None) -> None:
    """Import what reading a page needs while the first requests are on the wire: the
    parsers and fuzzy matchers (lxml, rapidfuzz, charset_normalizer, the public-suffix
    list, the outlet table) are ~80 ms of start-up that the network wait can hide; so is
    starting the page-reading child process."""
    if readers is not None:
        readers.start()
    from . import liveness, metadata, verify  # noqa: F401
    from .publishers import outlets

    metadata.registered_domain("www.example.co.uk")
    outlets()


def workers_for(concurrency: int) -> int:
    """More workers than network slots. The Fetcher caps requests in flight at
    ``concurrency``; the spare workers use slots freed by workers still reading the page
    they fetched. On the benchmark, 48 workers for 32 slots: 7.06–7.26 s → 6.91–7.05 s;
    a separate pool of page readers behind a queue measured the same, so the simpler
    design stayed."""
    return concurrency + max(2, concurrency // 2)


def check_urls(
    urls: Iterable[str],
    settings: CheckSettings | None = None,
    history: History | None = None,
    on_fetch: OnFetch | None = None,
    on_progress: OnProgress | None = None,
    fetcher: Fetcher | None = None,
) -> dict[str, UrlOutcome]:
    """Check each distinct URL once. Finished checks are in ``history`` even if interrupted.

    Distinct as a request, not as a string: ``…/a``, ``…/a#section-2``, ``…/a#:~:text=…``
    (a browser's "link to highlight") and ``HTTP://…/a`` are one GET, whose outcome every
    spelling gets (with its own ``url``). The history is kept under the first spelling."""
    settings = settings or CheckSettings()
    spellings: dict[str, list[str]] = {}
    for url in dict.fromkeys(urls):
        spellings.setdefault(_request_key(url), []).append(url)
    aliases = {same[0]: same[1:] for same in spellings.values() if len(same) > 1}

    def spelled(url: str, outcome: UrlOutcome) -> list[tuple[str, UrlOutcome]]:
        """The outcome under each spelling of its request, the fetched one first."""
        return [(url, outcome)] + [
            (alias, UrlOutcome(dataclasses.replace(outcome.check, url=alias), outcome.page, outcome.local))
            for alias in aliases.get(url, ())
        ]

    def progress(url: str, outcome: UrlOutcome) -> None:
        for spelling, each in spelled(url, outcome):
            on_progress(spelling, each)

    own = fetcher is None
    fetcher = fetcher or Fetcher(settings.fetch)
    if settings.page_processes is None:
        readers = shared_readers()
    else:
        readers = PageReaders(settings.page_processes) if settings.page_processes > 0 else None
    job = _Job(fetcher, settings, history, _ProbeCache(fetcher), on_fetch, readers)
    try:
        results = _run_pool(
            [same[0] for same in spellings.values()],
            lambda url: check_one(url, job),
            workers_for(settings.fetch.concurrency),
            progress if on_progress else None,
            fetcher.stop,
            lambda: warm_up(readers),
        )
        for url in aliases:
            results.update(spelled(url, results[url]))
        return results
    finally:
        if own:
            fetcher.close()
        if readers is not None and settings.page_processes is not None:
            readers.close()  # a pool of this run's own; the shared one lives until exit


# A URL already in the form to_uri gives (the usual case) is its own key: to_uri costs
# ~6 µs, 13 ms for 2,000 URLs before the first request can leave.
_REQUEST_FORM = re.compile(
    r"https?://[a-z0-9.-]+(?::[1-9][0-9]*)?/[A-Za-z0-9/%:@!$&'()*+,;=._~-]*(?:\?[A-Za-z0-9=&%/:?@!$'()*+,;._~-]*)?"
)


def _request_key(url: str) -> str:
    """What is actually requested: no fragment, scheme and host in lower case, IRI encoded."""
    if _REQUEST_FORM.fullmatch(url):
        return url
    try:
        return to_uri(url)
    except ValueError:
        return url  # malformed: its own check says so


def _run_pool(
    urls: list[str],
    work: Callable[[str], UrlOutcome],
    workers: int,
    on_progress: OnProgress | None,
    stop: Callable[[], None],
    on_start: Callable[[], None] = lambda: None,
) -> dict[str, UrlOutcome]:
    """Run ``work`` over ``urls``; progress is reported from this (the calling) thread, so
    a slow terminal or pipe never holds up the workers.

    URLs are handed to the pool a few at a time (twice the workers), not all at once:
    20,000 submitted futures are 20,000 futures, conditions and queued work items alive
    until the end, ~100,000 objects for every garbage collection of the run to walk."""
    import itertools
    import queue
    from concurrent.futures import ThreadPoolExecutor

    results: dict[str, UrlOutcome] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="citewatch-check")
    finished: queue.SimpleQueue = queue.SimpleQueue()
    pending: dict = {}
    todo = iter(urls)

    def top_up() -> None:
        for url in itertools.islice(todo, max(0, 2 * workers - len(pending))):
            fut = pool.submit(work, url)
            pending[fut] = url
            fut.add_done_callback(finished.put)

    top_up()
    threading.Thread(target=on_start, name="citewatch-warm-up", daemon=True).start()
    try:
        while pending:
            done = [finished.get()]
            while True:  # everything that finished meanwhile: new work out first, then report
                try:
                    done.append(finished.get_nowait())
                except queue.Empty:
                    break
            urls_done = [pending.pop(fut) for fut in done]
            for fut, url in zip(done, urls_done, strict=True):
                results[url] = fut.result()
            top_up()
            if on_progress:
                for url in urls_done:
                    on_progress(url, results[url])
    except BaseException:
        # Ctrl-C: start nothing new (workers already waiting for a slot give up);
        # requests under way end at their own deadline
        stop()
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results
