"""What the commands print: one line per citation, summaries. Printing only; no decisions."""

from __future__ import annotations

import click

from ..model import Result, Status


def print_results(results: list[Result]) -> None:
    lines: list[str] = []
    for r in results:
        check = r.check
        if check is None:
            continue
        status = click.style(f"{check.status.value:<11}", fg=check.status.colour)
        extra = ""
        if check.status.is_failure and check.failing_since:
            extra = (
                " [confirmed]"
                if check.confirmed
                else f" [failing since {check.failing_since.date().isoformat()}, {check.failing_checks} check(s)]"
            )
        if check.paywalled:
            extra += " [paywalled]"
        was = check.previous_status
        if was and was.is_failure and not check.status.is_failure and check.status is not Status.SKIPPED:
            extra += f" [recovered: was {was.value}]"
        target = r.citation.url or f"({r.citation.publisher or 'no publisher'}: {r.citation.title or 'no title'})"[:90]
        lines.append(f"{r.citation.id:>4}  {status} {check.reason}{extra}")
        lines.append(f"      {target}")
        for label, m in (("title", r.title_match), ("date", r.date_match), ("publisher", r.publisher_match)):
            if m is not None and m.verdict not in ("match", "unknown"):
                hint = f" — did you mean {m.suggestion!r}?" if m.suggestion else ""
                lines.append(f"      {label} {m.verdict}: cited {m.cited!r}, page {m.found!r}{hint}")
    if lines:
        click.echo("\n".join(lines))  # one write: 2,000 citations print in one go


def summary_line(results: list[Result]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        if r.check:
            key = r.check.status.value
            if r.check.status == Status.SKIPPED and r.check.previous_status is not None:
                key = f"{r.check.previous_status.value} (fresh, not rechecked)"
            counts[key] = counts.get(key, 0) + 1
    with_url = sum(1 for r in results if r.citation.url)
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{len(results)} citations, {with_url} with a URL: {parts}"
