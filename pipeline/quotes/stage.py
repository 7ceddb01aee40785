"""Does the source still say it? The quotes stage of a run, between the check and the report.

Each citation's quotations (in its citing text) are looked for in its source's main text
today and in the source's archived copy from the citation time, and that copy is compared
with today's text (drift). The work happens where its inputs are in hand:

- during the check, while each live page's body is in memory (``SourceTexts.on_fetch``,
  in the check's worker): the page's text is read under pagetext's deadline. When the copy
  from the citation time is already kept in archive/ (every run after the first), or none
  is wanted, the verdicts are decided right there and only they are kept, not the text;
- after the archive stage (``SourceTexts.finish``): the copies not kept yet are fetched —
  at most once per URL, the snapshot the archive stage found reused, the replays paced with
  the other Wayback calls, never for a URL that must stay on this machine — and the
  remaining verdicts decided.

A page the check skipped as fresh was not read: its citations keep the last run's
verdicts (``keep_last_verdicts``).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterable, MutableSequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag

from .. import citations as cit
from ..archive.wayback import WaybackClient, WaybackSettings
from ..fetch import Fetcher
from ..footnotes.fields import find_access_date
from ..model import Citation, Fetch, LinkCheck, PartialDate, Result, Snapshot, SnapshotKind, Status
from .check import check_quote
from .copies import CitedCopies, CitedCopy, citation_time
from .drift import compare
from .find import quotes_in
from .pagetext import DEADLINE, PageText, live_text, read_text
from .verdicts import Drift, DriftVerdict, QuoteCheck, Unreadable


@dataclass
class QuoteSettings:
    drift: bool = True  # False (--no-drift): no copy from the citation time is fetched or compared
    deadline: float = DEADLINE  # seconds to read one page's text, and to compare two texts


@dataclass
class Asked:
    """What one citation asks of its source: its quotations, and the day it was cited."""

    index: int  # the citation's place among the run's citations (and results)
    quotes: list[str]
    near: dt.date | None  # the citation time; None: no date to look a copy up by
    note: str | None = None  # why there is no citation time


@dataclass
class Verdicts:
    quotes: list[QuoteCheck]
    drift: Drift | None


def _key(url: str) -> str:
    return urldefrag(url)[0]


def _date(value: Any) -> PartialDate | None:
    try:
        return cit.to_partial_date(value)
    except ValueError:
        return None


def ask(citations: Iterable[tuple[Citation, cit.CitationsFile | None]]) -> list[Asked]:
    """What each citation asks, in order: the quotations of the sentences citing it (its
    ``citing_text`` and its other places', from the article via citations.yaml), and the
    citation time — when the note says it was read, else the article's ``date``, else the
    source's date."""
    entries: dict[int, dict[str, Any]] = {}
    asked = []
    for i, (c, cf) in enumerate(citations):
        entry: dict[str, Any] = {}
        article_date = None
        if cf is not None:
            if id(cf) not in entries:
                entries[id(cf)] = {str(e.get("id")): e for e in cf.entries if isinstance(e, dict)}
            entry = entries[id(cf)].get(c.id) or {}
            article_date = _date((cf.doc.get("article") or {}).get("date"))
        near = citation_time(_accessed(entry), article_date, c.date)
        note = None if near else "no date to look for a copy by: the note, the article and the source give none"
        quotes = list(dict.fromkeys(q for t in _citing_texts(c) for q in quotes_in(t)))
        asked.append(Asked(i, quotes, near, note))
    return asked


def _accessed(entry: dict[str, Any]) -> PartialDate | None:
    """When the note's author read the source: its entry's ``access_date``, else the date the
    note's own words give ("accessed 3 May 2024", "retrieved …")."""
    if entry.get("access_date"):
        return _date(entry["access_date"])
    note = entry.get("note")
    return find_access_date(note) if isinstance(note, str) else None


def _citing_texts(c: Citation) -> list[str]:
    """Every sentence of the article citing the source: the first place's, then those of the
    other places a source linked more than once is linked from."""
    return list(dict.fromkeys(t for t in [c.citing_text, *(p.citing_text for p in c.places)] if t))


class SourceTexts:
    """Quote and drift verdicts for a run's citations, decided as their pages are read."""

    def __init__(
        self,
        asked: list[Asked],
        urls: list[str | None],
        settings: QuoteSettings,
        copies: CitedCopies,
        may_fetch: Callable[[str], bool],
    ) -> None:
        self.settings = settings
        self.copies = copies
        self.may_fetch = may_fetch  # may a copy of this URL be asked of the archive?
        self._all = asked
        self._asked: dict[str, list[Asked]] = {}
        for a, url in zip(asked, urls, strict=True):
            if url:
                self._asked.setdefault(_key(url), []).append(a)
        self._done: dict[int, Verdicts] = {}
        self._waiting: dict[str, PageText] = {}  # today's text of a URL whose copy is fetched after the archive stage
        self._lock = threading.Lock()

    def _wants_copy(self, url: str, asked: list[Asked]) -> bool:
        return self.settings.drift and any(a.near and self.copies.stored(url, a.near) is None for a in asked)

    def on_fetch(self, fetch: Fetch, check: LinkCheck) -> None:
        """The check's hook for each fetched page, in its worker, while the body is in memory."""
        url = _key(fetch.url)
        asked = self._asked.get(url)
        if not asked:
            return
        if self._wants_copy(url, asked) and self.may_fetch(url):
            # the comparison waits for the copy: read the article now, as drift needs it
            live = live_text(fetch, check, deadline=self.settings.deadline)
            with self._lock:
                self._waiting[url] = live
            return
        self._decide(url, asked, fetch, check)

    def _decide(self, url: str, asked: list[Asked], fetch: Fetch | None, check: LinkCheck | None) -> None:
        then = {a.near: self.copies.stored(url, a.near) if self.settings.drift else None for a in asked}
        quotes = sorted({q for a in asked for q in a.quotes})
        if not quotes and not any(c is not None and c.text is not None and c.text.readable for c in then.values()):
            live = PageText(reason=Unreadable.NOT_FETCHED)  # nothing to look for: not read at all
        else:
            live = live_text(fetch or Fetch(url=url), check, deadline=self.settings.deadline, quotes=quotes)
        article = None
        if fetch is not None and live.whole_page:  # today's article, read only if the whole page seems changed

            def article() -> PageText:
                return read_text(fetch, live.language, self.settings.deadline)

        verdicts = {a.index: self._verdicts(a, live, then[a.near], article) for a in asked}
        _searched(then.values())
        with self._lock:
            self._done.update(verdicts)

    def _verdicts(
        self, a: Asked, live: PageText, copy: CitedCopy | None, article: Callable[[], PageText] | None
    ) -> Verdicts:
        then = copy.text if copy is not None else None
        checks = [check_quote(q, live, then) for q in a.quotes]
        if not self.settings.drift:
            return Verdicts(checks, None)
        if then is None:
            why = a.note or (copy.note if copy is not None else None) or "no archived copy from the citation time"
            return Verdicts(checks, Drift(DriftVerdict.UNKNOWN, note=why))
        return Verdicts(checks, compare(then, live, self.settings.deadline, article))

    def finish(
        self,
        results: list[Result],
        snapshots: dict[str, list[dict[str, Any]]],
        workers: int = 4,
        archive_down: bool = False,
    ) -> None:
        """Fetch the copies not kept yet, decide what is left, and put every verdict on its result.

        ``snapshots``: archive/snapshots.json as the archive stage left it, whose copy
        closest to a citation time is read without a second lookup. ``archive_down``: the
        archive stage found the Wayback Machine unreachable, so no copy is asked for."""
        pending = [url for url, asked in self._asked.items() if not any(a.index in self._done for a in asked)]
        if self.settings.drift and not archive_down:
            jobs = [
                (url, near)
                for url in pending
                if (url in self._waiting or not _fresh(results[self._asked[url][0].index].check))
                and self.may_fetch(url)
                for near in dict.fromkeys(a.near for a in self._asked[url] if a.near)
            ]
            self._fetch_copies(jobs, snapshots, workers)
        for url in pending:
            asked = self._asked[url]
            live = self._waiting.pop(url, None)
            if live is None:  # not read this run (unreachable, refused, fresh): the copy from then is all there is
                self._decide(url, asked, None, results[asked[0].index].check)
            else:
                then = {a.near: self.copies.stored(url, a.near) for a in asked}
                self._done.update({a.index: self._verdicts(a, live, then[a.near], None) for a in asked})
                _searched(then.values())
        for a in self._all:
            done = self._done.get(a.index)
            if done is not None:
                results[a.index].quotes, results[a.index].drift = done.quotes, done.drift

    def _fetch_copies(self, jobs: list[tuple[str, dt.date]], snapshots: dict[str, Any], workers: int) -> None:
        pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="citewatch-copies")
        try:
            list(pool.map(lambda job: self.copies.get(*job, _closest(snapshots, *job)), jobs))
        except BaseException:  # Ctrl-C: start no new replay; those under way end at their deadline
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)


