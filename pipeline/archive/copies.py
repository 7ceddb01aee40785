"""Addresses that are themselves archived copies: a Wayback Machine snapshot, archive.today,
Perma.cc, Ghostarchive, WebCite. Liveness needs to recognise them (a cited snapshot
redirected to its nearest capture is live) and the archive stage must not look them up or
capture them again; the patterns live here, once.
"""

from __future__ import annotations

import datetime as dt
import re

from ..model import Snapshot, SnapshotKind

# A Wayback Machine copy: /web/<timestamp>[modifier]/<original address>
WAYBACK_COPY = re.compile(
    r"^https?://(?:web\.|www\.)?archive\.org(?::\d+)?/web/(\d{4,14})(?:[a-z]{2}_|\*)?/(.+)$", re.I
)
_ARCHIVE_TODAY = re.compile(
    r"^https?://(?:www\.)?archive\.(?:today|ph|is|li|md|vn|fo)/(?:(\d{14})/(.+)|[A-Za-z0-9]{4,8}/?)$", re.I
)
_OTHER_ARCHIVES = re.compile(
    r"^https?://(?:www\.)?(?:ghostarchive\.org/archive/|perma\.cc/|webcitation\.org/|archive\.(?:today|ph|is|li|md|vn|fo)/)",
    re.I,
)


def cited_copy(url: str) -> tuple[Snapshot, bool] | None:
    """The footnote cites an archived copy (Wayback, archive.today, Perma.cc, Ghostarchive,
    WebCite), as fact-checks of deleted posts do: that address is the archive. It is checked
    like any URL, but there is nothing to look up or capture for it, and asking the Wayback
    Machine to capture the Wayback Machine only spends a capture on an error. The flag says
    whether the copy's date is known (from its address)."""
    when: dt.datetime | None = None
    original = url
    m = WAYBACK_COPY.match(url) or _ARCHIVE_TODAY.match(url)
    if m and m.group(1):
        original = m.group(2)
        if len(m.group(1)) >= 8:  # "/web/2019/…" only asks for the copy nearest 2019
            digits = m.group(1) + "000000"[: 14 - len(m.group(1))]
            try:
                when = dt.datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
            except ValueError:
                when = None
    elif not _OTHER_ARCHIVES.match(url):
        return None
    kind = SnapshotKind.WAYBACK if WAYBACK_COPY.match(url) else SnapshotKind.ARCHIVE
    snapshot = Snapshot(
        url=original,
        archive_url=url,
        timestamp=when or dt.datetime.now(dt.UTC),
        kind=kind,
        note="the footnote cites an archived copy" + ("" if when else " (date not in its address)"),
    )
    return snapshot, when is not None
