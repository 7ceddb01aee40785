"""Report → one self-contained HTML file (inline CSS and JS, no network).

Everything that came from a page or a footnote passes through ``e()``
(html.escape); the small script sorts, filters and expands rows, and builds a large
report's further rows from its records (html_large.py) as text, never as markup.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from typing import Any

from ..model import Match, Result
from ..quotes.verdicts import Drift, DriftVerdict, QuoteCheck, QuoteVerdict, Where
from ..textsafe import clean, safe_href
from ..vocab import SnapshotKind, Status, Verdict
from .html_large import HTML_ROWS, ROWS_BUDGET, Listing, check_line, cited_as, data_block, flag, listing
from .markdown import previous_title
from .model import CHANGE_LABELS, Changes, Report

#: the report's Content-Security-Policy: nothing is loaded from anywhere (index.html too)
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def e(value: Any) -> str:
    return "" if value is None else escape(clean(value), quote=True)


def a(text: Any, url: str | None) -> str:
    href = safe_href(url)
    if not href:
        return e(text)
    return f'<a href="{e(href)}" rel="noopener noreferrer">{e(text)}</a>'


def _asset(name: str) -> str:
    return resources.files("pipeline").joinpath(f"report/templates/{name}").read_text("utf-8")


def _verdict(m: Match | None) -> str:
    if not m:
        return f'<span class="v {Verdict.UNKNOWN.css_class}">—</span>'
    v = Verdict(m.verdict)
    score = f" {m.score:.2f}" if m.score is not None and v.shows_score else ""
    return f'<span class="v {v.css_class}" title="{e(m.detail)}">{e(v)}{e(score)}</span>'


def _check_evidence(r: Result) -> list[str]:
    rows = []
    url, check = r.citation.url, r.check
    if url:
        rows.append(f"<dt>URL</dt><dd>{a(url, url)}</dd>")
    if check is None:
        return rows
    if check.final_url and check.final_url != url:
        rows.append(f"<dt>Final URL</dt><dd>{a(check.final_url, check.final_url)}</dd>")
    if check.chain:
        hops = "".join(f"<li>{e(h.get('status'))} {e(h.get('url'))} → {e(h.get('location'))}</li>" for h in check.chain)
        rows.append(f"<dt>Redirects</dt><dd><ol>{hops}</ol></dd>")
    rows.append(f"<dt>Check</dt><dd>{e(check_line(r))}</dd>")
    return rows


def _page_evidence(r: Result) -> list[str]:
    page = r.page
    if page is None:
        return []
    cands = "".join(f"<li><b>{e(c.source)}</b>: {e(c.value)}</li>" for c in page.title_candidates)
    published = page.published.isoformat() if page.published else "?"
    return [
        f"<dt>Page title</dt><dd>{e(page.title)} <small>({e(page.title_source)})</small><ul>{cands}</ul></dd>",
        f"<dt>Page facts</dt><dd>published {e(published)} <small>({e(page.published_source)})</small>"
        f" · site {e(page.site_name or '?')} <small>({e(page.site_name_source)})</small>"
        f" · language {e(page.language or '?')}</dd>",
    ]


def _claims_evidence(r: Result) -> list[str]:
    rows = []
    for label, m in (("Title", r.title_match), ("Date", r.date_match), ("Publisher", r.publisher_match)):
        if m and (m.cited or m.found):
            detail = f" — {e(m.detail)}" if m.detail else ""
            sugg = f" — did you mean <b>{e(m.suggestion)}</b>?" if m.suggestion else ""
            rows.append(f"<dt>{label}</dt><dd>cited: “{e(m.cited)}”<br>page: “{e(m.found)}”{detail}{sugg}</dd>")
    if r.verified_against and r.verified_against != "live page":
        rows.append(f"<dt>Verified against</dt><dd>archived copy {a(r.verified_against, r.verified_against)}</dd>")
    return rows


def _archive_evidence(r: Result) -> list[str]:
    rows = []
    if r.snapshots:
        items = "".join(
            f"<li>{e(s.kind)} {e(s.timestamp.isoformat()[:10])}: "
            f"{a(s.archive_url, s.archive_url) if s.kind is not SnapshotKind.LOCAL else e(s.archive_url)} {e(s.note or '')}</li>"
            for s in r.snapshots
        )
        rows.append(f"<dt>Snapshots</dt><dd><ul>{items}</ul></dd>")
    if r.archive_note:
        rows.append(f"<dt>Archive</dt><dd>{e(r.archive_note)}</dd>")
    cands = r.citation.candidates
    if cands:
        items = "".join(
            f"<li>{e(c.get('confidence'))} {a(c['url'], c['url'])} <small>({e(c.get('source'))}; "
            f"{e((c.get('evidence') or {}).get('page_title') or (c.get('evidence') or {}).get('status') or '')})</small></li>"
            for c in cands
        )
        rows.append(
            f"<dt>Candidates</dt><dd><ol>{items}</ol><small>citewatch resolve --accept {e(r.citation.id)}[:N]</small></dd>"
        )
    return rows


def _quote_item(q: QuoteCheck) -> str:
    score = f" {q.score:.0f}/100" if q.verdict is QuoteVerdict.CLOSE and q.score is not None else ""
    where = f" — {e(q.where.label)}" if q.where else ""
    copy = f" {a('(copy)', q.archive_url)}" if q.archive_url else ""
    said = f"<br>the page says: “{e(q.excerpt)}”" if q.verdict is QuoteVerdict.CLOSE and q.excerpt else ""
    reason = f" — {e(q.reason.label)}" if q.reason else ""
    return f"<li>{_quote_badge(q)}{e(score)} “{e(q.text)}”{where}{copy}{reason}{said}</li>"


def _what_changed(d: Drift) -> str:
    """The expandable "what changed" panel: what the copy from then said that the page no
    longer does, and what it says now (escaped, like all page text)."""
    similarity = f" · similarity {d.similarity:.2f}" if d.similarity is not None else ""
    items = [f"<li><b>removed</b> “{e(x)}”</li>" for x in d.removed or []]
    items += [f"<li><b>added</b> “{e(x)}”</li>" for x in d.added or []]
    compared = f"<p>compared with {a('the archived copy from when it was cited', d.compared_with)}</p>"
    note = f'<p class="reason">{e(d.note)}</p>' if d.note else ""
    return (
        f'<details class="drift"><summary><span class="v v-{d.verdict.tone}">{e(d.verdict.label)}</span>'
        f"{e(similarity)}</summary>{compared if d.compared_with else ''}<ul>{''.join(items)}</ul>{note}</details>"
    )


def _quote_badge(q: QuoteCheck) -> str:
    return f'<span class="v v-{q.verdict.tone}">{e(q.verdict)}</span>'


def _quotes_cell(r: Result) -> str:
    """A badge, the quote and where it was found, for each quote; the drift panel."""
    quotes = "".join(
        f'<div class="quote">{_quote_badge(q)} “{e(q.text)}”'
        f"{' <small>(archived copy)</small>' if q.where is Where.ARCHIVE else ''}"
        f"{f' <small>({e(q.reason)})</small>' if q.reason else ''}</div>"
        for q in r.quotes
    )
    drift = _what_changed(r.drift) if r.drift and r.drift.verdict is not DriftVerdict.UNKNOWN else ""
    return quotes + drift


def _quotes_evidence(r: Result) -> list[str]:
    rows = []
    if r.citation.citing_text:
        rows.append(f"<dt>Citing text</dt><dd>“{e(r.citation.citing_text)}”</dd>")
    if r.quotes:
        rows.append(f"<dt>Quotes</dt><dd><ul>{''.join(_quote_item(q) for q in r.quotes)}</ul></dd>")
    if r.drift is not None:
        rows.append(f"<dt>Since cited</dt><dd>{_what_changed(r.drift)}</dd>")
    return rows


def _evidence(r: Result) -> str:
    rows = _check_evidence(r) + _page_evidence(r) + _claims_evidence(r) + _quotes_evidence(r) + _archive_evidence(r)
    return f"<dl>{''.join(rows)}</dl>"


def _changed(changes: Changes, key: str, citation_id: str) -> str:
    was = previous_title(changes, key, citation_id)
    return e(citation_id) + (f" (was “{e(was)}”)" if was else "")


def _row(i: int, r: Result) -> str:
    """One citation's table row and its (hidden) evidence row."""
    check, c = r.check, r.citation
    status = check.status if check else None
    paywall = ' <span class="tag">paywalled</span>' if check and check.paywalled else ""
    archive = a(c.archive_date.isoformat() if c.archive_date else "snapshot", c.archive_url) if c.archive_url else ""
    if not archive and r.local_copy:
        archive = f'<span title="archive/{e(r.local_copy)}">local copy</span>'
    if not c.archive_url and r.archive_note:
        archive += f'<div class="reason">{e(r.archive_note)}</div>'
    tverdict = r.title_match.verdict if r.title_match else ""
    return (
        f'<tr class="row" data-status="{e(status)}" data-verdict="{e(tverdict)}" data-i="{i}" tabindex="0" aria-expanded="false">'
        f'<td data-sort="{e(c.id).zfill(6)}">{e(c.id)}</td><td>{e(cited_as(r))}</td>'
        f'<td data-sort="{e(status)}"><span class="s {status.css_class if status else ""}">{e(status)}</span>{e(flag(r))}{paywall}<div class="reason">{e(check.reason if check else None)}</div></td>'
        f'<td data-label="page title">{e(r.page.title if r.page else None)}</td>'
        f'<td data-label="title" data-sort="{e(tverdict)}">{_verdict(r.title_match)}</td>'
        f'<td data-label="date">{_verdict(r.date_match)}</td>'
        f'<td data-label="publisher">{_verdict(r.publisher_match)}</td><td data-label="archive">{archive}</td>'
        f'<td data-label="quotes" data-sort="{e(_worst(r))}">{_quotes_cell(r)}</td></tr>'
        f'<tr class="evidence" hidden><td colspan="9">{_evidence(r)}</td></tr>'
    )


