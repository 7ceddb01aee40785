"""``--offline``: what the archive already knows about each URL, without a request.

For editing a report on a plane, and for testing reports: each URL gets the status of its
last real check in the history (archive/history/), its verdicts from the page metadata
that check stored, and its local WARC copy if it has one. Confirmation is computed from
the checks before it, as it was then. A URL the history has never seen is ``skipped``
("offline: never checked"). Nothing is fetched and nothing is added to the history: no
check happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from .archive.history import ConfirmPolicy, History, annotate
from .check import OnProgress, UrlOutcome
from .model import LinkCheck, Snapshot, SnapshotKind, Status

NEVER_CHECKED = "offline: never checked"


def stored_copy(url: str, entry: dict[str, Any]) -> Snapshot | None:
    """The local WARC copy a history entry points to, if it made one."""
    if not entry.get("warc"):
        return None
    return Snapshot(
        url=url,
        archive_url=entry["warc"],
        timestamp=dt.datetime.fromisoformat(entry["at"]),
        kind=SnapshotKind.LOCAL,
        http_status=entry.get("http_status"),
        note="local WARC copy from an earlier run",
    )


def stored_outcome(url: str, previous: list[dict[str, Any]], confirm: ConfirmPolicy) -> UrlOutcome:
    """One URL as its last real check left it."""
    from . import metadata

    real = [c for c in previous if c.get("status") != Status.SKIPPED.value]
    if not real:
        check = LinkCheck(url=url, status=Status.SKIPPED, reason=NEVER_CHECKED, checked_at=dt.datetime.now(dt.UTC))
        return UrlOutcome(check)
    last = real[-1]
    at = dt.datetime.fromisoformat(last["at"])
    check = LinkCheck(
        url=url,
        status=Status(last["status"]),
        reason=f"offline: as checked at {last['at']}: {last.get('reason', '')}",
        http_status=last.get("http_status"),
        final_url=last.get("final_url"),
        paywalled=bool(last.get("paywalled")),
        checked_at=at if at.tzinfo else at.replace(tzinfo=dt.UTC),
    )
    annotate(check, real[:-1], confirm)
    return UrlOutcome(check, metadata.page_from_dict(last.get("page")), stored_copy(url, last))


def stored_outcomes(
    urls: Iterable[str], history: History | None, confirm: ConfirmPolicy, on_progress: OnProgress | None = None
) -> dict[str, UrlOutcome]:
    """Every distinct URL's stored outcome, reported as ``check_urls`` reports fresh ones."""
    outcomes: dict[str, UrlOutcome] = {}
    for url in dict.fromkeys(urls):
        outcomes[url] = stored_outcome(url, history.checks(url) if history else [], confirm)
        if on_progress:
            on_progress(url, outcomes[url])
    return outcomes
