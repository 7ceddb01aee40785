"""The check stage: distinct URLs → fetch → liveness → page metadata, with memory.

URLs wait for their host's turn in per-host queues (hosts.Scheduler), not on workers,
and a URL's deadline starts at its first request: 40 pages of one slow site are 40
pages checked, not 12 timeouts. What the run found beside each URL (no host reachable
at all, hosts that asked us to slow down, URLs --max-time left unchecked) is CheckRun.

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
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .archive.history import ConfirmPolicy, History, annotate, check_entry, fresh
from .fetch import RAN_OUT, Fetcher, FetchSettings, Stopped, Turn, host_of, to_uri
from .files import DISK_ERRNOS
from .hosts import Scheduler, Slowdown
from .model import Fetch, FetchError, LinkCheck, PageMeta, Snapshot, SnapshotKind, Status
from .pagereader import PageReaders, needs_child, read_page, shared_readers
from .rules import UrlRules


@dataclass
class CheckSettings:
    fetch: FetchSettings = field(default_factory=FetchSettings)
    recheck_after: dt.timedelta = dt.timedelta(days=1)
    force: bool = False
    confirm: ConfirmPolicy = field(default_factory=ConfirmPolicy)
    probe: bool = True
    # child processes that read large pages; None: one per spare core (pagereader)
    page_processes: int | None = None
    # seconds for the whole run (--max-time); URLs it leaves unchecked are skipped
    max_time: float | None = None
    rules: UrlRules = field(default_factory=UrlRules)  # exclude/include/accept (citewatch.toml)
    offline: bool = False  # no request at all: statuses from the history (offline.py)


@dataclass
class UrlOutcome:
    check: LinkCheck
    page: PageMeta | None = None
    local: Snapshot | None = None  # the WARC copy, if the archiver made one


@dataclass
class CheckRun:
    """What a run of checks found, beside each URL's outcome: whether the machine seemed
    offline (then nothing went into the history), and which hosts asked us to slow down."""

    outcomes: dict[str, UrlOutcome]
    offline: str | None = None  # the one message to print instead of a row of failures
    slowdowns: list[Slowdown] = field(default_factory=list)
    unchecked: int = 0  # URLs --max-time left unchecked (skipped)


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
        result = self._results.get(key)
        if result is None and self.fetcher.stopping:  # the probe was cut (Ctrl-C): so is this check
            raise Stopped(url)
        return result or Fetch(url=url, error=FetchError.ERROR, error_reason="probe failed")


@dataclass
class _Job:
    """What one URL's check needs once its response is in."""

    fetcher: Fetcher
    settings: CheckSettings
    history: History | None
    probes: _ProbeCache | None
    on_fetch: OnFetch | None = None
    readers: PageReaders | None = None
    # failures to reach a host, written to the history only once the run is known not to
    # be offline: a machine's outage is not a source's failure
    held: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record_held(self, offline: bool) -> None:
        with self.lock:
            held, self.held = self.held, []
        if self.history is not None and not offline:
            for url, entry, previous in held:
                self.history.record(url, entry, previous)


def _from_cache(url: str, previous: list[dict[str, Any]], job: _Job, now: dt.datetime) -> UrlOutcome | None:
    if job.history is None or job.settings.force:
        return None
    return _cached_outcome(url, previous, job.settings, now)


def _cached_outcome(
    url: str, previous: list[dict[str, Any]], settings: CheckSettings, now: dt.datetime
) -> UrlOutcome | None:
    recent = fresh(previous, settings.recheck_after, now)
    if recent is None:
        return None
    from . import metadata

    page = metadata.page_from_dict(recent.get("page"))
    if page is None and recent.get("page"):
        return None  # a stored page of another shape (edited by hand): fetched again, not answered

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
            kind=SnapshotKind.LOCAL,
            http_status=recent.get("http_status"),
            note="local WARC copy from an earlier run",
        )
    return UrlOutcome(check, page, local)


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
    if job.history is not None and fetched.error is not FetchError.SKIPPED:
        extra: dict[str, Any] = {"page": page.to_dict()} if page else {}
        if local is not None:
            extra["warc"] = local.archive_url
        entry = check_entry(check, extra)
        if fetched.error in (FetchError.UNREACHABLE, FetchError.TIMEOUT):
            with job.lock:
                job.held.append((url, entry, previous))
        else:
            job.history.record(url, entry, previous)
    return UrlOutcome(check, page, local)