def _worst(r: Result) -> str:
    """The quotes column sorts the citations with a quote not found first."""
    order = [QuoteVerdict.NOT_FOUND, QuoteVerdict.CLOSE, QuoteVerdict.UNVERIFIABLE, QuoteVerdict.FOUND]
    return str(min((order.index(q.verdict) for q in r.quotes), default=len(order)))


def _cards(report: Report) -> str:
    s = report.summary
    cards = [
        ("citations", s.citations, "total"),
        ("with URL", s.with_url, "total"),
        ("confirmed problems", s.confirmed_problems, "bad" if s.confirmed_problems else "ok"),
        ("archived", s.archived, "ok"),
        ("local copies", s.local_copies, "ok"),
    ]
    for st in Status.in_order():
        if s.by_status.get(st):
            cards.append((st, s.by_status[st], st))
    for v in QuoteVerdict:
        if s.by_quote.get(v):
            cards.append((f"quotes {v}", s.by_quote[v], v.tone))
    if s.by_drift.get(DriftVerdict.CHANGED):
        cards.append((DriftVerdict.CHANGED.label, s.by_drift[DriftVerdict.CHANGED], DriftVerdict.CHANGED.tone))
    return "".join(
        f'<div class="card c-{e(cls)}" data-count="{e(label)}"><span class="n">{e(n)}</span><span class="l">{e(label)}</span></div>'
        for label, n, cls in cards
    )


