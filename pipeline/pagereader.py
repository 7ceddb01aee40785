"""Reading a fetched page (decode, liveness signals, classification, metadata), in the
worker thread for small pages and in a child process for large ones.

Why a process: the page work is pure CPU under one GIL. With news-sized pages (100-500
KB of HTML) it is what bounds a run, not the network: 2,000 pages of 150 KB took
8.7-9.5 s in threads and 7.5-7.8 s with one child process on a 2-core machine. Small
pages stay in the thread: sending one to a child costs what reading it does.

Why a process for PDFs of any size, and a deadline and a memory cap: a page is written by
a stranger. A 12 KB PDF of repeated text operators takes ~9 s of pypdf's time, a nested
one can take minutes and hundreds of MB. In the child, reading runs under the URL's
deadline (a timer that interrupts it, and the parent kills the child if even that does
not return) and an address-space cap (RLIMIT_AS); a page that exceeds either is an
``error`` with the reason, and the run goes on.

The child never sees the network, history or archive: it gets a Fetch and returns the
verdict. Anything unusual — a page that needs the soft-404 probe, a pool that is not
there, broke or is shutting down — falls back to reading in the thread, so a child
process can only ever make a check faster, never different or lost.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import Fetch, LinkCheck, PageMeta, Status

if TYPE_CHECKING:  # multiprocessing is ~15 ms of start-up, and only large pages need it
    from concurrent.futures import ProcessPoolExecutor

CHILD_NICENESS = 10
LARGE_PAGE = 64_000  # bytes of body from which a page is read in a child process
MEMORY_CAP_MB = 1024  # address space a page-reading child may use (CITEWATCH_PAGE_MEMORY_MB)
KILL_GRACE = 2.0  # seconds past the deadline before the parent kills a child that did not stop


_CHILD_MEMORY_MB = MEMORY_CAP_MB  # in a child: the cap it runs under
_IN_CHILD = False  # is this process a page-reading child?


NO_CHILD = object()  # PageReaders.call: no child process to do the work


class _TooLong(BaseException):
    """Raised by the child's timer; a BaseException, so that the readers' own
    ``except Exception`` (a damaged PDF is not a crash) cannot swallow it."""


@dataclass
class Reading:
    """What a page says about itself, before history and the local copy."""

    check: LinkCheck
    page: PageMeta | None
    needs_probe: bool = False  # cheap signals were ambiguous: the caller decides on a probe


def read_page(fetched: Fetch, get_probe: Callable[[str], Fetch | None] | None = None) -> Reading:
    """The pure part of a check. ``get_probe``: fetches the soft-404 probe for a page whose
    cheap signals are ambiguous (None: no probing). A child process cannot fetch: its
    ``get_probe`` answers None and the reading says ``needs_probe`` for the parent."""
    from . import liveness, metadata
    from .decode import decode_page

    reached = fetched.http_status is not None and 200 <= fetched.http_status < 300
    decoded = decode_page(fetched.body, fetched.headers.get("content-type")) if reached else None
    signals = liveness.page_signals(fetched, decoded[0] if decoded else None) if reached else None
    probe = None
    if get_probe is not None and signals is not None and liveness.needs_probe(fetched, signals):
        probe = get_probe(fetched.final_url or fetched.url)
        if probe is None:
            return Reading(liveness.classify(fetched, None, signals), None, needs_probe=True)
    check = liveness.classify(fetched, probe, signals)
    page = metadata.extract(fetched, decoded) if check.status.is_reached else None
    return Reading(check, page)


def needs_child(fetched: Fetch) -> bool:
    """Pages read in a child process, under a deadline and a memory cap: large ones, and
    every PDF (a small PDF can be the slowest page of a run)."""
    return len(fetched.body) >= LARGE_PAGE or fetched.body[:5] == b"%PDF-" or "pdf" in fetched.content_type


def unreadable(fetched: Fetch, reason: str) -> Reading:
    """The reading of a page that could not be analysed: an error with the reason, no page
    (so nothing is verified against it)."""
    from . import liveness

    check = liveness.classify(fetched, None, None)
    check.status, check.reason = Status.ERROR, reason
    return Reading(check, None)


@contextmanager
def _interrupted_after(seconds: float | None) -> Iterator[None]:
    """In the child: raise ``_TooLong`` in this thread when ``seconds`` have passed."""
    timer = seconds is not None and hasattr(signal, "setitimer")
    if timer:

        def too_long(signum, frame):
            raise _TooLong

        signal.signal(signal.SIGALRM, too_long)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)


def within_timer(seconds: float, work: Callable[[], Any]) -> Any:
    """In a child's main thread: ``work()``, or None when a timer stopped it after
    ``seconds``. Within a bound already set by an outer timer, the work just runs."""
    if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        return work()
    try:
        with _interrupted_after(seconds):
            return work()
    except _TooLong:
        return None


def _read_within(fetched: Fetch, probe_allowed: bool, seconds: float | None) -> Reading:
    """In the child: read the page, interrupted when ``seconds`` pass or memory runs out."""
    try:
        with _interrupted_after(seconds):
            return read_page(fetched, _probe_in_parent if probe_allowed else None)
    except _TooLong:
        return unreadable(fetched, f"reading the page took longer than the {seconds:g}s deadline")
    except MemoryError:
        return unreadable(fetched, f"reading the page needed more than {_CHILD_MEMORY_MB} MB")


def _meta_within(fetched: Fetch, seconds: float | None) -> PageMeta | None:
    """In the child: the page's metadata, or None when it takes too long or too much."""
    from . import metadata

    try:
        with _interrupted_after(seconds):
            return metadata.extract(fetched)
    except (_TooLong, MemoryError):
        return None


