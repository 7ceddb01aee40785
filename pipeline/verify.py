"""Citation + PageMeta → matches: does the page say what the footnote says?

Pure functions. Thresholds (rapidfuzz scores, 0–100) are chosen to be
conservative: a false "mismatch" sends a fact-checker chasing nothing, so
doubtful cases land in "partial", "other-language" or "likely-typo".

- title:  score ≥ 90 → match; ≥ 65 → partial (or one title contains the other);
          different languages → other-language; else mismatch.
- date:   same calendar day ±1 (time zones) → match; 2–31 days → off-by-N-days;
          else mismatch. Year- or month-only footnotes compare at that precision.
- publisher: equal names or the page's domain → match; via the alias table →
          alias; within edit distance of a known name (ratio ≥ 80) → likely-typo;
          else mismatch.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

from .metadata import detect_language, registered_domain
from .model import Citation, Match, PageMeta, PartialDate
from .publishers import PUBLISHER_TYPO, closest_outlet, outlet_for_domain, outlet_named, pnorm

TITLE_MATCH = 90
TITLE_PARTIAL = 65

_PREFIX = re.compile(
    r"^\s*(?:\(?(?:corrected|correction|update|updated|exclusive|breaking|analysis|opinion|watch|video|live|explainer)\)?\s*[:\-–—]\s*|\((?:exclusive|update|corrected)\)\s*)+",
    re.I,
)
_ABBREVIATIONS = [
    (re.compile(r"\bH\.\s?K\.(?=\W|$)"), "Hong Kong"),
    (re.compile(r"\bU\.\s?S\.(?:\s?A\.)?(?=\W|$)"), "United States"),
    (re.compile(r"\bU\.\s?K\.(?=\W|$)"), "United Kingdom"),
    (re.compile(r"\bU\.\s?N\.(?=\W|$)"), "United Nations"),
    (re.compile(r"\bUS\b"), "United States"),
    (re.compile(r"\bUK\b"), "United Kingdom"),
]


@lru_cache(maxsize=8192)
def normalize_title(s: str | None) -> str:
    """Cached: the page title is compared again as one of its own candidates, and a
    run verifies the same titles for every citation of a URL."""
    if not s:
        return ""
    s = html.unescape(s)
    s = unicodedata.normalize("NFKC", s)
    for _ in range(3):
        s = _PREFIX.sub("", s)
    for pattern, full in _ABBREVIATIONS:
        s = pattern.sub(full, s)
    s = s.casefold()
    s = re.sub(r"[’'`´]s\b", "s", s)
    return re.sub(r"[\W_]+", " ", s).strip()  # whitespace is \W too: one space left per run


def _lang_of(text: str | None, declared: str | None = None) -> str | None:
    return detect_language(text) or declared


def match_title(cited: str | None, page: PageMeta | None) -> Match:
    found = page.title if page else None
    if not cited or not found:
        return Match("unknown", cited, found, detail="no title to compare" if cited else "the footnote gives no title")
    a, b = normalize_title(cited), normalize_title(found)
    best, best_value = -1.0, found
    for cand in [found] + [c.value for c in (page.title_candidates if page else []) if c.value != found]:
        nb = normalize_title(cand)
        score = max(fuzz.ratio(a, nb), fuzz.token_sort_ratio(a, nb))
        if score > best:
            best, best_value, b = score, cand, nb
    score = round(best / 100, 3)
    if best >= TITLE_MATCH:
        return Match("match", cited, best_value, score)
    shorter, longer = sorted((a, b), key=len)
    if shorter and fuzz.partial_ratio(shorter, longer) >= 95 and len(shorter) >= 0.4 * len(longer):
        return Match("partial", cited, best_value, score, detail="one title contains the other")
    if best >= TITLE_PARTIAL:
        return Match("partial", cited, best_value, score)
    cited_lang = _lang_of(cited)
    page_lang = _lang_of(found, page.language if page else None)
    if cited_lang and page_lang and cited_lang != page_lang:
        return Match(
            "other-language",
            cited,
            best_value,
            score,
            detail=f"footnote is in {cited_lang}, page is in {page_lang}: compare by hand",
        )
    return Match("mismatch", cited, best_value, score)


def match_date(cited: PartialDate | None, page: PageMeta | None) -> Match:
    found = page.published if page else None
    if cited is None or found is None:
        return Match("unknown", cited.iso() if cited else None, found.isoformat() if found else None)
    c, f = cited.iso(), found.isoformat()
    if cited.precision == "year":
        return Match("match" if cited.year == found.year else "mismatch", c, f, detail="compared by year")
    if cited.precision == "month":
        same = (cited.year, cited.month) == (found.year, found.month)
        return Match("match" if same else "mismatch", c, f, detail="compared by month")
    days = abs((cited.as_date() - found).days)
    if days <= 1:
        return Match("match", c, f, detail="same day" if days == 0 else "1 day apart (time zones)")
    if days <= 31:
        return Match(f"off-by-{days}-days", c, f)
    return Match("mismatch", c, f, detail=f"{days} days apart")


def match_publisher(cited: str | None, page: PageMeta | None, url: str | None = None) -> Match:
    site = page.site_name if page else None
    domain = registered_domain(url) if url else None
    found = " · ".join(x for x in dict.fromkeys([site, domain]) if x) or None
    if not cited:
        return Match("unknown", None, found, detail="the footnote names no publisher")
    cited_outlet = outlet_named(cited)
    if cited_outlet is None:
        near = closest_outlet(cited)
        if near and near[2] >= PUBLISHER_TYPO and pnorm(near[1]) != pnorm(cited):
            return Match(
                "likely-typo",
                cited,
                found,
                round(near[2] / 100, 3),
                suggestion=near[0].name,
                detail=f"no outlet is called {cited!r}; did you mean {near[0].name!r}?",
            )
    if not site and not domain:
        return Match("unknown", cited, None, detail="no page to compare with")
    if site and pnorm(cited) == pnorm(site):
        return Match("match", cited, found, 1.0)
    if domain and pnorm(cited) == pnorm(domain.split(".")[0]):
        return Match("match", cited, found, 1.0, detail="the domain spells the name")
    page_outlet = outlet_for_domain(domain) or (outlet_named(site) if site else None)
    if cited_outlet and page_outlet and cited_outlet == page_outlet:
        return Match(
            "alias",
            cited,
            found,
            1.0,
            detail=f"{cited} is {cited_outlet.name} ({', '.join(cited_outlet.domains) or 'no domain'})",
        )
    score = max(
        fuzz.ratio(pnorm(cited), pnorm(site or "")), fuzz.ratio(pnorm(cited), pnorm((domain or "").split(".")[0]))
    )
    if score >= PUBLISHER_TYPO:
        return Match("likely-typo", cited, found, round(score / 100, 3), suggestion=site or domain)
    return Match("mismatch", cited, found, round(score / 100, 3))


def verify(citation: Citation, page: PageMeta | None, url: str | None = None) -> tuple[Match, Match, Match]:
    """Title, date and publisher matches for one citation against one page."""
    return (
        match_title(citation.title, page),
        match_date(citation.date, page),
        match_publisher(citation.publisher, page, url or citation.url),
    )
