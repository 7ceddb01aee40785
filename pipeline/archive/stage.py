"""The archive stage: make sure every cited source is preserved somewhere.

Live pages get a snapshot (an existing recent one, or a new capture when a service can
take one); dead pages get no capture (it would archive an error page) but the closest
good copy to the footnote's date — from the Wayback Machine, else from the next service
(Memento archives) — checked before it is offered. The results are written back into
citations.yaml the way Wikipedia's templates do it: archive_url, archive_date, url_status.

What is decided is in plain functions (``choose_snapshot``, ``url_status_for``,
``write_back``); ``archive_results`` keeps only the worker pool and the save clock.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .. import citations as cit
from .. import liveness, metadata
from ..fetch import Fetcher
from ..files import write_atomic
from ..model import FAILING, Cause, Result, Snapshot, Status
from ..verify import verify
from .copies import cited_copy
from .layout import ArchiveLayout
from .service import ArchiveService
from .settings import ArchiveSettings, services_for

__all__ = ["ArchiveSettings", "ArchiveOutcome", "archive_results", "good_snapshot"]

REACHED = (Status.LIVE, Status.REDIRECTED, Status.BLOCKED)
SAVE_EVERY = 2.0  # seconds between writes of citations.yaml while archiving


@dataclass
class ArchiveOutcome:
    notes: list[str] = field(default_factory=list)  # run-level messages, each said once
    newly_archived: list[str] = field(default_factory=list)


class SnapshotIndex:
    """archive/snapshots.json: every archive snapshot the tool found or made, per URL."""

    def __init__(self, root: str | Path) -> None:
        self.path = ArchiveLayout.at(root).snapshots
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}

    def add(self, snap: Snapshot) -> None:
        """Called from the stage's own thread only."""
        entries = self.data.setdefault(snap.url, [])
        if not any(e["archive_url"] == snap.archive_url for e in entries):
            entries.append(snap.to_dict())
            entries.sort(key=lambda e: e["timestamp"])
        write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


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
    if check.status not in (Status.LIVE, Status.REDIRECTED):
        return False, f"snapshot {ts} is not usable: {check.status.value} ({check.reason})", None
    return True, "", metadata.extract(fetched)


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
    if status in REACHED and service.can_capture(url):
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

    The first service (the Wayback Machine) keeps reached pages; a dead page is offered
    the closest good copy from any service; a page that timed out or errored gets the
    first service's closest copy unchecked (it may yet come back)."""
    if not services:
        return Choice()
    if status in FAILING:
        return offer_for_dead(url, cited_date, services, fetcher)
    if status in REACHED or status == Status.SKIPPED:
        return keep_reached(url, status, cited_date, services[0])
    resumed = services[0].resumed(url)
    look = services[0].lookup(url, cited_date)
    seen = [s for s in (look.closest, look.latest) if s]
    return Choice(resumed or look.closest or look.latest, look.error, resumed is not None, seen=seen)


def url_status_for(result: Result) -> str | None:
    """Wikipedia CS1's url-status for a citation: ``live`` when the page answers,
    ``dead`` once a failure is confirmed, ``usurped`` when the domain someone else now
    holds is parked or for sale (link the archive only); None: leave what is there."""
    check = result.check
    if check is None:
        return None
    if check.status in (Status.LIVE, Status.REDIRECTED):
        return "live"
    if check.status in FAILING and check.confirmed:
        return "usurped" if check.cause == Cause.PARKED else "dead"
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
        if snapshot:
            result.citation.archive_url = snapshot.archive_url
            result.citation.archive_date = archive_date
        if url_status:
            result.citation.url_status = url_status
    return changed


def verify_against_copy(results: list[Result], choice: Choice) -> None:
    """A dead URL's citations are verified against the archived copy, and say so."""
    if choice.page is None or choice.snapshot is None:
        return
    for r in results:
        r.page = choice.page
        r.title_match, r.date_match, r.publisher_match = verify(r.citation, choice.page, r.citation.url)
        r.verified_against = choice.snapshot.archive_url


