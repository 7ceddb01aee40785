"""Report dict → Markdown: a one-screen summary, then a row per citation, then the notes' findings.

Renders from the JSON report dict (not live objects) so ``citewatch report`` can
re-render from disk. All page text is escaped: a title with a pipe must not
break the table, and one with brackets must not become a link.
"""

from __future__ import annotations

import re
from typing import Any

from .json import local_copy

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def esc(value: Any) -> str:
    if value is None or value == "":
        return ""
    text = re.sub(r"\s+", " ", str(value)).strip()
    return _SPECIAL.sub(r"\\\1", text)


def link(text: str, url: str | None) -> str:
    if not url:
        return esc(text)
    safe = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    return f"[{esc(text)}](<{safe}>)"


STATUS_ORDER = ["dead", "soft-404", "unreachable", "blocked", "timeout", "error", "redirected", "live", "skipped"]


GROUPED = ("missing-url", "missing-date", "missing-title", "missing-publisher")


def group_findings(findings: list[dict], threshold: int = 4) -> tuple[list[dict], dict[str, list[dict]]]:
    """Findings that hit many notes (no URL, no date) read better as one line each."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["code"]] = counts.get(f["code"], 0) + 1
    groups: dict[str, list[dict]] = {}
    singles = []
    for f in findings:
        if f["code"] in GROUPED and counts[f["code"]] >= threshold:
            groups.setdefault(f["code"], []).append(f)
        else:
            singles.append(f)
    return singles, groups


def summary(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [f"## citewatch: {esc(report['article'].get('title') or report['name'])}", ""]
    lines.append(
        f"{s['citations']} citations, {s['with_url']} with a URL, {s['archived']} archived, "
        f"{s.get('local_copies', 0)} local copies, "
        f"**{s['confirmed_problems']} confirmed problem(s)** — exit status {report.get('exit_status')}."
    )
    lines.append("")
    counts = s["by_status"]
    if counts:
        lines.append("| status | count |")
        lines.append("|---|---:|")
        for st in STATUS_ORDER:
            if counts.get(st):
                lines.append(f"| {st} | {counts[st]} |")
        lines.append("")
    verdicts = s["by_verdict"]
    parts = []
    for key in ("title", "date", "publisher"):
        v = {k: n for k, n in verdicts.get(key, {}).items() if k != "unknown"}
        if v:
            parts.append(f"{key}: " + ", ".join(f"{n} {esc(k)}" for k, n in sorted(v.items())))
    if parts:
        lines.append("Verdicts — " + "; ".join(parts) + ".")
        lines.append("")
    changes = report.get("changes") or {}
    if report.get("changes") is not None:
        lines.append("### Since the last run")
        if not any(changes.get(k) for k in CHANGE_LABELS):
            lines.append("Nothing changed." if changes.get("previous_run") else "First run: nothing to compare with.")
        for key, label in CHANGE_LABELS.items():
            if changes.get(key):
                lines.append(f"- **{label}**: " + ", ".join(_changed(changes, key, i) for i in changes[key]))
        lines.append("")
    return "\n".join(lines)


def _changed(changes: dict[str, Any], key: str, citation_id: str) -> str:
    was = previous_title(changes, key, citation_id)
    return f"{{{esc(citation_id)}}}" + (f" (was “{esc(was)}”)" if was else "")


def _verdict(m: dict | None) -> str:
    if not m:
        return ""
    v = esc(m["verdict"])
    if m.get("score") is not None and m["verdict"] not in ("unknown", "other-language"):
        v += f" ({m['score']:.2f})"
    if m.get("suggestion"):
        v += f" → {esc(m['suggestion'])}?"
    return v


CHANGE_LABELS = {
    "newly_failing": "Newly failing",
    "confirmed_dead": "Confirmed dead",
    "recovered": "Recovered",
    "retitled": "Retitled",
    "newly_archived": "Newly archived",
}


def previous_title(changes: dict[str, Any], key: str, citation_id: str) -> str | None:
    """The old headline of a page in the "retitled" list of the changes since the last run."""
    return (changes.get("previous_titles") or {}).get(citation_id) if key == "retitled" else None


def render(report: dict[str, Any]) -> str:
    lines = [summary(report), "## Citations", ""]
    lines.append("| id | cited publisher · title | status | page title | title | date | publisher | archive |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in report["results"]:
        cited_text = " · ".join(x for x in (r.get("publisher"), r.get("title")) if x) or _linked(r) or "—"
        cited = link(cited_text, r.get("url"))
        status = f"**{esc(r.get('status'))}** {esc(r.get('reason'))}"
        check = r.get("check") or {}
        if check.get("status") in ("dead", "soft-404", "unreachable"):
            status += (
                " (confirmed)"
                if check.get("confirmed")
                else (
                    f" (failing since {esc((check.get('failing_since') or '')[:10])}, {check.get('failing_checks')} check(s))"
                )
            )
        if r.get("paywalled"):
            status += " · paywalled"
        page = r.get("page") or {}
        page_title = esc(page.get("title"))
        if r.get("verified_against") and r["verified_against"] != "live page":
            page_title += " *(from archive)*"
        archive = link(r["archive_date"] or "snapshot", r["archive_url"]) if r.get("archive_url") else ""
        if not archive and local_copy(r):
            archive = f"local copy `archive/{esc(local_copy(r))}`"
        if not r.get("archive_url") and r.get("archive_note"):
            archive += ("; " if archive else "") + esc(r["archive_note"])
        lines.append(
            f"| {esc(r['id'])} | {cited} | {status} | {page_title} | {_verdict(r.get('title_match'))} | "
            f"{_verdict(r.get('date_match'))} | {_verdict(r.get('publisher_match'))} | {archive} |"
        )
    lines.append("")
    unresolved = [r for r in report["results"] if not r.get("url") and not r.get("same_as")]
    if unresolved:
        lines.append("## Unresolved citations")
        lines.append("")
        lines.append(f"{len(unresolved)} citation(s) have no URL. Candidates come from `citewatch resolve`;")
        lines.append("accept one with `citewatch resolve --accept ID[:N]` after checking it.")
        lines.append("")
        for r in unresolved:
            cited = " · ".join(x for x in (r.get("publisher"), r.get("title")) if x) or "—"
            cands = r.get("candidates") or []
            if not cands:
                lines.append(f"- {{{esc(r['id'])}}} {esc(cited)} — no candidate")
                continue
            lines.append(f"- {{{esc(r['id'])}}} {esc(cited)}")
            for n, cand in enumerate(cands, 1):
                ev = cand.get("evidence") or {}
                seen = f"page: “{esc(ev.get('page_title'))}”" if ev.get("page_title") else esc(ev.get("status"))
                lines.append(
                    f"  {n}. {link(cand['url'], cand['url'])} — confidence {cand.get('confidence')}, {esc(cand.get('source'))}; {seen}"
                )
        lines.append("")
    findings = report.get("findings") or []
    if findings:
        lines.append("## Problems in the footnotes")
        lines.append("")
        singles, groups = group_findings(findings)
        for code, group in groups.items():
            ids = ", ".join(f"{{{esc(f.get('footnote'))}}}" for f in group)
            lines.append(f"- {len(group)} notes: {esc(group[0]['message'])} `{code}` — {ids}")
        for f in singles:
            where = f"line {f['line']}" if f.get("line") else ""
            lines.append(
                f"- {{{esc(f.get('footnote'))}}} {esc(f['severity'])}: {esc(f['message'])} `{f['code']}` {where}".rstrip()
            )
        lines.append("")
    for note in report.get("notes") or []:
        lines.append(f"> {esc(note)}")
    lines.append(f"\n<sub>{esc(report['tool'])} · {esc(report['generated_at'])}</sub>\n")
    return "\n".join(lines)


def _linked(r: dict[str, Any]) -> str:
    """A linked source's words, in quotes, for a row that has no publisher or title."""
    return f"“{r['link_text']}”" if r.get("link_text") else ""
