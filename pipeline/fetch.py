"""One bounded, polite GET per URL — the only place cited sites are contacted.

The checker drives urllib3 (requests' engine) directly; ``new_session`` gives the
Wayback and Crossref clients a requests session over the same watched connections.
Why so much machinery:
- a socket ``timeout`` bounds each socket operation, not the request: a server
  that drips a byte a second never trips it. A watchdog therefore shuts the
  socket down when the per-URL wall-clock deadline passes.
- Redirects are followed here, hop by hop, so every hop is checked against the
  address guard (a public URL must not redirect CI into 169.254.169.254) and
  the chain is recorded for the report.
- Bodies are streamed and capped; decompression is bounded by urllib3 (>= 2.7
  decodes a chunk at a time; Brotli through brotlicffi, which can stop at a size)
  and by the same cap on decoded bytes.
- Hosts are treated politely (hosts.HostGate): at most ``per_host`` requests at
  once, a minimum gap between them, and a slow-down when a host asks for one (429,
  or 503 with Retry-After; never for a bot wall, which is no sign of overload).
- A URL's deadline starts at its first request: the scheduler (check.py) keeps URLs
  waiting for their host's turn out of the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http import client as http_client
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import certifi
import idna
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    InvalidChunkLength,
    InvalidHeader,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from . import PROJECT_URL, __version__
from .address import AddressGuard, parse_address
from .hosts import ALL_BUSY, HostGate, HostLimit, Reachability, Unreached
from .model import Fetch, FetchError
from .walls import wall

if TYPE_CHECKING:
    import requests

DEFAULT_USER_AGENT = f"citewatch/{__version__} (+{PROJECT_URL}; source verification for footnotes)"
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}
REDIRECT_STATUS = {301, 302, 303, 307, 308}


@dataclass
class FetchSettings:
    timeout: float = 30.0  # total wall clock per URL, retries and redirects included
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # silence allowed between two reads
    max_bytes: int = 5_000_000
    max_redirects: int = 10
    retries: int = 2
    backoff: float = 1.0  # seconds; doubles each retry
    retry_after_cap: float = 60.0
    concurrency: int = 32
    per_host: int = 2
    min_interval: float = 0.0  # seconds between two requests to one host
    host_limits: tuple[HostLimit, ...] = ()  # a project's own limits for some hosts (hosts.HostLimit)
    user_agent: str = DEFAULT_USER_AGENT
    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()  # exempt from the private-address refusal (an intranet wiki)
    share_private: bool = False  # send non-public URLs to the Wayback Machine too (asked for separately)
    resolve: dict[str, str] = field(default_factory=dict)  # HOST → IP, instead of DNS (curl's --resolve)
    ca_bundle: str | None = None  # PEM file of trusted CAs; None: certifi's bundle
    follow_meta_refresh: bool = True
    dns_timeout: float = 5.0


class _Deadline(Exception):
    pass


class Stopped(Exception):
    """The run is being interrupted: a request not yet sent is not sent, and the check it
    belonged to is dropped rather than recorded as a failure."""


# --------------------------------------------------------------------------- watchdog
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
    """The connections one URL's request is using, so they can be cut at the deadline."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.done = False
        self._conns: list[HTTPConnection] = []
        self._lock = threading.Lock()

    def register(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._conns.append(conn)
            expired = self.expired
        if expired:
            self._shutdown(conn)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            conns = list(self._conns)
        for conn in conns:
            self._shutdown(conn)

    @staticmethod
    def _shutdown(conn: HTTPConnection) -> None:
        sock = getattr(conn, "sock", None)
        if sock is not None:
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


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self):
        return _pinned_new_conn(self, super()._new_conn)

    def connect(self) -> None:
        super().connect()
        _register(self)

    def request(self, *args, **kwargs):  # a pooled connection is reused without connect()
        _register(self)
        return super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        return _pinned_new_conn(self, super()._new_conn)

    def connect(self) -> None:
        super().connect()
        _register(self)

    def request(self, *args, **kwargs):
        _register(self)
        return super().request(*args, **kwargs)


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
        _current.guarded = self._previous
        self._dog.finished()


