"""The typed report ↔ JSON (schema in docs/report.schema.json): the only place that knows
the JSON's keys. ``to_dict`` writes reports/<name>.json and archive/runs/<name>.json;
``from_dict`` reads a saved run back into the same typed report, once, for ``citewatch
report`` and for "changed since the last run"."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from typing import Any

from .. import jsontext
from ..model import (
    Candidate,
    Citation,
    Finding,
    LinkCheck,
    Match,
    PageMeta,
    PartialDate,
    Place,
    Problem,
    Result,
    Snapshot,
    SourceKind,
    Verdict,
)
from ..quotes.verdicts import Drift, DriftVerdict, QuoteCheck, QuoteVerdict
from ..vocab import Status, UrlStatus
from .model import Changes, Report, Summary


def result_to_dict(r: Result) -> dict[str, Any]:
    c = r.citation
    check = r.check.to_dict() if r.check else None
    return {
        "id": c.id,
        "publisher": c.publisher,
        "title": c.title,
        "date": c.date.iso() if c.date else None,
        "url": c.url,
        "status": r.check.status.value if r.check else None,
        "reason": r.check.reason if r.check else None,
        "http_status": r.check.http_status if r.check else None,
        "final_url": r.check.final_url if r.check else None,
        "redirect_chain": r.check.chain if r.check else [],
        "paywalled": r.check.paywalled if r.check else False,
        "checked_at": check["checked_at"] if check else None,
        "elapsed_ms": r.check.elapsed_ms if r.check else 0,
        "check": check,
        "page": r.page.to_dict() if r.page else None,
        "title_match": r.title_match.to_dict() if r.title_match else None,
        "date_match": r.date_match.to_dict() if r.date_match else None,
        "publisher_match": r.publisher_match.to_dict() if r.publisher_match else None,
        "verified_against": r.verified_against,
        "archive_url": c.archive_url,
        "archive_date": c.archive_date.isoformat() if c.archive_date else None,
        "url_status": str(c.url_status) if c.url_status else None,
        "snapshots": [s.to_dict() for s in r.snapshots],
        "archive_note": r.archive_note,
        "candidates": [_plain(x) for x in c.candidates],
        "kind": c.kind.value,
        "link_text": c.link_text,
        "citing_text": c.citing_text,
        "places": [{"article_line": p.line, "link_text": p.link_text, "citing_text": p.citing_text} for p in c.places],
        "same_as": c.same_as,
        "quotes": [q.to_dict() for q in r.quotes],
        "drift": r.drift.to_dict() if r.drift else None,
    }


def _plain(value: Any) -> Any:
    """ruamel's commented containers and dates → JSON-ready values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_dict(report: Report) -> dict[str, Any]:
    s = report.summary
    return {
        "schema_version": report.schema_version,
        "tool": report.tool,
        "name": report.name,
        "generated_at": report.generated_at,
        "article": report.article,
        "summary": {
            "citations": s.citations,
            "with_url": s.with_url,
            "by_status": {st.value: n for st, n in s.by_status.items()},
            "by_verdict": s.by_verdict,
            "confirmed_problems": s.confirmed_problems,
            "archived": s.archived,
            "local_copies": s.local_copies,
            "by_quote": {v.value: n for v, n in s.by_quote.items()},
            "by_drift": {v.value: n for v, n in s.by_drift.items()},
        },
        "changes": {f.name: getattr(report.changes, f.name) for f in fields(Changes)},
        "exit_status": report.exit_status,
        "notes": report.notes,
        "problems": [{"id": p.citation_id, "what": p.what} for p in report.problems],
        "results": [result_to_dict(r) for r in report.results],
        "findings": [f.to_dict() for f in report.findings],
    }


def dumps(report: Report | dict[str, Any]) -> str:
    if isinstance(report, Report):
        return "".join(pieces(report))
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def pieces(report: Report) -> Iterator[str]:
    """``dumps(report)`` in pieces, one result at a time, the same text byte for byte: a
    report of 200,000 results is written as it is encoded (files.write_atomic takes the
    pieces), instead of a dict of every result and its 300 MB string held at once."""
    head = to_dict(dataclasses.replace(report, results=[], findings=[]))
    del head["results"], head["findings"]
    yield json.dumps(head, ensure_ascii=False, indent=2)[:-2]  # up to the closing "\n}"
    yield ',\n  "results": ['
    for i, r in enumerate(report.results):
        text = jsontext.dumps(result_to_dict(r)).replace("\n", "\n    ")  # json.dumps(indent=2)'s text
        yield ("\n    " if i == 0 else ",\n    ") + text
    yield "\n  ]" if report.results else "]"
    findings = jsontext.dumps([f.to_dict() for f in report.findings])
    yield ',\n  "findings": ' + findings.replace("\n", "\n  ") + "\n}\n"


# --- a saved run back into the typed report -------------------------------------------


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _partial_date(value: str | None) -> PartialDate | None:
    if not value:
        return None
    parts = [int(p) for p in value.split("-")]
    return PartialDate(*parts)


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def _check_from_dict(d: dict[str, Any]) -> LinkCheck:
    return LinkCheck(
        url=d["url"],
        status=Status(d["status"]),
        reason=d.get("reason") or "",
        http_status=d.get("http_status"),
        final_url=d.get("final_url"),
        chain=d.get("redirect_chain") or [],
        paywalled=bool(d.get("paywalled")),
        checked_at=_datetime(d.get("checked_at")),
        elapsed_ms=d.get("elapsed_ms") or 0,
        bytes_read=d.get("bytes_read") or 0,
        truncated=bool(d.get("truncated")),
        confirmed=bool(d.get("confirmed")),
        failing_since=_datetime(d.get("failing_since")),
        failing_checks=d.get("failing_checks") or 0,
        previous_status=Status(d["previous_status"]) if d.get("previous_status") else None,
    )


