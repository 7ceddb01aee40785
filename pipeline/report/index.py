"""The index of several articles' reports (``reports/index.md`` and ``index.html``).

Titles and report names come from articles and their file names, so they are escaped like
everything else; the HTML carries the same Content-Security-Policy as each report.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from .html import CSP, e
from .markdown import esc


@dataclass(frozen=True)
class IndexRow:
    name: str  # the report's file name without extension
    title: str
    citations: int
    confirmed_problems: int
    exit_status: int

    @property
    def href(self) -> str:
        """The report's file name as a relative link (a name may hold spaces, '#', '>')."""
        return quote(self.name)


def render_markdown(rows: list[IndexRow]) -> str:
    lines = [
        "# citewatch: all articles",
        "",
        "| article | citations | confirmed problems | exit | report |",
        "|---|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {esc(r.title)} | {r.citations} | {r.confirmed_problems} | {r.exit_status} | "
            f"[{esc(r.name)}.md](<{r.href}.md>) · [html](<{r.href}.html>) |"
        )
    return "\n".join(lines) + "\n"


def render_html(rows: list[IndexRow]) -> str:
    cells = "".join(
        f"<tr><td>{e(r.title)}</td><td>{r.citations}</td><td>{r.confirmed_problems}</td><td>{r.exit_status}</td>"
        f'<td><a href="{e(r.href)}.html">report</a></td></tr>'
        for r in rows
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        "<title>citewatch index</title><style>body{font:15px system-ui;margin:1rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ddd;padding:.3rem .6rem}</style></head><body><h1>citewatch: all articles</h1>"
        "<table><tr><th>article</th><th>citations</th><th>confirmed problems</th><th>exit</th><th></th></tr>"
        + cells
        + "</table></body></html>\n"
    )
