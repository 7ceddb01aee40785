"""Where an answer sends us next, read the way browsers read it: an address as a URI
(IDNA host, percent-encoded path), ``Location`` as UTF-8, an immediate ``Refresh`` header
or ``<meta http-equiv=refresh>``, and ``Retry-After`` in seconds."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit, urlunsplit

import idna


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
        return header_text(m.group(2))
    return None


def header_text(value: str) -> str:
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
