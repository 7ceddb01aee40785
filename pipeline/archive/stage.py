"""The archive stage: make sure every cited source is preserved somewhere.

Live pages get a snapshot (an existing recent one, or a new capture when a service can
take one); dead pages get no capture (it would archive an error page) but the closest
good copy to the footnote's date — from the Wayback Machine, else from the next service
(Memento archives) — checked before it is offered. The results are written back into
citations.yaml the way Wikipedia's templates do it: archive_url, archive_date, url_status.

What is decided is in policy.py (which copy, which url_status); this module keeps the
worker pool, snapshots.json and the save clock.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from .. import citations as cit
from ..fetch import Fetcher
from ..files import write_atomic
from ..model import Result, Snapshot, Status
from . import conflicted
from .copies import cited_copy
from .layout import ArchiveLayout
from .policy import Choice, choose_snapshot, good_snapshot, verify_against_copy, write_back
from .service import ArchiveService
from .settings import ArchiveSettings, services_for
from .wayback import WaybackService

UNREACHABLE_NOTE = "not archived (the Wayback Machine could not be reached)"

__all__ = ["ArchiveSettings", "ArchiveOutcome", "archive_results", "good_snapshot"]

SAVE_EVERY = 2.0  # seconds between writes of citations.yaml while archiving


@dataclass
class ArchiveOutcome:
    notes: list[str] = field(default_factory=list)  # run-level messages, each said once
    unreachable: str | None = None  # the Wayback Machine could not be reached: said once, not per row
    newly_archived: list[str] = field(default_factory=list)


def _is_snapshot(entry: object) -> bool:
    return type(entry) is dict and type(entry.get("archive_url")) is str and type(entry.get("timestamp")) is str


def _snapshots_of(data: object) -> tuple[dict[str, list[dict]], bool]:
    """The file's snapshots that are the tool's, and whether anything was left out (the
    file is then written again). archive/ is committed and merged by people: a file that is
    not an object, a URL's value that is not a list, an entry without a string archive_url
    and timestamp ended the archive stage (and the run, before its reports) in a traceback."""
    if type(data) is not dict:
        return {}, True
    if all(type(v) is list and all(_is_snapshot(e) for e in v) for v in data.values()):
        return data, False
    kept = {}
    for url, entries in data.items():
        good = [e for e in entries if _is_snapshot(e)] if type(entries) is list else []
        if good:
            kept[url] = good
    return kept, True


def _put(entries: list[dict], entry: dict) -> bool:
    """``entry`` into a URL's ``entries`` (in time order) unless a copy at its archive_url is
    there already; True if it was put."""
    if any(e["archive_url"] == entry["archive_url"] for e in entries):
        return False
    entries.append(entry)
    entries.sort(key=lambda e: e["timestamp"])
    return True


class SnapshotIndex:
    """archive/snapshots.json: every archive snapshot the tool found or made, per URL.
    Written on the save clock's rhythm and at the end, not after every snapshot: the whole
    file for each of 200,000 URLs made the stage quadratic (and each write encoded it whole)."""

    def __init__(self, root: str | Path) -> None:
        self.path = ArchiveLayout.at(root).snapshots
        self.problem: str | None = None  # said once in the run's notes
        self.writable = True
        try:
            text = self.path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            text = None  # none yet
        except UnicodeDecodeError:
            text = ""  # not the tool's writing: set aside like any file that is not JSON
        except OSError as e:  # there, but not to be read: not to be written over either
            text, self.writable = None, False
            self.problem = f"{self.path} could not be read ({e.strerror}): left as it is, this run's snapshots not kept"
        data, rewrite = self._read(text) if text is not None else ({}, False)
        self.data, left_out = _snapshots_of(data)
        self.unsaved = rewrite or left_out
        self.last = time.monotonic()
        self.took = 0.0

    def _read(self, text: str) -> tuple[object, bool]:
        """The file's JSON, and whether it must be written again: a git-conflicted file's
        two sides, merged; a file that is neither is set aside beside it (the run's lookups
        start a new one). Either was read as empty and rewritten with this run's snapshots
        alone: every other article's were lost."""
        try:
            return json.loads(text), False
        except ValueError:
            pass
        both = conflicted.sides(text)
        try:
            versions = [json.loads(side) for side in both] if both else None
        except ValueError:
            versions = None
        if versions is not None:
            merged: dict[str, list[dict]] = {}
            for version in versions:
                for url, entries in _snapshots_of(version)[0].items():
                    for entry in entries:
                        _put(merged.setdefault(url, []), entry)
            self.problem = f"{self.path}: git's conflict markers resolved, both sides' snapshots kept"
            return merged, True
        aside = self.path.with_name(f"{self.path.name}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            os.replace(self.path, aside)
            self.problem = f"{self.path} is not JSON: kept as {aside.name}, a new one started"
        except OSError as e:
            self.problem = f"{self.path} is not JSON and could not be set aside ({e.strerror})"
        return {}, False

    def add(self, snap: Snapshot) -> None:
        """Called from the stage's own thread only."""
        if _put(self.data.setdefault(snap.url, []), snap.to_dict()):
            self.unsaved = True
        if time.monotonic() - self.last >= max(SAVE_EVERY, 10 * self.took):
            self.save()

    def save(self) -> None:
        start = time.monotonic()
        if self.unsaved and self.writable:
            encoder = json.JSONEncoder(indent=1, sort_keys=True, ensure_ascii=False)
            write_atomic(self.path, itertools.chain(encoder.iterencode(self.data), ["\n"]))
            self.unsaved = False
        self.last = time.monotonic()
        self.took = self.last - start


class SaveClock:
    """citations.yaml saved every ``SAVE_EVERY`` s and at the end, not after every URL: a
    save writes the whole file (0.37 s for 2,000 citations). A large file waits ten times
    as long as its last save took, so saving stays under a tenth of the stage's time: at
    200,000 citations a save is tens of seconds, and every 2 s it would never stop."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        self.unsaved: dict[int, cit.CitationsFile] = {}
        self.last = time.monotonic()
        self.took = 0.0  # seconds the last save took

    def changed(self, cf: cit.CitationsFile) -> None:
        self.unsaved[id(cf)] = cf
        if time.monotonic() - self.last >= max(SAVE_EVERY, 10 * self.took):
            self.save_all()

    def save_all(self) -> None:
        """Write the files with changes not yet on disk."""
        start = time.monotonic()
        for key, cf in list(self.unsaved.items()):
            try:
                cit.save(cf)
            except cit.CitationsError as e:  # someone's half-done edit: theirs stays
                if e.problems[0] not in self.notes:
                    self.notes.append(e.problems[0])
                continue
            del self.unsaved[key]
            if hand := cit.hand_notice(cf):  # a person's edit made meanwhile, kept: said once
                self.notes.append(hand)
        self.last = time.monotonic()
        self.took = self.last - start


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
    ours: set[str] = frozenset(),
) -> None:
    """Put the copy on each citation of ``url`` (report and citations file). Called from
    the stage's own thread only: write-backs need no lock.

    ``ours``: every copy of ``url`` the tool has found or made (snapshots.json). An
    ``archive_url`` already in the file that is none of them was chosen by a person (an
    archive.today copy, the Wayback copy an editor checked): it is kept, as Wikipedia's
    archive bots keep an existing archive-url; the report offers the tool's copy beside it.
    One the tool wrote itself may be replaced by a better one."""
    if choice.captured:
        out.newly_archived.append(url)
    for r, cf in pairs:
        snapshot, date = choice.snapshot, archive_date
        if choice.snapshot:
            r.snapshots.insert(0, choice.snapshot)
        r.archive_note = choice.note
        chosen = r.citation.archive_url
        if snapshot and chosen and chosen != snapshot.archive_url and chosen not in ours:
            snapshot, date = None, None  # url_status is still the run's to write
            r.archive_note = f"the archive link set by hand is kept; citewatch's copy: {choice.snapshot.archive_url}"
        if cf is not None and write_back(r, cf, snapshot, date):
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
    if index.problem:
        out.notes.append(index.problem)
    clock = SaveClock(out.notes)
    by_url: dict[str, list[tuple[Result, cit.CitationsFile | None]]] = {}
    for r, cf in items:
        if r.citation.url and fetcher.guard.may_share(r.citation.url):  # private URLs stay on this machine
            by_url.setdefault(r.citation.url, []).append((r, cf))

    workers = max(1, settings.workers)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="citewatch-archive")
    waiting = iter(by_url.items())
    work: dict[Future, tuple[str, list[tuple[Result, cit.CitationsFile | None]]]] = {}
    try:
        while True:
            # a few lookups queued per worker, not one future per URL at once (200,000
            # futures and their queue entries were 1 KB per URL beside the results)
            for url, pairs in itertools.islice(waiting, 4 * workers - len(work)):
                work[pool.submit(find_copy, url, pairs[0][0], services, fetcher)] = (url, pairs)
            if not work:
                break
            done, _ = wait(work, return_when=FIRST_COMPLETED)
            # written back as each finishes, a failed lookup (Ctrl-C) last: what was found is kept
            for fut in sorted(done, key=lambda f: f.exception() is not None):
                url, pairs = work.pop(fut)
                choice, archive_date = fut.result()
                # the copy offered too: a Save Page Now capture resumed from an earlier run is
                # not among those seen, and a link the tool wrote must be known as its own
                found = [*choice.seen, choice.snapshot] if choice.snapshot else choice.seen
                for snap in found:
                    index.add(snap)
                verify_against_copy([r for r, _ in pairs], choice)
                # kept under the address the archive gave (CDX's "original": http for https,
                # no www.), which need not be the cited one
                keys = {url} | {snap.url for snap in found}
                ours = {e["archive_url"] for key in keys for e in index.data.get(key, ())}
                record(url, pairs, choice, archive_date, clock, out, ours)
    except BaseException:  # Ctrl-C: start nothing new, cut the lookups under way (their answers are not used)
        from ..transport import abandon  # (urllib3: not imported by a run that fetches nothing)

        abandon(pool)
        raise
    finally:
        pool.shutdown(wait=True)
        index.save()
        clock.save_all()
    for service in services:
        out.notes += service.finish()
    _say_once_if_down(services, items, out)
    return out


def _say_once_if_down(
    services: list[ArchiveService], items: list[tuple[Result, cit.CitationsFile | None]], out: ArchiveOutcome
) -> None:
    """A Wayback Machine that could not be reached: one message (a value the command can
    act on), and rows that say only that they were not archived."""
    down = next((s.client.down for s in services if isinstance(s, WaybackService) and s.client.down), None)
    if down is None:
        return
    out.unreachable = f"the Wayback Machine could not be reached ({down})"
    out.notes = [n for n in out.notes if n != down] + [out.unreachable]
    for r, _ in items:
        if (r.archive_note or "").startswith("Wayback Machine:"):
            r.archive_note = UNREACHABLE_NOTE