def check_one(url: str, job: _Job, turn: Turn | None = None) -> UrlOutcome:
    """Check one URL; ``turn``: the slot on its host the scheduler took for it."""
    now = dt.datetime.now(dt.UTC)
    previous = job.history.checks(url) if job.history else []
    cached = _from_cache(url, previous, job, now)
    if cached is not None:
        if turn is not None:
            job.fetcher.give_back(turn)
        return cached
    try:
        return read_response(url, job.fetcher.fetch(url, turn), previous, job)
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
    starting the page-reading child process. (A run the cache answers whole has no pool and
    no warm-up: it reads no page.)"""
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
    """Each URL's outcome (``check_run`` without the run-level findings)."""
    return check_run(urls, settings, history, on_fetch, on_progress, fetcher).outcomes


def check_run(
    urls: Iterable[str],
    settings: CheckSettings | None = None,
    history: History | None = None,
    on_fetch: OnFetch | None = None,
    on_progress: OnProgress | None = None,
    fetcher: Fetcher | None = None,
) -> CheckRun:
    """Check each distinct URL once. Finished checks are in ``history`` even if interrupted
    (failures to reach a host only once the run is known not to be offline).

    Distinct as a request, not as a string: ``…/a``, ``…/a#section-2``, ``…/a#:~:text=…``
    (a browser's "link to highlight") and ``HTTP://…/a`` are one GET, whose outcome every
    spelling gets (with its own ``url``). The history is kept under the first spelling."""
    settings = settings or CheckSettings()
    began = time.monotonic()  # --max-time counts from here, the answers from the cache included
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

    todo = [(key, same[0]) for key, same in spellings.items()]
    results: dict[str, UrlOutcome] = {}
    if history is not None and not settings.force:
        todo = _answer_fresh(todo, history, settings, results, progress if on_progress else None)
    if not todo:  # the cache answered every URL: no fetcher, no threads, no page readers
        for url in aliases:
            results.update(spelled(url, results[url]))
        if fetcher is None:
            return CheckRun(results)
        return CheckRun(results, fetcher.reach.offline(), fetcher.gate.slowdowns())
    own = fetcher is None
    fetcher = fetcher or Fetcher(settings.fetch)
    if settings.page_processes is None:
        readers = shared_readers()
    else:
        readers = PageReaders(settings.page_processes) if settings.page_processes > 0 else None
    job = _Job(fetcher, settings, history, _ProbeCache(fetcher), on_fetch, readers)
    fetcher.run_deadline = began + settings.max_time if settings.max_time else None
    try:
        results |= _run_pool(
            todo,
            lambda url, turn: check_one(url, job, turn),
            workers_for(settings.fetch.concurrency),
            fetcher,
            progress if on_progress else None,
            lambda: warm_up(readers),
        )
        for url in aliases:
            results.update(spelled(url, results[url]))
        unchecked = sum(1 for o in results.values() if o.check.reason == RAN_OUT)
        return CheckRun(results, fetcher.reach.offline(), fetcher.gate.slowdowns(), unchecked)
    finally:  # (interrupted too: what was seen so far decides)
        job.record_held(offline=fetcher.reach.offline() is not None)
        fetcher.run_deadline = None
        if own:
            fetcher.close()
        if readers is not None and settings.page_processes is not None:
            readers.close()  # a pool of this run's own; the shared one lives until exit