class SaveClock:
    """citations.yaml saved every ``SAVE_EVERY`` s and at the end, not after every URL: a
    save writes the whole file (0.37 s for 2,000 citations)."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        self.unsaved: dict[int, cit.CitationsFile] = {}
        self.last = time.monotonic()

    def changed(self, cf: cit.CitationsFile) -> None:
        self.unsaved[id(cf)] = cf
        if time.monotonic() - self.last >= SAVE_EVERY:
            self.save_all()

    def save_all(self) -> None:
        """Write the files with changes not yet on disk."""
        for key, cf in list(self.unsaved.items()):
            try:
                cit.save(cf)
            except cit.CitationsError as e:  # someone's half-done edit: theirs stays
                if e.problems[0] not in self.notes:
                    self.notes.append(e.problems[0])
                continue
            del self.unsaved[key]
        self.last = time.monotonic()


def find_copy(
    url: str, first: Result, services: list[ArchiveService], fetcher: Fetcher
) -> tuple[Choice, dt.date | None]:
    """The copy for one URL (run in the pool) and the archive_date to write with it."""
    copy = cited_copy(url)
    if copy is not None:  # the cited address is the archive: nothing to look up or capture
        snapshot, dated = copy  # a cited copy's date is known only when its address carries one
        return Choice(snapshot), snapshot.timestamp.date() if dated else None
    status = first.check.status if first.check else Status.SKIPPED
    cited_date = first.citation.date.as_date() if first.citation.date else None
    choice = choose_snapshot(url, status, cited_date, services, fetcher)
    return choice, choice.snapshot.timestamp.date() if choice.snapshot else None


def record(
    url: str,
    pairs: list[tuple[Result, cit.CitationsFile | None]],
    choice: Choice,
    archive_date: dt.date | None,
    clock: SaveClock,
    out: ArchiveOutcome,
) -> None:
    """Put the copy on each citation of ``url`` (report and citations file). Called from
    the stage's own thread only: write-backs need no lock."""
    if choice.captured:
        out.newly_archived.append(url)
    for r, cf in pairs:
        if choice.snapshot:
            r.snapshots.insert(0, choice.snapshot)
        r.archive_note = choice.note
        if cf is not None and write_back(r, cf, choice.snapshot, archive_date):
            clock.changed(cf)


def archive_results(
    items: list[tuple[Result, cit.CitationsFile | None]],
    root: str | Path,
    settings: ArchiveSettings,
    fetcher: Fetcher,
) -> ArchiveOutcome:
    """Find or make a snapshot for each distinct URL; write links back into each result's file.

    ``items`` pairs each result with the citations file it came from, so URLs shared by
    several articles are looked up (and captured) once. With no archive service at all
    (--no-wayback), url_status is still written.
    """
    out = ArchiveOutcome()
    services = services_for(settings, root)
    for service in services:
        out.notes += service.start()
    index = SnapshotIndex(root)
    clock = SaveClock(out.notes)
    by_url: dict[str, list[tuple[Result, cit.CitationsFile | None]]] = {}
    for r, cf in items:
        if r.citation.url:
            by_url.setdefault(r.citation.url, []).append((r, cf))

    pool = ThreadPoolExecutor(max_workers=max(1, settings.workers), thread_name_prefix="citewatch-archive")
    try:
        work = {
            pool.submit(find_copy, url, pairs[0][0], services, fetcher): (url, pairs) for url, pairs in by_url.items()
        }
        for fut in as_completed(work):  # written back as each finishes: Ctrl-C keeps what was found
            url, pairs = work[fut]
            choice, archive_date = fut.result()
            for snap in choice.seen:
                index.add(snap)
            verify_against_copy([r for r, _ in pairs], choice)
            record(url, pairs, choice, archive_date, clock, out)
    except BaseException:  # Ctrl-C: start nothing new; lookups under way end at their deadline
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        clock.save_all()
    for service in services:
        out.notes += service.finish()
    return out
