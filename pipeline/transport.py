"""Sockets a request cannot hang on, connected only where the address guard said.

A socket ``timeout`` bounds each socket operation, not the request: a server that drips
a byte a second never trips it. A watchdog thread therefore shuts a socket down when its
request's wall-clock deadline passes (``deadline_scope``), which is also how third-party
calls (waybackpy, requests) are bounded. Every connection goes to the address the guard
vetted (no second DNS answer: no rebinding). The checker's own transport is urllib3
(``new_pool_manager``); the archive and Crossref clients get a requests session over the
same watched connections (``new_session``).
"""

from __future__ import annotations

import functools
import heapq
import socket
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationValueError

from . import DEFAULT_USER_AGENT  # noqa: F401 - importable from here, as the archive stage does
from .address import AddressGuard, parse_address
from .model import FetchError

if TYPE_CHECKING:
    from concurrent.futures import Executor

    import requests


class _Watchdog:
    """One thread that shuts sockets down when their request's deadline passes.

    Shutting a socket down makes a blocked recv() return at once, which is the
    only portable way to bound a request that trickles data forever.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Guarded]] = []
        self._cv = threading.Condition()
        self._seq = 0
        self._active = 0  # scopes not yet finished; the heap also holds finished ones
        self._thread = threading.Thread(target=self._run, name="citewatch-watchdog", daemon=True)
        self._thread.start()

    def watch(self, guarded: _Guarded) -> None:
        with self._cv:
            self._seq += 1
            self._active += 1
            earliest = not self._heap or guarded.deadline < self._heap[0][0]
            heapq.heappush(self._heap, (guarded.deadline, self._seq, guarded))
            if earliest:  # otherwise the thread already wakes in time: no switch per request
                self._cv.notify()

    def finished(self) -> None:
        """A scope ended before its deadline. Its entry would stay in the heap until the
        deadline (30 s of requests: ~10,000 entries and their connections at 300 URLs/s);
        once finished entries outnumber live ones, they are dropped in one pass."""
        with self._cv:
            self._active -= 1
            if len(self._heap) > 2 * self._active + 64:
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)

    def cut_all(self) -> None:
        """Cut every request under way (Ctrl-C: what they would bring is not waited for)."""
        with self._cv:
            scopes = [entry[2] for entry in self._heap]
        for guarded in scopes:
            guarded.expire()  # a no-op for a finished one

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap:
                    self._cv.wait()
                when, _, guarded = self._heap[0]
                delay = when - time.monotonic()
                if delay > 0:
                    self._cv.wait(timeout=delay)
                    continue
                heapq.heappop(self._heap)
            guarded.expire()


class _Guarded:
    """The connections one URL's request is using, so they can be cut at the deadline.

    Their sockets are kept too: an answer that ends when the server closes the connection
    (``Connection: close``, HTTP/1.0) makes http.client drop ``conn.sock`` once the headers
    are read, while the body is still read from that socket, so a server dripping such a
    body was out of the deadline's reach (a 2 s deadline ended after 10 s, when the server
    stopped)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.done = False
        self._conns: list[HTTPConnection] = []
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    def register(self, conn: HTTPConnection) -> None:
        sock = getattr(conn, "sock", None)
        with self._lock:
            self._conns.append(conn)
            if sock is not None:
                self._socks.append(sock)
            expired = self.expired
        if expired:
            self._shutdown([getattr(conn, "sock", None), sock])

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            conns, socks = list(self._conns), list(self._socks)
        self._shutdown([getattr(conn, "sock", None) for conn in conns] + socks)

    @staticmethod
    def _shutdown(socks: list[socket.socket | None]) -> None:
        for sock in {id(s): s for s in socks if s is not None}.values():
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


_current = threading.local()


def _register(conn: HTTPConnection) -> None:
    guarded = getattr(_current, "guarded", None)
    if guarded is not None:
        guarded.register(conn)


def _pinned_new_conn(conn: HTTPConnection, new_conn):
    """Connect to the address the guard vetted, not to a second DNS answer: otherwise a
    host could resolve to a public address for the check and to 169.254.169.254 for the
    connection (DNS rebinding). TLS still verifies and sends SNI for the real host name.
    Under a guard, a host it never vetted is not connected to at all."""
    guard = getattr(_current, "guard", None)
    if guard is None:
        return new_conn()
    pinned = guard.pinned(conn._dns_host, conn.port)
    if pinned is None:
        raise LocationValueError(f"{conn.host} was not vetted by the address guard")
    saved = conn._dns_host
    conn._dns_host = pinned
    try:
        return new_conn()
    finally:
        conn._dns_host = saved