def _answer_fresh(
    urls: list[tuple[str, str]],
    history: History,
    settings: CheckSettings,
    done: dict[str, UrlOutcome],
    on_progress: OnProgress | None,
) -> list[tuple[str, str]]:
    """Answer the URLs fresh in the cache here, in the calling thread, before any worker
    starts; the rest (returned) go to the pool. A fresh URL in the pool cost a turn on its
    host, a worker's wake-up and a hand-over back (~75 µs each, 0.15 s of a cached
    2,000-URL run), and a run the cache answers whole starts no thread, fetcher or page
    reader at all. A stale URL's file is parsed here only up to its last check (its own
    check reads it in full, as before), so a weekly run of stale URLs pays little for
    looking."""
    left = []
    for key, url in urls:
        now = dt.datetime.now(dt.UTC)
        previous = history.checks_unless(url, lambda last, now=now: _stale(last, settings.recheck_after, now))
        cached = _cached_outcome(url, previous, settings, now) if previous else None
        if cached is None:
            left.append((key, url))
            continue
        done[url] = cached
        if on_progress is not None:
            on_progress(url, cached)
    return left


def _stale(last: dict[str, Any], recheck_after: dt.timedelta, now: dt.datetime) -> bool:
    """Whether a URL whose last check was ``last`` cannot be fresh (a skip says nothing
    of that: the checks before it decide)."""
    return last.get("status") != Status.SKIPPED.value and fresh([last], recheck_after, now) is None


def _ran_out(url: str) -> UrlOutcome:
    """A URL the run's --max-time left unchecked: skipped, never a timeout, not recorded."""
    return UrlOutcome(LinkCheck(url=url, status=Status.SKIPPED, reason=RAN_OUT, checked_at=dt.datetime.now(dt.UTC)))


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
    urls: list[tuple[str, str]],
    work: Callable[[str, Turn], UrlOutcome],
    workers: int,
    fetcher: Fetcher,
    on_progress: OnProgress | None,
    on_start: Callable[[], None] = lambda: None,
) -> dict[str, UrlOutcome]:
    """Run ``work`` over ``urls`` ((request key, url) pairs). URLs wait in per-host queues
    (hosts.Scheduler), not on workers: a worker takes a URL only together with a turn on
    its host, so a slow host holds up nobody else, and a URL's deadline starts only with
    its turn. Progress is reported from this (the calling) thread, so a slow terminal or
    pipe never holds up the workers."""
    import queue

    finished: queue.SimpleQueue = queue.SimpleQueue()

    def ran_out(left: list[str]) -> None:
        for url in left:
            finished.put((url, _ran_out(url)))

    scheduler = Scheduler(((host_of(key), url) for key, url in urls), fetcher.take_turn, fetcher.run_deadline, ran_out)
    fetcher.gate.on_free = scheduler.freed

    def worker() -> None:
        while (picked := scheduler.next()) is not None:
            url, turn = picked
            try:
                finished.put((url, work(url, turn)))
            except BaseException as e:  # Stopped, or a fault of ours: the run ends with it
                finished.put((url, e))
                scheduler.stop()

    threads = [
        threading.Thread(target=worker, name=f"citewatch-check-{i}", daemon=True)
        for i in range(max(1, min(workers, len(urls))))
    ]
    for t in threads:
        t.start()
    threading.Thread(target=on_start, name="citewatch-warm-up", daemon=True).start()
    results: dict[str, UrlOutcome] = {}
    try:
        while len(results) < len(urls):
            url, outcome = finished.get()
            if isinstance(outcome, BaseException):
                raise outcome
            results[url] = outcome
            if on_progress:
                on_progress(url, outcome)
    except BaseException:
        # Ctrl-C: start nothing new (workers already waiting for a slot give up);
        # requests under way end at their own deadline
        scheduler.stop()
        fetcher.stop()
        raise
    finally:
        for t in threads:
            t.join()
        fetcher.gate.on_free = None
    return results
