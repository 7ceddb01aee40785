"""One GET's outcome (an answer, or why there was none), and how a broken connection
reads: urllib3's exceptions, and the OSErrors under them, as a FetchError and a reason a
person understands ("connection refused", "TLS failure: …")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import client as http_client

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

from .hosts import Unreached
from .model import FetchError


@dataclass
class Attempt:
    """One GET, no redirects, no retries."""

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


def cookie_pairs(set_cookies: list[str]) -> dict[str, str]:
    """name → value from Set-Cookie headers (attributes ignored: the cookie goes back only
    to the host that set it, within one check)."""
    pairs = {}
    for header in set_cookies:
        name, sep, value = header.split(";", 1)[0].partition("=")
        if sep and name.strip():
            pairs[name.strip()] = value.strip()
    return pairs


def classify_exception(e: Exception) -> Attempt:
    """urllib3's exceptions (and the OSErrors under them) as a status and a reason."""
    text = repr(e)
    if isinstance(e, NameResolutionError) or "getaddrinfo" in text or "Name or service not known" in text:
        return Attempt(error=FetchError.UNREACHABLE, error_reason="DNS lookup failed", unreached=Unreached.DNS)
    if isinstance(e, NewConnectionError):  # before ConnectTimeoutError: it is one, in urllib3 2
        if "refused" in text.lower():
            return Attempt(error=FetchError.UNREACHABLE, error_reason="connection refused", unreached=Unreached.CONNECT)
        if "timed out" in text.lower():
            return Attempt(error=FetchError.TIMEOUT, error_reason="connection timed out", unreached=Unreached.CONNECT)
        return Attempt(error=FetchError.UNREACHABLE, error_reason="could not connect", unreached=Unreached.CONNECT)
    if isinstance(e, ConnectTimeoutError):
        return Attempt(error=FetchError.TIMEOUT, error_reason="connection timed out", unreached=Unreached.CONNECT)
    if isinstance(e, ReadTimeoutError) or "Read timed out" in text:
        return Attempt(error=FetchError.TIMEOUT, error_reason="server stopped answering (read timed out)")
    if isinstance(e, SSLError):
        detail = re.search(r"\[SSL[^\]]*\][^'\")]*", text)
        return Attempt(
            error=FetchError.UNREACHABLE,
            error_reason=f"TLS failure: {detail.group(0) if detail else 'handshake failed'}",
        )
    if isinstance(e, DecodeError):
        return Attempt(error=FetchError.ERROR, error_reason="malformed response (cannot decompress body)")
    if isinstance(e, LocationValueError):
        return Attempt(error=FetchError.ERROR, error_reason=f"invalid URL: {e}")
    if isinstance(e, InvalidHeader):
        return Attempt(error=FetchError.ERROR, error_reason=f"malformed response ({clip(str(e))})")
    if isinstance(e, ProtocolError):
        return _classify_broken(e, e.args[1] if len(e.args) > 1 else None, text)
    if isinstance(e, ConnectionRefusedError):
        return Attempt(error=FetchError.UNREACHABLE, error_reason="connection refused", unreached=Unreached.CONNECT)
    if isinstance(e, ConnectionResetError):
        return Attempt(error=FetchError.UNREACHABLE, error_reason="connection reset by the server", reset=True)
    return Attempt(error=FetchError.ERROR, error_reason=f"connection broke: {type(e).__name__}")


def _classify_broken(e: ProtocolError, cause: BaseException | None, text: str) -> Attempt:
    """A connection that broke mid-answer, or an answer that is not HTTP. urllib3 calls both
    "Connection aborted", but a server that answered garbage is not unreachable, and
    asking it twice more will not mend its answer."""
    if isinstance(cause, http_client.RemoteDisconnected):  # a BadStatusLine too: test it first
        return Attempt(
            error=FetchError.UNREACHABLE, error_reason="the server closed the connection without answering", reset=True
        )
    if isinstance(cause, InvalidChunkLength):  # an IncompleteRead too: test it first
        return Attempt(error=FetchError.ERROR, error_reason="malformed response (broken chunked encoding)")
    if isinstance(cause, http_client.IncompleteRead):
        # http.client's holds the bytes read, urllib3's (a subclass) their number
        got = cause.partial if isinstance(cause.partial, int) else len(cause.partial)
        more = cause.expected or 0
        return Attempt(
            error=FetchError.ERROR,
            error_reason=f"the answer was cut off after {got:,} of {got + more:,} bytes",
            reset=True,
        )
    if isinstance(cause, http_client.LineTooLong):
        return Attempt(error=FetchError.ERROR, error_reason="malformed response (a header line longer than 64 KB)")
    if isinstance(cause, http_client.BadStatusLine):
        return Attempt(error=FetchError.ERROR, error_reason=f"not an HTTP answer (status line {clip(str(cause))!r})")
    if isinstance(cause, http_client.HTTPException) and "headers" in str(cause):
        return Attempt(error=FetchError.ERROR, error_reason="malformed response (more than 100 header lines)")
    if isinstance(cause, ConnectionResetError) or "reset" in text.lower():
        return Attempt(error=FetchError.UNREACHABLE, error_reason="connection reset by the server", reset=True)
    return Attempt(error=FetchError.ERROR, error_reason=f"connection broke: {type(cause or e).__name__}")


def clip(value: str, limit: int = 60) -> str:
    value = value.strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"
