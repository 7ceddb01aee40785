"""Report → Markdown: a one-screen summary, then a row per citation, then the notes' findings.

Renders the typed report (``report/model.py``), the same whether the run just happened or
``citewatch report`` loaded it from disk. All page text is escaped: a title with a pipe
must not break the table, and one with brackets must not become a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..model import Finding, Match, Result
from ..quotes.verdicts import Drift, DriftVerdict, QuoteCheck, QuoteVerdict, Where
from ..textsafe import clean, safe_href
from ..vocab import Status, Tone, Verdict
from ..wording import plural
from .model import CHANGE_LABELS, Changes, Report, quote_counts

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def esc(value: Any) -> str:
    """Text from outside as Markdown shows it: one line, no control characters, and no
    character that would make a link, a table cell break, emphasis or HTML."""
    if value is None or value == "":
        return ""
    text = re.sub(r"\s+", " ", clean(value)).strip()
    return _SPECIAL.sub(r"\\\1", text)


def code(value: Any) -> str:
    """Text from outside as a code span in a table cell: backslashes show as written there,
    so only what would end the span (a backtick) or the cell (a pipe, escaped as GFM asks)
    is changed."""
    text = re.sub(r"\s+", " ", clean(value)).strip().replace("`", "'").replace("|", "\\|")
    return f"`{text}`"


def link(text: str, url: str | None) -> str:
    """A link only to an http(s) address with nothing hidden in it; else the text alone."""
    if not safe_href(url):
        return esc(text)
    safe = (  # nothing that ends the link or, inside a table, the cell
        url.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
        .replace("|", "%7C")
    )
    return f"[{esc(text)}](<{safe}>)"


def group_findings(findings: list[Finding], threshold: int = 4) -> tuple[list[Finding], dict[str, list[Finding]]]:
    """Findings that hit many notes (no URL, no date) read better as one line each."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    groups: dict[str, list[Finding]] = {}
    singles = []
    for f in findings:
        if f.code.groups_in_summary and counts[f.code] >= threshold:
            groups.setdefault(f.code.value, []).append(f)
        else:
            singles.append(f)
    return singles, groups


def summary(report: Report) -> str:
    s = report.summary
    lines = [f"## citewatch: {esc(report.title)}", ""]
    lines.append(
        f"{plural(s.citations, 'citation')}, {s.with_url} with a URL, {s.archived} archived, "
        f"{plural(s.local_copies, 'local copy')}, "
        f"**{plural(s.confirmed_problems, 'confirmed problem')}** — exit status {report.exit_status}."
    )
    if report.problems:  # what failed the job, confirmed or chosen by --fail-on
        listed = "; ".join(f"{esc(p.citation_id)}: {esc(p.what)}" for p in report.problems[:10])
        more = f" (and {len(report.problems) - 10} more)" if len(report.problems) > 10 else ""
        lines += ["", f"Failing this run: {listed}{more}"]
    lines.append("")
    if s.by_status:
        lines.append("| status | count |")
        lines.append("|---|---:|")
        for st in Status.in_order():
            if s.by_status.get(st):
                lines.append(f"| {st} | {s.by_status[st]} |")
        lines.append("")
    parts = []
    for key in ("title", "date", "publisher"):
        v = {k: n for k, n in s.by_verdict.get(key, {}).items() if k != "unknown"}
        if v:
            parts.append(f"{key}: " + ", ".join(f"{n} {esc(k)}" for k, n in sorted(v.items())))
    if parts:
        lines.append("Verdicts — " + "; ".join(parts) + ".")
        lines.append("")
    said = quote_counts(s)
    if said:
        lines.extend([said, ""])
    changes = report.changes
    lines.append("### Since the last run")
    if not any(getattr(changes, k) for k in CHANGE_LABELS):
        lines.append("Nothing changed." if changes.previous_run else "First run: nothing to compare with.")
    for key, label in CHANGE_LABELS.items():
        if getattr(changes, key):
            lines.append(f"- **{label}**: " + ", ".join(_changed(changes, key, i) for i in getattr(changes, key)))
    lines.append("")
    return "\n".join(lines)


def _changed(changes: Changes, key: str, citation_id: str) -> str:
    was = previous_title(changes, key, citation_id)
    return f"{{{esc(citation_id)}}}" + (f" (was “{esc(was)}”)" if was else "")


