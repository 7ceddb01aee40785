"""Which of a page's titles is its headline, and what of a title is the site's name.

A page offers several titles (og:title, twitter:title, the JSON-LD headline, <title>,
the visible <h1>); they are written for different readers — a social card, a search
engine, the browser tab, the reader — and a footnote quotes the one a reader saw. These
functions are pure: strings and candidates in, a string or a candidate out.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from .model import Candidate

# spaced ASCII bars, dashes, colons, bullets, slashes and stars; the full-width bar and colon
# and the Korean letter "ㅣ" used as a bar are written without spaces
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»/*]\s+|\s+::\s+|\s*[｜：ㅣ]\s*|\s*_\s+")
_SEPARATOR_CHARS = " |-–—:·•»/*｜：ㅣ_"
_DATE_SEGMENT = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}\.? \w+ \d{4}|\w+ \d{1,2}, \d{4}")


def strip_site_name(title: str, site_names: list[str]) -> str:
    """Remove " - BBC News", "| Reuters", "The Guardian |", "：東京新聞デジタル", a site
    in the middle followed by a date ("… | DW | 28.04.2023") and the like from a title.
    A dash-separated tail that is not the site stays: it is as often a subtitle
    ("… – so the weather will be") as a section."""
    parts = [p for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    while len(parts) > 1 and _DATE_SEGMENT.fullmatch(parts[-1].strip()):  # "| 28.04.2023"
        title = title[: title.rfind(parts.pop())].rstrip(_SEPARATOR_CHARS)
    names = [n for n in site_names if n]
    # the site last, or followed only by short bits (a byline, a date): "… | Site | by Jane Doe"
    for i in range(len(parts) - 1, 0, -1):
        if _is_site(parts[i], names):
            # cut the original string so separators inside the title survive
            stripped = title[: title.rfind(parts[i], 0, _nth_end(title, parts, i))].strip(_SEPARATOR_CHARS)
            if stripped:
                # "Headline | Section | Site": after the site, a short trailing section goes too
                m = re.match(r"^(.{20,}?)\s[|｜]\s([^|｜]{1,25})$", stripped)
                return m.group(1) if m and len(m.group(2).split()) <= 3 else stripped
        if len(parts[i].split()) > 4:
            break
    if _is_site(parts[0], names):
        stripped = title[title.find(parts[0]) + len(parts[0]) :].strip(_SEPARATOR_CHARS)
        if stripped:
            return stripped
    # no known site name: a short last segment after " | " is almost always the site
    if len(parts) >= 2 and re.search(r"\s[|｜]\s", title) and len(parts[-1]) <= 30 < len(" ".join(parts[:-1])):
        return title[: title.rfind(parts[-1])].rstrip(" |｜")
    return title


def _nth_end(title: str, parts: list[str], i: int) -> int:
    """Where segment ``i`` ends in ``title`` (segments are found in order)."""
    pos = 0
    for part in parts[: i + 1]:
        pos = title.find(part, pos) + len(part)
    return pos


def _is_site(part: str, names: list[str]) -> bool:
    """Is this segment of a title the site's name ("BBC News", "DW", "Die Neue Südtiroler
    Tageszeitung" for tageszeitung.it)? A headline is rarely five words or fewer that
    name the outlet."""
    from .publishers import tie

    p = part.strip().lower()
    compact = re.sub(r"[\W_]+", "", p)
    for n in (n.lower() for n in names):
        if fuzz.ratio(p, n) >= 85 or (compact and compact == re.sub(r"[\W_]+", "", n)):
            return True
        if n and n in p and len(p) <= len(n) + 12:
            return True
    return len(p.split()) <= 5 and tie(part, names) is not None


# the rest of a title cut short: after a dash or colon, or at a quote an unescaped meta attribute ended at
_CUT_SHORT = re.compile(r"^\s*(?:[-–—:|]\s+\S|[\"“„«])")
_SHORT_TAIL = re.compile(r"\s+[-–—|]\s+\S+(?:\s\S+)?\s*")
_TAIL = re.compile(r"\s*[-–—|]\s*[^\W\d]\w*(?:\s\w+)?\s*")


def choose_title(candidates: list[Candidate]) -> Candidate:
    """The headline a reader sees: the first of the chain (og:title; measured on real
    pages, preferring the JSON-LD headline, the headline that JSON-LD and <h1> agree on, or
    one two other sources agree on against the og:title, chose worse: publishers disagree
    on which of their titles is the headline), except that
    - a title that is another source's title plus a section after a dash ("…-Politics")
      gives way to that title;
    - a title that the visible <h1> continues after a dash, a colon or a quote was cut short
      (by the CMS, or by an unescaped quote in the meta tag), and the <h1> is the headline
      ("Storm hits coast" vs the <h1> "Storm hits coast – thousands without power");
    - a title that is the <h1> plus one or two words after a dash or bar ("… - National"),
      or a <title> that merely contains the <h1>, carries extra bits, and the <h1> wins."""
    chosen = _without_section(candidates[0], candidates)
    h1 = next((c for c in candidates if c.source == "<h1>"), None)
    if h1 is None or h1.value == chosen.value:
        return chosen
    head, full = _fold_title(chosen.value), _fold_title(h1.value)
    if full.startswith(head.rstrip(" :-–—")) and _CUT_SHORT.match(full[len(head.rstrip(" :-–—")) :]):
        return h1
    if chosen.source == "<title>" and head != full and full in head:
        return h1
    if head.startswith(full) and _SHORT_TAIL.fullmatch(head[len(full) :]):
        return h1  # "Headline - National": a section or site after the visible headline
    return chosen


def _without_section(chosen: Candidate, candidates: list[Candidate]) -> Candidate:
    """A title that is another source's title plus a word or two after a dash or bar
    ("… – National", "…-정치", spaced or not) carries the section or site: the other
    source's title is the headline."""
    head = _fold_title(chosen.value)
    for c in candidates:
        other = _fold_title(c.value)
        if c is not chosen and len(other) >= 10 and head.startswith(other) and _TAIL.fullmatch(head[len(other) :]):
            return c
    return chosen


def _fold_title(s: str) -> str:
    """Quote style and spacing do not make another headline."""
    s = re.sub("[‘’‚‛`´]", "'", re.sub("[“”„‟«»]", '"', s))
    return re.sub(r"\s+", " ", s).strip().casefold()
