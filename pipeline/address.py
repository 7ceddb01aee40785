"""Which addresses citewatch may contact, read once and connected to exactly as vetted.

citewatch fetches URLs that strangers wrote, from CI machines that can reach cloud
metadata services, intranets and loopback daemons. Two rules keep it from being steered
into them (server-side request forgery):

- **One reading of an address.** A URL is parsed and normalised by ``parse_address``
  (scheme; host lowercased, trailing dot dropped, IDNA; port). Python's urllib and
  urllib3 disagree on some authorities (``http://127.0.0.1:80\\@example.com/`` is
  ``example.com`` to the first and ``127.0.0.1`` to the second), so an authority with a
  backslash, a control character or white space, or one the two parsers read
  differently, is refused outright. The fetcher then hands urllib3 the URL rebuilt from
  that reading (``Address.request_url``), never the text it was given.
- **Connect to what was vetted.** ``AddressGuard`` resolves the host once (with a
  deadline), refuses non-public addresses — including IPv6 forms that embed a private
  IPv4 address — and keeps the answer; the connection goes to that IP (the pin), so a
  second DNS answer cannot point it at 127.0.0.1 (DNS rebinding).

``may_share`` says whether a URL may be sent to a third party (the Wayback Machine):
a private address never leaves the machine unless the user asked for it separately.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import idna

from .vocab import FetchError

DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class BadAddress(ValueError):
    """An address citewatch will not read, with the reason a user can act on."""


@dataclass(frozen=True)
class Address:
    """An http(s) URL as citewatch reads it: the one reading the guard vets and the
    connection uses."""

    scheme: str
    host: str  # lowercase, no trailing dot, IDNA A-labels; an IPv6 literal without brackets
    port: int
    path_and_query: str  # as given ("/" when empty); never part of the vetting

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def request_url(self) -> str:
        """The URL handed to the connection: the vetted host and port, no credentials."""
        return f"{self.scheme}://{self.netloc}{self.path_and_query}"

    @property
    def literal(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None


def normalise_host(host: str) -> str:
    """The one form of a host name used for vetting, pinning and connecting."""
    host = host.strip("[]").lower()
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]
    if host and not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as e:
            raise BadAddress(f"host {host!r} is not a valid international domain name ({e})") from None
    return host


def _unsafe_char(authority: str) -> str | None:
    for ch in authority:
        if ch == "\\":
            return "a backslash"
        if ord(ch) < 0x20 or ord(ch) == 0x7F or (0x80 <= ord(ch) < 0xA0):
            return f"a control character (U+{ord(ch):04X})"
        if ch.isspace():
            return "white space"
    return None


@lru_cache(maxsize=4096)
def parse_address(url: str) -> Address:
    """Parse and normalise an http(s) URL once, or raise ``BadAddress`` saying why not.
    Cached: the guard and the request read each URL (~20 µs a reading, under the GIL)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadAddress(f"not an http(s) URL ({parts.scheme or 'no scheme'})")
    authority = parts.netloc
    bad = _unsafe_char(authority)
    if bad:
        raise BadAddress(f"the address's host part contains {bad}")
    if not parts.hostname:
        raise BadAddress("URL has no host")
    if "%" in parts.hostname:
        raise BadAddress("the host name contains '%' (an encoded or zoned host)")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise BadAddress("URL has an invalid port") from None
    host = normalise_host(parts.hostname)
    if not host or host.endswith("."):
        raise BadAddress("URL has no usable host")
    # the connection library must read the same host and port, or the URL is refused
    from urllib3.exceptions import LocationParseError  # not at start-up: a cached run fetches nothing
    from urllib3.util import parse_url

    try:
        other = parse_url(url)
        other_host = normalise_host(other.host or "")
    except (LocationParseError, BadAddress, ValueError):
        raise BadAddress("the address is read differently by different URL parsers") from None
    if other_host != host or (other.port or DEFAULT_PORTS[scheme]) != port:
        raise BadAddress("the address is read differently by different URL parsers")
    path_and_query = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return Address(scheme, host, port, path_and_query)


_AUTHORITY = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\\]*)")


