"""Find candidate addresses for footnotes that give none: ``citewatch resolve``.

Each resolver is a small function from a citation to candidate URLs with the
evidence for each; none of them decides. Every candidate is then fetched
through the normal bounded fetch layer (or, when its live page is gone, its
closest snapshot) and scored with the same title/date verification as
``check`` — the confidence comes from what the page says, not from the search.
Candidates are written under ``candidates:`` in citations.yaml, never into
``url``; ``--accept`` promotes one when a person has looked.

Resolvers:
- publisher → domains: the alias table (and a fuzzy match for misspelled names);
- the Wayback Machine's CDX index as a search engine for addresses: many sites
  put the headline in the URL slug, so a domain query around the footnote's
  date, filtered on distinctive title words, finds the article's address;
- Crossref's bibliographic search for papers and books (a DOI becomes a
  https://doi.org/ URL).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from rapidfuzz import fuzz

from . import citations as cit
from . import liveness
from .archive.stage import good_snapshot
from .archive.wayback import WaybackClient, WaybackError, WaybackSettings
from .errors import InputError
from .fetch import Fetcher
from .model import Citation, Status, Verdict
from .pagereader import bounded_page_meta
from .publishers import PUBLISHER_TYPO, Outlet, closest_outlet, outlet_named
from .transport import DEFAULT_USER_AGENT, deadline_scope, new_session
from .verify import match_date, match_title

STOPWORDS = set(
    "a an the of to in on for and or but with by from at as is are was were be been after over into about than "
    "its it this that their his her not no also more most new why how what who when".split()
)
SCHOLARLY = re.compile(
    r"journal|university press|taylor|francis|tandfonline|springer|elsevier|wiley|sage|jstor|oxford|cambridge"
    r"|diplomacy & statecraft|review|quarterly|proceedings|doi",
    re.I,
)


@dataclass
class ResolveSettings:
    wayback: WaybackSettings = field(default_factory=WaybackSettings.from_env)
    crossref_endpoint: str = "https://api.crossref.org"
    doi_base: str = "https://doi.org"
    mailto: str | None = None  # Crossref asks for it (the "polite pool")
    max_candidates: int = 3
    window_days: int = 45
    cdx_limit: int = 40
    timeout: float = 30.0
    extra_outlets: tuple[Outlet, ...] = ()


@dataclass
class Candidate:
    url: str
    source: str  # which resolver found it
    evidence: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0

    def to_yaml(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "confidence": round(self.confidence, 2),
            "source": self.source,
            "evidence": self.evidence,
        }


def title_words(title: str | None, n: int = 4) -> list[str]:
    """The most distinctive words of a title: long, not stop words, longest first."""
    words = [w for w in re.findall(r"[a-z0-9]+", (title or "").lower()) if w not in STOPWORDS and len(w) > 2]
    return sorted(dict.fromkeys(words), key=len, reverse=True)[:n]


def slug_score(url: str, title: str) -> float:
    """How well the URL's path spells the title (0–1)."""
    path = urlsplit(url).path.lower()
    slug = " ".join(re.findall(r"[a-z0-9]+", re.sub(r"\.\w{2,5}$", "", path)))
    return fuzz.token_set_ratio(slug, " ".join(re.findall(r"[a-z0-9]+", title.lower()))) / 100


# ----------------------------------------------------------------------------- resolvers
def domains_for(citation: Citation, extra: tuple[Outlet, ...] = ()) -> tuple[list[str], str | None]:
    """Where the cited publisher publishes, and a note when the name was matched fuzzily."""
    if not citation.publisher:
        return [], None
    for outlet in extra:
        if any(n.casefold() == citation.publisher.casefold() for n in outlet.names):
            return list(outlet.domains), None
    outlet = outlet_named(citation.publisher)
    if outlet is not None:
        return list(outlet.domains), None
    near = closest_outlet(citation.publisher, extra)
    if near and near[2] >= PUBLISHER_TYPO:
        return list(near[0].domains), f"publisher {citation.publisher!r} read as {near[0].name!r}"
    return [], None


