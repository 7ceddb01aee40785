"""The day a page says it was published, as the page's own readers saw it.

Publisher-declared keys first (Open Graph / article:, scholarly citation_, the
article's JSON-LD datePublished — the earliest of them, since a live blog or an
updated story often moves one of them to its last update), then the generic keys
(``date``, ``dc.date``, ``sailthru.date``: often the day the page was rendered or
mailed), then a <time> that is not in a sidebar teaser, the URL, and htmldate last.

A timestamp's day is taken in the page's own offset: a stamp written in UTC
("2020-12-05T23:15:00Z") is moved to the offset the page writes its other stamps in
(+01:00 → 6 December), as its readers saw it. htmldate's fallback to a copyright
year ("1998-01-01") is not a day: it is dropped, never compared as one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DECLARED = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datePublished",
    "citation_publication_date",
    "citation_date",
    "DC.date.issued",
)
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
    the zone of its country domain when the country has one (.it → Europe/Rome)."""
    for value in stamps:
        parsed = parse_stamp(value)
        if parsed and parsed[1] is not None and parsed[1].utcoffset() != dt.timedelta(0):
            return parsed[1].tzinfo
    m = _ZONE_AFTER_TIME.search(html_text[:2_000_000])
    if m:
        return dt.timezone(dt.timedelta(hours=_ZONES[m[1].upper()]))
    zone = _COUNTRY_ZONES.get((urlsplit(url).hostname or "").rsplit(".", 1)[-1])
    try:
        return ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):  # no time zone database on this machine
        return None


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


def _htmldate(root, url: str, html_text: str) -> tuple[dt.date | None, str | None]:
    try:
        from htmldate import find_date

        found = find_date(root, url=url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except Exception:  # htmldate is a heuristic fallback; it must never break a check
        found = None
    if not found:
        return None, None
    day = dt.date.fromisoformat(found)
    written = (found, f"{day:%Y/%m/%d}", f"01.01.{day.year}", f"January 1, {day.year}")
    if (day.month, day.day) == (1, 1) and not any(w in html_text for w in written):
        return None, f"htmldate found only a year ({day.year}), not a day"  # a copyright line
    return day, "htmldate"


def page_date(root, articles: list[dict], metas: dict[str, str], url: str, html_text: str = "") -> tuple:
    """(day, where it came from) for a parsed page; (None, None or why) when it has none."""
    ld_values = [n["datePublished"] for n in articles if isinstance(n.get("datePublished"), str)]
    other_stamps = [metas.get(k.lower(), "") for k in (*DECLARED, "article:modified_time", *GENERIC)]
    other_stamps += [n[k] for n in articles for k in ("dateModified", "dateCreated") if isinstance(n.get(k), str)]
    stamps = [*ld_values, *other_stamps, *(t.get("datetime") or "" for t in root.iter("time"))]
    offset = page_offset(stamps, html_text, url)
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
    return _htmldate(root, url, html_text)
