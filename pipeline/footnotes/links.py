"""Linked sources: the URLs an article links from its text, each with the words that link it
and the sentence it sits in.

Web journalism cites with links more than with footnotes. Each format reduces its body to
paragraphs of plain text with the links' places in them (``Paragraph``); what is a source
and how one URL linked several times becomes one source is decided here, once for all
formats. Markdown and plain text are read here too; HTML's body is found in
``htmlbody.py``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from ..model import LinkedSource, Marker, Note, Place
from .sentences import sentence_at, sentence_before_marker, sentence_spans, text_lines

# a bare URL ends before white space, brackets, braces, quotes and superscript digits (a {1} or ¹
# note marker written right after it); trailing sentence punctuation is not part of it.
# It may stand in quotes or brackets in prose ("see 'https://…'"), but not as an HTML attribute's value
# (href="https://…"), nor inside a word or path
BARE_URL = re.compile(
    r"""(?<![\w/<=])(?<!=")(?<!=')(?:https?://|www\.)[^\s<>"'“”‘’‹›«»\[\](){}⁰¹²³⁴⁵⁶⁷⁸⁹]+"""
    r"""(?:\([^\s()]*\)[^\s<>"'“”‘’‹›«»\[\](){}⁰¹²³⁴⁵⁶⁷⁸⁹]*)*""",
    re.I,
)
_TRAILING = ".,;:!?…*_"
# invisible characters a CMS puts into long addresses so they can wrap (zero-width space,
# soft hyphen, word joiner…): not part of the address a reader follows
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")

# links that are never a source, whatever page they sit in: sharing, signing in, mail
_SHARE_HOSTS = re.compile(
    r"(^|\.)(facebook\.com/sharer|twitter\.com/(intent|share)|x\.com/intent|linkedin\.com/(share|sharearticle|cws/share)"
    r"|pinterest\.[a-z.]+/pin/create|reddit\.com/submit|wa\.me/|api\.whatsapp\.com/send|t\.me/share|telegram\.me/share"
    r"|news\.ycombinator\.com/submitlink|getpocket\.com/save|flipboard\.com/bookmarklet)",
    re.I,
)
# site furniture anywhere: tag, author, sign-in, subscription and policy pages are not sources
_FURNITURE_PATH = re.compile(
    r"/(tag|tags|category|categories|author|authors|login|log-in|signin|sign-in|signup|sign-up|register"
    r"|subscribe|subscription|subscriptions|newsletters?|account|myaccount|my-account|privacy|privacy-policy"
    r"|datenschutz|impressum|imprint|cookies?|terms)(/|$)",
    re.I,
)
# a news site's own section, topic and people pages; on another site such a path can be a
# source ("/DE/Themen/Arbeit/…" at a statistics office), so only on the article's own site
SECTION_PATH = re.compile(
    r"/(section|sections|topic|topics|profile|profiles|people|journalists?|thema|themen|tema|temas|sujets?"
    r"|persone|personen)(/|$)",
    re.I,
)


@dataclass
class LinkAt:
    """A link inside a paragraph's text: its address, its words, where its words start."""

    url: str
    text: str
    offset: int
    line: int | None = None  # when known apart from its paragraph's (HTML: the <a>'s own line)


@dataclass
class Paragraph:
    """One paragraph (or list item) of the body as plain text, the line it starts on, and
    its links."""

    text: str
    line: int | None
    links: list[LinkAt] = field(default_factory=list)
    line_starts: list[int] = field(default_factory=lambda: [0])  # offset in ``text`` of each source line

    def line_at(self, offset: int) -> int | None:
        """The source line of a character of the paragraph's (unrendered) text."""
        if self.line is None:
            return None
        return self.line + bisect_right(self.line_starts, offset) - 1


def clean_url(url: str) -> str:
    """A URL as written in prose: trailing punctuation and an unmatched closing bracket are
    the sentence's, not the address's; invisible break hints are dropped; ``www.`` alone
    gets its scheme."""
    url = _INVISIBLE.sub("", url.strip().strip("<>"))
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    if url.lower().startswith("www."):
        url = "https://" + url
    return url


_HTTP_PARTS = re.compile(r"^https?://(?:[^/?#@]*@)?(?P<host>\[[^\]]*\]|[^/?#:]+)(?::\d*)?(?P<path>[^?#]*)", re.I)


def host_and_path(url: str) -> tuple[str, str] | None:
    """An http(s) URL's host (lower case) and path; None for anything else. A regular
    expression rather than urlsplit: it runs for every link of a page, and this is a
    fifth of the cost."""
    m = _HTTP_PARTS.match(url)
    return (m["host"].lower(), m["path"]) if m else None


