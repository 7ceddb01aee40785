"""What changed since an article's last run: the first thing a reader of a weekly report wants.

Compares this run's results with the report the last run saved (typed, read back once),
citation by citation: newly failing, confirmed dead, recovered, newly archived, pages
still reached under another headline (a correction, or a story rewritten), a quotation
newly not found on its source, and a source newly changed since it was cited.
"""

from __future__ import annotations

import re

from ..model import LinkCheck, Result
from ..vocab import Status
from .model import Changes, Report


def _was_reached(check: LinkCheck | None) -> bool:
    status = check.standing_status if check else None
    return status is not None and status.is_reached


def changes_since(previous: Report | None, results: list[Result], newly_archived: list[str]) -> Changes:
    """What a reader of a weekly report wants first: what is different from last time."""
    before = {r.citation.id: r for r in previous.results} if previous else {}
    out = Changes(previous_run=previous.generated_at if previous else None)
    for r in results:
        if r.check is None or r.check.status == Status.SKIPPED:
            continue
        old = before.get(r.citation.id)
        _quote_changes(old, r, out)
        old_check = old.check if old else None
        was_failing = old_check is not None and old_check.status.is_failure
        now_failing = r.check.status.is_failure
        if now_failing and not was_failing:
            out.newly_failing.append(r.citation.id)
        if now_failing and r.check.confirmed and not (old_check and old_check.confirmed):
            out.confirmed_dead.append(r.citation.id)
        if was_failing and r.check.status.is_reached:
            out.recovered.append(r.citation.id)
        if r.citation.url in newly_archived:
            out.newly_archived.append(r.citation.id)
        # a page that still answers under another headline: a correction, or a story rewritten
        was = old.page.title if old and old.page else None
        now = r.page.title if r.page else None
        if was and now and _was_reached(old_check) and r.check.status.is_reached and _words(was) != _words(now):
            out.retitled.append(r.citation.id)
            out.previous_titles[r.citation.id] = was
    return out


def _quote_changes(old: Result | None, r: Result, out: Changes) -> None:
    """A quote not found, or the source changed since cited, that the last run did not report."""
    if _not_found(r) - _not_found(old):
        out.quotes_not_found.append(r.citation.id)
    changed = r.drift is not None and r.drift.verdict.is_failure
    if changed and not (old and old.drift and old.drift.verdict.is_failure):
        out.changed_since_cited.append(r.citation.id)


def _not_found(r: Result | None) -> set[str]:
    return {q.text for q in r.quotes if q.verdict.is_failure} if r else set()


def _words(title: str) -> list[str]:
    return re.findall(r"\w+", title.casefold())
