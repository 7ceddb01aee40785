"""Citation + PageMeta → matches: does the page say what the footnote says?

Pure functions. Thresholds (rapidfuzz scores, 0–100) are chosen to be
conservative: a false "mismatch" sends a fact-checker chasing nothing, so
doubtful cases land in "partial", "other-language" or "likely-typo".

- title:  score ≥ 90 → match; ≥ 65 → partial (or one title contains the other);
          different languages → other-language; else mismatch.
- date:   same calendar day ±1 (time zones) → match; 2–31 days → off-by-days;
          else mismatch. Year- or month-only footnotes compare at that precision; a
          page that only gives a year (a copyright line) is compared by year.
- publisher: equal names or the page's domain → match; the alias table, a name that
          is part of the other, an acronym, the domain's own label → alias; the table
          knows both outlets and they differ → mismatch; a near miss of the page's
          or a known name (ratio ≥ 80) → likely-typo; else unconfirmed.
- no page read (unreachable, blocked, no URL): unverified, never a mismatch.
"""

from __future__ import annotations

import dataclasses
import html
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from .metadata import detect_language, registered_domain
from .model import Citation, Match, PageMeta, PartialDate, Verdict
from .publishers import (
    PUBLISHER_TYPO,
    outlet_for_domain,
    outlet_named,
    pnorm,
    same_outlet,
    tie,
    typo_message,
    typo_of,
)
from .titles import strip_site_name

TITLE_MATCH = 90
TITLE_PARTIAL = 65
NO_PAGE = "no page was read"

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
# any of them at all: most titles have none, and one search is cheaper than six
_ANY_ABBREVIATION = re.compile(r"\b(?:H\.\s?K\.|U\.\s?[SKN]\.|U[SK]\b)")
_POSSESSIVE = re.compile(r"[’'`´]s\b")
_NOT_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=8192)
def normalize_title(s: str | None) -> str:
    """Cached: the page title is compared again as one of its own candidates, and a
    run verifies the same titles for every citation of a URL."""
    if not s:
        return ""
    s = html.unescape(s)
    s = unicodedata.normalize("NFKC", s)
    for _ in range(3):
        bare = _PREFIX.sub("", s)
        if bare == s:
            break
        s = bare
    if _ANY_ABBREVIATION.search(s):
        for pattern, full in _ABBREVIATIONS:
            s = pattern.sub(full, s)
    s = _POSSESSIVE.sub("s", s.casefold())
    return _NOT_WORD.sub(" ", s).strip()  # whitespace is \W too: one space left per run


def _lang_of(text: str | None, declared: str | None = None) -> str | None:
    return detect_language(text) or declared


def match_title(cited: str | None, page: PageMeta | None) -> Match:
    found = page.title if page else None
    if not cited or not found:
        return Match(
            Verdict.UNKNOWN, cited, found, detail="no title to compare" if cited else "the footnote gives no title"
        )
    a, b = normalize_title(cited), normalize_title(found)
    best, best_value, how = -1.0, found, None
    cands = [found] + [c.value for c in page.title_candidates if c.value != found]
    for cited_form, cited_how in _cited_forms(cited, page):
        for form, cand, cand_how in _page_forms(cands):
            nb = normalize_title(form)
            score = max(fuzz.ratio(cited_form, nb), fuzz.token_sort_ratio(cited_form, nb))
            if score > best:
                best, best_value, b, how = score, cand, nb, cited_how or cand_how
    score = round(best / 100, 3)
    if best >= TITLE_MATCH:
        return Match(Verdict.MATCH, cited, best_value, score, detail=how)
    shorter, longer = sorted((a, b), key=len)
    if shorter and fuzz.partial_ratio(shorter, longer) >= 95 and len(shorter) >= 0.4 * len(longer):
        return Match(Verdict.PARTIAL, cited, best_value, score, detail="one title contains the other")
    if best >= TITLE_PARTIAL:
        return Match(Verdict.PARTIAL, cited, best_value, score)
    cited_lang = _lang_of(cited)
    page_lang = _lang_of(found, page.language if page else None)
    if cited_lang and page_lang and cited_lang != page_lang:
        return Match(
            Verdict.OTHER_LANGUAGE,
            cited,
            best_value,
            score,
            detail=f"footnote is in {cited_lang}, page is in {page_lang}: compare by hand",
        )
    return Match(Verdict.MISMATCH, cited, best_value, score)


