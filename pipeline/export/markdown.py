"""Sources → a numbered Markdown list for the end of an article, with archive links.

Text is escaped (a title with brackets or asterisks stays text) and addresses are
written as ``<…>`` link targets, the helpers the Markdown report uses. When the original
page is gone the title links to the archived copy, as Wikipedia shows such a source.
"""

from __future__ import annotations

from ..report.markdown import esc, link
from ..vocab import UrlStatus
from .sources import Source

_ORIGINAL_NOTE = {
    UrlStatus.DEAD: "now gone",
    UrlStatus.USURPED: "its address now serves something else",
    UrlStatus.UNFIT: "not linked: unfit to send readers to",
    UrlStatus.DEVIATED: "the page has changed since it was cited",
}


def render(sources: list[Source]) -> str:
    return "".join(f"{n}. {line(s)}\n" for n, s in enumerate(sources, 1))


def line(s: Source) -> str:
    target = s.archive_url if s.archive_url and (s.original_unusable or not s.url) else s.url
    if s.title:
        label, lead = f"“{s.title}”", [s.author, s.publisher]
    else:  # the outlet's name (or the address) is what the reader clicks
        label, lead = s.publisher or s.url or s.archive_url or f"note {s.id}", [s.author]
    parts = [esc(p) for p in lead if p] + [link(label, target)] + ([s.date.iso()] if s.date else [])
    return ", ".join(parts) + "." + _archive_part(s)


def _archive_part(s: Source) -> str:
    if not s.archive_url:
        return ""
    when = f" on {s.archive_date.isoformat()}" if s.archive_date else ""
    if s.url and s.original_unusable:
        original = "the original" if s.original_hidden else link("the original", s.url)
        note = _ORIGINAL_NOTE[s.url_status or UrlStatus.DEAD]
        return f" Archived{when} from {original} ({note})."
    note = f" ({_ORIGINAL_NOTE[s.url_status]})" if s.url_status in _ORIGINAL_NOTE else ""
    return f" {link('Archived', s.archive_url)}{when}{note}."
