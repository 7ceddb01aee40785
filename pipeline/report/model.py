"""The one typed report every renderer takes (Markdown, HTML, JUnit, JSON, the terminal).

A report is the run's ``Result`` objects plus what is said about them as a whole: counts,
what changed since the last run, what counted against the exit status. It is built once
from the results (``build``); ``report/json.py`` turns it into JSON and back, so a report
rendered again from a saved run (``citewatch report``) goes through the same renderers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

from .. import __version__
from ..model import Finding, Problem, Result
from ..quotes.verdicts import DriftVerdict, QuoteVerdict
from ..vocab import Status

SCHEMA_VERSION = 2
VERDICT_FIELDS = ("title", "date", "publisher")


@dataclass
class Summary:
    citations: int = 0
    with_url: int = 0
    by_status: dict[Status, int] = field(default_factory=dict)
    by_verdict: dict[str, dict[str, int]] = field(default_factory=lambda: {k: {} for k in VERDICT_FIELDS})
    confirmed_problems: int = 0
    archived: int = 0
    local_copies: int = 0
    by_quote: dict[QuoteVerdict, int] = field(default_factory=dict)  # quotations, by verdict
    by_drift: dict[DriftVerdict, int] = field(default_factory=dict)  # citations compared with their copy from then


@dataclass
class Changes:
    """What a reader of a weekly report wants first: what is different from last time."""

    previous_run: str | None = None
    newly_failing: list[str] = field(default_factory=list)
    confirmed_dead: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    newly_archived: list[str] = field(default_factory=list)
    retitled: list[str] = field(default_factory=list)
    previous_titles: dict[str, str] = field(default_factory=dict)  # citation id → the old headline
    quotes_not_found: list[str] = field(default_factory=list)  # a quotation newly not found on its source
    changed_since_cited: list[str] = field(default_factory=list)  # the source newly differs from its copy from then

    @classmethod
    def from_dict(cls, d: dict | None) -> Changes:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in known})


#: the change lists, in the order reports show them, with their headings
CHANGE_LABELS = {
    "newly_failing": "Newly failing",
    "confirmed_dead": "Confirmed dead",
    "recovered": "Recovered",
    "retitled": "Retitled",
    "quotes_not_found": "Quotes not found",
    "changed_since_cited": "Changed since cited",
    "newly_archived": "Newly archived",
}


@dataclass
class Report:
    name: str
    results: list[Result]
    findings: list[Finding] = field(default_factory=list)
    article: dict[str, str] = field(default_factory=dict)
    summary: Summary = field(default_factory=Summary)
    changes: Changes = field(default_factory=Changes)
    exit_status: int | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    generated_at: str = ""
    tool: str = f"citewatch {__version__}"
    schema_version: int = SCHEMA_VERSION

    @property
    def title(self) -> str:
        return self.article.get("title") or self.name


def quote_counts(s: Summary) -> str:
    """The summary's line on quotes and drift, in plain words ("" when there is neither):
    "Quotes — 3 found, 1 not-found; since cited — 1 changed." """
    parts = []
    if s.by_quote:
        parts.append("Quotes — " + ", ".join(f"{n} {v}" for v in QuoteVerdict if (n := s.by_quote.get(v))))
    compared = {v: n for v, n in s.by_drift.items() if v is not DriftVerdict.UNKNOWN}
    if compared:
        parts.append("since cited — " + ", ".join(f"{n} {v}" for v in DriftVerdict if (n := compared.get(v))))
    return "; ".join(parts) + "." if parts else ""


def summarise(results: list[Result]) -> Summary:
    s = Summary(citations=len(results))
    for r in results:
        if r.citation.url:
            s.with_url += 1
        if r.check:
            s.by_status[r.check.status] = s.by_status.get(r.check.status, 0) + 1
            s.confirmed_problems += r.check.confirmed
        for key, m in zip(VERDICT_FIELDS, (r.title_match, r.date_match, r.publisher_match), strict=True):
            if m is not None:
                s.by_verdict[key][m.verdict] = s.by_verdict[key].get(m.verdict, 0) + 1
        s.archived += bool(r.citation.archive_url)
        s.local_copies += r.local_copy is not None
        for q in r.quotes:
            s.by_quote[q.verdict] = s.by_quote.get(q.verdict, 0) + 1
        if r.drift is not None:
            s.by_drift[r.drift.verdict] = s.by_drift.get(r.drift.verdict, 0) + 1
    s.by_status = dict(sorted(s.by_status.items(), key=lambda kv: kv[0].value))
    return s


def build(
    name: str,
    results: list[Result],
    findings: list[Finding] | None = None,
    article: dict[str, str] | None = None,
    changes: Changes | None = None,
    exit_status: int | None = None,
    notes: list[str] | None = None,
    problems: list[Problem] | None = None,
    generated_at: dt.datetime | None = None,
) -> Report:
    """The report of one run. ``problems``: what counted against the exit status, kept so
    that a report rendered again later (JUnit included) says the same."""
    return Report(
        name=name,
        results=results,
        findings=list(findings or []),
        article=dict(article or {}),
        summary=summarise(results),
        changes=changes or Changes(),
        exit_status=exit_status,
        notes=list(notes or []),
        problems=list(problems or []),
        generated_at=(generated_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
    )
