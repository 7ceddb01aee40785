"""The vocabulary of quote checking and drift (DESIGN.md §3): each enum owns its meaning.

Reports, JSON and the exit status read these values and labels; no other module spells
them as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..vocab import Tone


class QuoteVerdict(StrEnum):
    """What the cited page says about one quotation of the article."""

    FOUND = "found"  # word for word (case, quote style, spacing, dashes aside)
    CLOSE = "close"  # a near match: the page's wording is shown beside the quote
    NOT_FOUND = "not-found"  # the text was read and the quote is not in it
    UNVERIFIABLE = "unverifiable"  # the text could not be read: see the reason

    def __str__(self) -> str:
        return self.value

    @property
    def is_failure(self) -> bool:
        """Only a quote absent from a page we could read counts against the source."""
        return self is QuoteVerdict.NOT_FOUND

    @property
    def tone(self) -> Tone:
        """How a report colours it: unverifiable is neutral (nothing was read, nothing is wrong)."""
        return {"found": Tone.OK, "close": Tone.WARN, "not-found": Tone.BAD}.get(self.value, Tone.NEUTRAL)


class Unreadable(StrEnum):
    """Why a page's text could not be read: a quote on it is unverifiable, never not-found."""

    OTHER_LANGUAGE = "other-language"
    BLOCKED = "blocked"
    PAYWALLED = "paywalled"
    NO_TEXT_LAYER = "no-text-layer"
    NO_TEXT = "no-text"
    TOO_SLOW = "too-slow"
    DEAD_NO_COPY = "dead-no-copy"
    NOT_REACHED = "not-reached"
    NOT_FETCHED = "not-fetched"

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return _UNREADABLE_LABELS[self]


_UNREADABLE_LABELS = {
    Unreadable.OTHER_LANGUAGE: "the page is in another language than the quote",
    Unreadable.BLOCKED: "the site blocked the check (bot wall or HTTP 401/403/429)",
    Unreadable.PAYWALLED: "the text is behind a paywall",
    Unreadable.NO_TEXT_LAYER: "a PDF with no text layer (scanned pages)",
    Unreadable.NO_TEXT: "no article text could be extracted from the page",
    Unreadable.TOO_SLOW: "reading the page's text took longer than its deadline",
    Unreadable.DEAD_NO_COPY: "the page is dead and no archived copy was found",
    Unreadable.NOT_REACHED: "the page could not be reached this run, and no archived copy was found",
    Unreadable.NOT_FETCHED: "the page was not fetched this run",
}


class Where(StrEnum):
    """Which copy of the source holds the quote."""

    LIVE = "live"
    ARCHIVE = "archive"  # the archived copy from when it was cited

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return "on the live page" if self is Where.LIVE else "only in the archived copy from when it was cited"


class DriftVerdict(StrEnum):
    """Has the source's main text changed since it was cited?"""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    UNKNOWN = "unknown"  # no copy from then, or one side could not be read

    def __str__(self) -> str:
        return self.value

    @property
    def is_failure(self) -> bool:
        return self is DriftVerdict.CHANGED

    @property
    def label(self) -> str:
        return {"unchanged": "unchanged since cited", "changed": "changed since cited"}.get(self.value, "not compared")

    @property
    def tone(self) -> Tone:
        return {"unchanged": Tone.OK, "changed": Tone.WARN}.get(self.value, Tone.NEUTRAL)


@dataclass
class QuoteCheck:
    """One quotation of the article, checked against the source (the JSON ``quotes[]`` item)."""

    text: str
    verdict: QuoteVerdict
    where: Where | None = None
    score: float | None = None  # 0-100; 100 for word for word
    excerpt: str | None = None  # the page's own wording where the quote was (nearly) found
    archive_url: str | None = None  # the archived copy that holds it, when where=archive
    reason: Unreadable | None = None  # why unverifiable
    gone_from_live: bool = False  # the live text was read and lacks it; the archived copy has it

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "verdict": self.verdict.value,
            "where": self.where.value if self.where else None,
            "score": self.score,
            "excerpt": self.excerpt,
            "archive_url": self.archive_url,
            "reason": self.reason.value if self.reason else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> QuoteCheck:
        """A saved run's quote back. ``gone_from_live`` is not saved: it sets ``url_status:
        deviated`` in the run that found it, and the citations file keeps that."""
        return cls(
            text=d["text"],
            verdict=QuoteVerdict(d["verdict"]),
            where=Where(d["where"]) if d.get("where") else None,
            score=d.get("score"),
            excerpt=d.get("excerpt"),
            archive_url=d.get("archive_url"),
            reason=Unreadable(d["reason"]) if d.get("reason") in Unreadable._value2member_map_ else None,
        )


@dataclass
class Drift:
    """The cited page now vs its archived copy from the citation time (the JSON ``drift``)."""

    verdict: DriftVerdict
    similarity: float | None = None  # 0-1: share of the word shingles of then still there now
    compared_with: str | None = None  # the archived copy's URL
    removed: list[str] | None = None  # short excerpts, in page order
    added: list[str] | None = None  # None: not known (today's article text was not extracted)
    note: str | None = None  # why unknown, or what was not compared

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "similarity": self.similarity,
            "compared_with": self.compared_with,
            "removed": self.removed or [],
            "added": self.added,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Drift | None:
        if not d:
            return None
        return cls(
            verdict=DriftVerdict(d["verdict"]),
            similarity=d.get("similarity"),
            compared_with=d.get("compared_with"),
            removed=list(d.get("removed") or []),
            added=None if d.get("added") is None else list(d["added"]),
            note=d.get("note"),
        )
