"""Report dict → one self-contained HTML file (inline CSS and JS, no network).

Everything that came from a page or a footnote passes through ``e()``
(html.escape); the small script only sorts, filters and expands rows and never
turns data into markup.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from typing import Any

from .json import local_copy
from .markdown import CHANGE_LABELS, STATUS_ORDER, previous_title


def e(value: Any) -> str:
    return "" if value is None else escape(str(value), quote=True)


def _safe_href(url: str | None) -> str | None:
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


def a(text: Any, url: str | None) -> str:
    href = _safe_href(url)
    if not href:
        return e(text)
    return f'<a href="{e(href)}" rel="noopener noreferrer">{e(text)}</a>'


def _asset(name: str) -> str:
    return resources.files("pipeline").joinpath(f"report/templates/{name}").read_text("utf-8")


def _verdict(m: dict | None) -> str:
    if not m:
        return '<span class="v v-unknown">—</span>'
    v = m["verdict"]
    cls = "ok" if v in ("match", "alias") else "bad" if v in ("mismatch",) else "unknown" if v == "unknown" else "warn"
    score = f" {m['score']:.2f}" if m.get("score") is not None and v not in ("unknown", "other-language") else ""
    return f'<span class="v v-{cls}" title="{e(m.get("detail"))}">{e(v)}{e(score)}</span>'


def _evidence(r: dict) -> str:
    rows = []
    check = r.get("check") or {}
    if r.get("url"):
        rows.append(f"<dt>URL</dt><dd>{a(r['url'], r['url'])}</dd>")
    if r.get("final_url") and r["final_url"] != r.get("url"):
        rows.append(f"<dt>Final URL</dt><dd>{a(r['final_url'], r['final_url'])}</dd>")
    chain = r.get("redirect_chain") or []
    if chain:
        hops = "".join(f"<li>{e(h.get('status'))} {e(h.get('url'))} → {e(h.get('location'))}</li>" for h in chain)
        rows.append(f"<dt>Redirects</dt><dd><ol>{hops}</ol></dd>")
    if check:
        bits = [
            f"HTTP {e(check.get('http_status'))}" if check.get("http_status") else "",
            f"{e(check.get('elapsed_ms'))} ms",
        ]
        if check.get("truncated"):
            bits.append("body capped")
        if check.get("failing_since"):
            bits.append(f"failing since {e(check['failing_since'][:10])} ({e(check.get('failing_checks'))} checks)")
        rows.append(f"<dt>Check</dt><dd>{' · '.join(b for b in bits if b)}</dd>")
    page = r.get("page") or {}
    if page:
        cands = "".join(
            f"<li><b>{e(c['source'])}</b>: {e(c['value'])}</li>" for c in page.get("title_candidates") or []
        )
        rows.append(
            f"<dt>Page title</dt><dd>{e(page.get('title'))} <small>({e(page.get('title_source'))})</small><ul>{cands}</ul></dd>"
        )
        rows.append(
            f"<dt>Page facts</dt><dd>published {e(page.get('published') or '?')} <small>({e(page.get('published_source'))})</small>"
            f" · site {e(page.get('site_name') or '?')} <small>({e(page.get('site_name_source'))})</small>"
            f" · language {e(page.get('language') or '?')}</dd>"
        )
    for key in ("title_match", "date_match", "publisher_match"):
        m = r.get(key)
        if m and (m.get("cited") or m.get("found")):
            detail = f" — {e(m['detail'])}" if m.get("detail") else ""
            sugg = f" — did you mean <b>{e(m['suggestion'])}</b>?" if m.get("suggestion") else ""
            rows.append(
                f"<dt>{e(key.split('_')[0].title())}</dt><dd>cited: “{e(m.get('cited'))}”<br>page: “{e(m.get('found'))}”{detail}{sugg}</dd>"
            )
    if r.get("verified_against") and r["verified_against"] != "live page":
        rows.append(
            f"<dt>Verified against</dt><dd>archived copy {a(r['verified_against'], r['verified_against'])}</dd>"
        )
    snaps = r.get("snapshots") or []
    if snaps:
        items = "".join(
            f"<li>{e(s['kind'])} {e(s['timestamp'][:10])}: {a(s['archive_url'], s['archive_url']) if s['kind'] != 'local' else e(s['archive_url'])} {e(s.get('note') or '')}</li>"
            for s in snaps
        )
        rows.append(f"<dt>Snapshots</dt><dd><ul>{items}</ul></dd>")
    if r.get("archive_note"):
        rows.append(f"<dt>Archive</dt><dd>{e(r['archive_note'])}</dd>")
    cands = r.get("candidates") or []
    if cands:
        items = "".join(
            f"<li>{e(c.get('confidence'))} {a(c['url'], c['url'])} <small>({e(c.get('source'))}; "
            f"{e((c.get('evidence') or {}).get('page_title') or (c.get('evidence') or {}).get('status') or '')})</small></li>"
            for c in cands
        )
        rows.append(
            f"<dt>Candidates</dt><dd><ol>{items}</ol><small>citewatch resolve --accept {e(r['id'])}[:N]</small></dd>"
        )
    return f"<dl>{''.join(rows)}</dl>"


def _changed(changes: dict[str, Any], key: str, citation_id: str) -> str:
    was = previous_title(changes, key, citation_id)
    return e(citation_id) + (f" (was “{e(was)}”)" if was else "")


def render(report: dict[str, Any]) -> str:
    s = report["summary"]
    title = report["article"].get("title") or report["name"]
    cards = [
        ("citations", s["citations"], "total"),
        ("with URL", s["with_url"], "total"),
        ("confirmed problems", s["confirmed_problems"], "bad" if s["confirmed_problems"] else "ok"),
        ("archived", s["archived"], "ok"),
        ("local copies", s.get("local_copies", 0), "ok"),
    ]
    for st in STATUS_ORDER:
        if s["by_status"].get(st):
            cards.append((st, s["by_status"][st], st))
    card_html = "".join(
        f'<div class="card c-{e(cls)}" data-count="{e(label)}"><span class="n">{e(n)}</span><span class="l">{e(label)}</span></div>'
        for label, n, cls in cards
    )
    statuses = sorted({r.get("status") or "" for r in report["results"]})
    verdicts = sorted({(r.get("title_match") or {}).get("verdict", "") for r in report["results"]} - {""})
    status_opts = "".join(f'<option value="{e(x)}">{e(x)}</option>' for x in statuses)
    verdict_opts = "".join(f'<option value="{e(x)}">{e(x)}</option>' for x in verdicts)

    body_rows = []
    for i, r in enumerate(report["results"]):
        check = r.get("check") or {}
        status = r.get("status") or ""
        flag = ""
        if status in ("dead", "soft-404", "unreachable"):
            flag = (
                " confirmed"
                if check.get("confirmed")
                else f" · failing since {(check.get('failing_since') or '')[:10]}"
            )
        paywall = ' <span class="tag">paywalled</span>' if r.get("paywalled") else ""
        cited = " · ".join(x for x in (e(r.get("publisher")), e(r.get("title"))) if x) or _linked(r) or "—"
        archive = a(r.get("archive_date") or "snapshot", r.get("archive_url")) if r.get("archive_url") else ""
        if not archive and local_copy(r):
            archive = f'<span title="archive/{e(local_copy(r))}">local copy</span>'
        if not r.get("archive_url") and r.get("archive_note"):
            archive += f'<div class="reason">{e(r["archive_note"])}</div>'
        tverdict = (r.get("title_match") or {}).get("verdict", "")
        body_rows.append(
            f'<tr class="row" data-status="{e(status)}" data-verdict="{e(tverdict)}" data-i="{i}" tabindex="0" aria-expanded="false">'
            f'<td data-sort="{e(r["id"]).zfill(6)}">{e(r["id"])}</td><td>{cited}</td>'
            f'<td data-sort="{e(status)}"><span class="s s-{e(status)}">{e(status)}</span>{e(flag)}{paywall}<div class="reason">{e(r.get("reason"))}</div></td>'
            f'<td data-label="page title">{e((r.get("page") or {}).get("title"))}</td>'
            f'<td data-label="title" data-sort="{e(tverdict)}">{_verdict(r.get("title_match"))}</td>'
            f'<td data-label="date">{_verdict(r.get("date_match"))}</td>'
            f'<td data-label="publisher">{_verdict(r.get("publisher_match"))}</td><td data-label="archive">{archive}</td></tr>'
            f'<tr class="evidence" hidden><td colspan="8">{_evidence(r)}</td></tr>'
        )
    findings = "".join(
        f'<li><b>{{{e(f.get("footnote"))}}}</b> <span class="sev sev-{e(f["severity"])}">{e(f["severity"])}</span> '
        f"{e(f['message'])} <code>{e(f['code'])}</code>{(' · line ' + e(f['line'])) if f.get('line') else ''}</li>"
        for f in report.get("findings") or []
    )
    changes = report.get("changes") or {}
    change_items = "".join(
        f"<li><b>{e(label)}</b>: {', '.join(_changed(changes, key, i) for i in changes[key])}</li>"
        for key, label in CHANGE_LABELS.items()
        if changes.get(key)
    ) or (
        "<li>Nothing changed since the last run.</li>"
        if changes.get("previous_run")
        else "<li>First run: nothing to compare with.</li>"
    )
    notes = "".join(f'<p class="note">{e(n)}</p>' for n in report.get("notes") or [])
    return _asset("report.html").format(
        title=e(title),
        css=_asset("report.css"),
        js=_asset("report.js"),
        cards=card_html,
        status_opts=status_opts,
        verdict_opts=verdict_opts,
        rows="".join(body_rows),
        findings=f'<h2>Problems in the footnotes</h2><ul class="findings">{findings}</ul>' if findings else "",
        changes=change_items,
        notes=notes,
        tool=e(report["tool"]),
        generated=e(report["generated_at"]),
        exit_status=e(report.get("exit_status")),
    )


def _linked(r: dict[str, Any]) -> str:
    """A linked source's words, in quotes, for a row that has no publisher or title."""
    return f"“{e(r['link_text'])}”" if r.get("link_text") else ""
