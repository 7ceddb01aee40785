"""The day a page says it was published, as the page's own readers saw it.

Publisher-declared keys first (Open Graph / article:, scholarly citation_, the
article's JSON-LD datePublished — the earliest of them, since a live blog or an
updated story often moves one of them to its last update), then the generic keys
(``date``, ``dc.date``, ``sailthru.date``: often the day the page was rendered or
mailed), then a <time> that is not in a sidebar teaser, the URL (the page's own, then
the original's a syndicated copy names in rel=canonical or og:url), a day the page writes
as its title's last segment ("… | DW | 28.04.2023"), a day written in the byline just
under the headline, and htmldate last: what readers are shown beats a library's guess.

A timestamp's day is taken in the page's own offset: a stamp written in UTC
("2020-12-05T23:15:00Z") is moved to the offset the page writes its other stamps in
(+01:00 → 6 December), as its readers saw it; with no such stamp, the zone named after a
visible time, the zone of a single-zone country's domain, or the offset the page's
scripts write their times in. htmldate's fallback to a copyright
year ("1998-01-01") is not a day: it is dropped, never compared as one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .datefallback import htmldate_day

DECLARED = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datePublished",
    "citation_publication_date",
    "citation_date",
    "DC.date.issued",
)
MODIFIED = ("article:modified_time", "og:article:modified_time", "og:updated_time")
GENERIC = ("dc.date", "pubdate", "publishdate", "parsely-pub-date", "sailthru.date", "date")
_STAMP = re.compile(
    r"((?:19|20)\d\d)[-/](\d{1,2})[-/](\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?\s*(Z|[+-]\d\d:?\d\d)?)?"
)
_TEASER = re.compile(r"sidebar|teaser|related|recommend|widget|most-?read|popular|trending|promo", re.I)
_URL_DATE = [
    re.compile(r"/((?:19|20)\d\d)/(\d{1,2})/(\d{1,2})(?:/|$)"),
    re.compile(r"/((?:19|20)\d\d)/(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*/(\d{1,2})(?:/|$)", re.I),
    re.compile(r"/((?:19|20)\d\d)-(\d{2})-(\d{2})(?:[/-]|$)"),
    re.compile(r"[/_-]((?:19|20)\d\d)(\d{2})(\d{2})(?:[/_.-]|$)"),
]
_MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}


def _offset(text: str | None) -> dt.timezone | None:
    if not text:
        return None
    if text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def parse_stamp(value: str | None) -> tuple[dt.date, dt.datetime | None] | None:
    """The day as written and, when the stamp has a time and an offset, the instant."""
    if not value:
        return None
    value = value.strip()
    m = _STAMP.match(value)
    if m:
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
            tz = _offset(m[7])
            instant = dt.datetime(day.year, day.month, day.day, int(m[4]), int(m[5]), tzinfo=tz) if tz else None
        except ValueError:
            return None
        return day, instant
    try:
        instant = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return instant.date(), instant if instant.tzinfo else None


def parse_iso_date(value: str | None) -> dt.date | None:
    parsed = parse_stamp(value)
    return parsed[0] if parsed else None


def date_from_url(url: str) -> dt.date | None:
    path = urlsplit(url).path
    for pattern in _URL_DATE:
        m = pattern.search(path)
        if m:
            month = _MONTHS.get(m[2][:3].lower()) if not m[2].isdigit() else int(m[2])
            try:
                return dt.date(int(m[1]), month or 0, int(m[3]))
            except ValueError:
                continue
    return None


# A day as a page writes it for its readers: "28.04.2023", "2023-04-28", "13 Oct 2020",
# "24. April 2023", "October 13, 2020" (English month names; slashed days are ambiguous)
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_WRITTEN = [
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.((?:19|20)\d\d)\b"), (3, 2, 1)),
    (re.compile(r"\b((?:19|20)\d\d)-(\d{2})-(\d{2})\b"), (1, 2, 3)),
    (re.compile(r"\b(\d{1,2})\.? " + _MONTH + r",? ((?:19|20)\d\d)\b", re.I), (3, 2, 1)),
    (re.compile(r"\b" + _MONTH + r" (\d{1,2}),? ((?:19|20)\d\d)\b", re.I), (3, 1, 2)),
]


def written_day(text: str) -> dt.date | None:
    """The first day written in ``text`` in a form readers are shown, or None."""
    found = []
    for pattern, (y, m, d) in _WRITTEN:
        match = pattern.search(text)
        if match:
            month = match[m] if match[m].isdigit() else _MONTHS.get(match[m][:3].lower())
            try:
                found.append((match.start(), dt.date(int(match[y]), int(month or 0), int(match[d]))))
            except ValueError:
                continue
    return min(found)[1] if found else None


_TITLE_DAY = re.compile(r"(?:\s[|｜·•\-–—]\s|\s*[｜：]\s*)([^|｜·•\-–—]{6,20})\s*$")


def title_day(titles: Iterable[str]) -> dt.date | None:
    """A day a page writes as the last segment of its own title ("… | DW | 28.04.2023")."""
    for title in titles:
        m = _TITLE_DAY.search(title or "")
        day = written_day(m[1]) if m else None
        if day:
            return day
    return None


_BYLINE_CHARS = 150  # a byline sits right under the headline; a caption further down is another day


def byline_day(root) -> dt.date | None:
    """A day written just after the headline (the byline: "Jane Doe 21 Jan 2020"), before
    the article's text and its captions begin. Short <h1>s (a logo) are not headlines."""
    for h1 in root.iter("h1"):
        if len(h1.text_content().strip()) < 15:
            continue
        after = h1.xpath("following::text()[not(ancestor::script) and not(ancestor::style)][position() <= 20]")
        day = written_day(" ".join(t.strip() for t in after if t.strip())[:_BYLINE_CHARS])
        if day:
            return day
    return None