def _cited_forms(cited: str, page: PageMeta) -> list[tuple[str, str | None]]:
    """The footnote's title, and without the site name when it quotes the browser tab
    ("What we do - Creative Commons")."""
    forms = [(normalize_title(cited), None)]
    names = [n for n in (page.site_name,) if n]
    bare = strip_site_name(cited, names) if names else cited
    if bare != cited:
        forms.append((normalize_title(bare), "the footnote quotes the title with the site's name"))
    return forms


_KICKER = re.compile(r"^([^:]{3,60}):\s+(\S.{15,})$")


def _page_forms(cands: list[str]) -> list[tuple[str, str, str | None]]:
    """Each page title, and its headline without a kicker before a colon
    ("Nach Kritik an Papst Leo: Trump postet …"): a footnote often leaves the kicker out."""
    out: list[tuple[str, str, str | None]] = []
    for cand in cands:
        out.append((cand, cand, None))
        m = _KICKER.match(cand)
        if m and len(m[1].split()) <= 8:
            out.append((m[2], cand, f"the page puts {m[1]!r} before the headline"))
    return out


def match_date(cited: PartialDate | None, page: PageMeta | None) -> Match:
    found = page.published if page else None
    if cited is None or found is None:
        return Match(Verdict.UNKNOWN, cited.iso() if cited else None, found.isoformat() if found else None)
    c, f = cited.iso(), found.isoformat()
    if cited.precision == "year":
        return Match(Verdict.MATCH if cited.year == found.year else Verdict.MISMATCH, c, f, detail="compared by year")
    if cited.precision == "month":
        same = (cited.year, cited.month) == (found.year, found.month)
        return Match(Verdict.MATCH if same else Verdict.MISMATCH, c, f, detail="compared by month")
    days = abs((cited.as_date() - found).days)
    if days <= 1:
        return Match(Verdict.MATCH, c, f, detail="same day" if days == 0 else "1 day apart (time zones)")
    if page.updated and abs((cited.as_date() - page.updated).days) <= 1:
        u = page.updated.isoformat()
        return Match(Verdict.MATCH, c, u, detail=f"the day the page says it was updated; first published {f}")
    if days <= 31:
        return Match(Verdict.OFF_BY_DAYS, c, f, detail=f"{days} days apart")
    return Match(Verdict.MISMATCH, c, f, detail=f"{days} days apart")


def match_publisher(
    cited: str | None, page: PageMeta | None, url: str | None = None, unread: str | None = None
) -> Match:
    """``mismatch`` only on positive evidence of another outlet: the page is at (or names)
    another known outlet. A name nothing on the page ties to is ``unconfirmed``, even a
    known outlet's on a domain the table does not list for it. Without a page: ``unverified``
    (a note naming no outlet we know but near one is still a ``likely-typo``)."""
    if not cited:
        return Match(Verdict.UNKNOWN, None, None, detail="the footnote names no publisher")
    if page is None:
        return _typo_of_known(cited) or Match(Verdict.UNVERIFIED, cited, None, detail=unread or NO_PAGE)
    return dataclasses.replace(_publisher_verdict(cited, page.site_name, _domain_of(url) if url else None))


@lru_cache(maxsize=4096)
def _domain_of_host(host: str | None) -> str | None:
    return registered_domain(host) if host else None


def _domain_of(url: str) -> str | None:
    """The URL's registered domain, looked up once per host (the public-suffix search is
    most of the cost, and an article cites a few sites many times)."""
    return _domain_of_host(urlsplit(url).hostname if "//" in url else url)