def bounded_page_meta(fetched: Fetch, seconds: float) -> PageMeta | None:
    """``metadata.extract`` under a check's bounds, for readers outside the check (resolve's
    candidates, archived snapshots): in the child process when the page needs it."""
    from . import metadata

    if needs_child(fetched):
        try:
            meta = shared_readers().call(_meta_within, (fetched, seconds), seconds)
        except _TooLong:
            return None
        if meta is not NO_CHILD:
            return meta
    return metadata.extract(fetched)


def _memory_cap_mb() -> int:
    env = os.environ.get("CITEWATCH_PAGE_MEMORY_MB", "")
    return int(env) if env.strip().isdigit() else MEMORY_CAP_MB


def _probe_in_parent(url: str) -> None:
    """A child's ``get_probe``: the network belongs to the parent."""
    return None


def in_child() -> bool:
    """Is this process a page-reading child? There, work is bounded by a timer in the main
    thread, and a page is never handed on to a child of its own."""
    return _IN_CHILD


def _child_init(memory_mb: int) -> None:
    global _IN_CHILD
    _IN_CHILD = True
    # Ctrl-C goes to the whole process group; the parent decides what stops
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent's threads carry the network: one of them holding the GIL while the OS
    # has it waiting for a core stalls every request. A child's page reading can wait a
    # little instead, so it yields the CPU when cores are short (2,000 150 KB pages on 2
    # cores: 7.29 -> 7.08 s, median of 6 alternating runs). Where a core is idle, no change.
    try:
        os.nice(CHILD_NICENESS)
    except (AttributeError, OSError):  # no os.nice (Windows): same work, same priority
        pass
    try:  # a page that needs more memory than this is refused, not the machine's memory
        import resource

        global _CHILD_MEMORY_MB
        _CHILD_MEMORY_MB = memory_mb
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, ValueError, OSError):  # no resource module (Windows), or a lower hard limit
        pass
    from . import liveness, metadata  # noqa: F401 - imported once per child, not per page


