"""citations.yaml → the list of sources an export shows, one per distinct source.

Every export format renders the same ``Source`` values, so what counts as one source
(a note repeating another is not a second one; a note removed from the article is not
cited any more) and where an access date comes from are decided here, once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..archive.history import History
from ..citations import CitationsFile
from ..model import Citation, PartialDate, Status, UrlStatus

# url_status values (Wikipedia CS1's) under which the original address should not be the
# link a reader follows first, or not be linked at all: UrlStatus owns both meanings.
ORIGINAL_UNUSABLE = frozenset(s for s in UrlStatus if s.original_unusable)
ORIGINAL_HIDDEN = frozenset(s for s in UrlStatus if s.original_hidden)

_ARCHIVE_NAMES = {
    "web.archive.org": "Wayback Machine",
    "wayback.archive.org": "Wayback Machine",
    "perma.cc": "Perma.cc",
    "ghostarchive.org": "Ghostarchive",
    "webcitation.org": "WebCite",
    "archive.today": "archive.today",
    "archive.ph": "archive.today",
    "archive.is": "archive.today",
    "archive.li": "archive.today",
    "archive.md": "archive.today",
    "archive.vn": "archive.today",
    "archive.fo": "archive.today",
}


@dataclass(frozen=True)
class Source:
    """What an export says about one cited source. ``url`` may be None: a footnote that
    gives no address is still a source and is still exported, without one."""

    id: str
    title: str | None = None
    publisher: str | None = None
    author: str | None = None
    date: PartialDate | None = None
    url: str | None = None
    archive_url: str | None = None
    archive_date: dt.date | None = None
    url_status: str | None = None
    access_date: dt.date | None = None

    @property
    def archive_name(self) -> str | None:
        """The archive holding the copy, by name ("Wayback Machine"), for formats with a field for it."""
        if not self.archive_url:
            return None
        host = (urlsplit(self.archive_url).hostname or "").removeprefix("www.")
        return _ARCHIVE_NAMES.get(host, host or None)

    @property
    def original_unusable(self) -> bool:
        return self.url_status in ORIGINAL_UNUSABLE

    @property
    def original_hidden(self) -> bool:
        return self.url_status in ORIGINAL_HIDDEN


@dataclass
class Selection:
    """The sources to export, and the notes left out with why (said on stderr, not lost)."""

    sources: list[Source]
    repeats: list[str] = field(default_factory=list)  # Ibid. / duplicates folded into the note they repeat
    removed: list[str] = field(default_factory=list)  # notes no longer in the article


def select_sources(cf: CitationsFile, archive_dir: Path | None = None) -> Selection:
    """One Source per distinct source, in the file's order. ``archive_dir``: where the
    history of checks lives; the last check that reached a page gives its access date."""
    has_history = archive_dir is not None and (archive_dir / "history").is_dir()
    history = History(archive_dir) if has_history else None  # no checks yet: no access dates to look up
    raw = {str(e.get("id")): e for e in cf.entries if isinstance(e, dict)}
    # the notes still in the article: a repeat of a removed note is the source's only mention now
    urls = {c.id: c.url for c in cf.citations if not (raw.get(c.id) or {}).get("note_removed")}
    selection = Selection([])
    for c in cf.citations:
        entry = raw.get(c.id) or {}
        if entry.get("note_removed"):
            selection.removed.append(c.id)
            continue
        repeats = entry.get("same_as")
        if repeats is not None and str(repeats) in urls and c.url in (None, urls[str(repeats)]):
            selection.repeats.append(c.id)  # adds no address of its own: the same source
            continue
        selection.sources.append(_source(c, _access_date(history, c.url)))
    return selection


def _source(c: Citation, access_date: dt.date | None) -> Source:
    archive_url, archive_date = c.archive_url, c.archive_date
    if archive_url and archive_url == c.url:  # the footnote cites an archived copy itself
        archive_url = archive_date = None
    return Source(
        id=c.id,
        title=c.title,
        publisher=c.publisher,
        author=c.author,
        date=c.date,
        url=c.url,
        archive_url=archive_url,
        archive_date=archive_date,
        url_status=c.url_status,
        access_date=access_date,
    )


def _access_date(history: History | None, url: str | None) -> dt.date | None:
    if history is None or not url:
        return None
    for check in reversed(history.checks(url)):
        # the cited address answered with the cited page: an access in the sense of
        # Wikipedia's access-date
        if _is_reached(check.get("status")) and check.get("at"):
            try:
                return dt.datetime.fromisoformat(check["at"]).date()
            except (TypeError, ValueError):
                continue
    return None


def _is_reached(value: object) -> bool:
    """A history check's status (a string on disk) is one that reached the page."""
    try:
        return Status(value).is_reached
    except ValueError:
        return False
