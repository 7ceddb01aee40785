"""One bounded, polite GET per URL — the only place cited sites are contacted.

This module is the redirect walk and the retries; the pieces under it have their own:
- ``transport``: sockets bounded by a wall-clock deadline (a watchdog shuts a socket that
  drips a byte a second) and connected only to the address the guard vetted;
- ``redirects``: where an answer sends us next (Location, Refresh, meta refresh), URIs;
- ``attempt``: one GET's outcome, and urllib3's exceptions read as a FetchError.
Why the walk is here:
- Redirects are followed hop by hop, so every hop is checked against the address guard
  (a public URL must not redirect CI into 169.254.169.254) and the chain is recorded for
  the report.
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
import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from . import DEFAULT_USER_AGENT
from .address import AddressGuard, parse_address
from .hosts import ALL_BUSY, HostGate, HostLimit, Reachability, Unreached
from .model import Fetch, FetchError
from .redirects import (
    header_text,
    host_of,
    meta_refresh_target,
    parse_retry_after,
    refresh_header_target,
    to_uri,
)
from .walls import wall

# urllib3 and what it brings (http.client, ssl, email: ~45 ms of start-up) are imported
# by the first Fetcher, not with this module: a run the cache answers whole sends nothing
if TYPE_CHECKING:
    from .attempt import Attempt
    from .transport import _Guarded


def __getattr__(name: str) -> Any:
    """``new_session``, importable from here as before the split, without importing the
    transport with this module."""
    if name == "new_session":
        from .transport import new_session

        return new_session
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        import urllib3

        from .transport import new_pool_manager

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
        """Send nothing more (Ctrl-C, SIGTERM, a fault that ends the run), and cut the
        requests under way (every deadline scope of the process: it is stopping): waiting for
        their deadlines kept a cancelled run alive up to ``--timeout`` (30 s) more, and a CI
        runner kills a cancelled job ~10 s after asking, mid-write. A request of this
        fetcher cut so ends in ``Stopped``, never in a failure recorded against its URL."""
        from .transport import cut_every_request

        self._stopping.set()
        self.gate.stop()
        cut_every_request()

    @property
    def stopping(self) -> bool:
        """stop() was called: what is cut now is not the URL's doing."""
        return self._stopping.is_set()

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

    def _wait_turn(self, host: str, clock: _Clock) -> Attempt | None:
        """Wait for a turn on ``host`` (a redirect, a retry, a probe); None once taken."""
        from .attempt import Attempt

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
            return Attempt(error=FetchError.SKIPPED, error_reason=RAN_OUT)
        return Attempt(
            error=FetchError.TIMEOUT, error_reason=f"no turn for {host} within the {clock.timeout:g}s deadline"
        )

    # one GET, no redirects, no retries
    def _attempt(self, url: str, clock: _Clock, cookies: dict[str, str] | None = None) -> Attempt:
        import urllib3

        from .attempt import Attempt, classify_exception
        from .transport import _current, deadline_scope

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
                if self._stopping.is_set():  # stop() cut the requests before this one was watched
                    guarded.expire()
                try:
                    att = self._get(url, remaining, guarded, cookies)
                except (urllib3.exceptions.HTTPError, OSError) as e:
                    if guarded.expired:
                        raise _Deadline from None
                    return classify_exception(e)
                finally:
                    _current.guard = None
                # the watchdog (or stop) cut the socket: what was read (headers dripped a
                # byte at a time, a body cut short) is not an answer
                if guarded.expired:
                    raise _Deadline
                return att
        except _Deadline:
            if self._stopping.is_set():  # cut by stop(), not by its deadline: not a timeout
                raise Stopped(url) from None
            return Attempt(
                error=FetchError.TIMEOUT, error_reason=f"no complete answer within the {s.timeout:g}s deadline"
            )
        finally:
            self._release(host)

    def _get(self, url: str, remaining: float, guarded: _Guarded, cookies: dict[str, str] | None) -> Attempt:
        import urllib3

        from .attempt import Attempt

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
            att = Attempt(
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
            location = header_text(location) if location else None
            refresh = None
            if not location and att.status == 200 and s.follow_meta_refresh:
                refresh = refresh_header_target(att.headers.get("refresh"))
                if not refresh and "html" in att.headers.get("content-type", "html"):
                    refresh = meta_refresh_target(att.body)
            if location or refresh:
                try:
                    target = to_uri(urljoin(current, location or refresh))
                except ValueError as e:  # a port out of range, a broken IPv6 literal
                    from .attempt import clip

                    result.error = FetchError.ERROR
                    result.error_reason = f"redirects to a malformed URL ({clip(location or refresh or '')!r}: {e})"
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

    def _note_reach(self, host: str, att: Attempt) -> None:
        """Whether the host answered at all: an offline machine is told apart from dead sites."""
        if att.status is not None:
            self.reach.answered(host)
        elif att.unreached:
            self.reach.failed(host, att.unreached)

    def _with_retries(self, url: str, clock: _Clock, result: Fetch, cookies: dict[str, str]) -> Attempt:
        from .attempt import cookie_pairs

        s = self.settings
        host = host_of(url)
        for n in range(s.retries + 1):
            att = self._attempt(url, clock, cookies)
            if att.error is FetchError.SKIPPED:  # the run's time ran out before the request's turn
                return att
            result.attempts += 1
            cookies.update(cookie_pairs(att.set_cookies))
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
            if self._stopping.wait(wait):  # a Ctrl-C during the pause ends it
                raise Stopped(url)
            if att.retry_after:
                self.gate.note_wait(host, wait)
        return att