# Zone abbreviations a page writes after a time ("3:02pm PST"); ambiguous ones (IST, ET) are left out
_ZONES = {
    "HST": -10, "AKST": -9, "AKDT": -8, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6,
    "CDT": -5, "EST": -5, "EDT": -4, "BST": 1, "CET": 1, "CEST": 2, "MEZ": 1, "MESZ": 2,
    "EET": 2, "EEST": 3, "MSK": 3, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11,
}  # fmt: skip
_ZONE_AFTER_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\s*\(?(" + "|".join(_ZONES) + r")\b", re.I)


# Country domains of countries with one time zone: a page there writes its days in it
_COUNTRY_ZONES = {
    "at": "Europe/Vienna", "be": "Europe/Brussels", "ch": "Europe/Zurich", "cz": "Europe/Prague",
    "de": "Europe/Berlin", "dk": "Europe/Copenhagen", "fi": "Europe/Helsinki", "fr": "Europe/Paris",
    "gr": "Europe/Athens", "hu": "Europe/Budapest", "ie": "Europe/Dublin", "in": "Asia/Kolkata",
    "it": "Europe/Rome", "jp": "Asia/Tokyo", "kr": "Asia/Seoul", "nl": "Europe/Amsterdam",
    "no": "Europe/Oslo", "pl": "Europe/Warsaw", "ro": "Europe/Bucharest", "se": "Europe/Stockholm",
    "sk": "Europe/Bratislava", "tr": "Europe/Istanbul", "tw": "Asia/Taipei", "ua": "Europe/Kyiv",
    "uk": "Europe/London",
}  # fmt: skip


def page_offset(stamps: Iterable[str], html_text: str = "", url: str = "") -> dt.tzinfo | None:
    """The zone the page writes its times in: the first stamp with an offset that is not
    UTC, else the zone it names after a visible time ("Feb 16, 2020 at 3:02pm PST"), else
    the zone of its country domain when the country has one (.it → Europe/Rome), else the
    offset its scripts write times in. None when no stamp is in UTC: no day needs moving,
    and the page's text is not searched."""
    instants = [parsed[1] for value in stamps if (parsed := parse_stamp(value)) and parsed[1] is not None]
    for instant in instants:
        if instant.utcoffset() != dt.timedelta(0):
            return instant.tzinfo
    if not instants:
        return None
    m = _ZONE_AFTER_TIME.search(html_text[:2_000_000])
    if m:
        return dt.timezone(dt.timedelta(hours=_ZONES[m[1].upper()]))
    zone = _COUNTRY_ZONES.get((urlsplit(url).hostname or "").rsplit(".", 1)[-1])
    try:
        return ZoneInfo(zone) if zone else _offset_in_text(html_text)
    except (ZoneInfoNotFoundError, ValueError):  # no time zone database on this machine
        return None


# a time with a numeric offset anywhere in the page's text or scripts: "23:00:00 -0400"
_TIME_WITH_OFFSET = re.compile(r"[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?\s?([+-](?:0\d|1[0-4]):?[0-5]\d)\b")


def _offset_in_text(html_text: str) -> dt.tzinfo | None:
    """The offset a page writes its times in where its metadata has only UTC stamps: the
    most frequent non-zero offset of the times written in its text and scripts (a
    video's "Fri, 01 May 2020 23:00:00 -0400" on a New York station's page)."""
    offsets = Counter(m[1].replace(":", "") for m in _TIME_WITH_OFFSET.finditer(html_text[:2_000_000]))
    offsets.pop("+0000", None), offsets.pop("-0000", None)
    return _offset(offsets.most_common(1)[0][0]) if offsets else None


def local_day(value: str, offset: dt.tzinfo | None) -> dt.date | None:
    """The stamp's day; a UTC stamp's day in the page's own offset when it has one."""
    parsed = parse_stamp(value)
    if not parsed:
        return None
    day, instant = parsed
    if instant is not None and offset is not None and instant.utcoffset() == dt.timedelta(0):
        return instant.astimezone(offset).date()
    return day


def _earliest(values: list[str], offset: dt.tzinfo | None) -> dt.date | None:
    parsed = [(p, v) for v in values if (p := parse_stamp(v))]
    if not parsed:
        return None
    timed = [(p[1], v) for p, v in parsed if p[1] is not None]
    if len(timed) == len(parsed):
        return local_day(min(timed)[1], offset)
    return min(p[0] for p, _ in parsed)


def _in_teaser(el) -> bool:
    for anc in el.iterancestors():
        if anc.tag in ("aside", "nav", "footer"):
            return True
        if _TEASER.search(f"{anc.get('class') or ''} {anc.get('id') or ''}"):
            return True
        if anc.tag in ("article", "main"):
            return False
    return False


def _time_tag(root, offset: dt.tzinfo | None) -> dt.date | None:
    """A <time datetime> of the article: one marked as the publication date first, then
    the first that is not in a sidebar, a teaser list, a nav or a footer."""
    tags = [t for t in root.iter("time") if t.get("datetime")]
    marked = [t for t in tags if t.get("itemprop") == "datePublished" or t.get("pubdate") is not None]
    for t in marked + [t for t in tags if t not in marked and not _in_teaser(t)]:
        d = local_day(t.get("datetime"), offset)
        if d:
            return d
    return None


@dataclass
class PageDays:
    """A page's days: a footnote may cite the day it was published or the day it was updated."""

    published: dt.date | None
    published_source: str | None  # where the day came from, or why there is none
    updated: dt.date | None  # a later day the page declares it was updated on


def page_days(
    root, articles: list[dict], metas: dict[str, str], url: str, html_text: str = "", language: str | None = None
) -> PageDays:
    """The day a parsed page was published (and where it says so), and the later day it was
    last updated, both in the page's own offset. ``language``: the page's, for htmldate's
    free-text parser (datefallback.py)."""
    ld_values = [n["datePublished"] for n in articles if isinstance(n.get("datePublished"), str)]
    modified = [metas.get(k, "") for k in MODIFIED]
    modified += [n["dateModified"] for n in articles if isinstance(n.get("dateModified"), str)]
    other_stamps = [metas.get(k.lower(), "") for k in (*DECLARED, *GENERIC)] + modified
    other_stamps += [n["dateCreated"] for n in articles if isinstance(n.get("dateCreated"), str)]
    stamps = [*ld_values, *other_stamps, *(t.get("datetime") or "" for t in root.iter("time"))]
    offset = page_offset(stamps, html_text, url)
    published, source = _published(root, ld_values, metas, url, html_text, language, offset)
    updates = [day for value in modified if value and (day := local_day(value, offset))]
    updated = max(updates) if updates and published and max(updates) > published else None
    return PageDays(published, source, updated)


def _published(
    root, ld_values: list[str], metas: dict[str, str], url: str, html_text: str, language: str | None, offset
) -> tuple[dt.date | None, str | None]:
    declared = [metas[k.lower()] for k in DECLARED if metas.get(k.lower())]
    d = _earliest(declared + ld_values, offset)
    if d:
        return d, "declared publication date" + (" (earliest)" if len(set(declared + ld_values)) > 1 else "")
    generic = next((metas[k.lower()] for k in GENERIC if metas.get(k.lower())), None)
    d = local_day(generic, offset) if generic else None
    if d:
        return d, "meta date"
    d = _time_tag(root, offset)
    if d:
        return d, "<time datetime>"
    d = date_from_url(url)
    if d:
        return d, "URL path"
    for key in ("canonical", "og:url"):  # a syndicated copy names the original's address
        d = date_from_url(_canonical(root) if key == "canonical" else metas.get(key, ""))
        if d:
            return d, f"{key} URL path"
    d = title_day([metas.get("og:title", ""), *(t.text_content() for t in root.iter("title"))])
    if d:
        return d, "the page's title"
    d = byline_day(root)
    if d:
        return d, "byline under the headline"
    return htmldate_day(root, url, html_text, language)


def _canonical(root) -> str:
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return link.get("href") or ""
    return ""