@lru_cache(maxsize=4096)
def is_source_url(url: str) -> bool:
    """Could this address be a cited source? Only http(s), not a share button, not a
    tag/section/author/login/subscribe page."""
    parts = host_and_path(url)
    if parts is None or not parts[0]:
        return False
    host, path = parts
    if _SHARE_HOSTS.search(f"{host}{path}"):
        return False
    return not _FURNITURE_PATH.search(path)


def bare_links(text: str, shift: int = 0) -> list[LinkAt]:
    """Bare URLs in a piece of prose, their own text as their words."""
    found = []
    for m in BARE_URL.finditer(text):
        written = m.group(0)
        url = clean_url(written)
        found.append(LinkAt(url, written[: len(written.rstrip(_TRAILING))] or url, m.start() + shift))
    return found


def gather(paragraphs: list[Paragraph], notes: list[Note]) -> list[LinkedSource]:
    """Paragraphs → linked sources in reading order: one per URL, every place listed. A URL
    a footnote also carries is that footnote's source, not a second one."""
    noted = {url_key(u) for n in notes for u in n.urls}
    by_url: dict[str, LinkedSource] = {}
    for p in paragraphs:
        spans = sentence_spans(p.text) if p.links else []  # once per paragraph, however many links
        for link in p.links:
            if not is_source_url(link.url) or url_key(link.url) in noted:
                continue
            source = by_url.setdefault(url_key(link.url), LinkedSource(link.url))
            text = " ".join(link.text.split()) or None
            line = link.line if link.line is not None else p.line_at(link.offset)
            source.places.append(Place(line, text, sentence_at(p.text, link.offset, spans) or None))
    return list(by_url.values())


@lru_cache(maxsize=4096)
def url_key(url: str) -> str:
    """One key for two spellings of one address: the scheme, ``www.``, the host's letter
    case, a trailing slash and a fragment make no difference."""
    host, slash, rest = _SCHEME_WWW.sub("", url.strip()).split("#", 1)[0].partition("/")
    key = host.lower() + slash + rest
    return key if "?" in key else key.rstrip("/")


_SCHEME_WWW = re.compile(r"^https?://(www\.)?", re.I)


def sources_list(notes: list[Note]) -> tuple[list[Note], list[LinkedSource]]:
    """An article that cites no note anywhere in its text has no footnotes: its list of
    numbered entries with addresses is a Sources / References / Further reading list, each
    entry a linked source (its parsed publisher, title and date kept). Entries without an
    address stay notes, for `citewatch resolve` to find one."""
    kept, listed = [], []
    for n in notes:
        if n.urls and not n.ibid:
            listed.append(LinkedSource(n.urls[0], [Place(n.line, n.title, " ".join(n.raw.split()))], n))
        else:
            kept.append(n)
    return kept, listed


def join_sources(listed: list[LinkedSource], linked: list[LinkedSource]) -> list[LinkedSource]:
    """A Sources-list entry the text also links is one source with every place, in reading order."""
    if not listed:
        return linked
    by_url = {url_key(s.url): s for s in listed}
    for s in linked:
        same = by_url.get(url_key(s.url))
        if same is not None:  # the list's entry as the reader sees it, where the body reader found it
            lines = {p.line for p in s.places}
            same.places = [p for p in same.places if p.line not in lines] + s.places
        else:
            by_url[url_key(s.url)] = s
    for s in by_url.values():
        s.places.sort(key=lambda p: p.line or 0)
    return sorted(by_url.values(), key=lambda s: s.places[0].line or 0)


# ---- plain text -------------------------------------------------------------------------

_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")


def text_paragraphs(lines: list[str], first_line: int = 1) -> list[Paragraph]:
    """Blank-line separated paragraphs of plain text (each list item one of its own), with
    their bare URLs."""
    paragraphs: list[Paragraph] = []
    parts: list[str] = []
    start = first_line
    for n, line in enumerate([*lines, ""], start=first_line):
        if (not line.strip() or _LIST_ITEM.match(line)) and parts:
            paragraphs.append(_text_paragraph(parts, start))
            parts = []
        if line.strip():
            if not parts:
                start = n
                line = _LIST_ITEM.sub("", line)
            parts.append(line.strip())
    return paragraphs


def _text_paragraph(parts: list[str], line: int) -> Paragraph:
    text = " ".join(parts)
    starts = [0]
    for part in parts[:-1]:
        starts.append(starts[-1] + len(part) + 1)
    return Paragraph(text, line, bare_links(text), starts)


def from_text(text: str, notes: list[Note]) -> list[LinkedSource]:
    return gather(text_paragraphs(text_lines(text)), notes)


