"""What the commands print: one line per citation, summaries. Printing only; no decisions.

Every value that came from outside (a reason phrase, a title, a URL, a citation id, a file
name) passes ``clean`` here: a server's status line must not clear or retitle the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from ..model import Finding, Problem, Status
from ..report.model import Report, quote_counts
from ..textsafe import clean
from ..vocab import FindingCode, Severity
from ..wording import plural
from .output import output


def print_results(report: Report) -> None:
    """Two lines per citation (status and reason; the address), and any verdict worth a look."""
    lines: list[str] = []
    for r in report.results:
        check = r.check
        if check is None:
            continue
        status = click.style(f"{check.status.value:<11}", fg=check.status.colour)
        extra = ""
        if check.status.is_failure and check.failing_since:
            extra = (
                " [confirmed]"
                if check.confirmed
                else f" [failing since {check.failing_since.date().isoformat()}, {plural(check.failing_checks, 'check')}]"
            )
        if check.paywalled:
            extra += " [paywalled]"
        was = check.previous_status
        if was and was.is_failure and not check.status.is_failure and check.status is not Status.SKIPPED:
            extra += f" [recovered: was {was.value}]"
        target = r.citation.url or f"({r.citation.publisher or 'no publisher'}: {r.citation.title or 'no title'})"[:90]
        lines.append(f"{clean(r.citation.id):>4}  {status} {clean(check.reason)}{extra}")
        lines.append(f"      {clean(target)}")
        for label, m in (("title", r.title_match), ("date", r.date_match), ("publisher", r.publisher_match)):
            if m is not None and m.verdict not in ("match", "unknown", "unverified"):
                hint = f" — did you mean {clean(m.suggestion)!r}?" if m.suggestion else ""
                lines.append(f"      {label} {m.verdict}: cited {clean(m.cited)!r}, page {clean(m.found)!r}{hint}")
    if lines:
        output().result("\n".join(lines))  # one write: 2,000 citations print in one go


def summary_line(report: Report) -> str:
    results = report.results
    counts: dict[str, int] = {}
    for r in results:
        if r.check:
            key = r.check.status.value
            if r.check.status == Status.SKIPPED and r.check.previous_status is not None:
                key = f"{r.check.previous_status.value} (fresh, not rechecked)"
            counts[key] = counts.get(key, 0) + 1
    with_url = sum(1 for r in results if r.citation.url)
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{plural(len(results), 'citation')}, {with_url} with a URL: {parts}"


def print_findings(article: Path, findings: list[Finding]) -> None:
    """The notes' findings, as ``file:line: footnote N: severity: message [code]``; a code
    that hits many notes (no URL, no date) as one line listing them."""
    from ..report.markdown import group_findings

    source = clean(article)
    singles, groups = group_findings(findings)
    out = output()
    for f in singles:
        loc = f"{source}:{f.line}" if f.line else source
        label = click.style(f.severity.value, fg=f.severity.colour)
        note = f"footnote {clean(f.footnote)}: " if f.footnote else ""
        out.result(f"{loc}: {note}{label}: {clean(f.message)} [{f.code}]")
    for code, group in groups.items():
        ids = ", ".join(clean(f.footnote) or "?" for f in group)
        out.result(f"{source}: {plural(len(group), 'note')}: {clean(group[0].message)} [{code}]: {ids}")


def print_settings(settings) -> None:
    """With -v: the project rules and modes in effect, where a run's outcome depends on them."""
    rules, out = settings.rules, output()
    if settings.offline:
        out.detail("offline: statuses and verdicts from the history, no request")
    for kind, items in (("exclude", rules.exclude), ("include", rules.include)):
        for rule in items:
            out.detail(f"{kind} {clean(rule.pattern.pattern)!r} ({clean(rule.origin)})")
    for rule in rules.accept:
        statuses = ", ".join(str(s) for s in sorted(rule.statuses))
        out.detail(f"accept HTTP {statuses} from {clean(rule.host)} ({clean(rule.origin)})")
    for limit in settings.fetch.host_limits:
        out.detail(
            f"host limit {clean(limit.host)}: {limit.per_host or '-'} at once, {limit.min_interval or 0} s apart"
        )


def print_notes(notes: Iterable[str]) -> None:
    for note in notes:
        output().log(f"note: {clean(note)}")


