"""The one vocabulary every stage shares (DESIGN.md §3).

Stages pass these dataclasses along a one-way flow; nothing here touches the
network or the disk, so every other module can depend on it freely.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from .quotes.verdicts import Drift, QuoteCheck

# the vocabularies live in vocab.py; importing them from here keeps working
from .vocab import (  # noqa: F401
    FAILING,
    Cause,
    FetchError,
    FindingCode,
    Severity,
    SnapshotKind,
    Status,
    UrlStatus,
    Verdict,
)


@dataclass(frozen=True)
class PartialDate:
    """A date as precise as the footnote gave it: a year, a month or a day."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def iso(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    def as_date(self) -> dt.date:
        """The first day the partial date could mean (for ordering and windows)."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    @classmethod
    def from_date(cls, d: dt.date) -> PartialDate:
        return cls(d.year, d.month, d.day)

    def __str__(self) -> str:
        return self.iso()


class SourceKind(StrEnum):
    """How an article cites a source: a footnote (or endnote), or a link in its text."""

    FOOTNOTE = "footnote"
    LINK = "link"

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class Place:
    """One place in the article that cites a source: its line, the words that link it (a
    link) and the sentence it sits in, the claim the source is there to support."""

    line: int | None = None
    link_text: str | None = None
    citing_text: str | None = None


@dataclass
class LinkedSource:
    """A URL the article links from its text (or lists under Sources), with every place
    that links it: one source however often it is linked."""

    url: str
    places: list[Place] = field(default_factory=list)
    note: Note | None = None  # an entry of a Sources list: what could be parsed from its text


@dataclass
class Note:
    """One footnote as written in the article, with what could be parsed from it."""

    id: str
    raw: str
    line: int | None = None
    urls: list[str] = field(default_factory=list)
    publisher: str | None = None
    title: str | None = None
    date: PartialDate | None = None
    author: str | None = None
    extra: str | None = None  # text that is neither publisher, title nor date
    ibid: bool = False
    # the sentence its first marker ends (and the one before, when the marker closes a quotation)
    citing_text: str | None = None


@dataclass
class Marker:
    """A footnote reference in the article body, e.g. ``{3}`` on line 11."""

    id: str
    line: int | None = None


@dataclass
class Finding:
    """Something wrong or worth a look, tied to a footnote (and line) when possible."""

    code: FindingCode
    message: str
    footnote: str | None = None
    line: int | None = None
    severity: Severity = Severity.WARNING
    related: str | None = None  # the other footnote, for Ibid. and duplicates

    def __post_init__(self) -> None:
        self.code = FindingCode(self.code)  # an unknown code is a bug: ValueError here
        self.severity = Severity(self.severity)

    def where(self, source: str = "") -> str:
        parts = [source] if source else []
        if self.line:
            parts.append(str(self.line))
        loc = ":".join(parts)
        note = f"footnote {self.footnote}: " if self.footnote else ""
        return f"{loc}: {note}" if loc else note

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        d["code"] = self.code.value
        return {k: v for k, v in d.items() if v is not None}


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong in a file the user gave, kept as a value until it is printed: a
    citation id may hold colons ("post:1"), so its text is never parsed back."""

    file: str
    message: str
    line: int | None = None
    citation_id: str | None = None
    code: FindingCode = FindingCode.BAD_CITATION

    def __str__(self) -> str:  # file:LINE: citation ID: message
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f"citation {self.citation_id}: " if self.citation_id is not None else ""
        return f"{where}: {who}{self.message}"


@dataclass
class Article:
    """An article reduced to its notes, its body markers and what is wrong with them."""

    source: str
    format: str
    title: str | None
    notes: list[Note]
    markers: list[Marker]
    findings: list[Finding] = field(default_factory=list)
    links: list[LinkedSource] = field(default_factory=list)
    date: PartialDate | None = None  # from Markdown front matter


@dataclass
class Citation:
    """One entry of citations.yaml: the curated claim about a source."""

    id: str
    publisher: str | None = None
    title: str | None = None
    date: PartialDate | None = None
    url: str | None = None
    author: str | None = None
    archive_url: str | None = None
    archive_date: dt.date | None = None
    url_status: UrlStatus | None = None
    line: int | None = None  # where it starts in citations.yaml
    # a lenient load (``run``) keeps a bad entry and says what is wrong with it here,
    # instead of refusing the whole file: the row reports it, the rest of the run goes on
    problems: list[InputProblem] = field(default_factory=list)
    bad_url: str | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)  # from `citewatch resolve`
    kind: SourceKind = SourceKind.FOOTNOTE
    link_text: str | None = None  # a linked source: the words that link it
    citing_text: str | None = None  # the sentence that cites it (first place)
    places: list[Place] = field(default_factory=list)  # every place, when linked more than once
    same_as: str | None = None  # an Ibid. or duplicate: the note it repeats


@dataclass
class Fetch:
    """What one bounded GET saw: the answer (or why there was none).

    The body is capped; ``truncated`` says so. The same Fetch feeds the status,
    the page metadata and the local WARC copy, so nothing is fetched twice.
    """

    url: str
    final_url: str | None = None
    http_status: int | None = None
    reason_phrase: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    chain: list[dict[str, Any]] = field(default_factory=list)  # [{url, status, location}]
    error: FetchError | None = None  # why there is no answer to classify
    error_reason: str | None = None
    attempts: int = 0
    elapsed_ms: int = 0
    started_at: dt.datetime | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    http_version: str = "HTTP/1.1"
    meta_refresh: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(slots=True)
