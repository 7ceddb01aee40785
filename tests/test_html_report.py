"""A large HTML report: every problem reachable, the file small, hostile text kept as text,
and the rows its script pages in rendered by a real browser."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from pipeline.files import write_atomic
from pipeline.model import Citation, LinkCheck, Match, PageMeta, Result
from pipeline.report import html as html_report
from pipeline.report import json as json_report
from pipeline.report import model as report_model
from pipeline.report.html_large import FULL_LIST, HTML_ROWS, data_block, listing
from pipeline.vocab import Status, Verdict
from tests.browser import Page, chromium

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
HOSTILE = "</script><script>window.pwned=1</script><!-- <img src=x onerror=window.pwned=2> & \u2028 ]]>"
HOSTILE_URL = "javascript:window.pwned=3//</SCRIPT >"


def live(i: int) -> Result:
    url = f"http://news.example/{i}"
    page = PageMeta(title=f"Story {i}", site_name="Example News")
    check = LinkCheck(url, Status.LIVE, "HTTP 200 OK", http_status=200, checked_at=NOW)
    r = Result(Citation(id=str(i), title=f"Story {i}", publisher="Example News", url=url), check=check, page=page)
    r.title_match = Match(Verdict.MATCH, f"Story {i}", f"Story {i}", 1.0)
    return r


def failing(i: int, status: Status = Status.DEAD, confirmed: bool = False, title: str | None = None) -> Result:
    url = f"http://news.example/gone/{i}"
    check = LinkCheck(
        url, status, f"HTTP 404 Not Found ({i})", http_status=404, checked_at=NOW, confirmed=confirmed,
        failing_since=NOW - dt.timedelta(days=9), failing_checks=3,
    )  # fmt: skip
    r = Result(Citation(id=str(i), title=title or f"Story {i}", publisher="Example News", url=url), check=check)
    r.title_match = Match(Verdict.UNVERIFIED, r.citation.title, None, detail="no page was read")
    return r


def large_report(problems: int, quiet: int) -> report_model.Report:
    """``quiet`` live rows and ``problems`` failing ones, interleaved; among the failures a
    few confirmed, a few blocked, one with hostile text and one with a javascript: URL."""
    results = [live(i) for i in range(quiet + problems)]
    step = (quiet + problems) // problems
    for n, i in enumerate(range(0, step * problems, step)):
        results[i] = failing(i, confirmed=n % 97 == 5, status=Status.BLOCKED if n % 31 == 0 else Status.DEAD)
    last = step * (problems - 1)
    results[last] = failing(last, title=HOSTILE)  # the least severe dead row: a record, not a full row
    results[last].check.reason = HOSTILE
    results[last].citation.publisher = HOSTILE
    bad = step * (problems - 2)
    results[bad] = failing(bad)
    results[bad].citation.url = results[bad].check.url = HOSTILE_URL
    return report_model.build("post", results, article={"title": "A post"}, generated_at=NOW)


def data_of(page: str) -> dict:
    blocks = re.findall(r'<script type="application/json" id="more-rows">(.*?)</script>', page, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_a_large_report_lists_its_worst_problems_as_rows_and_carries_the_rest_compactly():
    report = large_report(problems=HTML_ROWS + 400, quiet=FULL_LIST)
    page = html_report.render(report)
    full_rows = re.findall(r'<tr class="row" data-status="(\w+)" data-verdict="\w*" data-i="(\d+)"', page)
    assert len(full_rows) == HTML_ROWS
    data = data_of(page)
    ids = [r[data["columns"].index("id")] for r in data["rows"]]
    assert len(data["rows"]) == 400 and 'data-carried="400"' in page
    # every problem is in the page once, as a row or a record; no quiet row is
    problems = {r.citation.id for r in report.results if r.check.status is not Status.LIVE}
    listed = [i for _, i in full_rows] + ids
    assert sorted(listed) == sorted(problems)
    # most severe first: the confirmed failures, then dead, then blocked
    confirmed = [r.citation.id for r in report.results if r.check.confirmed]
    assert [i for _, i in full_rows[: len(confirmed)]] == confirmed
    statuses = [s for s, _ in full_rows] + [data["strings"][r[data["columns"].index("status")]] for r in data["rows"]]
    assert statuses == sorted(statuses, key=lambda s: Status(s).order)
    # a record is a fraction of a full row
    records = len(json.dumps(data["rows"], ensure_ascii=False).encode())
    assert records / 400 < 300 < (len(page.encode()) - records) / HTML_ROWS
    # without JavaScript: the first rows, and where the rest are
    assert "Open it with JavaScript on to show them, or read them in <code>post.json</code>" in page
    assert re.search(r'<button type="button" id="more-all" hidden>', page)


def test_a_report_of_200000_citations_with_20000_failing_stays_under_10_mb():
    quiet = live(0)  # one object for every quiet row: they are not listed, and the test builds faster
    results = [failing(i) if i % 10 == 9 else quiet for i in range(200_000)]
    page = html_report.render(report_model.build("post", results, generated_at=NOW))
    assert len(page.encode()) < 10_000_000
    assert len(data_of(page)["rows"]) == 20_000 - HTML_ROWS  # every problem carried


def test_long_titles_shorten_the_rows_and_records_and_the_page_stays_under_10_mb():
    long_title = "A headline that goes on " * 100  # 2,400 characters, in every problem
    results = [failing(i, title=f"{i} {long_title}") for i in range(20_000)] + [live(20_000 + i) for i in range(100)]
    page = html_report.render(report_model.build("post", results, generated_at=NOW))
    rows = page.count('<tr class="row"')
    carried = int(re.search(r'data-carried="(\d+)"', page)[1])
    left = int(re.search(r"([\d,]+) more did not fit in this page", page)[1].replace(",", ""))
    assert rows < HTML_ROWS and rows + carried + left == 20_000 and left > 0
    assert len(page.encode()) < 10_000_000


def test_hostile_text_stays_inside_the_data_block_as_text():
    report = large_report(problems=HTML_ROWS + 50, quiet=FULL_LIST)
    report.results[-1].page = PageMeta(title="half a pair: \ud800")  # a page's title, badly decoded
    page = html_report.render(report)
    page.encode("utf-8")  # no lone surrogate reached the page
    assert len(re.findall(r"</script", page, re.I)) == 2  # the data block's and the script's own
    assert "<!--" not in page and "window.pwned" in page
    data = data_of(page)
    columns = data["columns"]
    rows = {r[columns.index("id")]: r for r in data["rows"]}
    hostile = next(r for r in report.results if r.citation.title == HOSTILE)
    record = rows[hostile.citation.id]
    cleaned = HOSTILE.replace("\u2028", " ")
    assert record[columns.index("title")] == cleaned
    assert data["strings"][record[columns.index("reason")]] == cleaned
    bad = next(r for r in report.results if r.citation.url == HOSTILE_URL)
    assert rows[bad.citation.id][columns.index("url")] == [HOSTILE_URL]  # shown, never a link


def test_past_its_budget_the_page_says_which_problems_only_the_json_report_has():
    report = large_report(problems=HTML_ROWS + 400, quiet=FULL_LIST)
    rest = listing(report.results).rows[HTML_ROWS:]
    block = data_block(rest, budget=20_000)
    assert 0 < block.carried < 400 and block.carried + block.left_out == 400
    assert len(block.json.encode()) < 20_000 + 2_000  # the budget, and the block's fixed head
    small = report_model.build("post", [live(i) for i in range(10)] + [failing(10)])
    assert 'id="more-rows"' not in html_report.render(small)  # a small report lists every row


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_rows_a_large_report_pages_in_render_in_headless_chromium(tmp_path):
    """Click "show more": the records become rows like the others, hostile text as text,
    and evidence that opens; then load the JSON report for the quiet rows."""
    report = large_report(problems=HTML_ROWS + 1300, quiet=800)
    (tmp_path / "post.html").write_text(html_report.render(report), encoding="utf-8")
    write_atomic(tmp_path / "post.json", json_report.pieces(report))
    total, quiet, problems = len(report.results), 800, HTML_ROWS + 1300
    shown = "document.getElementById('shown').textContent"
    with Page(tmp_path / "post.html", tmp_path / "profile") as page:
        assert page.js(shown) == f"{HTML_ROWS} of {HTML_ROWS} shown · 1300 more not in the table yet"
        assert page.js("document.getElementById('more-nojs').hidden")
        page.js("document.getElementById('more-next').click()")
        assert page.js(shown) == f"{HTML_ROWS + 1000} of {HTML_ROWS + 1000} shown · 300 more not in the table yet"
        # choosing a status looks at every problem: the records left join the table first
        blocked = sum(r.check.status is Status.BLOCKED for r in report.results)
        choose = (
            "{{ const f = document.getElementById('f-status'); f.value = '{}'; f.dispatchEvent(new Event('change')); }}"
        )
        page.js(choose.format("blocked"))
        assert page.js(shown) == f"{blocked} of {problems} shown"
        assert page.js("document.getElementById('more-next').hidden")
        page.js(choose.format(""))
        hostile = next(r for r in report.results if r.citation.title == HOSTILE)
        row = page.js(
            f"""(() => {{
              const r = [...document.querySelectorAll('#results tr.row')].find(r => r.cells[0].textContent === '{hostile.citation.id}');
              r.click();
              const ev = r.nextElementSibling;
              return {{cited: r.cells[1].textContent, status: r.cells[2].querySelector('.s').className,
                       reason: r.cells[2].querySelector('.reason').textContent, open: !ev.hidden,
                       href: ev.querySelector('a').getAttribute('href'), evidence: ev.textContent,
                       badge: r.cells[4].querySelector('.v').className}};
            }})()"""
        )
        cleaned = HOSTILE.replace("\u2028", " ")
        assert row["cited"] == f"{cleaned} · {cleaned}" and row["reason"] == cleaned
        assert row["status"] == "s s-dead" and row["badge"] == "v v-neutral" and row["open"]
        assert row["href"] == hostile.citation.url and "failing since 2026-11-22 (3 checks)" in row["evidence"]
        assert page.js("typeof window.pwned") == "undefined"
        assert page.js("document.querySelectorAll('a[href^=javascript], script:not([type])').length") == 1  # ours
        assert HOSTILE_URL in page.js("document.body.textContent")
        # the quiet rows, from the JSON report the page names
        page.choose_file("#load-json", tmp_path / "post.json")
        rows = page.js(
            "new Promise(done => { const start = Date.now(), t = setInterval(() => {"
            " const n = document.querySelectorAll('#results tr.row').length;"
            f" if (n === {total} || Date.now() - start > 10000) {{ clearInterval(t); done(n); }}"
            " }, 50); })"
        )
        assert rows == total
        assert page.js("document.getElementById('shown').textContent") == f"{total} of {total} shown"
        assert page.js("document.querySelectorAll('#results tr.row[data-status=live]').length") == quiet
        assert page.errors == []