def print_problems(found: list[Problem]) -> None:
    """What made the exit status 2 (confirmed failures, or what --fail-on chose), the first
    five of them: a failed job names what failed it."""
    if found:
        listed = "; ".join(f"{clean(p.citation_id)}: {clean(p.what)}" for p in found[:5])
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        click.echo(f"{plural(len(found), 'problem')} failing this run: {listed}{more}", err=True)


def print_archive_links(report: Report, citations_file: Path) -> None:
    out = output()
    for r in report.results:
        if r.citation.url:
            where = r.citation.archive_url or r.archive_note or "not archived"
            status = r.check.status.value if r.check else ""
            out.result(f"{clean(r.citation.id):>4}  {status:<11} {clean(where)}")
    s = report.summary
    has = "has" if s.archived == 1 else "have"
    out.summary(f"{s.archived} of {plural(s.with_url, 'URL')} {has} an archive link in {clean(citations_file)}")


def print_run_reports(outcome) -> None:
    """Per article: citations kept despite a bad entry (stderr), the counts, where the reports went."""
    for jr in outcome.reports:
        report = jr.model
        for f in report.findings:
            if f.code is FindingCode.BAD_CITATION:
                where = f"{jr.job.citations}:{f.line}" if f.line else str(jr.job.citations)
                click.echo(
                    f"citewatch: warning: {clean(where)}: citation {clean(f.footnote)}: "
                    f"{clean(f.message)} (kept, reported in its row)",
                    err=True,
                )
        s = report.summary
        counts = ", ".join(f"{n} {k}" for k, n in s.by_status.items())
        out = output()
        counts = f" ({counts})" if counts else ""  # an empty file, or a shard no site hashed to
        out.summary(
            f"{clean(jr.job.name)}: {plural(s.citations, 'citation')}{counts}; "
            f"{plural(s.confirmed_problems, 'confirmed problem')}"
        )
        if quote_counts(s):
            out.result("  " + quote_counts(s))
        out.result("  reports: " + ", ".join(clean(p) for p in jr.paths))
        print_problems(report.problems)


def print_resolution(res) -> None:
    """One citation without URL and the candidates ``resolve`` found for it."""
    if res.unreachable:
        return  # said once at the end, not as a row of "no candidate"
    c = res.citation
    head = f"{clean(c.id):>4}  {clean(c.publisher or '—')}: {clean((c.title or '—')[:70])}"
    if res.note:
        head += f"  ({clean(res.note)})"
    out = output()
    out.result(head)
    if not res.candidates:
        out.result("      no candidate")
    for n, cand in enumerate(res.candidates, 1):
        ev = cand.evidence
        seen = f"page “{ev['page_title']}”" if ev.get("page_title") else ev.get("status", "")
        out.result(f"      {n}. {cand.confidence:.2f}  {clean(cand.url)}  [{clean(cand.source)}; {clean(seen)}]")


def extract_summary(result, output: Path, dry_run: bool, to_stdout: bool = False) -> str:
    """``extract``'s last line: what was found, how many errors and warnings, what was written."""
    errors = sum(1 for f in result.findings if f.severity == Severity.ERROR)
    warnings = sum(1 for f in result.findings if f.severity == Severity.WARNING)
    notes, links = len(result.article.notes), len(result.article.links)
    linked = plural(links, "linked source")
    if notes or not links:
        found = f"{plural(notes, 'note')} ({result.article.format}){', ' + linked if links else ''}, "
        found += f"{plural(len(result.article.markers), 'body marker')}; "
        found += f"{result.without_url} of {plural(notes, 'note')} {'has' if notes == 1 else 'have'} no URL"
    else:  # an article that cites with links only
        found = f"{linked} ({result.article.format})"
    action = "would write" if dry_run else "printed" if to_stdout else "wrote"
    target = "stdout" if to_stdout else clean(output)
    done = f"{action} {target}" if result.sources else "nothing written"
    return f"{found}; {plural(errors, 'error')}, {plural(warnings, 'warning')}; {done}"


def print_notes_of_jobs(jobs) -> None:
    """Why an article's run uses the citations file it uses, when it is not the one asked for."""
    for job in jobs:
        if job.note:
            click.echo(f"citewatch: {clean(job.note)}", err=True)


def print_article_findings(outcome) -> None:
    """What ``run`` found wrong in each article's notes and links: errors and warnings."""
    for jr in outcome.reports:
        if jr.job.article is not None:
            shown = [
                f
                for f in jr.model.findings
                if f.code is not FindingCode.BAD_CITATION and f.severity in (Severity.ERROR, Severity.WARNING)
            ]
            print_findings(jr.job.article, shown)