def _change_items(changes: Changes) -> str:
    return "".join(
        f"<li><b>{e(label)}</b>: {', '.join(_changed(changes, key, i) for i in getattr(changes, key))}</li>"
        for key, label in CHANGE_LABELS.items()
        if getattr(changes, key)
    ) or (
        "<li>Nothing changed since the last run.</li>"
        if changes.previous_run
        else "<li>First run: nothing to compare with.</li>"
    )


def _more(name: str, shown: int, rows: list[tuple[int, Result]]) -> str:
    """A large report's problems past the ``shown`` full rows, as records the script pages in
    (the block is there without them too: the JSON loader reads its columns and classes),
    and what a reader without JavaScript is told."""
    block = data_block(rows)
    data = f'<script type="application/json" id="more-rows">{block.json}</script>'
    if not rows:
        return data
    past = (
        f" {block.left_out:,} more did not fit in this page: they are in <code>{e(name)}.json</code>"
        f" and <code>{e(name)}.md</code>."
        if block.left_out
        else ""
    )
    return (
        f'<p class="hint" id="more" data-carried="{block.carried}">The table lists the {shown:,} most severe of'
        f" {shown + len(rows):,} problems; the other {block.carried:,} are in this page, in the same order."
        f' <span id="more-nojs">Open it with JavaScript on to show them, or read them in <code>{e(name)}.json</code>'
        f" and <code>{e(name)}.md</code>.</span>"
        f' <button type="button" id="more-next" hidden>show more</button>'
        f' <button type="button" id="more-all" hidden>show all</button>{past}</p>{data}'
    )


