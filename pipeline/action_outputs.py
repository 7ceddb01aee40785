"""The GitHub Action's step outputs, read from the JSON reports a run just wrote.

``python -m pipeline.action_outputs --reports-dir reports --since TIME --exit-status N``
prints ``name=value`` lines for ``$GITHUB_OUTPUT``: totals over every article reported
since TIME (reports left from earlier runs in the same folder are not counted), and the
count of each status, so a workflow can act on ``outputs.confirmed-problems`` or
``fromJSON(outputs.counts).dead`` without parsing anything itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from .model import Status
from .wording import plural

TOTALS = {"citations": "citations", "with_url": "with-url", "confirmed_problems": "confirmed-problems"}


def reports_since(reports_dir: Path, since: dt.datetime) -> list[dict[str, Any]]:
    found = []
    for path in sorted(reports_dir.glob("*.json")):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            generated = dt.datetime.fromisoformat(report["generated_at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a citewatch report (or a damaged one): not this run's
        if isinstance(report.get("summary"), dict) and generated >= since:
            found.append(report)
    return found


def outputs(reports: list[dict[str, Any]], exit_status: int) -> dict[str, str]:
    summaries = [r["summary"] for r in reports]
    out = {"exit-status": str(exit_status), "articles": str(len(reports))}
    for key, name in TOTALS.items():
        out[name] = str(sum(int(s.get(key) or 0) for s in summaries))
    out["archived"] = str(sum(int(s.get("archived") or 0) for s in summaries))
    counts = {
        status.value: sum(int((s.get("by_status") or {}).get(status.value, 0)) for s in summaries) for status in Status
    }
    out["counts"] = json.dumps(counts, separators=(",", ":"))
    return out


def totals_summary(out: dict[str, str]) -> str:
    """A closing line for the job summary when several articles were checked (each
    article's own summary is written by ``citewatch run``)."""
    return (
        f"**citewatch: {plural(int(out['articles']), 'article')}, {plural(int(out['citations']), 'citation')}, "
        f"{plural(int(out['confirmed-problems']), 'confirmed problem')}** — exit status {out['exit-status']}.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.action_outputs", description=__doc__.split("\n")[0])
    parser.add_argument("--reports-dir", type=Path, required=True)
    parser.add_argument("--since", type=dt.datetime.fromisoformat, required=True, help="ISO time the run started")
    parser.add_argument("--exit-status", type=int, required=True)
    parser.add_argument("--summary", type=Path, help="job summary file to append totals to (several articles)")
    args = parser.parse_args(argv)
    since = args.since if args.since.tzinfo else args.since.replace(tzinfo=dt.UTC)
    reports = reports_since(args.reports_dir, since)
    if not reports:
        print(f"citewatch: no report written in {args.reports_dir} by this run", file=sys.stderr)
    out = outputs(reports, args.exit_status)
    sys.stdout.write("".join(f"{name}={value}\n" for name, value in out.items()))
    if args.summary and len(reports) > 1:
        with open(args.summary, "a", encoding="utf-8") as f:
            f.write(totals_summary(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
