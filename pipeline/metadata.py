"""Fetch → PageMeta: what a page says about itself (title, date, site, language).

In the manner of htmldate/trafilatura: an ordered chain of small extractors,
cheap and precise first (publisher-declared metadata), heuristics later, a
library fallback last. Every candidate is kept with its source so a person
can see why a title was chosen.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from .decode import decode_page
from .model import Candidate, Fetch, PageMeta
from .pagedates import date_from_url, page_days, parse_iso_date  # noqa: F401 - re-exported
from .titles import choose_title, strip_site_name

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "liveblogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "blogposting",
    "scholarlyarticle",
    "techarticle",
    "report",
    "webpage",
    "book",
    "chapter",
    "creativework",
    "videoobject",
}


def registered_domain(url_or_host: str) -> str | None:
    host = urlsplit(url_or_host).hostname if "//" in url_or_host else url_or_host
    if not host or re.fullmatch(r"[\d.]+|[0-9a-f:]+", host):
        return None  # an IP address names no publisher
    from .suffixes import top_domain  # tldextract's answer without its imports (suffixes.py)

    return top_domain(host) or host


MAX_FIELD = 400  # characters of a title, site name or author; real ones are under 300


def _text(s: str | None) -> str | None:
    """Collapse whitespace. The HTML parser has already decoded entities once; decoding
    again would turn a page's literal "&amp;amp;" into "&". A value longer than MAX_FIELD
    is cut (at a space where one is near) with "…": a 100 KB <title> is not a title, and
    every candidate is kept in the history file of every check and in the reports."""
    if s is None:
        return None
    s = re.sub(r"\s+", " ", s).strip()
    if len(s) > MAX_FIELD:
        cut = s.rfind(" ", MAX_FIELD - 80, MAX_FIELD)
        s = s[: cut if cut > 0 else MAX_FIELD - 1].rstrip() + "…"
    return s or None


def _ld_text(s: str | None) -> str | None:
    """JSON-LD strings are raw script text: the HTML parser decoded nothing, so strip
    markup and decode entities here, once (WordPress/Yoast writes &#8216; into JSON)."""
    if not isinstance(s, str):
        return None
    s = re.sub(r"<[^>]+>", "", s) if "<" in s else s
    return _text(html.unescape(s))


# ----------------------------------------------------------------------------- JSON-LD
def _json_ld(root) -> list[dict]:
    items: list[dict] = []
    for script in root.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = script.text or ""
        try:
            data = json.loads(raw.strip(), strict=False)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                items.append(node)
                if isinstance(node.get("@graph"), list):
                    stack.extend(node["@graph"])
    return items


def _types(node: dict) -> set[str]:
    t = node.get("@type", [])
    return {x.lower() for x in (t if isinstance(t, list) else [t]) if isinstance(x, str)}


def _articles(ld: list[dict]) -> list[dict]:
    arts = [n for n in ld if _types(n) & ARTICLE_TYPES]
    # proper article types before the generic WebPage
    return sorted(arts, key=lambda n: "webpage" in _types(n) and len(_types(n)) == 1)


def _name(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return value.get("name") if isinstance(value.get("name"), str) else None
    if isinstance(value, list) and value:
        names = [_name(v) for v in value]
        return ", ".join(n for n in names if n) or None
    return None


# ----------------------------------------------------------------------------- meta tags
@dataclass
class _Doc:
    """One parsed page (an lxml tree), its JSON-LD nodes and its <meta> tags, each read once."""

    root: Any
    ld: list[dict]
    metas: dict[str, str]
    sites: list[str] = field(default_factory=list)


def _meta_index(root) -> dict[str, str]:
    """All <meta property|name|itemprop=… content=…> in one pass (first occurrence wins)."""
    index: dict[str, str] = {}
    for tag in root.iter("meta"):
        content = (tag.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = tag.get(attr)
            if isinstance(key, str):
                index.setdefault(key.strip().lower(), content)
    return index


def _meta(doc: _Doc, *keys: str) -> str | None:
    for key in keys:
        value = doc.metas.get(key.lower())
        if value:
            return value
    return None


# ----------------------------------------------------------------------------- title
TitleFn = Callable[[_Doc], tuple[str | None, str]]


def _t_og(doc: _Doc):
    return _meta(doc, "og:title"), "og:title"


def _t_twitter(doc: _Doc):
    return _meta(doc, "twitter:title"), "twitter:title"


def _t_ld(doc: _Doc):
    for node in _articles(doc.ld):
        for key in ("headline", "name"):
            if isinstance(node.get(key), str) and node[key].strip():
                return _ld_text(node[key]), f"JSON-LD {key}"
    return None, "JSON-LD"


def _t_citation(doc: _Doc):
    return _meta(doc, "citation_title", "dc.title"), "citation_title"


def _t_title(doc: _Doc):
    tag = next(doc.root.iter("title"), None)
    if tag is None:
        return None, "<title>"
    raw = _text(tag.text_content())
    if not raw:
        return None, "<title>"
    return strip_site_name(raw, doc.sites), "<title>"


def _t_h1(doc: _Doc):
    """The page's one headline, if it has one (two or more: none of them is the title).
    Stops at the second: a page of 15,000 unclosed <h1> (each holding all the later ones)
    took 4 s to read each one's whole text."""
    found = None
    for h in doc.root.iter("h1"):
        if any(t.strip() for t in h.itertext()):
            if found is not None:
                return None, "<h1>"
            found = h
    if found is not None:
        return _text(" ".join(found.itertext())), "<h1>"
    return None, "<h1>"


TITLE_CHAIN: list[TitleFn] = [_t_og, _t_twitter, _t_ld, _t_citation, _t_title, _t_h1]
# ----------------------------------------------------------------------------- language
_SCRIPTS = [
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
]
_STOPWORDS = {
    "en": {"the", "and", "of", "to", "in", "is", "for", "on", "with", "after", "over", "from", "by"},
    "es": {"el", "la", "de", "que", "y", "los", "las", "del", "en", "por", "con", "una"},
    "fr": {"le", "la", "les", "de", "des", "et", "du", "une", "est", "pour", "dans", "sur"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "den", "von", "für", "auf", "im"},
}


def detect_language(text: str | None) -> str | None:
    """A coarse guess from script and stopwords: enough to tell a translation from a mismatch."""
    if not text:
        return None
    for pattern, lang in _SCRIPTS:
        if len(pattern.findall(text)) >= max(2, len(text) // 10):
            return lang
    words = re.findall(r"[a-zà-ÿß]+", text.lower())
    if not words:
        return None
    scores = {lang: sum(w in sw for w in words) for lang, sw in _STOPWORDS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] > 0 else ("en" if all(w.isascii() for w in words) else None)


def _lang(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().split(",")[0].replace("_", "-").split("-")[0].lower() or None


# ----------------------------------------------------------------------------- PDF
def _pdf_meta(fetch: Fetch) -> PageMeta:
    import logging

    from pypdf import PdfReader

    # A damaged PDF is recorded as no title, not as pypdf's warnings on the terminal: this
    # may run in a page-reading child process, whose logging the CLI does not set up
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)

    meta = PageMeta(encoding="binary")
    try:
        reader = PdfReader(io.BytesIO(fetch.body))
        info = reader.metadata or {}
        title = _text(str(info.get("/Title") or "")) if info else None
        if title:
            meta.title_candidates.append(Candidate(title, "PDF metadata"))
        author = info.get("/Author") if info else None
        meta.author = _text(str(author)) if author else None
        created = info.get("/CreationDate") if info else None
        m = re.match(r"D?:?((?:19|20)\d\d)(\d\d)(\d\d)", str(created or ""))
        if m:
            meta.published, meta.published_source = dt.date(int(m[1]), int(m[2]), int(m[3])), "PDF metadata"
        if reader.pages:
            first = (reader.pages[0].extract_text() or "").strip()
            lines = [ln.strip() for ln in first.splitlines() if ln.strip()]
            if lines:
                meta.title_candidates.append(Candidate(" ".join(lines[:2])[:300], "PDF first page"))
    except Exception:  # a damaged PDF is a fact about the source, not a crash
        pass
    if meta.title_candidates:
        meta.title, meta.title_source = meta.title_candidates[0].value, meta.title_candidates[0].source
    meta.language = detect_language(meta.title)
    meta.language_source = "detected from title" if meta.language else None
    rd = registered_domain(fetch.final_url or fetch.url)
    meta.site_name, meta.site_name_source = rd, "registered domain"
    return meta


# ----------------------------------------------------------------------------- main
def extract(fetch: Fetch, decoded: tuple[str, str] | None = None) -> PageMeta | None:
    """Page metadata from a fetched response, or None when there is no page to read.
    ``decoded``: (text, encoding) when the caller already decoded the body."""
    if not fetch.body:
        return None
    if fetch.content_type == "application/pdf" or fetch.body[:5] == b"%PDF-":
        return _pdf_meta(fetch)
    decoded = decoded or decode_page(fetch.body, fetch.headers.get("content-type"))
    if decoded is None:
        return None
    text, encoding = decoded
    return extract_html(text, fetch.final_url or fetch.url, fetch.headers.get("content-language"), encoding)


def extract_html(text: str, url: str, content_language: str | None = None, encoding: str | None = None) -> PageMeta:
    root = _parse(text)
    doc = _Doc(root, _json_ld(root), _meta_index(root))
    meta = PageMeta(encoding=encoding)
    rd = registered_domain(url)
    meta.site_name, meta.site_name_source = _site_name(doc, rd)
    doc.sites = [n for n in (meta.site_name, rd, (rd or "").split(".")[0]) if n]
    _titles(doc, meta)
    meta.language, meta.language_source = _language(doc, content_language, meta.title)
    days = page_days(doc.root, _articles(doc.ld), doc.metas, url, text, meta.language)
    meta.published, meta.published_source, meta.updated = days.published, days.published_source, days.updated
    author = _meta(doc, "author", "article:author", "citation_author", "dc.creator")
    if not author:
        for node in _articles(doc.ld):
            author = _ld_text(_name(node.get("author")))
            if author:
                break
    meta.author = _text(author) if author and not author.startswith("http") else None
    return meta


def _site_name(doc: _Doc, rd: str | None) -> tuple[str | None, str | None]:
    site = _meta(doc, "og:site_name")
    if site:
        return _text(site), "og:site_name"
    for node in doc.ld:
        pub = _name(node.get("publisher")) if _types(node) & ARTICLE_TYPES else None
        if pub:
            return _ld_text(pub), "JSON-LD publisher"
    app = _meta(doc, "application-name")
    if app:
        return _text(app), "application-name"
    return (rd, "registered domain") if rd else (None, None)


def _titles(doc: _Doc, meta: PageMeta) -> None:
    """Every title the page offers (kept, with its source), and the one chosen."""
    for fn in TITLE_CHAIN:
        value, source = fn(doc)
        value = _text(value)
        if value and not any(c.value == value and c.source == source for c in meta.title_candidates):
            if source in ("og:title", "twitter:title", "JSON-LD headline", "JSON-LD name"):
                value = strip_site_name(value, doc.sites)
            meta.title_candidates.append(Candidate(value, source))
    if not meta.title_candidates:
        return
    chosen = choose_title(meta.title_candidates)
    agree = [
        c.source
        for c in meta.title_candidates
        if c is not chosen and fuzz.ratio(c.value.lower(), chosen.value.lower()) >= 90
    ]
    why = "first in the chain" if chosen is meta.title_candidates[0] else "the visible headline"
    meta.title = chosen.value
    meta.title_source = chosen.source + (f" (agrees with {', '.join(agree)})" if agree else f" ({why})")


def _language(doc: _Doc, content_language: str | None, title: str | None) -> tuple[str | None, str | None]:
    root = doc.root
    html_tag = root if root.tag == "html" else next(root.iter("html"), None)
    lang = (
        _lang(html_tag.get("lang") or html_tag.get("{http://www.w3.org/XML/1998/namespace}lang"))
        if html_tag is not None
        else None
    )
    if lang:
        return lang, "<html lang>"
    if _lang(content_language):
        return _lang(content_language), "Content-Language"
    if _lang(_meta(doc, "og:locale")):
        return _lang(_meta(doc, "og:locale")), "og:locale"
    detected = detect_language(title)
    return detected, "detected from title" if detected else None


def _parse(text: str):
    """lxml's HTML parser (C, forgiving): the page is parsed once and read many times.
    bs4's tree building in Python was the hot spot of a 2,000-URL check. Imported here, not
    with the module: a run the cache answers whole parses no page, and lxml's import is
    about a tenth of that run's CPU (issue 22: 0.5 s for the whole run)."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        # an encoding declaration inside a str, or an empty document
        try:
            root = lxml.html.document_fromstring(text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
        except (etree.ParserError, ValueError):
            root = lxml.html.fromstring("<html><body></body></html>")
    return root


def page_from_dict(d: dict | None) -> PageMeta | None:
    """Rebuild PageMeta from its JSON form (history and reports); None for one of another
    shape (archive/ is committed and edited by people: a stored page that is not an object,
    a title that is a number, a date that is not one was a traceback in the cached path)."""
    if not d:
        return None
    if type(d) is not dict or any(v is not None and type(v) is not str for k, v in d.items() if k in _PAGE_TEXT_FIELDS):
        return None
    candidates = d.get("title_candidates") or []
    if type(candidates) is not list or not all(
        type(c) is dict and type(c.get("value")) is str and type(c.get("source")) is str for c in candidates
    ):
        return None
    meta = PageMeta(**{k: v for k, v in d.items() if k in PageMeta.__dataclass_fields__ and k != "title_candidates"})
    meta.title_candidates = [Candidate(c["value"], c["source"]) for c in candidates]
    try:
        if isinstance(meta.published, str):
            meta.published = dt.date.fromisoformat(meta.published)
        if isinstance(meta.updated, str):
            meta.updated = dt.date.fromisoformat(meta.updated)
    except ValueError:
        return None
    return meta


_PAGE_TEXT_FIELDS = frozenset(
    k for k in PageMeta.__dataclass_fields__ if k != "title_candidates"
)  # every other field is text in JSON (the two dates as ISO text)