def _verdict(m: Match | None) -> str:
    if not m:
        return ""
    verdict = Verdict(m.verdict)
    if verdict.tone is Tone.NEUTRAL:
        return f"*{esc(verdict)}*"  # not checked, not wrong: no score that reads as a failed comparison
    v = esc(verdict)
    if m.score is not None and verdict.shows_score:
        v += f" ({m.score:.2f})"
    if m.suggestion:
        v += f" → {esc(m.suggestion)}?"
    return v


def previous_title(changes: Changes, key: str, citation_id: str) -> str | None:
    """The old headline of a page in the "retitled" list of the changes since the last run."""
    return changes.previous_titles.get(citation_id) if key == "retitled" else None


def cited_text(r: Result) -> str:
    """The footnote's claim as one phrase: publisher · title (a linked source without
    them: its link words, in quotes)."""
    c = r.citation
    return " · ".join(x for x in (c.publisher, c.title) if x) or (f"“{c.link_text}”" if c.link_text else "—")


def _status_cell(r: Result) -> str:
    check = r.check
    if check is None:
        return "**** "
    status = f"**{esc(check.status)}** {esc(check.reason)}"
    if check.status.is_failure:
        since = check.failing_since.isoformat()[:10] if check.failing_since else ""
        status += (
            " (confirmed)"
            if check.confirmed
            else f" (failing since {esc(since)}, {plural(check.failing_checks, 'check')})"
        )
    if check.paywalled:
        status += " · paywalled"
    return status


def _archive_cell(r: Result) -> str:
    c = r.citation
    archive = link(c.archive_date.isoformat() if c.archive_date else "snapshot", c.archive_url) if c.archive_url else ""
    if not archive and r.local_copy:
        archive = "local copy " + code(f"archive/{r.local_copy}")
    if not c.archive_url and r.archive_note:
        archive += ("; " if archive else "") + esc(r.archive_note)
    return archive


def _short(text: str, chars: int = 80) -> str:
    return text if len(text) <= chars else text[: chars - 1].rsplit(" ", 1)[0] + "…"


def _quotes_cell(r: Result) -> str:
    """Each quote as a verdict badge, the quote (shortened) and where it was found."""
    cells = []
    for q in r.quotes:
        where = " (archived copy)" if q.where is Where.ARCHIVE else ""
        why = f" ({esc(q.reason)})" if q.reason else f" ({q.score:.0f})" if q.verdict is QuoteVerdict.CLOSE else ""
        cells.append(f"**{esc(q.verdict)}**{why}{where} “{esc(_short(q.text))}”")
    if r.drift is not None and r.drift.verdict is DriftVerdict.CHANGED:
        cells.append(f"*{esc(r.drift.verdict.label)}*")
    return " · ".join(cells)


def _row(r: Result) -> str:
    page_title = esc(r.page.title if r.page else None)
    if r.verified_against and r.verified_against != "live page":
        page_title += " *(from archive)*"
    return (
        f"| {esc(r.citation.id)} | {link(cited_text(r), r.citation.url)} | {_status_cell(r)} | {page_title} | "
        f"{_verdict(r.title_match)} | {_verdict(r.date_match)} | {_verdict(r.publisher_match)} | {_archive_cell(r)} | "
        f"{_quotes_cell(r)} |"
    )


def _quote_line(q: QuoteCheck) -> str:
    line = f"  - **{esc(q.verdict)}**"
    if q.verdict is QuoteVerdict.CLOSE and q.score is not None:
        line += f" ({q.score:.0f}/100)"
    line += f": “{esc(q.text)}”"
    if q.where is not None:
        line += f" — {esc(q.where.label)}" + (f" {link('(copy)', q.archive_url)}" if q.archive_url else "")
    if q.verdict is QuoteVerdict.CLOSE and q.excerpt:
        line += f"; the page says: “{esc(q.excerpt)}”"
    if q.reason is not None:
        line += f" — {esc(q.reason.label)}"
    return line


def _what_changed(d: Drift) -> list[str]:
    """The expandable "what changed" panel (GitHub shows <details> folded); its text escaped."""
    similarity = f", similarity {d.similarity:.2f}" if d.similarity is not None else ""
    lines = [f"  <details><summary>{esc(d.verdict.label)}{esc(similarity)}</summary>", ""]
    if d.compared_with:
        lines.append(f"  Compared with {link('the archived copy from when it was cited', d.compared_with)}.")
        lines.append("")
    lines += [f"  - removed: “{esc(x)}”" for x in d.removed or []]
    lines += [f"  - added: “{esc(x)}”" for x in d.added or []]
    if d.note:
        lines.append(f"  - {esc(d.note)}")
    return lines + ["", "  </details>"]