def cdx_candidates(
    citation: Citation, domains: list[str], client: WaybackClient, s: ResolveSettings
) -> list[Candidate]:
    words = title_words(citation.title)
    if not words or not domains:
        return []
    found: dict[str, Candidate] = {}
    for domain in domains:
        params: dict[str, Any] = {
            "url": domain,
            "matchType": "domain",
            "collapse": "urlkey",
            "limit": str(s.cdx_limit),
            "filter": "statuscode:2..",
            # the CDX filter is a regex on the field; two distinctive words keep it tight
            "filter2": "original:.*(" + "|".join(re.escape(w) for w in words[:2]) + ").*",
        }
        if citation.date is not None:
            centre = citation.date.as_date()
            span = {"day": s.window_days, "month": 31 + s.window_days, "year": 366}[citation.date.precision]
            params["from"] = (centre - dt.timedelta(days=span)).strftime("%Y%m%d")
            params["to"] = (centre + dt.timedelta(days=span)).strftime("%Y%m%d")
        try:
            rows = client.cdx(params)
        except WaybackError:
            continue
        for row in rows:
            score = slug_score(row.original, citation.title or "")
            if score < 0.5:
                continue
            current = found.get(row.original)
            if current is None or score > current.evidence["slug_score"]:
                found[row.original] = Candidate(
                    row.original,
                    "wayback-cdx",
                    {
                        "slug_score": round(score, 2),
                        "seen": row.timestamp,
                        "query": f"{domain} ~ {' '.join(words[:2])}",
                    },
                )
    return sorted(found.values(), key=lambda c: -c.evidence["slug_score"])[: s.max_candidates * 2]


def looks_scholarly(citation: Citation) -> bool:
    return bool(SCHOLARLY.search(" ".join(x for x in (citation.publisher, citation.title) if x)))


def crossref_candidates(
    citation: Citation, session: requests.Session, s: ResolveSettings
) -> tuple[list[Candidate], str | None]:
    """Works Crossref finds for a scholarly-looking citation, and what went wrong when
    the search itself failed (a person reads "Crossref: …", not a silent "no candidate")."""
    if not citation.title or not looks_scholarly(citation):
        return [], None
    query = " ".join(
        x for x in (citation.title, citation.author, str(citation.date.year) if citation.date else None) if x
    )
    url = f"{s.crossref_endpoint.rstrip('/')}/works?query.bibliographic={quote(query)}&rows=5"
    if s.mailto:
        url += f"&mailto={quote(s.mailto)}"
    try:
        with deadline_scope(s.timeout):
            resp = session.get(url, timeout=(10, s.timeout), headers={"Accept": "application/json"})
            items, problem = crossref_items(resp.status_code, resp.text)
    except requests.RequestException as e:
        return [], f"Crossref could not be reached ({type(e).__name__})"
    return [c for item in items if (c := _crossref_candidate(item, citation, s))], problem


def crossref_items(status: int, text: str) -> tuple[list[dict], str | None]:
    """The works in a Crossref answer — a list (``/works?query…``) or one work — or why none."""
    if status == 429:
        return [], "Crossref rate limited (429): paused"
    if status == 404:
        return [], "Crossref: not found"
    try:
        data = json.loads(text)
    except ValueError:
        return [], f"Crossref answered HTTP {status} with something that is not JSON"
    message = data.get("message") if isinstance(data, dict) else None
    if status != 200 or not isinstance(message, dict | list):
        detail = (
            message[0].get("message")
            if isinstance(message, list) and message and isinstance(message[0], dict)
            else None
        )
        return [], f"Crossref answered HTTP {status}" + (f": {detail}" if detail else "")
    if isinstance(message, dict) and isinstance(message.get("items"), list):
        return [i for i in message["items"] if isinstance(i, dict)], None
    return ([message] if isinstance(message, dict) and message.get("DOI") else []), None


def _crossref_candidate(item: dict, citation: Citation, s: ResolveSettings) -> Candidate | None:
    doi = item.get("DOI")
    title = (item.get("title") or [""])[0]
    if not doi or not title:
        return None
    score = fuzz.token_set_ratio(title.lower(), (citation.title or "").lower()) / 100
    if score < 0.6:
        return None
    parts = ((item.get("issued") or {}).get("date-parts") or [[None]])[0]
    return Candidate(
        f"{s.doi_base.rstrip('/')}/{doi}",
        "crossref",
        {
            "doi": doi,
            "work_title": title,
            "title_score": round(score, 2),
            "issued": "-".join(str(p) for p in parts if p),
        },
    )


# ----------------------------------------------------------------------------- scoring
def score(candidate: Candidate, citation: Citation, fetcher: Fetcher, client: WaybackClient | None) -> Candidate:
    """Fetch the candidate (or its snapshot when the page is gone) and verify it."""
    fetched = fetcher.fetch(candidate.url)
    check = liveness.classify(fetched)
    reached = check.status.is_reached
    page = bounded_page_meta(fetched, fetcher.settings.timeout) if reached else None  # a stranger's page
    candidate.evidence["status"] = check.status.value
    shareable = fetcher.guard.may_share(candidate.url)  # a private or refused URL is not sent to the archive
    if page is None and client is not None and check.status not in (Status.BLOCKED,) and shareable:
        try:
            look = client.lookup(candidate.url, citation.date.as_date() if citation.date else None)
        except WaybackError:
            look = None
        snap = look.closest if look else None
        if snap is not None:
            ok, _, archived_page = good_snapshot(snap, fetcher)
            if ok:
                page = archived_page
                candidate.evidence["verified_against"] = snap.archive_url
    if page is None:
        # unreadable (blocked, gone and never archived): only the search's own evidence counts, halved
        base = candidate.evidence.get("slug_score") or candidate.evidence.get("title_score") or 0
        candidate.confidence = 0.5 * base
        return candidate
    t = match_title(citation.title, page)
    d = match_date(citation.date, page)
    candidate.evidence.update({"page_title": page.title, "title": t.verdict.value, "date": d.verdict.value})
    title_part = t.score or 0.0
    if t.verdict == Verdict.OTHER_LANGUAGE:
        title_part = 0.5
    date_part = {Verdict.MATCH: 1.0, Verdict.UNKNOWN: 0.5, Verdict.OFF_BY_DAYS: 0.6}.get(d.verdict, 0.0)
    candidate.confidence = 0.75 * title_part + 0.25 * date_part
    return candidate


