"""What the archive stage asks of an archive service, whichever archive it is.

The Wayback Machine (wayback.py: CDX lookups, Save Page Now captures) and the Memento
archives (memento.py: lookups in any RFC 7089 TimeMap, e.g. the Memento aggregator or
archive.today) answer the same three questions, so the stage's policy — which copy to
offer for a dead page, when to capture a live one — is written once, against this
interface. A new archive is one class here-shaped and one line in ``services_for``
(settings.py).

Errors are values: a lookup that failed says why in ``Lookup.error``; the stage turns it
into the citation's archive note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from ..model import Snapshot


@dataclass
class Lookup:
    closest: Snapshot | None = None  # closest to the footnote's date, 2xx
    latest: Snapshot | None = None
    error: str | None = None  # the service could not answer (the copies above are then None)


@dataclass
class Capture:
    snapshot: Snapshot | None = None
    pending_job: str | None = None  # still running: resume next run
    error: str | None = None
    ambiguous: bool = False  # 520/523/timeout: may have succeeded


class ArchiveService(Protocol):
    """One archive, as the archive stage uses it."""

    name: str  # for notes: "Wayback Machine", "Memento (timetravel.mementoweb.org)"
    max_age: dt.timedelta  # a copy younger than this is recent enough: no new capture
    keeps_live_pages: bool  # asked for reached pages too (the Wayback Machine), or only for dead ones

    def start(self) -> list[str]:
        """Before the first URL: run-level notes (missing keys, no free slot, ...)."""
        ...

    def can_capture(self, url: str) -> bool:
        """Whether ``capture`` may be asked for this URL now (keys, limits, the service's kind)."""
        ...

    def lookup(self, url: str, near: dt.date | None) -> Lookup:
        """The copy closest to ``near`` (before it, else after) and the latest one."""
        ...

    def capture(self, url: str) -> Capture:
        """Ask the archive to take a copy now; lookup-only services answer with an error."""
        ...

    def resumed(self, url: str) -> Snapshot | None:
        """A copy an earlier run asked for and this run found finished, if any."""
        ...

    def raw_copy_url(self, snapshot: Snapshot) -> str:
        """Where the archived bytes can be fetched as the site sent them (no banner, no
        rewritten links), to check the copy is not an archived error page."""
        ...

    def finish(self) -> list[str]:
        """After the last URL: run-level notes (captures stopped, endpoint down, ...)."""
        ...