def _shows_quotes(r: Result) -> bool:
    return bool(r.quotes or (r.drift and r.drift.verdict is not DriftVerdict.UNKNOWN))


def _is_unresolved(r: Result) -> bool:
    return not r.citation.url and not r.citation.same_as  # a repeat says which note


def _quotes_section(results: list[Result]) -> list[str]:
    shown = [r for r in results if _shows_quotes(r)]
    if not shown:
        return []
    lines = ["## Does the source still say it?", ""]
    for r in shown:
        lines.append(f"- {{{esc(r.citation.id)}}} {esc(_short(r.citation.citing_text or cited_text(r), 200))}")
        lines.extend(_quote_line(q) for q in r.quotes)
        if r.drift is not None and r.drift.verdict is not DriftVerdict.UNKNOWN:
            lines.extend(_what_changed(r.drift))
    lines.append("")
    return lines


def _unresolved(results: list[Result]) -> list[str]:
    unresolved = [r for r in results if _is_unresolved(r)]
    if not unresolved:
        return []
    lines = ["## Unresolved citations", ""]
    has = "has" if len(unresolved) == 1 else "have"
    lines.append(f"{plural(len(unresolved), 'citation')} {has} no URL. Candidates come from `citewatch resolve`;")
    lines.append("accept one with `citewatch resolve --accept ID[:N]` after checking it.")
    lines.append("")
    for r in unresolved:
        cited = cited_text(r)
        cands = r.citation.candidates
        if not cands:
            lines.append(f"- {{{esc(r.citation.id)}}} {esc(cited)} — no candidate")
            continue
        lines.append(f"- {{{esc(r.citation.id)}}} {esc(cited)}")
        for n, cand in enumerate(cands, 1):
            ev = cand.get("evidence") or {}
            seen = f"page: “{esc(ev.get('page_title'))}”" if ev.get("page_title") else esc(ev.get("status"))
            lines.append(
                f"  {n}. {link(cand['url'], cand['url'])} — confidence {cand.get('confidence')}, {esc(cand.get('source'))}; {seen}"
            )
    lines.append("")
    return lines


def _findings(findings: list[Finding]) -> list[str]:
    if not findings:
        return []
    lines = ["## Problems in the footnotes", ""]
    singles, groups = group_findings(findings)
    for code, group in groups.items():
        ids = ", ".join(f"{{{esc(f.footnote)}}}" for f in group)
        lines.append(f"- {len(group)} notes: {esc(group[0].message)} `{code}` — {ids}")
    for f in singles:
        where = f"line {f.line}" if f.line else ""
        lines.append(f"- {{{esc(f.footnote)}}} {esc(f.severity)}: {esc(f.message)} `{f.code}` {where}".rstrip())
    lines.append("")
    return lines


def render(report: Report) -> str:
    return "".join(pieces(report))


def pieces(report: Report) -> Iterator[str]:
    """``render``'s text in pieces, a row at a time: a report of 200,000 results is 48 MB
    of Markdown, written as it is made (files.write_atomic takes pieces), never held whole."""
    for i, line in enumerate(_lines(report)):
        yield line if i == 0 else "\n" + line


def _lines(report: Report) -> Iterator[str]:
    yield from (summary(report), "## Citations", "")
    yield "| id | cited publisher · title | status | page title | title | date | publisher | archive | quotes |"
    yield "|---|---|---|---|---|---|---|---|---|"
    quoted: list[Result] = []  # the sections after the table, gathered in the same pass: a
    unresolved: list[Result] = []  # spooled run's results are read once, not three times
    for r in report.results:
        yield _row(r)
        if _shows_quotes(r):
            quoted.append(r)
        if _is_unresolved(r):
            unresolved.append(r)
    yield ""
    yield from _quotes_section(quoted)
    yield from _unresolved(unresolved)
    yield from _findings(report.findings)
    for note in report.notes:
        yield f"> {esc(note)}"
    yield f"\n<sub>{esc(report.tool)} · {esc(report.generated_at)}</sub>\n"