@lru_cache(maxsize=4096)
def _publisher_verdict(cited: str, site: str | None, domain: str | None) -> Match:
    """``match_publisher`` for a page: the same three names give the same verdict, and a
    newsroom's citations name a few outlets on a few sites thousands of times. Callers
    get a copy (a Match is mutable)."""
    found = " · ".join(x for x in dict.fromkeys([site, domain]) if x) or None
    if site and pnorm(cited) == pnorm(site):
        return Match(Verdict.MATCH, cited, found, 1.0)
    if domain and pnorm(cited) in (pnorm(domain.split(".")[0]), pnorm(domain)):
        return Match(Verdict.MATCH, cited, found, 1.0, detail="the domain spells the name")
    cited_outlet = outlet_named(cited)
    page_outlet = outlet_for_domain(domain) or (outlet_named(site) if site else None)
    if cited_outlet and page_outlet:
        if same_outlet(cited_outlet, page_outlet):
            domains = ", ".join(cited_outlet.domains) or "no domain"
            return Match(Verdict.ALIAS, cited, found, 1.0, detail=f"{cited} is {cited_outlet.name} ({domains})")
        return Match(
            Verdict.MISMATCH, cited, found, 0.0, detail=f"the page is {page_outlet.name}'s, not {cited_outlet.name}'s"
        )
    why = tie(cited, [n for n in (site, domain) if n])
    if why:
        return Match(Verdict.ALIAS, cited, found, 1.0, detail=why)
    score = max(
        fuzz.ratio(pnorm(cited), pnorm(site or "")), fuzz.ratio(pnorm(cited), pnorm((domain or "").split(".")[0]))
    )
    if score >= PUBLISHER_TYPO and not cited_outlet:
        return Match(Verdict.LIKELY_TYPO, cited, found, round(score / 100, 3), suggestion=site or domain)
    near = None if cited_outlet else _typo_of_known(cited, found)
    if near and domain and near.suggestion and not _publishes_at(near.suggestion, domain):
        near = None  # a near miss of an outlet this page is not from says nothing about it
    detail = "nothing on the page ties this name to it"
    if cited_outlet and cited_outlet.domains:  # not evidence of another outlet: editions, syndication, new domains
        detail = f"{cited_outlet.name} is known at {', '.join(cited_outlet.domains)}; {detail}"
    return near or Match(Verdict.UNCONFIRMED, cited, found, round(score / 100, 3), detail=detail)


def _publishes_at(name: str, domain: str) -> bool:
    outlet = outlet_named(name)
    page_outlet = outlet_for_domain(domain)
    return outlet is not None and (not outlet.domains or (page_outlet is not None and same_outlet(outlet, page_outlet)))


def _typo_of_known(cited: str, found: str | None = None) -> Match | None:
    """A name no outlet has, within a typo of one that does ("Beijing Sprint")."""
    near = typo_of(cited)
    if near is None:
        return None
    return Match(
        Verdict.LIKELY_TYPO,
        cited,
        found,
        round(near[2] / 100, 3),
        suggestion=near[0].name,
        detail=typo_message(cited, near[0].name),
    )


def verify(
    citation: Citation, page: PageMeta | None, url: str | None = None, unread: str | None = None
) -> tuple[Match, Match, Match]:
    """Title, date and publisher matches for one citation against one page (live or
    archived). ``page`` None: no page was read — each claim is ``unverified``, with
    ``unread`` (why: "unreachable: DNS failure") as the detail."""
    if page is None:
        why = unread or NO_PAGE
        return (
            _unverified(citation.title, why),
            _unverified(citation.date.iso() if citation.date else None, why),
            match_publisher(citation.publisher, None, url, why),
        )
    return (
        match_title(citation.title, page),
        match_date(citation.date, page),
        match_publisher(citation.publisher, page, url or citation.url),
    )


def _unverified(cited: str | None, why: str) -> Match:
    if not cited:
        return Match(Verdict.UNKNOWN, None, None, detail="the footnote gives none")
    return Match(Verdict.UNVERIFIED, cited, None, detail=why)