class PageReaders:
    """One process pool shared by every check in this process, started on first use."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._failed = False
        self._answered = False  # has any child ever returned a reading (or been killed at work)?
        # work sent and not answered yet, in the order the pool hands it to its children
        self._sent: list[tuple[ProcessPoolExecutor, Any]] = []
        self._sent_lock = threading.Lock()

    def start(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._pool is None and not self._failed and self.processes > 0:
                try:
                    import multiprocessing
                    from concurrent.futures import ProcessPoolExecutor

                    methods = multiprocessing.get_all_start_methods()
                    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
                    self._pool = ProcessPoolExecutor(
                        self.processes, mp_context=ctx, initializer=_child_init, initargs=(_memory_cap_mb(),)
                    )
                except (OSError, ValueError, RuntimeError):
                    # no semaphores, no /dev/shm: read in threads; RuntimeError: the process
                    # is exiting (a warm-up that came too late) and can start nothing
                    self._failed = True
            return self._pool

    def read(self, fetched: Fetch, probe_allowed: bool, seconds: float | None = None) -> Reading | None:
        """The reading (within ``seconds`` of a child's time, if given), or None if the
        caller should read in its own thread."""
        try:
            reading = self.call(_read_within, (fetched, probe_allowed, seconds), seconds)
        except _TooLong:
            return unreadable(fetched, f"reading the page took longer than the {seconds:g}s deadline")
        return None if reading is NO_CHILD else reading

    def call(self, fn: Callable[..., Any], args: tuple, seconds: float | None) -> Any:
        """``fn(*args)`` in a child; ``NO_CHILD`` when there is none to ask (the caller does
        the work itself); ``_TooLong`` raised when the child had to be killed."""
        from concurrent.futures import CancelledError
        from concurrent.futures.process import BrokenProcessPool

        pool = self.start()
        if pool is None:
            return NO_CHILD
        try:
            with self._sent_lock:  # (in the order submitted)
                future = pool.submit(fn, *args)
                self._unanswered().append((pool, future))
            result = self._wait(pool, future, seconds)
        except (BrokenProcessPool, CancelledError, RuntimeError):
            self._drop(pool)
            return NO_CHILD
        self._answered = True
        return result

    def _wait(self, pool: ProcessPoolExecutor, future, seconds: float | None) -> Any:
        """The child's answer; ``_TooLong`` after killing a child that overran its deadline
        by ``KILL_GRACE`` (stuck where its own timer cannot interrupt it). The clock starts
        when the page reaches a child, not while it waits in the queue."""
        import time
        from concurrent.futures import TimeoutError as FutureTimeout

        if seconds is None:
            return future.result()
        started = None
        while True:
            try:
                return future.result(timeout=0.05)
            except FutureTimeout:
                if started is None and future.running() and self._ahead(pool, future) < self.processes:
                    started = time.monotonic()
                if started is not None and time.monotonic() - started > seconds + KILL_GRACE:
                    if _kill_children(pool):
                        self._answered = True  # a child started and took the work: it is the work that is stuck
                    self._drop(pool)
                    raise _TooLong from None

    def _ahead(self, pool: ProcessPoolExecutor, future) -> int:
        """How much work sent before ``future`` is still unanswered. The pool marks a future
        running once it is in its call queue, a place ahead of a free child: behind a batch of
        the quotes stage (seconds of work), a page's clock would run out while it waits."""
        with self._sent_lock:
            mine = [f for p, f in self._unanswered() if p is pool]
        return mine.index(future) if future in mine else 0

    def _unanswered(self) -> list[tuple[ProcessPoolExecutor, Any]]:
        """The work sent and not answered yet (under ``_sent_lock``)."""
        self._sent = [(p, f) for p, f in self._sent if not f.done()]
        return self._sent

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        """A child died (or the pool is shutting down): replace it for later pages —
        unless no child ever answered, which means children cannot start here."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
                self._failed = not self._answered
                pool.shutdown(wait=False, cancel_futures=True)

    def close(self, kill: bool = False) -> None:
        """No more work; ``kill``: the children stop at once, their work in hand dropped (a
        run that was interrupted: the interpreter's exit would otherwise wait for a batch of
        the quotes stage in a child, seconds that a CI runner's SIGTERM does not give)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:
            _kill_children(pool)
        pool.shutdown(wait=False, cancel_futures=True)


def _kill_children(pool: ProcessPoolExecutor) -> bool:
    """Kill the pool's children; whether any was alive (had started)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # None: shut down
    alive = any(process.is_alive() for process in processes)
    for process in processes:
        process.kill()
    return alive


def default_processes() -> int:
    """One child per spare core, at most 4, and one on a single core too: the child is
    what bounds a page's analysis in time and memory (a thread cannot be stopped), and at
    a lower priority it costs the checker's threads little. None when the program's main
    module cannot be re-imported by a child (a script read from stdin): forkserver and
    spawn children import it first, and would die trying."""
    env = os.environ.get("CITEWATCH_PAGE_PROCESSES")
    if env is not None and env.strip().isdigit():
        return int(env)
    if not _main_importable():
        return 0
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _main_importable() -> bool:
    """Whether a child can prepare itself the way multiprocessing will ask it to: by
    module name (``python -m``), from the script's path, or with nothing to import at all
    (``python -c``, an embedding host, pytest-xdist's workers). A ``__file__`` that is no
    file (``python - < script``: ``<stdin>``) would kill every child on start."""
    main = sys.modules.get("__main__")
    if main is None:
        return False
    if getattr(getattr(main, "__spec__", None), "name", None):
        return True  # python -m ...
    path = getattr(main, "__file__", None)
    return path is None or os.path.isfile(path)


_SHARED: PageReaders | None = None
_SHARED_LOCK = threading.Lock()


def stop_shared_readers() -> None:
    """Kill the shared children, if any were started (an interrupted run, on its way out)."""
    with _SHARED_LOCK:
        shared = _SHARED
    if shared is not None:
        shared.close(kill=True)


def shared_readers() -> PageReaders:
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = PageReaders(default_processes())
            atexit.register(_SHARED.close)
        return _SHARED