# --------------------------------------------------------------------------- URLs
def to_uri(url: str) -> str:
    """IRI → URI: IDNA for the host, percent-encoding for non-ASCII path and query."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii") if host and not host.isascii() else host
    except idna.IDNAError:
        ascii_host = host
    netloc = ascii_host
    if ":" in ascii_host:  # IPv6 literal
        netloc = f"[{ascii_host}]"
    if parts.port:
        netloc += f":{parts.port}"
    if parts.username:
        userinfo = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{userinfo}@{netloc}"
    path = quote(parts.path, safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="=&%/:?@!$'()*+,;-._~")
    return urlunsplit((parts.scheme.lower(), netloc, path or "/", query, ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


# --------------------------------------------------------------------------- politeness
def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


_META_REFRESH = re.compile(
    rb"""<meta[^>]+http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']?\s*(\d+)\s*[;,]\s*url\s*=\s*['"]?([^"'>\s]+)""",
    re.I,
)


_REFRESH_HEADER = re.compile(r"""^\s*(\d+)(?:\.\d*)?\s*[;,]\s*(?:url\s*=\s*)?['"]?([^'"\s]+)""", re.I)


def refresh_header_target(value: str | None) -> str | None:
    """The URL of an immediate (≤ 5 s) ``Refresh: 0; url=…`` header, which browsers follow
    as they follow the <meta> form."""
    m = _REFRESH_HEADER.match(value or "")
    if m and int(m.group(1)) <= 5:
        return _header_text(m.group(2))
    return None