class LinkCheck:
    """The verdict on one URL's liveness, with a short human reason."""

    url: str
    status: Status
    reason: str
    http_status: int | None = None
    final_url: str | None = None
    chain: list[dict[str, Any]] = field(default_factory=list)
    paywalled: bool = False
    checked_at: dt.datetime | None = None
    elapsed_ms: int = 0
    bytes_read: int = 0
    truncated: bool = False
    # filled from history (archive/): is the failure persistent?
    confirmed: bool = False
    failing_since: dt.datetime | None = None
    failing_checks: int = 0
    previous_status: Status | None = None
    cause: Cause | None = None  # a typed "why", where one is acted on

    @property
    def standing_status(self) -> Status | None:
        """The status this check stands for: its own, or for a URL skipped as fresh, the
        status of the check it reuses (None if it reuses none)."""
        return self.previous_status if self.status is Status.SKIPPED else self.status

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status.value,
            "reason": self.reason,
            "http_status": self.http_status,
            "final_url": self.final_url,
            "redirect_chain": self.chain,
            "paywalled": self.paywalled,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "elapsed_ms": self.elapsed_ms,
            "bytes_read": self.bytes_read,
            "truncated": self.truncated,
            "confirmed": self.confirmed,
            "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            "failing_checks": self.failing_checks,
            "previous_status": self.previous_status.value if self.previous_status else None,
        }


@dataclass(slots=True)
class Candidate:
    """One value a page offers for a field, and where it came from."""

    value: str
    source: str


@dataclass(slots=True)
class PageMeta:
    """What a page says about itself; every value names its source."""

    title: str | None = None
    title_source: str | None = None
    title_candidates: list[Candidate] = field(default_factory=list)
    published: dt.date | None = None
    published_source: str | None = None
    updated: dt.date | None = None  # a later day the page declares it was updated on: a footnote may cite that
    site_name: str | None = None
    site_name_source: str | None = None
    language: str | None = None
    language_source: str | None = None
    author: str | None = None
    encoding: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Field by field, not ``asdict``: its deep copy was a third of writing a JSON report
        (every result's page, in every report and history entry). Same keys, same order."""
        return {
            "title": self.title,
            "title_source": self.title_source,
            "title_candidates": [{"value": c.value, "source": c.source} for c in self.title_candidates],
            "published": self.published.isoformat() if self.published else None,
            "published_source": self.published_source,
            "updated": self.updated.isoformat() if self.updated else None,
            "site_name": self.site_name,
            "site_name_source": self.site_name_source,
            "language": self.language,
            "language_source": self.language_source,
            "author": self.author,
            "encoding": self.encoding,
        }


@dataclass(slots=True)
class Match:
    """One comparison of a footnote claim with the page: both values side by side."""

    verdict: Verdict
    cited: str | None
    found: str | None
    score: float | None = None
    detail: str | None = None
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {
            "verdict": self.verdict,
            "cited": self.cited,
            "found": self.found,
            "score": self.score,
            "detail": self.detail,
            "suggestion": self.suggestion,
        }  # field by field: asdict's deep copy cost more than the rest of the JSON report's work on it
        return {k: v for k, v in d.items() if v is not None}


@dataclass(slots=True)
class Snapshot:
    """An archived copy of a URL: on the Wayback Machine or in a local WARC."""

    url: str
    archive_url: str
    timestamp: dt.datetime
    kind: SnapshotKind
    http_status: int | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        self.kind = SnapshotKind(self.kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "archive_url": self.archive_url,
            "timestamp": self.timestamp.isoformat(),
            "kind": self.kind.value,
            "http_status": self.http_status,
            "note": self.note,
        }


@dataclass(frozen=True)
class Problem:
    """One thing that counts against the exit status (``--fail-on``), decided once per run."""

    citation_id: str
    what: str


@dataclass(slots=True)
class Result:
    """Everything learnt about one citation in one run."""

    citation: Citation
    check: LinkCheck | None = None
    page: PageMeta | None = None
    title_match: Match | None = None
    date_match: Match | None = None
    publisher_match: Match | None = None
    verified_against: str | None = None  # "live" | archive URL
    snapshots: list[Snapshot] = field(default_factory=list)
    archive_note: str | None = None
    # does the source still say it? (pipeline/quotes)
    quotes: list[QuoteCheck] = field(default_factory=list)  # each quotation of the citing text(s), checked
    drift: Drift | None = None  # the source since the citation time; None: not compared (--no-drift)

    @property
    def local_copy(self) -> str | None:
        """Where in archive/ the WARC copy of the cited page is: one made by this run, or by
        the check the cache still holds. Only when it holds the source (the page was reached);
        the WARC keeps error pages and bot walls too, as evidence, not as copies."""
        status = self.check.standing_status if self.check else None
        if status is None or not status.is_reached:
            return None
        return next((s.archive_url for s in self.snapshots if s.kind is SnapshotKind.LOCAL), None)