@dataclass
class Resolution:
    citation: Citation
    candidates: list[Candidate]
    note: str | None = None
    unreachable: str | None = None  # why no candidate could be looked for: said once, not per row


def resolve_citations(
    citations: list[Citation],
    settings: ResolveSettings,
    fetcher: Fetcher,
    on_progress: Callable[[Resolution], None] | None = None,
) -> list[Resolution]:
    client = WaybackClient(settings.wayback) if settings.wayback else None
    session = new_session(DEFAULT_USER_AGENT + (f" mailto:{settings.mailto}" if settings.mailto else ""))
    out = []
    crossref_down: str | None = None
    try:
        for c in citations:
            if c.url or c.bad_url:
                continue
            domains, note = domains_for(c, settings.extra_outlets)
            found: list[Candidate] = []
            if client is not None:
                found += cdx_candidates(c, domains, client, settings)
            works, problem = crossref_candidates(c, session, settings)
            found += works
            if problem and problem.startswith("Crossref could not be reached"):
                crossref_down = problem
            note = "; ".join(x for x in (note, problem) if x) or None
            seen: set[str] = set()
            scored = []
            for cand in found:
                if cand.url in seen:
                    continue
                seen.add(cand.url)
                scored.append(score(cand, c, fetcher, client))
            scored.sort(key=lambda x: -x.confidence)
            res = Resolution(c, [x for x in scored if x.confidence >= 0.3][: settings.max_candidates], note)
            if not res.candidates:
                res.unreachable = _unreachable(client, crossref_down)
            out.append(res)
            if on_progress:
                on_progress(res)
    finally:
        session.close()
    return out


def _unreachable(client: WaybackClient | None, crossref_down: str | None) -> str | None:
    """Why candidates could not even be looked for: every service asked is down."""
    wayback_down = f"the Wayback Machine could not be reached ({client.down})" if client and client.down else None
    if client is not None and wayback_down is None:
        return None
    return "; ".join(x for x in (wayback_down, crossref_down) if x) or None


def write_candidates(cf: cit.CitationsFile, resolutions: list[Resolution]) -> int:
    """Put candidates under each citation (never into ``url``); returns how many changed."""
    changed = 0
    for res in resolutions:
        entry = cf.entry(res.citation.id)
        if entry is None:
            continue
        value = [c.to_yaml() for c in res.candidates]
        if value:
            if entry.get("candidates") != value:
                entry["candidates"] = value
                changed += 1
        elif "candidates" in entry:
            del entry["candidates"]
            changed += 1
    return changed


def accept(cf: cit.CitationsFile, spec: str) -> str:
    """``ID`` or ``ID:N``: promote candidate N (1-based; default the best) to ``url``."""
    cid, _, n = spec.partition(":")
    entry = cf.entry(cid)
    if entry is None:
        raise InputError(f"{cf.path}: no citation with id {cid!r}")
    candidates = entry.get("candidates") or []
    if not candidates:
        raise InputError(f"{cf.path}: citation {cid} has no candidates (run 'citewatch resolve' first)")
    if n:
        if not n.isdigit() or not 1 <= int(n) <= len(candidates):
            raise InputError(f"citation {cid} has candidates 1 to {len(candidates)}, not {n!r}")
        chosen = candidates[int(n) - 1]
    else:
        chosen = max(candidates, key=lambda c: c.get("confidence") or 0)
    if entry.get("url"):
        raise InputError(f"citation {cid} already has a url ({entry['url']}); remove it first")
    keys = list(entry.keys())
    position = keys.index("date") + 1 if "date" in keys else keys.index("candidates")
    entry.insert(position, "url", chosen["url"])
    entry.yaml_add_eol_comment(
        f"accepted from candidates ({chosen.get('source')}, confidence {chosen.get('confidence')})", "url"
    )
    del entry["candidates"]
    return chosen["url"]