def _header_text(value: str) -> str:
    """A header value as the server meant it. http.client decodes header bytes as
    Latin-1; servers that put a raw UTF-8 address in Location (many do) meant UTF-8,
    which is also how browsers read it: /café must not become /cafÃ©."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def meta_refresh_target(body: bytes) -> str | None:
    """The URL of an immediate ``<meta http-equiv=refresh>`` (≤ 5 s), if the page has one."""
    m = _META_REFRESH.search(body[:65536])
    if m and int(m.group(1)) <= 5:
        return m.group(2).decode("latin-1").strip()
    return None


# --------------------------------------------------------------------------- fetcher
@dataclass
class _Attempt:
    status: int | None = None
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    error: FetchError | None = None
    error_reason: str | None = None
    retry_after: float | None = None
    http_version: str = "HTTP/1.1"
    reset: bool = False  # a reset connection is worth retrying; a refused one is not
    set_cookies: list[str] = field(default_factory=list)
    unreached: Unreached | None = None  # the host could not be reached at all


RAN_OUT = "not checked: the run's --max-time ran out before its turn"


@dataclass
class Turn:
    """A slot on a host (and one of the run's connections) that the scheduler took for a
    URL's first request; that request gives it back when it ends."""

    host: str


class _Clock:
    """One check's deadline. It starts at the check's first request, never while the
    URL waits for its turn; until then only the run's deadline (--max-time) bounds the
    wait."""

    def __init__(self, timeout: float, run_deadline: float | None, turn: Turn | None) -> None:
        self.timeout = timeout
        self.run_deadline = run_deadline
        self.turn = turn
        self.deadline: float | None = None
        self.started: float | None = None
        self.started_at: dt.datetime | None = None

    def start(self) -> None:
        if self.deadline is None:
            self.started = time.monotonic()
            self.started_at = dt.datetime.now(dt.UTC)
            self.deadline = self.started + self.timeout

    def limit(self) -> float | None:
        return self.deadline if self.deadline is not None else self.run_deadline


class Fetcher:
    """Fetch URLs under one set of limits (deadlines, caps, address guard, per-host gate).

    Thread-safe: one Fetcher serves every worker of a run, so the per-host limits hold
    across all of them. ``check.check_urls`` is the run-level entry point.
    """

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        s = self.settings
        self.http = new_pool_manager(max(2, s.per_host, *(lim.per_host or 0 for lim in s.host_limits)), s.ca_bundle)
        self.headers = {
            "User-Agent": s.user_agent,
            "Accept-Encoding": urllib3.util.make_headers(accept_encoding=True)["accept-encoding"],
            "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8",
            "Accept-Language": "en,*;q=0.5",
        }
        self.guard = AddressGuard(s.allow_private, s.dns_timeout, s.allow_hosts, s.resolve, s.share_private)
        self.gate = HostGate(s.per_host, s.min_interval, s.host_limits)
        self.reach = Reachability()
        # Requests in flight, counted here rather than by the caller's thread count: a
        # worker busy reading a page it has fetched holds no network slot.
        self.in_flight = threading.BoundedSemaphore(max(1, s.concurrency))
        self.run_deadline: float | None = None  # --max-time, set by the check run
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Send nothing more (Ctrl-C); requests already under way end at their deadline."""
        self._stopping.set()
        self.gate.stop()

    def close(self) -> None:
        self.http.clear()
        self.guard.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # turns: a slot on the host and one of the run's connections
    def take_turn(self, host: str) -> Turn | float:
        """The scheduler's way in: a turn if ``host`` may be sent a request now, else when
        to ask again (``math.inf``: when the host frees a slot; ``ALL_BUSY``: when any
        request ends). Never waits."""
        if self._stopping.is_set() or not self.in_flight.acquire(blocking=False):
            return ALL_BUSY
        wait = self.gate.try_acquire(host)
        if wait is not None:
            self.in_flight.release()
            return wait
        return Turn(host)

    def give_back(self, turn: Turn) -> None:
        """A turn not used after all (the URL was fresh in the cache)."""
        self._release(turn.host)

    def _release(self, host: str) -> None:
        self.in_flight.release()
        self.gate.release(host)  # last: the scheduler it wakes finds both slots free

    def _wait_turn(self, host: str, clock: _Clock) -> _Attempt | None:
        """Wait for a turn on ``host`` (a redirect, a retry, a probe); None once taken."""
        limit = clock.limit()
        if self.gate.acquire(host, limit):
            while not self._stopping.is_set():
                left = 0.5 if limit is None else min(0.5, limit - time.monotonic())
                if self.in_flight.acquire(timeout=max(0.0, left)):
                    return None
                if limit is not None and time.monotonic() >= limit:
                    break
            self.gate.release(host)
        if self._stopping.is_set():
            raise Stopped(host)
        if clock.deadline is None:
            return _Attempt(error=FetchError.SKIPPED, error_reason=RAN_OUT)
        return _Attempt(
            error=FetchError.TIMEOUT, error_reason=f"no turn for {host} within the {clock.timeout:g}s deadline"
        )

    # one GET, no redirects, no retries
    def _attempt(self, url: str, clock: _Clock, cookies: dict[str, str] | None = None) -> _Attempt:
        s = self.settings
        host = host_of(url)
        turn, clock.turn = clock.turn, None
        if turn is not None and turn.host != host:
            self._release(turn.host)
            turn = None
        if turn is None:
            refused = self._wait_turn(host, clock)
            if refused is not None:
                return refused
        clock.start()
        try:
            if self._stopping.is_set():
                raise Stopped(url)
            remaining = clock.deadline - time.monotonic()
            if remaining <= 0:
                raise _Deadline
            scope = deadline_scope(remaining)
            _current.guard = self.guard
            with scope as guarded:
                try:
                    att = self._get(url, remaining, guarded, cookies)
                except (urllib3.exceptions.HTTPError, OSError) as e:
                    if guarded.expired:
                        raise _Deadline from None
                    return _classify_exception(e)
                finally:
                    _current.guard = None
                # the watchdog cut the socket: what was read (headers dripped a byte at a
                # time, a body cut short) is not an answer
                if guarded.expired:
                    raise _Deadline
                return att
        except _Deadline:
            return _Attempt(
                error=FetchError.TIMEOUT, error_reason=f"no complete answer within the {s.timeout:g}s deadline"
            )
        finally:
            self._release(host)

    def _get(self, url: str, remaining: float, guarded: _Guarded, cookies: dict[str, str] | None) -> _Attempt:
        s = self.settings
        headers = self.headers
        if cookies:
            headers = {**headers, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        resp = self.http.urlopen(
            "GET",
            parse_address(url).request_url,  # the reading the guard vetted, nothing else
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            decode_content=True,
            timeout=urllib3.Timeout(connect=min(s.connect_timeout, remaining), read=min(s.read_timeout, remaining)),
        )
        try:
            att = _Attempt(
                status=resp.status,
                reason=resp.reason,
                # one value per name, repeated headers joined, as requests gives them
                headers={k.lower(): resp.headers[k] for k in resp.headers},
                http_version={10: "HTTP/1.0", 11: "HTTP/1.1"}.get(resp.version, "HTTP/1.1"),
                set_cookies=resp.headers.getlist("set-cookie"),
            )
            if resp.status in REDIRECT_STATUS and "location" in att.headers:
                return att  # the body of a redirect is not worth reading
            chunks, total = [], 0
            for chunk in resp.stream(65536, decode_content=True):
                if guarded.expired:
                    raise _Deadline
                chunks.append(chunk)
                total += len(chunk)
                if total >= s.max_bytes:
                    att.truncated = True
                    break
            body = b"".join(chunks)
            if len(body) > s.max_bytes:
                body = body[: s.max_bytes]
            att.body = body
            att.retry_after = parse_retry_after(att.headers.get("retry-after"))
            return att
        finally:
            # a body read to the end has already returned its connection to the pool;
            # an unread or capped one closes it (never reuse a half-read connection)
            resp.close()
            resp.release_conn()

    def fetch(self, url: str, turn: Turn | None = None) -> Fetch:
        """Follow redirects (and meta refresh) with retries, all inside one deadline that
        starts with the first request. ``turn``: the slot the scheduler took for it."""
        s = self.settings
        clock = _Clock(s.timeout, self.run_deadline, turn)
        result = Fetch(url=url, request_headers=dict(self.headers))
        try:
            return self._follow(url, clock, result)
        finally:
            if clock.turn is not None:  # never sent: refused, malformed, DNS failed
                self._release(clock.turn.host)
            result.started_at = clock.started_at or dt.datetime.now(dt.UTC)
            if clock.started is not None:
                result.elapsed_ms = int((time.monotonic() - clock.started) * 1000)

    def _follow(self, url: str, clock: _Clock, result: Fetch) -> Fetch:
        s = self.settings
        # cookies set along this one redirect chain, sent back to the host that set them
        # (sites that set a cookie and redirect to check it); nothing is kept across URLs
        jar: dict[str, dict[str, str]] = {}
        try:
            current = to_uri(url)
        except ValueError as e:
            result.error, result.error_reason = FetchError.ERROR, f"malformed URL: {e}"
            return result

        # a loop is a URL revisited with nothing changed: coming back to it with a cookie
        # it has just set is how cookie checks work
        def state(url: str) -> tuple[str, frozenset]:
            return url, frozenset(jar.get(host_of(url), {}).items())

        seen = {state(current)}
        for _hop in range(s.max_redirects + 1):
            if clock.turn is not None:
                clock.start()  # the turn is ours: the request starts with its DNS lookup
            refused = self.guard.check(current)
            if refused:
                result.error, result.error_reason = refused
                result.final_url = current
                if refused[0] is FetchError.UNREACHABLE:
                    self.reach.failed(host_of(current), Unreached.DNS)
                return result
            att = self._with_retries(current, clock, result, jar.setdefault(host_of(current), {}))
            result.final_url = current
            self._note_reach(host_of(current), att)
            if att.error:
                result.error, result.error_reason = att.error, att.error_reason
                return result
            location = att.headers.get("location") if att.status and 300 <= att.status < 400 else None
            location = _header_text(location) if location else None
            refresh = None
            if not location and att.status == 200 and s.follow_meta_refresh:
                refresh = refresh_header_target(att.headers.get("refresh"))
                if not refresh and "html" in att.headers.get("content-type", "html"):
                    refresh = meta_refresh_target(att.body)
            if location or refresh:
                try:
                    target = to_uri(urljoin(current, location or refresh))
                except ValueError as e:  # a port out of range, a broken IPv6 literal
                    result.error = FetchError.ERROR
                    result.error_reason = f"redirects to a malformed URL ({_clip(location or refresh or '')!r}: {e})"
                    return result
                result.chain.append(
                    {"url": current, "status": att.status if location else "meta-refresh", "location": target}
                )
                if state(target) in seen:
                    result.error, result.error_reason = FetchError.ERROR, f"redirect loop back to {target}"
                    return result
                if refresh:
                    result.meta_refresh = True
                seen.add(state(target))
                current = target
                continue
            result.http_status, result.reason_phrase = att.status, att.reason
            result.headers, result.body, result.truncated = att.headers, att.body, att.truncated
            result.http_version = att.http_version
            return result
        result.error, result.error_reason = FetchError.ERROR, f"more than {s.max_redirects} redirects"
        return result

    def _note_reach(self, host: str, att: _Attempt) -> None:
        """Whether the host answered at all: an offline machine is told apart from dead sites."""
        if att.status is not None:
            self.reach.answered(host)
        elif att.unreached:
            self.reach.failed(host, att.unreached)

    def _with_retries(self, url: str, clock: _Clock, result: Fetch, cookies: dict[str, str]) -> _Attempt:
        s = self.settings
        host = host_of(url)
        for n in range(s.retries + 1):
            att = self._attempt(url, clock, cookies)
            if att.error is FetchError.SKIPPED:  # the run's time ran out before the request's turn
                return att
            result.attempts += 1
            cookies.update(_cookie_pairs(att.set_cookies))
            # a bot wall answering 429/503 is not a host out of breath: no back-off, no retry
            walled = att.status is not None and att.status >= 400 and wall(att.status, att.headers, att.body, 0)
            if not walled and (att.status == 429 or (att.status == 503 and att.retry_after is not None)):
                self.gate.slow_down(host, min(att.retry_after, s.retry_after_cap) if att.retry_after else None)
            retryable = not walled and (att.error is FetchError.TIMEOUT or att.reset or att.status in RETRYABLE_STATUS)
            if not retryable or n == s.retries or clock.deadline is None:
                return att
            if att.error is FetchError.TIMEOUT and time.monotonic() >= clock.deadline:
                return att
            wait = s.backoff * (2**n) * (0.75 + random.random() / 2)
            if att.retry_after is not None:
                if att.retry_after > s.retry_after_cap:
                    return att  # asked to come back much later: report it, do not wait an hour
                wait = max(wait, att.retry_after)
            if time.monotonic() + wait >= clock.deadline:
                return att
            time.sleep(wait)
            if att.retry_after:
                self.gate.note_wait(host, wait)
        return att


def _cookie_pairs(set_cookies: list[str]) -> dict[str, str]:
    """name → value from Set-Cookie headers (attributes ignored: the cookie goes back only
    to the host that set it, within one check)."""
    pairs = {}
    for header in set_cookies:
        name, sep, value = header.split(";", 1)[0].partition("=")
        if sep and name.strip():
            pairs[name.strip()] = value.strip()
    return pairs


def _classify_exception(e: Exception) -> _Attempt:
    """urllib3's exceptions (and the OSErrors under them) as a status and a reason."""
    text = repr(e)
    if isinstance(e, NameResolutionError) or "getaddrinfo" in text or "Name or service not known" in text:
        return _Attempt(error=FetchError.UNREACHABLE, error_reason="DNS lookup failed", unreached=Unreached.DNS)
    if isinstance(e, NewConnectionError):  # before ConnectTimeoutError: it is one, in urllib3 2
        if "refused" in text.lower():
            return _Attempt(
                error=FetchError.UNREACHABLE, error_reason="connection refused", unreached=Unreached.CONNECT
            )
        if "timed out" in text.lower():
            return _Attempt(error=FetchError.TIMEOUT, error_reason="connection timed out", unreached=Unreached.CONNECT)
        return _Attempt(error=FetchError.UNREACHABLE, error_reason="could not connect", unreached=Unreached.CONNECT)
    if isinstance(e, ConnectTimeoutError):
        return _Attempt(error=FetchError.TIMEOUT, error_reason="connection timed out", unreached=Unreached.CONNECT)
    if isinstance(e, ReadTimeoutError) or "Read timed out" in text:
        return _Attempt(error=FetchError.TIMEOUT, error_reason="server stopped answering (read timed out)")
    if isinstance(e, SSLError):
        detail = re.search(r"\[SSL[^\]]*\][^'\")]*", text)
        return _Attempt(
            error=FetchError.UNREACHABLE,
            error_reason=f"TLS failure: {detail.group(0) if detail else 'handshake failed'}",
        )
    if isinstance(e, DecodeError):
        return _Attempt(error=FetchError.ERROR, error_reason="malformed response (cannot decompress body)")
    if isinstance(e, LocationValueError):
        return _Attempt(error=FetchError.ERROR, error_reason=f"invalid URL: {e}")
    if isinstance(e, InvalidHeader):
        return _Attempt(error=FetchError.ERROR, error_reason=f"malformed response ({_clip(str(e))})")
    if isinstance(e, ProtocolError):
        return _classify_broken(e, e.args[1] if len(e.args) > 1 else None, text)
    if isinstance(e, ConnectionRefusedError):
        return _Attempt(error=FetchError.UNREACHABLE, error_reason="connection refused", unreached=Unreached.CONNECT)
    if isinstance(e, ConnectionResetError):
        return _Attempt(error=FetchError.UNREACHABLE, error_reason="connection reset by the server", reset=True)
    return _Attempt(error=FetchError.ERROR, error_reason=f"connection broke: {type(e).__name__}")


def _classify_broken(e: ProtocolError, cause: BaseException | None, text: str) -> _Attempt:
    """A connection that broke mid-answer, or an answer that is not HTTP. urllib3 calls both
    "Connection aborted", but a server that answered garbage is not unreachable, and
    asking it twice more will not mend its answer."""
    if isinstance(cause, http_client.RemoteDisconnected):  # a BadStatusLine too: test it first
        return _Attempt(
            error=FetchError.UNREACHABLE, error_reason="the server closed the connection without answering", reset=True
        )
    if isinstance(cause, InvalidChunkLength):  # an IncompleteRead too: test it first
        return _Attempt(error=FetchError.ERROR, error_reason="malformed response (broken chunked encoding)")
    if isinstance(cause, http_client.IncompleteRead):
        # http.client's holds the bytes read, urllib3's (a subclass) their number
        got = cause.partial if isinstance(cause.partial, int) else len(cause.partial)
        more = cause.expected or 0
        return _Attempt(
            error=FetchError.ERROR,
            error_reason=f"the answer was cut off after {got:,} of {got + more:,} bytes",
            reset=True,
        )
    if isinstance(cause, http_client.LineTooLong):
        return _Attempt(error=FetchError.ERROR, error_reason="malformed response (a header line longer than 64 KB)")
    if isinstance(cause, http_client.BadStatusLine):
        return _Attempt(error=FetchError.ERROR, error_reason=f"not an HTTP answer (status line {_clip(str(cause))!r})")
    if isinstance(cause, http_client.HTTPException) and "headers" in str(cause):
        return _Attempt(error=FetchError.ERROR, error_reason="malformed response (more than 100 header lines)")
    if isinstance(cause, ConnectionResetError) or "reset" in text.lower():
        return _Attempt(error=FetchError.UNREACHABLE, error_reason="connection reset by the server", reset=True)
    return _Attempt(error=FetchError.ERROR, error_reason=f"connection broke: {type(cause or e).__name__}")


def _clip(value: str, limit: int = 60) -> str:
    value = value.strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"
