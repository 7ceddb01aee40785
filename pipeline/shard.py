"""Which citations one shard of a job matrix checks (``--shard K/N``).

When one runner is not enough, a CI job matrix runs N copies of citewatch, each on the
citations whose site hashes to its shard; ``citewatch merge`` (merge.py) then puts their
archive/ changes and reports back together. The hash is of the *registered* domain
(``news.bbc.co.uk`` and ``www.bbc.co.uk`` are one site), so all requests to one site come
from one runner and the per-host limits still hold across the matrix. It is sha1, not
Python's ``hash``: that one is salted per process, and every runner must agree.

A citation with no usable URL has no site: it belongs to shard 1, so it is reported once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from .errors import InputError
from .model import Citation

C = TypeVar("C", bound=Citation)


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based, as a matrix lists them) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, url: str | None) -> bool:
        return shard_of(url, self.count) == self.index

    def select(self, citations: Iterable[C]) -> list[C]:
        """This shard's citations, in their order. A malformed URL counts as none."""
        return [c for c in citations if self.owns(None if c.bad_url is not None else c.url)]


def parse_shard(text: str) -> Shard:
    """``"2/4"`` → Shard(2, 4); an InputError that says what is wrong otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not m:
        raise InputError(f"--shard {text!r}: expected K/N, e.g. 1/4 (shard K of N, counted from 1)")
    index, count = int(m.group(1)), int(m.group(2))
    if count < 1 or not 1 <= index <= count:
        raise InputError(f"--shard {text!r}: K must be between 1 and N, and N at least 1")
    return Shard(index, count)


def site_of(url: str | None) -> str | None:
    """The registered domain (or the IP address) a URL's requests go to; None without a host."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    from .metadata import registered_domain

    return (registered_domain(host) or host).lower().rstrip(".")


def shard_of(url: str | None, count: int) -> int:
    """The shard (1..count) whose runner checks ``url``; the same on every machine."""
    site = site_of(url)
    if site is None or count <= 1:
        return 1
    return int.from_bytes(hashlib.sha1(site.encode("utf-8")).digest()[:8], "big") % count + 1
