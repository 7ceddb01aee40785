"""Per-host bookkeeping for one run: whose turn it is, which URLs wait for one, which hosts
could be reached at all.

Why a module of its own: a URL waiting for its host must not hold a worker (one slow
host would starve every other one) and must not have its deadline running while it
waits (40 pages of one slow site would time out in the queue). So URLs wait here, in
per-host queues, and a worker is handed a URL only together with a turn on its host.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from .wording import plural

# The longest spacing between two requests to a host that keeps asking us to slow down.
MAX_INTERVAL = 30.0
ALL_BUSY = -1.0  # a ``take`` answer: no request may start anywhere until one ends


@dataclass
class Slowdown:
    """A host that asked us to slow down (429, or 503 with Retry-After), and what it cost.

    Its pause holds up every URL of the host still in the queue, not only the one that
    was answered 429, and the wider spacing after it slows every later one: the cost is
    counted in URLs (each once, however many of its requests waited) and in the time the
    host was held back (the spans during which a request of it was ready but paused or
    spaced out, overlaps counted once)."""

    host: str
    times_asked: int = 0
    longest_asked: float = 0.0  # seconds, as capped by --retry-after's cap
    urls_held_up: int = 0
    seconds_held: float = 0.0

    def sentence(self) -> str:
        """One line for the run's summary."""
        asked = plural(self.times_asked, "time")
        if not self.urls_held_up:
            return f"{self.host} asked us to slow down ({asked}): no URL had to wait"
        return (
            f"{self.host} asked us to slow down ({asked}): the host was paused or slowed for "
            f"{self.seconds_held:.0f} s in all, holding up {plural(self.urls_held_up, 'URL')}"
        )

    def to_dict(self) -> dict:
        return {
            "host": self.host,
            "times_asked": self.times_asked,
            "longest_asked_s": round(self.longest_asked, 1),
            "urls_held_up": self.urls_held_up,
            "seconds_held": round(self.seconds_held, 1),
        }


def covered(spans: Iterable[tuple[float, float]]) -> float:
    """The time ``spans`` cover, a stretch covered by two of them counted once."""
    total, reach = 0.0, -math.inf
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


@dataclass(frozen=True)
class HostLimit:
    """A project's own limits for one host and its subdomains (citewatch.toml's
    ``[hosts."example.com"]``, or ``--host-limit example.com=1/2.5``): a site that asks
    for one request at a time, or a pause between two."""

    host: str
    per_host: int | None = None  # requests at once; None: the run's --per-host
    min_interval: float | None = None  # seconds between two; None: the run's --min-interval

    def covers(self, host: str) -> bool:
        return host == self.host or host.endswith("." + self.host)