def _rows(report: Report, listed: Listing) -> tuple[str, str]:
    """The table's rows, and what the page says about rows it leaves out (html_large)."""
    if not listed.large:
        return "".join(_row(i, r) for i, r in listed.rows), ""
    rows, size = [], 0
    for i, r in listed.rows[:HTML_ROWS]:  # the first HTML_ROWS, as long as ROWS_BUDGET holds them
        rows.append(_row(i, r))
        size += len(rows[-1])
        if size > ROWS_BUDGET:
            break
    left = listed.total - len(listed.rows)
    note = (
        f'<p class="hint" id="omitted" data-total="{listed.total}">{left:,} of {listed.total:,}'
        f" citations are not listed here: their sources answered and match their notes. They are in"
        f" <code>{e(report.name)}.json</code> and <code>{e(report.name)}.md</code>. "
        '<label>Add them to the table from the JSON report: <input type="file" id="load-json" accept=".json"></label>'
        ' <button type="button" id="more-json" hidden>show more</button></p>'
    )
    return "".join(rows), _more(report.name, len(rows), listed.rows[len(rows) :]) + note


def render(report: Report) -> str:
    listed = listing(report.results)
    statuses, verdicts = sorted(listed.statuses), sorted(listed.verdicts)
    rows, omitted = _rows(report, listed)
    findings = "".join(
        f'<li><b>{{{e(f.footnote)}}}</b> <span class="sev sev-{e(f.severity)}">{e(f.severity)}</span> '
        f"{e(f.message)} <code>{e(f.code)}</code>{(' · line ' + e(f.line)) if f.line else ''}</li>"
        for f in report.findings
    )
    return _asset("report.html").format(
        title=e(report.title),
        csp=CSP,
        css=_asset("report.css"),
        js=_asset("report.js"),
        cards=_cards(report),
        status_opts="".join(f'<option value="{e(x)}">{e(x)}</option>' for x in statuses),
        verdict_opts="".join(f'<option value="{e(x)}">{e(x)}</option>' for x in verdicts),
        rows=rows,
        omitted=omitted,
        findings=f'<h2>Problems in the footnotes</h2><ul class="findings">{findings}</ul>' if findings else "",
        changes=_change_items(report.changes),
        notes="".join(f'<p class="note">{e(n)}</p>' for n in report.notes),
        tool=e(report.tool),
        generated=e(report.generated_at),
        exit_status=e(report.exit_status),
    )