def _page_from_dict(d: dict[str, Any]) -> PageMeta:
    page = PageMeta(**_known(PageMeta, d))
    page.published = _date(d.get("published"))
    page.updated = _date(d.get("updated"))
    page.title_candidates = [Candidate(**_known(Candidate, c)) for c in d.get("title_candidates") or []]
    return page


def _match(d: dict[str, Any] | None) -> Match | None:
    if not d:
        return None
    match = Match(**{f.name: d.get(f.name) for f in fields(Match)})  # to_dict leaves out Nones
    match.verdict = Verdict(match.verdict)
    return match


def _snapshot_from_dict(d: dict[str, Any]) -> Snapshot:
    return Snapshot(
        url=d["url"],
        archive_url=d["archive_url"],
        timestamp=dt.datetime.fromisoformat(d["timestamp"]),
        kind=d["kind"],
        http_status=d.get("http_status"),
        note=d.get("note"),
    )


def result_from_dict(d: dict[str, Any]) -> Result:
    citation = Citation(
        id=d["id"],
        publisher=d.get("publisher"),
        title=d.get("title"),
        date=_partial_date(d.get("date")),
        url=d.get("url"),
        archive_url=d.get("archive_url"),
        archive_date=_date(d.get("archive_date")),
        url_status=UrlStatus(d["url_status"]) if d.get("url_status") else None,
        candidates=d.get("candidates") or [],
        kind=SourceKind(d.get("kind") or SourceKind.FOOTNOTE),
        link_text=d.get("link_text"),
        citing_text=d.get("citing_text"),
        places=[Place(p.get("article_line"), p.get("link_text"), p.get("citing_text")) for p in d.get("places") or []],
        same_as=d.get("same_as"),
    )
    return Result(
        citation=citation,
        check=_check_from_dict(d["check"]) if d.get("check") else None,
        page=_page_from_dict(d["page"]) if d.get("page") else None,
        title_match=_match(d.get("title_match")),
        date_match=_match(d.get("date_match")),
        publisher_match=_match(d.get("publisher_match")),
        verified_against=d.get("verified_against"),
        snapshots=[_snapshot_from_dict(s) for s in d.get("snapshots") or []],
        archive_note=d.get("archive_note"),
        quotes=[QuoteCheck.from_dict(q) for q in d.get("quotes") or []],
        drift=Drift.from_dict(d.get("drift")),
    )


def _problems(d: dict[str, Any]) -> list[Problem]:
    """A run saved before reports listed their problems: its confirmed failures, as the
    default --fail-on counted them."""
    if "problems" in d:
        return [Problem(p["id"], p["what"]) for p in d["problems"]]
    return [
        Problem(r["id"], f"{r.get('status')}: {r.get('reason')}")
        for r in d["results"]
        if (r.get("check") or {}).get("confirmed")
    ]


def from_dict(d: dict[str, Any]) -> Report:
    s = d.get("summary") or {}
    summary = Summary(**_known(Summary, s))
    summary.by_status = {Status(k): n for k, n in (s.get("by_status") or {}).items()}
    summary.by_quote = {QuoteVerdict(k): n for k, n in (s.get("by_quote") or {}).items()}
    summary.by_drift = {DriftVerdict(k): n for k, n in (s.get("by_drift") or {}).items()}
    return Report(
        name=d["name"],
        results=[result_from_dict(r) for r in d["results"]],
        findings=[Finding(**_known(Finding, f)) for f in d.get("findings") or []],
        article=d.get("article") or {},
        summary=summary,
        changes=Changes.from_dict(d.get("changes")),
        exit_status=d.get("exit_status"),
        notes=d.get("notes") or [],
        problems=_problems(d),
        generated_at=d["generated_at"],
        tool=d.get("tool") or "",
        schema_version=d.get("schema_version", 1),
    )


_RESULTS_OPEN = '  "results": [\n'
_RESULT_CLOSE = ("    }\n", "    },\n")


def read_saved(lines: Iterable[str], each: Callable[[Result], Result]) -> Report:
    """A saved run read result by result, each passed through ``each`` (which keeps what
    its caller needs of it): the file is ``pieces``' text (``dumps``' layout, so every
    saved run's), whose results are read one at a time instead of as one document of
    hundreds of MB (514 MB at 200,000 results, several times that once parsed). A file
    in any other layout raises ValueError: the caller reads it whole."""
    rest: list[str] = []  # the report without its results
    results: list[Result] = []
    chunk: list[str] | None = None
    opened = closed = False
    for line in lines:
        if chunk is not None:
            chunk.append(line)
            if line in _RESULT_CLOSE:
                results.append(each(result_from_dict(json.loads("".join(chunk).rstrip().rstrip(",")))))
                chunk = None
        elif opened and not closed and line == "    {\n":
            chunk = [line]
        else:
            opened = opened or line == _RESULTS_OPEN
            closed = closed or (opened and line.startswith("  ]"))
            rest.append(line)
    if chunk is not None or opened != closed:
        raise ValueError("a saved run cut short")
    data = json.loads("".join(rest))
    report = from_dict(data)
    report.results = results
    if "problems" not in data:  # a run saved before reports listed their problems
        report.problems = [
            Problem(r.citation.id, f"{r.check.status}: {r.check.reason}")
            for r in results
            if r.check and r.check.confirmed
        ]
    return report