class HostGate:
    """Per-host slots (at most ``per_host`` requests at once), spacing (``min_interval``,
    widened after a host asks us to slow down) and the pause a host asks for with
    Retry-After. Shared by every fetch of a run.

    Two ways in: ``try_acquire`` for the scheduler, which never blocks (it moves on to
    another host), and ``acquire`` for the requests a check makes after its first one
    (redirects, retries, the soft-404 probe), which wait. ``on_free`` is told of every
    release, so the scheduler can hand that host's next URL out."""

    def __init__(self, per_host: int, min_interval: float, limits: Iterable[HostLimit] = ()) -> None:
        self.per_host = max(1, per_host)
        self.min_interval = min_interval
        # the most specific limit first: "news.example.com" before "example.com"
        self.limits = sorted(limits, key=lambda lim: -len(lim.host))
        self._limit_of: dict[str, tuple[int, float]] = {}
        self.on_free: Callable[[str], None] | None = None
        self._cv = threading.Condition()
        self._busy: dict[str, int] = {}
        self._next: dict[str, float] = {}  # spacing: the earliest start of the next request
        self._interval: dict[str, float] = {}
        self._paused: dict[str, float] = {}  # the host asked us to wait until then
        self._held_since: dict[str, float] = {}  # the host's next URL, held back since then
        self._held: dict[str, list[tuple[float, float]]] = {}  # spans a ready request was held back
        self._holding_up: set[str] = set()  # hosts held back once: their queue starts late
        self._worker = threading.local()  # .counted: the hosts the worker's URL was counted held up on
        self._slowdowns: dict[str, Slowdown] = {}
        self._stopped = False

    def _limits(self, host: str) -> tuple[int, float]:
        """(slots, spacing) for ``host``: its own limit's, else the run's."""
        known = self._limit_of.get(host)
        if known is None:
            own = next((lim for lim in self.limits if lim.covers(host)), HostLimit(host))
            known = self._limit_of[host] = (
                max(1, own.per_host) if own.per_host is not None else self.per_host,
                own.min_interval if own.min_interval is not None else self.min_interval,
            )
        return known

    def _start_at(self, host: str, now: float) -> float | None:
        """None: a request may start now; else when one may (inf: when a slot frees)."""
        if self._busy.get(host, 0) >= self._limits(host)[0]:
            return math.inf
        start = max(self._next.get(host, 0.0), self._paused.get(host, 0.0))
        return None if start <= now else start

    def _take(self, host: str, now: float) -> None:
        self._busy[host] = self._busy.get(host, 0) + 1
        self._next[host] = now + self._interval.get(host, self._limits(host)[1])

    def _slowed(self, host: str, now: float) -> bool:
        """The host is held back because it asked: paused, or spaced wider than the run's."""
        spacing = self._limits(host)[1]
        return self._paused.get(host, 0.0) > now or self._interval.get(host, spacing) > spacing

    def try_acquire(self, host: str) -> float | None:
        """Take a slot if one is free now: None when taken, else when to try again
        (``math.inf``: when ``on_free`` names this host). The scheduler's way in: a turn
        taken here is for the next URL of the host's queue, which this worker carries."""
        with self._cv:
            now = time.monotonic()
            start = self._start_at(host, now)
            if start is None:
                self._take(host, now)
                self._worker.counted = set()  # a new URL
                since = self._held_since.pop(host, None)
                if since is not None:
                    self._held.setdefault(host, []).append((since, now))
                if host in self._holding_up:  # queued behind a hold: it starts late too
                    self._held_up(host)
                return None
            if start != math.inf and self._slowed(host, now):
                self._held_since.setdefault(host, now)
                self._holding_up.add(host)
            return start

    def acquire(self, host: str, until: float | None) -> bool:
        """Wait for a slot until ``until`` (None: as long as it takes); False if none came
        (or the run is stopping)."""
        with self._cv:
            began = time.monotonic()
            slowed = self._slowed(host, began)
            while not self._stopped:
                now = time.monotonic()
                start = self._start_at(host, now)
                if start is None:
                    self._take(host, now)
                    if slowed and now > began:
                        self._held.setdefault(host, []).append((began, now))
                        self._holding_up.add(host)
                        self._held_up(host)
                    return True
                if until is not None and now >= until:
                    return False
                wake = min(start, until if until is not None else math.inf)
                self._cv.wait(None if wake == math.inf else max(0.0, wake - now))
            return False

    def release(self, host: str) -> None:
        with self._cv:
            self._busy[host] -= 1
            self._cv.notify_all()
        if self.on_free is not None:
            self.on_free(host)

    def stop(self) -> None:
        """Ctrl-C: nobody waiting for a slot gets one."""
        with self._cv:
            self._stopped = True
            self._cv.notify_all()

    def slow_down(self, host: str, retry_after: float | None) -> None:
        """The host asked us to slow down (429, or 503 with Retry-After): space its requests
        further apart (doubling, at most ``MAX_INTERVAL``), and pause it as long as it
        asked (already capped by the caller)."""
        with self._cv:
            current = self._interval.get(host, self._limits(host)[1])
            self._interval[host] = min(max(current * 2, 1.0), MAX_INTERVAL)
            record = self._slowdowns.setdefault(host, Slowdown(host))
            record.times_asked += 1
            if retry_after:
                record.longest_asked = max(record.longest_asked, retry_after)
                until = time.monotonic() + retry_after
                self._paused[host] = max(self._paused.get(host, 0.0), until)

    def note_wait(self, host: str, seconds: float) -> None:
        """A retry (on this worker) that slept as long as the host's Retry-After asked."""
        with self._cv:
            now = time.monotonic()
            self._held.setdefault(host, []).append((now - seconds, now))
            self._holding_up.add(host)
            self._held_up(host)

    def _held_up(self, host: str) -> None:
        """The worker's URL started late on ``host``: counted once, whatever its retries,
        redirects and probe waited besides."""
        counted = getattr(self._worker, "counted", None)
        if counted is None:
            counted = self._worker.counted = set()
        if host not in counted:
            counted.add(host)
            self._slowdowns.setdefault(host, Slowdown(host)).urls_held_up += 1

    def slowdowns(self) -> list[Slowdown]:
        with self._cv:
            asked = [s for s in self._slowdowns.values() if s.times_asked]
            for record in asked:
                record.seconds_held = covered(self._held.get(record.host, ()))
            return asked


