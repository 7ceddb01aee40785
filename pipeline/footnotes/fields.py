"""Pull publisher, title, date, author and URLs out of one footnote's text.

Footnotes are written by people in many house styles; these are heuristics
that prefer leaving a field empty to guessing it wrong. The raw text is always
kept beside whatever is parsed, so nothing is lost when a heuristic misses.
"""

from __future__ import annotations

import re

from ..model import Note, PartialDate
from ..publishers import outlet_named

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"

_DATE_PATTERNS = [
    # 2023-10-11, 2023/10/11, 2023.10.11
    re.compile(r"\b(?P<y>(?:19|20)\d\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})\b"),
    # 2023年10月11日
    re.compile(r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?"),
    # October 11, 2023 / Oct. 11 2023
    re.compile(_MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b", re.I),
    # 11 October 2023 / 11 Oct. 2023
    re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<y>(?:19|20)\d\d)\b", re.I),
    # October 2023
    re.compile(r"\b" + _MONTH + r",?\s+(?P<y>(?:19|20)\d\d)\b", re.I),
    # 2023-10
    re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d{1,2})\b(?![-/.]\d)"),
]
_YEAR = re.compile(r"(?<![\d/-])\(?(?P<y>(?:19|20)\d\d)\)?(?![\d/-])")

# an address ends before white space, quotes and brackets, but holds balanced parentheses:
# Wikipedia's Foo_(bar) lost its ")" and was checked as a 404
URL_RE = re.compile(r"""(?:https?://|www\.)[^\s<>"'“”‘’\[\]()]+(?:\([^\s<>"'“”‘’()]*\)[^\s<>"'“”‘’\[\]()]*)*""", re.I)
_OPEN_QUOTES = '“"«「『„《'
_CLOSE_QUOTES = '”"»」』“》'
_ACCESS_RE = re.compile(
    r"\b(?:accessed|retrieved|archived|available)(?: on| from| at| at:)?\b[^;]*?(?:(?:19|20)\d\d|$)", re.I
)
_ACCESSED = re.compile(
    r"\b(?:accessed|retrieved|consulted|viewed|last (?:accessed|visited|checked))\b(?P<rest>[^;]{0,200})", re.I
)
IBID_RE = re.compile(r"^\s*(ibid|ibidem|id)\.?\s*(?:,.*)?$", re.I)


def find_date(text: str) -> tuple[PartialDate | None, tuple[int, int] | None]:
    """The first well-formed written date in ``text`` and where it stands."""
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            g = m.groupdict()
            year = int(g["y"])
            month = MONTHS[g["mon"].lower().rstrip(".")] if g.get("mon") else int(g["m"]) if g.get("m") else None
            day = int(g["d"]) if g.get("d") else None
            if month is not None and not 1 <= month <= 12:
                continue
            if day is not None and not 1 <= day <= 31:
                continue
            return PartialDate(year, month, day), m.span()
    return None, None


def find_year(text: str) -> tuple[PartialDate | None, tuple[int, int] | None]:
    m = _YEAR.search(text)
    return (PartialDate(int(m["y"])), m.span()) if m else (None, None)


def parse_date_string(text: str) -> PartialDate | None:
    date, _ = find_date(text)
    if date is None:
        date, _ = find_year(text.strip()) if re.fullmatch(r"\(?\d{4}\)?", text.strip()) else (None, None)
    return date


_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def find_urls(text: str) -> list[str]:
    urls = []
    for m in URL_RE.finditer(text):
        url = _INVISIBLE.sub("", m.group(0)).rstrip(".,;:!?")  # a CMS's zero-width break hints
        if url.lower().startswith("www."):
            url = "https://" + url
        if url not in urls:
            urls.append(url)
    return urls


def _find_quoted(text: str) -> tuple[str, int, int] | None:
    """The quoted title: from the first opening quote to the last closing quote.

    Greedy on purpose: titles often hold quotes of their own
    (“Statement of “Anti-Taiwan Independence,” December 2).
    """
    start = next((i for i, ch in enumerate(text) if ch in _OPEN_QUOTES), None)
    if start is None:
        return None
    end = max((i for i, ch in enumerate(text) if ch in _CLOSE_QUOTES and i > start), default=None)
    if end is None:
        return None
    return text[start + 1 : end], start, end + 1


def _clean(s: str | None) -> str | None:
    if s is None:
        return None
    s = re.sub(r"\s+", " ", s).strip(" \t,;:.–—-")
    return s or None


def _clean_title(s: str) -> str | None:
    s = re.sub(r"\s+", " ", s).strip()
    s = s.rstrip(",;:").rstrip()
    # American style puts the comma inside the quotes; a title's own "?" or "!" stays,
    # and so does the dot of an abbreviation ("U.S.").
    if s.endswith(".") and not s.endswith("...") and not re.search(r"(?:^|[\s.])[A-Z]\.$", s):
        s = s[:-1]
    # ... including inside a closing inner quote: ‘Panda Diplomacy,’ → ‘Panda Diplomacy’
    s = re.sub(r"[,;]([’'])$", r"\1", s)
    # an inner quote the author opened but the outer quote closed
    if s.count("“") > s.count("”"):
        s += "”"
    return s or None


