"""Sources → Wikipedia citation templates ({{cite web}}, CS1).

Parameter values are escaped the way Help:CS1 asks: in text, ``|`` ``{`` ``}`` ``[``
``]`` become character references (``&#124;`` …; ``{{!}}`` is only for table syntax),
``''`` (italics) and ``~~~`` (a signature, expanded on save) are broken up, ``<`` cannot
open a tag; in addresses the same characters, spaces, quotes and ``'`` are
percent-encoded. ``=`` needs nothing: only the first one in a named parameter splits
name from value. A source without an address is a ``{{cite news}}``, which (unlike
``{{cite web}}``) does not require ``url``.
"""

from __future__ import annotations

import re

from ..model import PartialDate
from .sources import Source

_TEXT = str.maketrans({"|": "&#124;", "{": "&#123;", "}": "&#125;", "[": "&#91;", "]": "&#93;", "<": "&lt;"})
_URL = str.maketrans(
    {
        " ": "%20",
        '"': "%22",
        "'": "%27",
        "<": "%3C",
        ">": "%3E",
        "[": "%5B",
        "]": "%5D",
        "{": "%7B",
        "|": "%7C",
        "}": "%7D",
    }
)
_QUOTES = re.compile(r"'(?=')")  # every ' followed by another: '' and ''' are markup
_TILDES = re.compile(r"~{3,}")
_MONTHS = "January February March April May June July August September October November December".split()


def render(sources: list[Source]) -> str:
    return "".join(template(s) + "\n" for s in sources)


def template(s: Source) -> str:
    params: list[tuple[str, str | None]] = [
        ("author", text(s.author)),
        ("title", text(s.title)),
        ("url", url(s.url) if s.url else (url(s.archive_url) if s.archive_url else None)),
        ("website" if s.url or s.archive_url else "work", text(s.publisher)),
        ("date", cs1_date(s.date)),
    ]
    if s.url and s.archive_url:  # CS1: archive-url needs url; url-status means nothing without it
        params += [
            ("archive-url", url(s.archive_url)),
            ("archive-date", s.archive_date.isoformat() if s.archive_date else None),
            ("url-status", s.url_status),
        ]
    if s.url:
        params.append(("access-date", s.access_date.isoformat() if s.access_date else None))
    name = "cite web" if (s.url or s.archive_url) else "cite news"
    return "{{" + name + "".join(f" |{key}={value}" for key, value in params if value) + "}}"


def text(value: str | None) -> str | None:
    if not value:
        return None
    value = " ".join(value.split()).translate(_TEXT)
    value = _QUOTES.sub("&#39;", value)
    return _TILDES.sub(lambda m: "&#126;" * len(m.group()), value)


def url(value: str) -> str:
    return value.strip().translate(_URL)


def cs1_date(d: PartialDate | None) -> str | None:
    """CS1 takes YYYY-MM-DD and YYYY, but not YYYY-MM (read as a year range): a month
    is written out ("December 2021")."""
    if d is None:
        return None
    if d.precision == "month":
        return f"{_MONTHS[d.month - 1]} {d.year}"
    return d.iso()