class HostQueues:
    """URLs waiting for a turn, one queue per host, hosts served in turn (round-robin).

    A host whose slots are all taken is set aside until ``freed`` names it, and one
    spacing its requests out is set aside until its time: handing out the next URL looks
    only at hosts that may be able to go, however many hosts wait."""

    def __init__(self, urls: Iterable[tuple[str, str]]) -> None:
        self._queues: dict[str, deque[str]] = {}
        for host, url in urls:
            self._queues.setdefault(host, deque()).append(url)
        self._ready: deque[str] = deque(self._queues)
        self._full: set[str] = set()
        self._later: list[tuple[float, str]] = []
        self._count = sum(len(q) for q in self._queues.values())

    def __len__(self) -> int:
        return self._count

    def freed(self, host: str) -> None:
        if host in self._full:
            self._full.discard(host)
            self._ready.append(host)

    def retry_all(self) -> None:
        """Look at every host again (a safety net: a release nobody heard of)."""
        self._ready.extend(self._full)
        self._full.clear()

    def wake_at(self) -> float | None:
        return self._later[0][0] if self._later else None

    def next(self, take: Callable[[str], object]) -> tuple[str, object] | None:
        """The next URL whose host gives it a turn, with that turn; None if no host can
        go now. ``take(host)`` answers a turn, or a float: when to try that host again
        (``math.inf``: once freed; ``ALL_BUSY``: no host can go until a request ends)."""
        now = time.monotonic()
        while self._later and self._later[0][0] <= now:
            self._ready.append(heapq.heappop(self._later)[1])
        while self._ready:
            host = self._ready.popleft()
            got = take(host)
            if isinstance(got, float):
                if got == ALL_BUSY:
                    self._ready.appendleft(host)
                    return None
                if got == math.inf:
                    self._full.add(host)
                else:
                    heapq.heappush(self._later, (got, host))
                continue
            queue = self._queues[host]
            url = queue.popleft()
            self._count -= 1
            if queue:
                self._ready.append(host)
            else:
                del self._queues[host]
            return url, got
        return None

    def drain(self) -> list[str]:
        """Every URL still waiting (the run's time is up), in the order they came."""
        left = [url for queue in self._queues.values() for url in queue]
        self._queues.clear()
        self._ready.clear()
        self._full.clear()
        self._later.clear()
        self._count = 0
        return left


OFFLINE = "no host could be reached: is this machine offline?"


class Unreached(StrEnum):
    """How a host could not be reached at all (no answer of any kind), and how the
    offline message says it."""

    DNS = "dns"
    CONNECT = "connect"

    @property
    def failures(self) -> str:
        return "DNS lookups failed" if self is Unreached.DNS else "connections failed"


class Reachability:
    """Which hosts answered and which could not be reached (DNS, connect). A machine
    without network makes every source look dead; this tells the two apart so that the
    run can say so once instead of recording a failure for each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answered: set[str] = set()
        self._failed: dict[str, Unreached] = {}

    def answered(self, host: str) -> None:
        with self._lock:
            self._answered.add(host)
            self._failed.pop(host, None)

    def failed(self, host: str, how: Unreached) -> None:
        with self._lock:
            if host not in self._answered:
                self._failed[host] = how

    def offline(self) -> str | None:
        """The one message to print when no host (of at least two) could be reached, or
        when at least nine in ten of five or more failed all the same way; else None.
        One unreachable host is a dead site, not an offline machine."""
        with self._lock:
            failed = list(self._failed.values())
            tried = len(failed) + len(self._answered)
        if len(failed) < 2:
            return None
        how = max(set(failed), key=failed.count)
        same = failed.count(how)
        if same == tried or (tried >= 5 and same >= 0.9 * tried):
            return f"{OFFLINE} ({how.failures} for {same} of {tried} hosts; nothing was recorded)"
        return None


class Scheduler:
    """Hands each worker the next URL that may go now, with its turn: the queues above,
    shared by the workers under one lock. A worker that finds nothing able to go waits
    here (not on one host), and the end of any request wakes one waiting worker: one
    thread switch from a freed slot to the next request, as with a semaphore.

    ``take(host)`` is the Fetcher's ``take_turn``; the gate's ``on_free`` must call
    ``freed``. After ``run_deadline`` (--max-time) nothing more is handed out: the URLs
    still waiting are given to ``ran_out``."""

    def __init__(
        self,
        urls: Iterable[tuple[str, str]],
        take: Callable[[str], object],
        run_deadline: float | None = None,
        ran_out: Callable[[list[str]], None] = lambda urls: None,
    ) -> None:
        self.waiting = HostQueues(urls)
        self._take = take
        self._run_deadline = run_deadline
        self._ran_out = ran_out
        self._cv = threading.Condition()
        self._stopped = False

    def freed(self, host: str) -> None:
        with self._cv:
            self.waiting.freed(host)
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify_all()

    def next(self) -> tuple[str, object] | None:
        """The next URL and its turn, waiting as long as it takes; None: nothing left."""
        with self._cv:
            while not self._stopped and self.waiting:
                now = time.monotonic()
                if self._run_deadline is not None and now >= self._run_deadline:
                    self._ran_out(self.waiting.drain())
                    break
                picked = self.waiting.next(self._take)
                if picked is not None:
                    # no wake-up for another worker here: every freed slot wakes one
                    # itself, and a wake-up that finds nothing to do costs a GIL hand-off
                    return picked
                wake = min(t for t in (self.waiting.wake_at(), self._run_deadline, math.inf) if t is not None)
                # a release nobody heard of cannot stall the run: look at every host again now and then
                if not self._cv.wait(min(wake - now, 0.5)) and wake - now >= 0.5:
                    self.waiting.retry_all()
            self._cv.notify_all()  # nothing left: every waiting worker may end
            return None