# ---- Markdown ---------------------------------------------------------------------------

_REF_DEF = re.compile(r"^ {0,3}\[(?P<id>[^\]^][^\]]*)\]:\s*<?(?P<url>\S+?)>?(?:\s+[\"'(].*[\"')])?\s*$")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]]+\]:")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"`[^`]*`")
_INLINE = re.compile(
    r"(?P<image>!?)\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
    # the address may hold balanced parentheses (two deep: Foo_(bar), p(a(b))) and backslash escapes
    r"(?:\(\s*<?(?P<url>(?:[^()\s<>\\]|\\.|\((?:[^()\s\\]|\\.|\([^()\s]*\))*\))+)>?"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)|\[(?P<ref>[^\]]*)\])?"
)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
AUTOLINK = re.compile(r"<(?P<url>https?://[^<>\s]+)>")  # <https://…>, in Markdown and plain text
_HEADING = re.compile(r"^\s*#{1,6}\s")
_FRONT_FIELD = re.compile(r"^(?P<key>title|date)\s*:\s*[\"']?(?P<value>.*?)[\"']?\s*$", re.I)


def front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """The title and date of a YAML front matter block, and the first line after it."""
    fields: dict[str, str] = {}
    if not lines or lines[0].strip() != "---":
        return fields, 0
    for i, line in enumerate(lines[1:200], start=1):
        if line.strip() in ("---", "..."):
            return fields, i + 1
        m = _FRONT_FIELD.match(line)
        if m and m["value"]:
            fields.setdefault(m["key"].lower(), m["value"])
    return {}, 0


def _markdown_links(p: Paragraph, refs: dict[str, str]) -> tuple[str, list[LinkAt]]:
    """A Markdown paragraph as the reader sees it (link words, not link syntax) and its links."""
    # links are looked for outside code spans; the reader still sees the code's words
    text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), p.text)
    shown = _CODE_SPAN.sub(lambda m: " " + m.group(0)[1:-1] + " ", p.text)
    out: list[str] = []
    length = 0  # of the rendered text so far
    links: list[LinkAt] = []
    pos = 0
    for m in _INLINE.finditer(text):
        url = m["url"]
        if url is None:
            ref = (m["ref"] or m["text"]).strip().lower()
            url = refs.get(" ".join(ref.split()))
            if url is None or m["text"].startswith("^"):
                continue  # brackets, a footnote marker, or a reference defined nowhere
        chunk = text[pos : m.start()]
        links.extend(_plain_links(p, chunk, length, pos))
        chunk = shown[pos : m.start()]
        words = re.sub(r"[*_`]", "", shown[m.start("text") : m.end("text")])
        if not m["image"]:
            url = _ESCAPED.sub(r"\1", url)  # CommonMark: \_ is _
            links.append(LinkAt(clean_url(url), words, length + len(chunk), p.line_at(m.start())))
        out += [chunk, words]
        length += len(chunk) + len(words)
        pos = m.end()
    links.extend(_plain_links(p, text[pos:], length, pos))
    out.append(shown[pos:])
    return "".join(out), links


def _plain_links(p: Paragraph, chunk: str, shift: int, source_at: int) -> list[LinkAt]:
    """Autolinks and bare URLs in the text between Markdown links (``chunk``, which starts at
    ``shift`` in the rendered paragraph and at ``source_at`` in the written one)."""
    auto = [LinkAt(clean_url(m["url"]), m["url"], m.start() + shift) for m in AUTOLINK.finditer(chunk)]
    rest = AUTOLINK.sub(lambda m: " " * len(m.group(0)), chunk)
    found = sorted(auto + bare_links(rest, shift), key=lambda link: link.offset)
    for link in found:
        link.line = p.line_at(link.offset - shift + source_at)
    return found


def markdown_paragraphs(text: str) -> tuple[list[Paragraph], dict[str, str]]:
    """The body's paragraphs (code blocks, footnote definitions and reference definitions
    left out) and the front matter's fields."""
    lines = text_lines(text)
    fields, body_start = front_matter(lines)
    refs: dict[str, str] = {}
    kept: list[str] = []
    in_fence = in_footnote = False
    for line in lines[body_start:]:
        if _FENCE.match(line):
            in_fence = not in_fence
            kept.append("")
            continue
        m = None if in_fence else _REF_DEF.match(line)
        if m:
            refs.setdefault(" ".join(m["id"].lower().split()), m["url"])
        if in_fence or m or _FOOTNOTE_DEF.match(line) or (in_footnote and line.strip()):
            in_footnote = bool(_FOOTNOTE_DEF.match(line)) or (in_footnote and bool(line.strip()))
            kept.append("")
            continue
        in_footnote = False
        kept.append("" if _HEADING.match(line) else line)
    paragraphs = []
    for p in text_paragraphs(kept, first_line=body_start + 1):
        plain, links = _markdown_links(p, refs)
        # one start per source line, so a marker on a paragraph's second line is found in it
        # (the offsets are the Markdown's, a little past the plain text's after a link)
        paragraphs.append(Paragraph(plain, p.line, links, [min(o, len(plain)) for o in p.line_starts]))
    return paragraphs, fields