def redact_credentials(url: str) -> str:
    """``https://user:secret@host/`` as ``https://user:***@host/`` (a lone user name, often a
    token, as ``***@``): what is printed, reported and kept in the history. The fetcher
    never sends credentials from a URL either (``Address.request_url`` drops them)."""
    m = _AUTHORITY.match(url)
    if not m or "@" not in m.group(2):
        return url
    userinfo, _, hostport = m.group(2).rpartition("@")
    user, colon, _ = userinfo.partition(":")
    hidden = f"{user}:***" if colon else "***"
    return m.group(1) + hidden + "@" + hostport + url[m.end() :]


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo):
    a route to them may exist, so they are vetted like the IPv4 address itself."""
    found = []
    if ip.ipv4_mapped:
        found.append(ip.ipv4_mapped)
    if ip in _IPV4_COMPATIBLE or ip in _NAT64 or ip in _NAT64_LOCAL:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip.teredo:
        found.extend(ip.teredo)
    return found


def is_public_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable, not multicast, and (for IPv6) embedding no non-public IPv4."""
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        return all(v4.is_global and not v4.is_multicast for v4 in embedded_ipv4(ip))
    return True


class AddressGuard:
    """Resolve a host (with a deadline), refuse non-public addresses, and remember the
    vetted IP so the connection goes there and nowhere else."""

    def __init__(
        self,
        allow_private: bool,
        dns_timeout: float,
        allow_hosts: tuple[str, ...] = (),
        overrides: dict[str, str] | None = None,
        share_private: bool = False,
    ) -> None:
        self.allow_private = allow_private
        self.share_private = share_private
        self.allow_hosts = {normalise_host(h) for h in allow_hosts}
        self.overrides = {normalise_host(h): ip for h, ip in (overrides or {}).items()}
        self.dns_timeout = dns_timeout
        self._cache: dict[tuple[str, int], tuple[list[str], str | None]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="citewatch-dns")

    def pinned(self, host: str, port: int | None) -> str | None:
        """The vetted address to connect to (None: never vetted — do not connect)."""
        try:
            key = (normalise_host(host), port)
        except BadAddress:
            return None
        with self._lock:
            found = self._cache.get(key)
        return found[0][0] if found and found[0] else None

    def _resolve(self, host: str, port: int) -> tuple[list[str], str | None]:
        key = (host, port)
        if host in self.overrides:  # --resolve HOST:IP, like curl's
            with self._lock:
                self._cache[key] = ([self.overrides[host]], None)
            return self._cache[key]
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        try:
            infos = self._pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM).result(
                timeout=self.dns_timeout
            )
            result: tuple[list[str], str | None] = (sorted({i[4][0] for i in infos}), None)
        except FutureTimeout:
            result = ([], f"DNS lookup of {host} timed out")
        except (socket.gaierror, UnicodeError) as e:
            result = ([], f"DNS lookup failed for {host} ({_gai_reason(e)})")
        with self._lock:
            self._cache[key] = result
        return result

    def _addresses(self, address: Address) -> tuple[list[str], str | None]:
        literal = address.literal
        if literal is None:
            return self._resolve(address.host, address.port)
        with self._lock:  # a literal is its own pin
            self._cache[(address.host, address.port)] = ([str(literal)], None)
        return [str(literal)], None

    def check(self, url: str) -> tuple[FetchError, str] | None:
        """None if the URL may be fetched, else (error kind, reason)."""
        try:
            address = parse_address(url)
        except BadAddress as e:
            if str(e).startswith("not an http(s) URL"):
                return FetchError.SKIPPED, str(e)
            return FetchError.ERROR, f"refused: {e}"  # a malformed address: the citation's to fix
        addresses, error = self._addresses(address)
        if error:
            return FetchError.UNREACHABLE, error
        if not self.allow_private and address.host not in self.allow_hosts:
            for a in addresses:
                if not is_public_ip(ipaddress.ip_address(a.split("%")[0])):
                    return (
                        FetchError.REFUSED,
                        f"refused: {address.host} resolves to non-public address {a} (use --allow-private)",
                    )
        return None

    def is_public_url(self, url: str) -> bool:
        """A well-formed http(s) URL whose host resolves only to public addresses,
        whatever --allow-private and --allow-host say."""
        try:
            address = parse_address(url)
        except BadAddress:
            return False
        addresses, error = self._addresses(address)
        return not error and all(is_public_ip(ipaddress.ip_address(a.split("%")[0])) for a in addresses)

    def may_share(self, url: str) -> bool:
        """May this URL be sent to a third party (the Wayback Machine)? Only a public one,
        unless the user asked separately (--share-private): an intranet address, or a
        private one allowed for checking, stays on this machine."""
        if "@" in (_AUTHORITY.match(url) or ("", "", ""))[2]:
            return False  # a URL with credentials in it is somebody's private page
        if self.is_public_url(url):
            return True
        return self.share_private and self.check(url) is None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _gai_reason(e: Exception) -> str:
    if isinstance(e, socket.gaierror) and e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
        return "no such host"
    return str(getattr(e, "strerror", None) or e)
