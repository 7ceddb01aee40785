"""Results → JSON (schema in docs/report.schema.json). Also the form `report` re-reads."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .. import __version__
from ..model import Finding, Result

SCHEMA_VERSION = 1


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
        "url_status": c.url_status,
        "snapshots": [s.to_dict() for s in r.snapshots],
        "archive_note": r.archive_note,
        "candidates": [_plain(x) for x in c.candidates],
        "kind": c.kind.value,
        "link_text": c.link_text,
        "citing_text": c.citing_text,
        "places": [{"article_line": p.line, "link_text": p.link_text, "citing_text": p.citing_text} for p in c.places],
        "same_as": c.same_as,
    }


def local_copy(r: dict[str, Any]) -> str | None:
    """Where in archive/ the WARC copy of a result's cited page is: one made by this run, or
    by the check the cache still holds. Only when it holds the source (a live or redirected
    answer); the WARC keeps error pages and bot walls too, as evidence, not as copies."""
    check = r.get("check") or {}
    status = check.get("previous_status") if r.get("status") == "skipped" else r.get("status")
    if status not in ("live", "redirected"):
        return None
    return next((s["archive_url"] for s in r.get("snapshots") or [] if s.get("kind") == "local"), None)


def _plain(value: Any) -> Any:
    """ruamel's commented containers and dates → JSON-ready values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def report_dict(
    name: str,
    results: list[Result],
    findings: list[Finding] | None = None,
    article: dict[str, Any] | None = None,
    changes: dict[str, list[str]] | None = None,
    exit_status: int | None = None,
    notes: list[str] | None = None,
    generated_at: dt.datetime | None = None,
) -> dict[str, Any]:
    counts: dict[str, int] = {}
    verdicts: dict[str, dict[str, int]] = {"title": {}, "date": {}, "publisher": {}}
    for r in results:
        if r.check:
            counts[r.check.status.value] = counts.get(r.check.status.value, 0) + 1
        for key, m in (("title", r.title_match), ("date", r.date_match), ("publisher", r.publisher_match)):
            if m is not None:
                verdicts[key][m.verdict] = verdicts[key].get(m.verdict, 0) + 1
    result_dicts = [result_to_dict(r) for r in results]
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": f"citewatch {__version__}",
        "name": name,
        "generated_at": (generated_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "article": article or {},
        "summary": {
            "citations": len(results),
            "with_url": sum(1 for r in results if r.citation.url),
            "by_status": dict(sorted(counts.items())),
            "by_verdict": verdicts,
            "confirmed_problems": sum(1 for r in results if r.check and r.check.confirmed),
            "archived": sum(1 for r in results if r.citation.archive_url),
            "local_copies": sum(1 for r in result_dicts if local_copy(r)),
        },
        "changes": changes or {},
        "exit_status": exit_status,
        "notes": notes or [],
        "results": result_dicts,
        "findings": [f.to_dict() for f in findings or []],
    }


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