def _searched(copies: Iterable[CitedCopy | None]) -> None:
    """A source's citations are decided: its copies from then, kept for the run, let go of
    what their searches made."""
    for copy in copies:
        if copy is not None and copy.text is not None:
            copy.text.searched()


def _fresh(check: LinkCheck | None) -> bool:
    """Skipped as checked recently: the page was not read, the last run's verdicts stand."""
    return check is not None and check.status is Status.SKIPPED and check.previous_status is not None


def _closest(snapshots: dict[str, list[dict[str, Any]]], url: str, near: dt.date) -> Snapshot | None:
    """The Wayback copy the archive stage found closest to ``near`` for ``url``, if it looked."""
    wanted = (f"closest before {near.isoformat()}", f"closest after {near.isoformat()}")
    for d in snapshots.get(url) or []:
        if d.get("note") in wanted and d.get("kind") == SnapshotKind.WAYBACK.value:
            return Snapshot(
                url=d["url"],
                archive_url=d["archive_url"],
                timestamp=dt.datetime.fromisoformat(d["timestamp"]),
                kind=SnapshotKind.WAYBACK,
                http_status=d.get("http_status"),
                note=d.get("note"),
            )
    return None


def read_snapshots(path: Any) -> dict[str, list[dict[str, Any]]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def keep_last_verdicts(results: MutableSequence[Result], previous: Iterable[Result]) -> None:
    """A page skipped as fresh was not read: its citations keep what the last run found,
    as long as the article still cites it with the same words."""
    before = {r.citation.id: r for r in previous}
    for i, r in enumerate(results):
        old = before.get(r.citation.id)
        if old is not None and _fresh(r.check) and old.citation.citing_text == r.citation.citing_text:
            r.quotes, r.drift = old.quotes, old.drift
            results[i] = r  # read from a spool, a result is a copy: put it back


def source_texts(
    citations: list[tuple[Citation, cit.CitationsFile | None]],
    settings: QuoteSettings,
    archive_dir: Any,
    fetcher: Fetcher,
    wayback: WaybackSettings | None,
) -> SourceTexts:
    """The stage for one run: what each citation asks, the copies kept in ``archive_dir``,
    and which URLs may be looked up at the Wayback Machine (none without it)."""
    client = WaybackClient(wayback or WaybackSettings())
    return SourceTexts(
        ask(citations),
        [c.url if c.bad_url is None else None for c, _ in citations],
        settings,
        CitedCopies(archive_dir, fetcher, client),
        fetcher.guard.may_share if wayback is not None else (lambda url: False),  # private URLs stay here
    )
