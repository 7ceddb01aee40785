"""The HTML report's size and render time at scale, without the 19-minute 200,000-URL run.

    python bench/html_bench.py                       # 20k, 50k, 200k citations, 10% failing
    python bench/html_bench.py --sizes 200000 --failing 0.1 --out /tmp/report.html
    python bench/html_bench.py --news                # news-length headlines and addresses

Builds the report a `run` of scale_bench.py's corpus makes (citations "Story N" by "Bench
News" on 50 loopback hosts; live pages that match their notes, 404s that have failed for
a week, every verdict made by `verify` itself), renders it with `report/html.py`, and
prints the page's size, the render's CPU time, and how the problems are carried: as full
rows, as records the page's script shows on demand, or left to the JSON report.
Nothing is asserted; bench/README.md records the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.model import Citation, LinkCheck, PageMeta, PartialDate, Result  # noqa: E402
from pipeline.report import html as html_report  # noqa: E402
from pipeline.report import model as report_model  # noqa: E402
from pipeline.verify import verify  # noqa: E402
from pipeline.vocab import Status  # noqa: E402

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


HEADLINE = "Minister resigns after inquiry finds tender rules were broken in {i} cases"


def result(i: int, failing: bool, news: bool = False, hosts: int = 50) -> Result:
    """One citation as `run` reports it; ``news``: a news site's headline (~75 characters)
    and address (~120) instead of the corpus's "Story N" at /news/2026/story-N.html."""
    title = HEADLINE.format(i=i) if news else f"Story {i}"
    slug = title.lower().replace(" ", "-") if news else f"story-{i}"
    url = f"http://127.0.0.{2 + i % hosts}:8000/news/2026/11/{slug}.html"
    c = Citation(id=str(i), title=title, publisher="Bench News", url=url, date=PartialDate(2026, 11, 1 + i % 28))
    if failing:
        check = LinkCheck(
            url, Status.DEAD, "HTTP 404 Not Found", http_status=404, checked_at=NOW, elapsed_ms=3,
            failing_since=NOW - dt.timedelta(days=7), failing_checks=2, previous_status=Status.DEAD,
        )  # fmt: skip
        unread = f"no page was read ({check.status}: {check.reason})"
        r = Result(c, check=check)
        r.title_match, r.date_match, r.publisher_match = verify(c, None, url, unread)
        return r
    check = LinkCheck(url, Status.LIVE, "HTTP 200 OK", http_status=200, checked_at=NOW, elapsed_ms=2, bytes_read=1100)
    page = PageMeta(
        title=title, title_source="og:title", published=c.date.as_date(), published_source="meta",
        site_name="Bench News", site_name_source="og:site_name", language="en", language_source="html lang",
    )  # fmt: skip
    r = Result(c, check=check, page=page)
    r.title_match, r.date_match, r.publisher_match = verify(c, page, url)
    return r


def report_of(n: int, failing: float, news: bool = False) -> report_model.Report:
    every = round(1 / failing) if failing else n + 1
    results = [result(i, i % every == every - 1, news) for i in range(n)]
    return report_model.build("bench", results, article={"title": "Bench"}, generated_at=NOW)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20000, 50000, 200000])
    ap.add_argument("--failing", type=float, default=0.1, help="share of citations whose URL fails (corpus: 10%%)")
    ap.add_argument("--news", action="store_true", help="news-length headlines and addresses")
    ap.add_argument("--out", type=Path, help="write the largest page here")
    args = ap.parse_args()
    print("| citations | problems | full rows | records | left to the JSON | HTML MB | bytes / record | render CPU s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        report = report_of(n, args.failing, args.news)
        start = time.process_time()
        page = html_report.render(report)
        cpu = time.process_time() - start
        size = len(page.encode("utf-8"))
        full = page.count('<tr class="row"')
        more = re.search(r'id="more" data-carried="(\d+)"', page)
        carried = int(more[1]) if more else 0
        data = re.search(r'<script type="application/json" id="more-rows">(.*?)</script>', page, re.S)
        per = len(data[1].encode("utf-8")) / carried if data and carried else 0
        problems = sum(1 for r in report.results if r.check.status is not Status.LIVE)
        left = problems - full - carried
        print(
            f"| {n:,} | {problems:,} | {full:,} | {carried:,} | {left:,} | {size / 1e6:.1f} | {per:.0f} | {cpu:.2f} |"
        )
        if args.out and n == max(args.sizes):
            args.out.write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main()