def from_markdown(text: str, notes: list[Note]) -> tuple[list[LinkedSource], dict[str, str]]:
    paragraphs, fields = markdown_paragraphs(text)
    return gather(paragraphs, notes), fields


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _marker_token(marker_id: str) -> re.Pattern[str]:
    """How a note's marker is written in the text: ``[^id]``, ``{n}``, ``[n]``, ``[n, m]``, ``ⁿ``."""
    n = re.escape(marker_id)
    superscript = re.escape(marker_id.translate(_SUPERSCRIPT)) if marker_id.isdigit() else None
    written = rf"\[\^{n}\]|\{{{n}\}}|\[(?:\d+\s*[,\u2013-]\s*)*{n}(?:\s*[,\u2013-]\s*\d+)*\]"
    if superscript:
        written += rf"|(?<![⁰¹²³⁴⁵⁶⁷⁸⁹]){superscript}(?![⁰¹²³⁴⁵⁶⁷⁸⁹])"
    return re.compile(written)


# Every marker token in one pass per shape, each id's first place kept (``_first_tokens``):
# one pattern compiled and run from the paragraph's start per marker made a paragraph of
# 8,000 markers 12 s of work. Each shape is ``_marker_token``'s, read the other way round.
_CARET = re.compile(r"\[\^([^\[\]]+)\]")
_BRACED = re.compile(r"\{([^{}]+)\}")
_BRACKETED = re.compile(r"\[([^\[\]]+)\]")
_LIST_SEPARATOR = re.compile(r"\s*[,\u2013-]\s*")
_DIGITS = re.compile(r"\d+")
_SUPERSCRIPTS = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def _first_tokens(text: str) -> dict[str, int]:
    """Where each note id's marker is first written in ``text``: the start ``_marker_token(id)
    .search(text)`` gives, for every id at once."""
    first: dict[str, int] = {}

    def seen(marker_id: str, at: int) -> None:
        if at < first.get(marker_id, len(text) + 1):
            first[marker_id] = at

    for m in _CARET.finditer(text):
        seen(m[1], m.start())
    for m in _BRACED.finditer(text):
        seen(m[1], m.start())
    for m in _BRACKETED.finditer(text):
        items = _LIST_SEPARATOR.split(m[1])
        if not all(items):
            continue
        others = [k for k, item in enumerate(items) if not _DIGITS.fullmatch(item)]
        # [n], [n, m], [n–m]: every number; an id of another form only with numbers around it
        for k in others if len(others) == 1 else range(len(items)) if not others else ():
            seen(items[k], m.start())
    for m in _SUPERSCRIPTS.finditer(text):
        seen(m[0].translate(_FROM_SUPERSCRIPT), m.start())
    return first


def cite_notes(paragraphs: list[Paragraph], notes: list[Note], markers: list[Marker]) -> None:
    """Give each note the sentence its first marker ends (``Note.citing_text``)."""
    wanted = {n.id: n for n in notes if n.citing_text is None}
    starts = [p.line or 0 for p in paragraphs]
    tokens: dict[int, dict[str, int]] = {}  # per paragraph, read when one of its markers is wanted
    for marker in markers:
        note = wanted.get(marker.id)
        if note is None or marker.line is None:
            continue
        i = bisect_right(starts, marker.line) - 1
        p = paragraphs[i] if i >= 0 and marker.line < starts[i] + len(paragraphs[i].line_starts) else None
        if p is None:
            continue
        if i not in tokens:
            tokens[i] = _first_tokens(p.text)
        at = tokens[i].get(marker.id)
        if at is None:  # an id of a shape not read the other way round: looked for as before
            m = _marker_token(marker.id).search(p.text)
            at = m.start() if m else None
        if at is not None:
            note.citing_text = sentence_before_marker(p.text, at)
            del wanted[marker.id]


def note_sentences(fmt: str, text: str, notes: list[Note], markers: list[Marker]) -> None:
    """The citing sentence of each note of a plain-text or Markdown article."""
    if fmt == "markdown":
        paragraphs, _ = markdown_paragraphs(text)
    else:
        paragraphs = text_paragraphs(text_lines(text))
    cite_notes(paragraphs, notes, markers)
