"""The index of several articles' reports (``reports/index.md`` and ``index.html``).

Each article's row shows its counts per status, worst first, as its own report's cards
do; the HTML uses the report's own stylesheet. Titles and report names come from
articles and their file names, so they are escaped like everything else; the HTML
carries the same Content-Security-Policy as each report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from ..vocab import Status
from .html import CSP, _asset, e
from .markdown import esc
from .model import Report


@dataclass(frozen=True)
class IndexRow:
    name: str  # the report's file name without extension
    title: str
    citations: int
    confirmed_problems: int
    exit_status: int
    by_status: dict[Status, int] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, report: Report) -> IndexRow:
        return cls(
            name=name,
            title=report.article.get("title") or name,
            citations=report.summary.citations,
            confirmed_problems=report.summary.confirmed_problems,
            exit_status=report.exit_status,
            by_status=dict(report.summary.by_status),
        )

    @property
    def href(self) -> str:
        """The report's file name as a relative link (a name may hold spaces, '#', '>')."""
        return quote(self.name)

    @property
    def counts(self) -> list[tuple[Status, int]]:
        """Statuses with at least one citation, worst first."""
        return [(s, self.by_status[s]) for s in Status.in_order() if self.by_status.get(s)]


def render_markdown(rows: list[IndexRow]) -> str:
    lines = [
        "# citewatch: all articles",
        "",
        "| article | citations | statuses | confirmed problems | exit | report |",
        "|---|---:|---|---:|---:|---|",
    ]
    for r in rows:
        counts = ", ".join(f"{n} {s.label}" for s, n in r.counts) or "—"
        lines.append(
            f"| {esc(r.title)} | {r.citations} | {counts} | {r.confirmed_problems} | {r.exit_status} | "
            f"[{esc(r.name)}.md](<{r.href}.md>) · [html](<{r.href}.html>) |"
        )
    return "\n".join(lines) + "\n"


def _html_row(r: IndexRow) -> str:
    chips = " ".join(f'<span class="s {s.css_class}">{n} {e(s.label)}</span>' for s, n in r.counts)
    return (
        f'<tr><td><a href="{e(r.href)}.html">{e(r.title)}</a><div class="reason">{e(r.name)}</div></td>'
        f"<td>{r.citations}</td><td>{chips}</td><td>{r.confirmed_problems}</td>"
        f"<td>{r.exit_status}</td></tr>"
    )


def render_html(rows: list[IndexRow]) -> str:
    total = sum(r.citations for r in rows)
    problems = sum(r.confirmed_problems for r in rows)
    cards = (
        f'<div class="cards"><div class="card"><span class="n">{len(rows)}</span><span class="l">articles</span></div>'
        f'<div class="card"><span class="n">{total}</span><span class="l">citations</span></div>'
        f'<div class="card {"c-bad" if problems else "c-ok"}"><span class="n">{problems}</span>'
        '<span class="l">confirmed problems</span></div></div>'
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>citewatch: all articles</title><style>{_asset('report.css')}</style></head><body>"
        "<header><h1>citewatch: all articles</h1></header>"
        + cards
        + '<div class="scroll"><table><thead><tr><th>article</th><th>citations</th><th>statuses</th>'
        "<th>confirmed problems</th><th>exit</th></tr></thead><tbody>"
        + "".join(_html_row(r) for r in rows)
        + "</tbody></table></div></body></html>\n"
    )