class _Watched:
    """What both connection classes add: the vetted address, and the watchdog's reach."""

    def _new_conn(self):
        return _pinned_new_conn(self, super()._new_conn)

    def connect(self) -> None:
        super().connect()
        _register(self)

    def request(self, *args, **kwargs):  # a pooled connection is reused without connect()
        _register(self)
        return super().request(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _redirect_refusal(guard: AddressGuard, came_from: str, target: str) -> str | None:
    """Why an archive or Crossref endpoint may not send us to ``target`` (None: it may).
    The endpoint itself is the user's choice; where it redirects to is not: a hop stays
    at the same host and port, or goes to a public address, read the one way."""
    try:
        to = parse_address(target)
        here = parse_address(came_from)
    except ValueError as e:
        return str(e)
    if (to.host, to.port) == (here.host, here.port):
        return None
    return None if guard.is_public_url(target) else f"{to.host} is not a public address"


@functools.cache
def _guarded_session_class():
    import requests

    class GuardedSession(requests.Session):
        """A requests session whose every request (redirect hops included) is read the one
        way, resolved once with a deadline, and connected to the address that was vetted;
        a redirect is followed off the endpoint's host only to a public address."""

        def __init__(self) -> None:
            super().__init__()
            # the endpoints are the user's choice (a stand-in on loopback is fine); the
            # guard is here to pin each host to the address it was vetted at
            self.guard = AddressGuard(allow_private=True, dns_timeout=5.0)

        def send(self, request, **kwargs):
            refused = self.guard.check(request.url)
            if refused:
                kind, reason = refused
                error = (
                    requests.exceptions.ConnectionError
                    if kind == FetchError.UNREACHABLE
                    else requests.exceptions.InvalidURL
                )
                raise error(f"{request.url}: {reason}")
            previous = getattr(_current, "guard", None)
            _current.guard = self.guard
            try:
                return super().send(request, **kwargs)
            finally:
                _current.guard = previous

        def get_redirect_target(self, resp):
            """A refused redirect is not followed: the caller gets the 3xx answer itself."""
            location = super().get_redirect_target(resp)
            if location and _redirect_refusal(self.guard, resp.url, urljoin(resp.url, location)):
                return None
            return location

        def close(self) -> None:
            super().close()
            self.guard.close()

    return GuardedSession


def new_session(user_agent: str = DEFAULT_USER_AGENT, pool_size: int = 10) -> requests.Session:
    """A requests session whose sockets the watchdog can cut (archive stage, resolve).
    requests is imported here, not at module level: `check` never needs it (~50 ms)."""
    from requests.adapters import HTTPAdapter

    class _WatchedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    s = _guarded_session_class()()
    adapter = _WatchedAdapter(pool_connections=256, pool_maxsize=pool_size, max_retries=0)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.headers["User-Agent"] = user_agent
    s.trust_env = False  # a stray proxy variable must not reroute checks
    return s


def new_pool_manager(pool_size: int, ca_bundle: str | None = None) -> urllib3.PoolManager:
    """The checker's own transport: urllib3 (what requests runs on) without requests'
    per-call session machinery (settings merge, hooks, cookie jar), which cost ~0.6 ms of
    CPU per request under the GIL — 1.2 s over a 2,000-URL run. Same watched, pinned
    connections and the same CA bundle as a requests session (certifi)."""
    pm = urllib3.PoolManager(
        num_pools=256,
        maxsize=pool_size,
        block=False,
        retries=False,
        cert_reqs="CERT_REQUIRED",
        ca_certs=ca_bundle or certifi.where(),
    )
    pm.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return pm


_WATCHDOG: _Watchdog | None = None
_WATCHDOG_LOCK = threading.Lock()


def _watchdog() -> _Watchdog:
    global _WATCHDOG
    with _WATCHDOG_LOCK:
        if _WATCHDOG is None:
            _WATCHDOG = _Watchdog()
        return _WATCHDOG


def abandon(pool: Executor) -> None:
    """A stage interrupted (Ctrl-C): nothing queued in ``pool`` starts (cancelled first: a
    worker taking up queued work while requests were cut failed a test run in four), the
    requests under way are cut, and the pool's threads are waited for, which is at once."""
    pool.shutdown(wait=False, cancel_futures=True)
    cut_every_request()
    pool.shutdown(wait=True)


def cut_every_request() -> None:
    """Cut the requests of every deadline scope under way, in every thread: an interrupted
    stage (Ctrl-C, SIGTERM) ends now instead of at its lookups' deadlines, and a CI runner
    kills a cancelled job ~10 s after asking. Only for a process that is stopping."""
    if _WATCHDOG is not None:
        _WATCHDOG.cut_all()


class deadline_scope:
    """Bound every socket the calling thread opens inside ``with`` by a wall-clock deadline.

    Used by the archive stage too, so third-party calls (waybackpy) cannot hang a run.
    """

    def __init__(self, seconds: float) -> None:
        self.guarded = _Guarded(time.monotonic() + seconds)

    def __enter__(self) -> _Guarded:
        self._previous = getattr(_current, "guarded", None)
        _current.guarded = self.guarded
        self._dog = _watchdog()
        self._dog.watch(self.guarded)
        return self.guarded

    def __exit__(self, *exc) -> None:
        with self.guarded._lock:
            self.guarded.done = True
            self.guarded._conns.clear()
            self.guarded._socks.clear()
        _current.guarded = self._previous
        self._dog.finished()
