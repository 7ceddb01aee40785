"""What the archive stage decides, as plain functions: which copy to offer for a URL
(``choose_snapshot``), which url_status its citations get (``url_status_for``), and the
write-back of both into citations.yaml (``write_back``).

The policy, by what the URL's check found:
- dead (a failure of FAILING): no capture (it would archive an error page); the copy
  closest to the footnote's date that is not itself an archived error page, asking each
  service in turn — the Wayback Machine, then the Memento archives;
- worth capturing (reached, or a bot wall answered; or skipped as fresh): a recent copy if the first service that keeps live pages
  has one, else a capture now when it can take one, else its latest copy;
- anything else (timeout, error): that service's closest copy, unchecked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import citations as cit
from .. import liveness, metadata
from ..fetch import Fetcher
from ..model import FAILING, Cause, Result, Snapshot, Status, UrlStatus
from ..pagereader import bounded_page_meta
from ..quotes.check import deviated
from ..verify import verify
from .service import ArchiveService


def good_snapshot(
    snap: Snapshot, fetcher: Fetcher, raw_url: str | None = None
) -> tuple[bool, str, metadata.PageMeta | None]:
    """Replay the snapshot's original bytes (``raw_url``; by default the Wayback Machine's
    ``id_`` address) and make sure it is not an archived error page; used before a snapshot
    is offered (archive) or trusted (resolve)."""
    ts = snap.timestamp.strftime("%Y%m%d%H%M%S")
    raw = raw_url or snap.archive_url.replace(f"/web/{ts}/", f"/web/{ts}id_/", 1)
    fetched = fetcher.fetch(raw)
    check = liveness.classify(fetched)
    if not check.status.is_reached:
        return False, f"snapshot {ts} is not usable: {check.status.value} ({check.reason})", None
    if "memento-datetime" not in {k.lower() for k in fetched.headers}:
        # the archive's own page (an exclusion notice, a player), not an archived copy
        excluded = b"has been excluded from the Wayback Machine" in fetched.body[:200_000]
        why = "the Wayback Machine refuses to show this site" if excluded else "the archive answered with its own page"
        return False, f"snapshot {ts} is not usable: {why}", None
    # an archived page is a stranger's page too: read under the same deadline and memory cap
    return True, "", bounded_page_meta(fetched, fetcher.settings.timeout)


@dataclass
class Choice:
    """The copy to offer for one URL, and what the citations and the report learn with it."""

    snapshot: Snapshot | None = None
    note: str | None = None  # why there is none, or what went wrong finding it
    captured: bool = False  # made (or finished) this run: "newly archived"
    page: metadata.PageMeta | None = None  # the archived page, read to verify a dead URL against
    seen: list[Snapshot] = field(default_factory=list)  # every copy found, for snapshots.json


def offer_for_dead(url: str, cited_date: dt.date | None, services: list[ArchiveService], fetcher: Fetcher) -> Choice:
    """A failing page: the copy closest to the footnote's date that is not an archived
    error page, asking each service in turn until one has it; never a capture."""
    choice = Choice()
    for service in services:
        look = service.lookup(url, cited_date)
        choice.seen += [s for s in (look.closest, look.latest) if s]
        if look.error:
            choice.note = choice.note or look.error
            continue
        if look.closest is None:
            continue
        ok, why, page = good_snapshot(look.closest, fetcher, service.raw_copy_url(look.closest))
        if ok:
            return Choice(look.closest, page=page, seen=choice.seen)
        choice.note = why
    choice.note = choice.note or "dead and never archived: no snapshot to offer"
    return choice


def keep_reached(url: str, status: Status, cited_date: dt.date | None, service: ArchiveService) -> Choice:
    """A reached (or skipped) page: a recent snapshot if there is one, else a capture now
    when the service can take one, else the latest snapshot there is. (The copy closest to
    the footnote's date is looked up too: it goes into snapshots.json, for drift.)"""
    resumed = service.resumed(url)
    look = service.lookup(url, cited_date)
    seen = [s for s in (look.closest, look.latest) if s]
    if look.error:
        return Choice(resumed, look.error, resumed is not None, seen=seen)
    if resumed is not None or (look.latest and dt.datetime.now(dt.UTC) - look.latest.timestamp < service.max_age):
        return Choice(resumed or look.latest, None, resumed is not None, seen=seen)
    if status.is_worth_capturing and service.can_capture(url):
        cap = service.capture(url)
        if cap.snapshot:
            return Choice(cap.snapshot, None, True, seen=seen + [cap.snapshot])
        return Choice(look.latest, cap.error, seen=seen)
    if look.latest is None:
        return Choice(None, "no snapshot yet" + ("" if service.can_capture(url) else " (lookup-only mode)"), seen=seen)
    return Choice(look.latest, seen=seen)


def choose_snapshot(
    url: str, status: Status, cited_date: dt.date | None, services: list[ArchiveService], fetcher: Fetcher
) -> Choice:
    """The policy: which copy to offer for ``url``, by what its check found.

    The first service that keeps live pages (the Wayback Machine) keeps reached pages; a
    dead page is offered the closest good copy from any service; a page that timed out or
    errored gets the keeper's closest copy unchecked (it may yet come back)."""
    if status in FAILING:
        return offer_for_dead(url, cited_date, services, fetcher) if services else Choice()
    keeper = next((s for s in services if s.keeps_live_pages), None)
    if keeper is None:
        return Choice()
    if status.is_worth_capturing or status == Status.SKIPPED:
        return keep_reached(url, status, cited_date, keeper)
    resumed = keeper.resumed(url)
    look = keeper.lookup(url, cited_date)
    seen = [s for s in (look.closest, look.latest) if s]
    return Choice(resumed or look.closest or look.latest, look.error, resumed is not None, seen=seen)


def url_status_for(result: Result) -> UrlStatus | None:
    """Wikipedia CS1's url-status for a citation: ``live`` when the page answers,
    ``deviated`` when it answers but no longer holds a quote its copy from the citation
    time holds (quote evidence only), ``dead`` once a failure is confirmed, ``usurped``
    when the domain someone else now holds is parked or for sale (link the archive only);
    None: leave what is there."""
    check = result.check
    if check is None:
        return None
    if check.status.is_reached:
        return UrlStatus.DEVIATED if deviated(result.quotes) else UrlStatus.LIVE
    if check.status in FAILING and check.confirmed:
        return UrlStatus.USURPED if check.cause == Cause.PARKED else UrlStatus.DEAD
    return None


def write_back(result: Result, cf: cit.CitationsFile, snapshot: Snapshot | None, archive_date: dt.date | None) -> bool:
    """Set archive_url, archive_date and url_status in the citation's entry (comments and
    order kept) and on the in-memory citation; True if the file changed."""
    url_status = url_status_for(result)
    changed = cit.set_fields(
        cf,
        result.citation.id,
        archive_url=snapshot.archive_url if snapshot else None,
        archive_date=archive_date,
        url_status=url_status,
    )
    if changed:
        # the citation says what the file now holds: a person's `unfit`, or their edit made
        # during the run, stays in the file, and the report must not show the run's value
        entry = cf.entry(result.citation.id)
        if entry is None:
            return changed
        if snapshot and entry.get("archive_url") == snapshot.archive_url:
            result.citation.archive_url = snapshot.archive_url
            result.citation.archive_date = archive_date
        if entry.get("url_status"):
            result.citation.url_status = str(entry.get("url_status"))
    return changed


def verify_against_copy(results: list[Result], choice: Choice) -> None:
    """A dead URL's citations are verified against the archived copy, and say so."""
    if choice.page is None or choice.snapshot is None:
        return
    for r in results:
        r.page = choice.page
        r.title_match, r.date_match, r.publisher_match = verify(r.citation, choice.page, r.citation.url)
        r.verified_against = choice.snapshot.archive_url