def parse_note(
    note_id: str,
    raw: str,
    line: int | None = None,
    link_text: dict[str, str] | None = None,
    urls: list[str] | None = None,
) -> Note:
    """Parse one note's text. ``link_text`` maps URLs to their anchor text (HTML, Markdown);
    ``urls``: the note's links' addresses, when they are not written in its text (HTML)."""
    note = _parse_note(note_id, raw, line, link_text, urls or [])
    for name in ("publisher", "title", "author", "extra"):  # never a field with a space at its end
        value = getattr(note, name)
        if value is not None:
            setattr(note, name, value.strip() or None)
    return note


def _parse_note(note_id: str, raw: str, line: int | None, link_text: dict[str, str] | None, urls: list[str]) -> Note:
    text = re.sub(r"\s+", " ", raw).strip()
    note = Note(id=note_id, raw=raw.strip(), line=line)
    if IBID_RE.match(text):
        note.ibid = True
        return note
    note.urls = list(dict.fromkeys([*urls, *find_urls(text)]))
    # "Accessed May 3, 2024" is when someone read it, not when it was published.
    stripped = _ACCESS_RE.sub(" ", URL_RE.sub(" ", text))

    quoted = _find_quoted(stripped)
    if quoted is None and link_text:
        quoted = _linked_title(stripped, note.urls, link_text)
    if quoted:
        title, qs, qe = quoted
        note.title = _clean_title(title)
        before, after = stripped[: max(qs, 0)], stripped[qe:]
    else:
        before, after = stripped, ""
    note.date, before, after = _take_date(before, after)
    if quoted:
        _fields_around_title(note, _clean(before), _clean(after))
    elif not note.title:
        _fields_without_quotes(note, _clean(before))
    return note


def _linked_title(stripped: str, urls: list[str], link_text: dict[str, str]) -> tuple[str, int, int] | None:
    """An HTML/Markdown note whose link text is the title: treated as the quoted part."""
    for url in urls:
        text_of_link = re.sub(r"\s+", " ", link_text.get(url) or "").strip()
        if text_of_link and text_of_link != url and not URL_RE.fullmatch(text_of_link):
            at = stripped.find(text_of_link)
            if at >= 0:
                return text_of_link, at - 1, at + len(text_of_link) + 1
    return None


def _take_date(before: str, after: str) -> tuple[PartialDate | None, str, str]:
    """The note's date (after the title first, then before it, then a bare year after it),
    and the text on each side with the date taken out."""
    for side, finder in (("after", find_date), ("before", find_date), ("after", find_year)):
        date, span = finder(after if side == "after" else before)
        if date is not None:
            break
    if date is None or span is None:
        return None, before, after
    if side == "after":
        return date, before, after[: span[0]] + " " + after[span[1] :]
    return date, before[: span[0]] + " " + before[span[1] :], after


def _fields_around_title(note: Note, before_c: str | None, after_c: str | None) -> None:
    """Author, publisher and the rest, from the text on each side of a quoted title."""
    parts = [p.strip() for p in (before_c or "").split(",") if p.strip()]
    # Chicago style puts the publisher after the title ("Author, “Title,” Publisher, Date");
    # news style before it ("Publisher, “Title,” Date"). A known outlet name settles it;
    # otherwise only a short, name-like tail counts as the publisher.
    after_is_publisher = bool(
        after_c
        and re.search(r"[A-Za-z\u00C0-\u024F]{3,}", after_c)
        and not re.search(r"[\u4e00-\u9fff]", after_c)
        and len(after_c.split()) <= 6
        and not re.search(r"[a-z]\.\s", after_c)
    )
    if parts and outlet_named(parts[-1]) is not None:
        after_is_publisher = False
    elif after_c and outlet_named(after_c) is not None:
        after_is_publisher = True
    if after_is_publisher and parts:
        # Chicago style: Author, “Title,” Publisher, Date.
        note.author = _clean(re.sub(r"^by\s+", "", ", ".join(parts), flags=re.I))
        note.publisher = after_c
    elif parts:
        note.publisher = parts[-1]
        if len(parts) > 1:
            note.author = _clean(", ".join(parts[:-1]))
        if after_c:
            note.extra = after_c
    elif after_is_publisher:
        note.publisher = after_c
    elif after_c:
        note.extra = after_c


def _fields_without_quotes(note: Note, before_c: str | None) -> None:
    """No quotes: "Publisher. Title. Date." or "Publisher, Title, Date" — the publisher is
    only guessed when the note is short and clearly segmented."""
    segments = [s for s in re.split(r"(?<=[a-z\)])\.\s+|,\s+", before_c or "") if s.strip()]
    if len(segments) >= 2:
        note.publisher = _clean(segments[0])
        note.title = _clean_title(" ".join(segments[1:]))
    elif segments and note.urls:
        note.title = _clean_title(segments[0])


def find_access_date(raw: str) -> PartialDate | None:
    """When the note says its author read the source ("accessed May 3, 2024", "retrieved
    2024-05-03"): the citation time quote checking and drift compare against."""
    for m in _ACCESSED.finditer(raw):
        date, _ = find_date(URL_RE.sub(" ", m["rest"]))
        if date is not None:
            return date
    return None
