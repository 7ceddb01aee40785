"""The archive stage: make sure every cited source is preserved somewhere.

Live pages get a Wayback snapshot (an existing recent one, or a new capture
when we have keys); dead pages get no capture (it would archive an error
page) but the closest good snapshot to the footnote's date, checked before it
is offered. The results are written back into citations.yaml the way
Wikipedia's templates do it: archive_url, archive_date, url_status.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .. import citations as cit
from .. import liveness, metadata
from ..fetch import Fetcher
from ..files import write_atomic
from ..model import FAILING, Result, Snapshot, Status
from ..verify import verify
from .wayback import Capture, Pending, WaybackClient, WaybackError, WaybackSettings, cited_copy

REACHED = (Status.LIVE, Status.REDIRECTED, Status.BLOCKED)
SAVE_EVERY = 2.0  # seconds between writes of citations.yaml while archiving


@dataclass
class ArchiveSettings:
    wayback: WaybackSettings | None = field(default_factory=WaybackSettings.from_env)  # None: --no-wayback
    workers: int = 4


@dataclass
class ArchiveOutcome:
    notes: list[str] = field(default_factory=list)  # run-level messages, each said once
    newly_archived: list[str] = field(default_factory=list)


class SnapshotIndex:
    """archive/snapshots.json: every Wayback snapshot the tool found or made, per URL."""

    def __init__(self, root: str | Path) -> None:
        self.path = Path(root) / "snapshots.json"
        self._lock = threading.Lock()
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}

    def add(self, snap: Snapshot) -> None:
        with self._lock:
            entries = self.data.setdefault(snap.url, [])
            if not any(e["archive_url"] == snap.archive_url for e in entries):
                entries.append(snap.to_dict())
                entries.sort(key=lambda e: e["timestamp"])
            write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def good_snapshot(snap: Snapshot, fetcher: Fetcher) -> tuple[bool, str, metadata.PageMeta | None]:
    """Replay the snapshot's original bytes (``id_``) and make sure it is not an archived
    error page; used before a snapshot is offered (archive) or trusted (resolve)."""
    ts = snap.timestamp.strftime("%Y%m%d%H%M%S")
    raw = snap.archive_url.replace(f"/web/{ts}/", f"/web/{ts}id_/", 1)
    fetched = fetcher.fetch(raw)
    check = liveness.classify(fetched)
    if check.status not in (Status.LIVE, Status.REDIRECTED):
        return False, f"snapshot {ts} is not usable: {check.status.value} ({check.reason})", None
    if "memento-datetime" not in {k.lower() for k in fetched.headers}:
        # the archive's own page (an exclusion notice, a player), not an archived copy
        excluded = b"has been excluded from the Wayback Machine" in fetched.body[:200_000]
        why = "the Wayback Machine refuses to show this site" if excluded else "the archive answered with its own page"
        return False, f"snapshot {ts} is not usable: {why}", None
    return True, "", metadata.extract(fetched)


def archive_results(
    items: list[tuple[Result, cit.CitationsFile | None]],
    root: str | Path,
    settings: ArchiveSettings,
    fetcher: Fetcher,
) -> ArchiveOutcome:
    """Find or make a snapshot for each distinct URL; write links back into each result's file.

    ``items`` pairs each result with the citations file it came from, so URLs
    shared by several articles are looked up (and captured) once.
    """
    out = ArchiveOutcome()
    if settings.wayback is None:
        return out
    client = WaybackClient(settings.wayback)
    index = SnapshotIndex(root)
    pending = Pending.load(root)
    if not settings.wayback.has_keys:
        out.notes.append(
            "no Wayback keys (WAYBACK_ACCESS_KEY / WAYBACK_SECRET_KEY): lookup-only mode, nothing new is captured"
            + (" except anonymous attempts (--anonymous, ≤ 3/min)" if settings.wayback.anonymous else "")
        )
    if settings.wayback.has_keys:
        slots = client.user_status()
        if slots and slots.get("available") == 0:
            out.notes.append(
                f"the Wayback account has no free capture slot now ({slots.get('processing', '?')} captures in progress);"
                " captures may be refused"
            )
    try:
        resumed = client.resume(pending) if client.can_capture() or pending.jobs else {}
    except WaybackError as e:
        resumed = {}
        out.notes.append(f"could not resume pending captures: {e}")

    by_url: dict[str, list[tuple[Result, cit.CitationsFile | None]]] = {}
    for r, cf in items:
        if r.citation.url:
            by_url.setdefault(r.citation.url, []).append((r, cf))
    lock = threading.Lock()

    def wayback_snapshot(
        url: str, rs: list[Result], status: Status, cited_date: dt.date | None
    ) -> tuple[Snapshot | None, str | None]:
        """The snapshot to offer for ``url``, found or made, and a note when there is none."""
        note = None
        chosen: Snapshot | None = None
        try:
            if url in resumed and resumed[url].snapshot:
                chosen = resumed[url].snapshot
                with lock:
                    out.newly_archived.append(url)
            look = client.lookup(url, cited_date)
            for snap in (look.closest, look.latest):
                if snap:
                    index.add(snap)
            if status in FAILING:
                if look.closest:
                    ok, why, page = good_snapshot(look.closest, fetcher)
                    if ok:
                        chosen = look.closest
                        for r in rs:  # verify against the archived copy, and say so
                            r.page = page
                            r.title_match, r.date_match, r.publisher_match = verify(r.citation, page, url)
                            r.verified_against = chosen.archive_url
                    else:
                        note = why
                else:
                    note = "dead and never archived: no snapshot to offer"
            elif status in REACHED or status == Status.SKIPPED:
                fresh = look.latest and dt.datetime.now(dt.UTC) - look.latest.timestamp < settings.wayback.max_age
                if fresh:
                    chosen = chosen or look.latest
                elif chosen is None and status in REACHED and client.can_capture():
                    cap: Capture = client.capture(url, pending)
                    if cap.snapshot:
                        chosen = cap.snapshot
                        index.add(cap.snapshot)
                        with lock:
                            out.newly_archived.append(url)
                    else:
                        note = cap.error
                        chosen = look.latest
                else:
                    chosen = chosen or look.latest
                    if chosen is None:
                        note = "no snapshot yet" + ("" if client.can_capture() else " (lookup-only mode)")
            else:
                chosen = look.closest or look.latest
        except WaybackError as e:
            note = f"Wayback Machine: {e}"
        return chosen, note

    def one(url: str, pairs: list[tuple[Result, cit.CitationsFile | None]]) -> None:
        rs = [r for r, _ in pairs]
        first = rs[0]
        status = first.check.status if first.check else Status.SKIPPED
        cited_date = first.citation.date.as_date() if first.citation.date else None
        copy = cited_copy(url)
        if copy is not None:  # the cited address is the archive: nothing to look up or capture
            chosen, note = copy[0], None
        else:
            chosen, note = wayback_snapshot(url, rs, status, cited_date)
        # a cited copy's date is known only when its address carries one
        archive_date = chosen.timestamp.date() if chosen and (copy is None or copy[1]) else None
        for r, cf in pairs:
            if chosen:
                r.snapshots.insert(0, chosen)
            r.archive_note = note
            if cf is not None:
                with lock:
                    url_status = "live" if status in (Status.LIVE, Status.REDIRECTED) else None
                    if status in FAILING and r.check and r.check.confirmed:
                        # Wikipedia's word for a domain someone else now holds: link the archive only
                        url_status = "usurped" if r.check.reason.startswith(liveness.PARKED) else "dead"
                    changed = cit.set_fields(
                        cf,
                        r.citation.id,
                        archive_url=chosen.archive_url if chosen else None,
                        archive_date=archive_date,
                        url_status=url_status,
                    )
                    if changed:
                        if chosen:
                            r.citation.archive_url = chosen.archive_url
                            r.citation.archive_date = archive_date
                        if url_status:
                            r.citation.url_status = url_status
                        unsaved[id(cf)] = cf
                        if time.monotonic() - last_save >= SAVE_EVERY:
                            save_all()

    def save_all() -> None:
        """Write the files with changes not yet on disk; the caller holds ``lock``."""
        nonlocal last_save
        for cf in list(unsaved.values()):
            try:
                cit.save(cf)
            except cit.CitationsError as e:  # someone's half-done edit: theirs stays
                if e.problems[0] not in out.notes:
                    out.notes.append(e.problems[0])
                continue
            del unsaved[id(cf)]
        last_save = time.monotonic()

    # Saved every few seconds and at the end (even on Ctrl-C), not after every URL: a save
    # writes the whole file, 0.37 s for 2,000 citations, and holds the lock while it does.
    unsaved: dict[int, cit.CitationsFile] = {}
    last_save = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=max(1, settings.workers), thread_name_prefix="citewatch-archive")
    try:
        for fut in [pool.submit(one, u, rs) for u, rs in by_url.items()]:
            fut.result()
    except BaseException:  # Ctrl-C: start nothing new; lookups under way end at their deadline
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        with lock:
            save_all()
    if client.stopped:
        out.notes.append(f"captures stopped for this run: {client.stopped}")
    if client.down:
        out.notes.append(client.down)
    return out
