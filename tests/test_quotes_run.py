"""Does the source still say it? Quote checks and drift through `citewatch run`, end to end:
loopback pages whose text the tests control, and a Wayback stand-in seeded with an older
copy of one of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from pipeline import citations as cit
from pipeline.cli import main

from .conftest import ROOT
from .servers import send
from .test_quotes import article
from .wayback_standin import WaybackStandin

SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))

SAID = "The minister said the plan was a total failure and would be scrapped within a year."
CITED = "Officials said the reform had cut waiting times by half in every region."
TODAY = "Officials said the reform would be reviewed by an independent panel next year."

# id → (path, citing text); each citation's source is one loopback page
CITING = {
    "exact": ("/said", "She called it “a total failure and would be\n    scrapped within a year”, the paper reported."),
    "ellipsis": ("/said", 'The minister said "the plan was a total failure ... within a year".'),
    "close": ("/said", 'He said "the plan was a complete failure and would be scrapped within a year".'),
    "absent": ("/said", 'The minister also said "every official involved will resign before the summer".'),
    "removed": ("/reform", "The agency wrote that “the reform had cut waiting times by half in every region”."),
    "foreign": ("/zh", "The ministry said “students were asked to report on their classmates abroad”."),
    "paid": ("/paid", "The paper revealed that “the company hid its losses for three whole years”."),
    "blocked": ("/blocked", "The site claimed “our product is the safest on the market by far”."),
    "nav": ("/navonly", "The outlet wrote “Minister resigns after a week of protests in the capital”."),
}


def citations_yaml(base: str) -> str:
    rows = []
    for cid, (path, citing) in CITING.items():
        citing_yaml = json.dumps(citing, ensure_ascii=False)  # a JSON string is a YAML string
        rows.append(
            f'  - id: "{cid}"\n    title: A story\n    date: 2021-02-01\n    url: {base}{path}\n'
            f"    citing_text: {citing_yaml}\n"
        )
    return "citations:\n" + "".join(rows)


def chinese_page() -> str:
    body = "".join(f"<p>{'中国警方胁迫留学生充当线人，要求他们报告同学的言行。' * 3}</p>" for _ in range(4))
    return f'<html lang="zh"><head><meta charset="utf-8"><title>线人</title></head><body><article>{body}</article></body></html>'


@pytest.fixture
def world(site, tmp_path, monkeypatch):
    site.routes["/said"] = lambda req: send(req, 200, article([SAID]))
    site.routes["/reform"] = lambda req: send(req, 200, article([TODAY]))
    site.routes["/zh"] = lambda req: send(req, 200, chinese_page())
    teaser = "The company faced questions over its accounts. Subscribe to continue reading."
    site.routes["/paid"] = lambda req: send(
        req, 200, article([teaser], head='<script type="application/ld+json">{"isAccessibleForFree": false}</script>')
    )
    site.routes["/blocked"] = lambda req: send(
        req, 403, "<title>Just a moment...</title><script src='/cdn-cgi/challenge-platform/x'></script>"
    )
    site.routes["/navonly"] = lambda req: send(
        req, 200, article([SAID], nav=["Minister resigns after a week of protests in the capital"])
    )
    wayback = WaybackStandin()
    wayback.add_capture(site.url("/reform"), "20210105120000", body=article([CITED]))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WAYBACK_ACCESS_KEY", raising=False)
    monkeypatch.delenv("WAYBACK_SECRET_KEY", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    (tmp_path / "citations.yaml").write_text(citations_yaml(site.url("").rstrip("/")), encoding="utf-8")
    yield site, wayback, tmp_path
    wayback.stop()


def run(wayback, *extra: str):
    args = ["run", *extra, "--allow-private", "--timeout", "3", "--read-timeout", "2", "--retries", "0"]
    args += ["--wayback-endpoint", wayback.endpoint, "--cdx-per-minute", "6000", "--wayback-poll", "0"]
    return CliRunner().invoke(main, args, catch_exceptions=False)


def report(tmp: Path) -> dict:
    data = json.loads((tmp / "reports" / "citations.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    return data


def quote_of(data: dict, cid: str) -> dict:
    row = next(r for r in data["results"] if r["id"] == cid)
    assert len(row["quotes"]) == 1, row["quotes"]
    return row["quotes"][0]


def replays(wayback, path: str) -> int:
    return sum(1 for _, p, _ in wayback.site.log if "id_/" in p and p.endswith(path))


def test_each_quote_gets_the_verdict_a_fact_checker_expects(world):
    site, wayback, tmp = world
    res = run(wayback)
    assert res.exit_code == 0, res.output
    assert "Quotes — 3 found, 1 close, 2 not-found, 3 unverifiable; since cited — 1 changed." in res.output
    data = report(tmp)
    assert data["schema_version"] == 2
    got = {cid: (quote_of(data, cid)["verdict"], quote_of(data, cid)["where"]) for cid in CITING}
    assert got == {
        "exact": ("found", "live"),
        "ellipsis": ("found", "live"),
        "close": ("close", "live"),
        "absent": ("not-found", None),
        "removed": ("found", "archive"),
        "foreign": ("unverifiable", None),
        "paid": ("unverifiable", None),
        "blocked": ("unverifiable", None),
        "nav": ("not-found", None),
    }
    reasons = {cid: quote_of(data, cid)["reason"] for cid in ("foreign", "paid", "blocked")}
    assert reasons == {"foreign": "other-language", "paid": "paywalled", "blocked": "blocked"}
    close = quote_of(data, "close")
    assert 80 <= close["score"] < 100 and "total failure" in close["excerpt"]
    row = next(r for r in data["results"] if r["id"] == "exact")
    assert row["citing_text"].startswith("She called it “a total failure")


def test_a_quote_removed_since_the_citation_date_marks_the_source_deviated(world):
    site, wayback, tmp = world
    assert run(wayback).exit_code == 0
    data = report(tmp)
    removed = quote_of(data, "removed")
    assert removed["archive_url"] == f"{wayback.endpoint}/web/20210105120000/{site.url('/reform')}"
    row = next(r for r in data["results"] if r["id"] == "removed")
    assert row["drift"]["verdict"] == "changed" and row["drift"]["compared_with"] == removed["archive_url"]
    assert any("cut waiting times by half" in s for s in row["drift"]["removed"])
    assert data["summary"]["by_drift"]["changed"] == 1
    entries = {c.id: c for c in cit.load(tmp / "citations.yaml").citations}
    assert entries["removed"].url_status == "deviated"
    # a quote merely absent (never in the copy from then) is no evidence of deviation
    assert entries["absent"].url_status == "live" and entries["exact"].url_status == "live"
    assert replays(wayback, "/reform") == 1  # the copy from then: read once


def test_the_copy_from_then_is_kept_in_archive_and_not_fetched_again(world):
    site, wayback, tmp = world
    assert run(wayback).exit_code == 0
    kept = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp / "archive" / "cited-copies").rglob("*.json")]
    assert [k["url"] for k in kept if k["text"] and CITED in k["text"]] == [site.url("/reform")]
    # a source with no copy from then is remembered too, and asked again only after a week
    assert {k["url"] for k in kept if not k["text"]} >= {site.url("/said"), site.url("/paid")}
    cdx = len(wayback.calls_of("cdx"))
    assert run(wayback, "--force").exit_code == 0  # every page read again
    assert replays(wayback, "/reform") == 1
    assert quote_of(report(tmp), "removed")["where"] == "archive"
    # the archive stage still looks each page up (for its latest copy), the copies add nothing
    assert len(wayback.calls_of("cdx")) - cdx <= 2 * len({path for path, _ in CITING.values()})


def test_a_page_skipped_as_fresh_keeps_the_last_runs_verdicts(world):
    site, wayback, tmp = world
    assert run(wayback).exit_code == 0
    hits = site.hits("/said")
    assert run(wayback).exit_code == 0  # checked minutes ago: not fetched again
    assert site.hits("/said") == hits
    assert quote_of(report(tmp), "absent")["verdict"] == "not-found"
    assert quote_of(report(tmp), "removed")["where"] == "archive"


def test_no_drift_makes_no_replay_request_and_checks_the_live_page_only(world):
    site, wayback, tmp = world
    res = run(wayback, "--no-drift")
    assert res.exit_code == 0, res.output
    assert wayback.calls_of("replay") == []
    data = report(tmp)
    assert quote_of(data, "removed")["verdict"] == "not-found"
    assert all(r["drift"] is None for r in data["results"])
    assert not (tmp / "archive" / "cited-copies").exists()


def test_fail_on_quote_not_found_exits_2_and_names_the_quote(world):
    site, wayback, tmp = world
    res = run(wayback, "--fail-on", "dead,quote:not-found")
    assert res.exit_code == 2, res.output
    problems = report(tmp)["problems"]
    assert {p["id"] for p in problems} == {"absent", "nav"}
    assert "every official involved will resign" in next(p["what"] for p in problems if p["id"] == "absent")


def test_quotes_are_not_in_the_default_fail_on(world):
    site, wayback, tmp = world
    assert run(wayback).exit_code == 0


def test_fail_on_drift_changed_exits_2(world):
    site, wayback, tmp = world
    res = run(wayback, "--fail-on", "drift:changed")
    assert res.exit_code == 2, res.output
    assert [p["id"] for p in report(tmp)["problems"]] == ["removed"]


def test_page_text_in_the_quote_column_and_the_what_changed_panel_is_escaped(site, wayback, tmp_path, monkeypatch):
    hostile = "Officials wrote <script>alert(1)</script> and [a link](javascript:alert(2)) in the old story."
    site.routes["/story"] = lambda req: send(req, 200, article([TODAY]))
    wayback.add_capture(site.url("/story"), "20210105120000", body=article([hostile.replace("<", "&lt;")]))
    quote = "the page said <b>bold</b> | and [x](javascript:alert(3)) things"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "citations.yaml").write_text(
        f'citations:\n  - id: "1"\n    date: 2021-02-01\n    url: {site.url("/story")}\n'
        f"    citing_text: {json.dumps('It wrote “' + quote + '”.')}\n",
        encoding="utf-8",
    )
    assert run(wayback).exit_code == 0
    page = (tmp_path / "reports" / "citations.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the removed sentence
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page  # the quote
    assert 'href="javascript' not in page
    assert '<details class="drift">' in page and "changed since cited" in page
    md = (tmp_path / "reports" / "citations.md").read_text(encoding="utf-8")
    assert "<script>" not in md and "<b>" not in md and "](javascript" not in md
    row = next(line for line in md.splitlines() if line.startswith("| 1 |"))
    assert row.count(" | ") == 8  # nine columns: a pipe in the quote does not add one


def test_a_saved_run_renders_its_quotes_again_without_the_network(world):
    site, wayback, tmp = world
    assert run(wayback).exit_code == 0
    first = (tmp / "reports" / "citations.md").read_text(encoding="utf-8")
    shutil.rmtree(tmp / "reports")
    site.stop()
    wayback.stop()
    assert CliRunner().invoke(main, ["report"], catch_exceptions=False).exit_code == 0
    again = (tmp / "reports" / "citations.md").read_text(encoding="utf-8")
    assert "## Does the source still say it?" in again and again == first
    assert quote_of(report(tmp), "removed")["where"] == "archive"


def test_a_private_address_is_never_looked_up_or_replayed_at_the_archive(site_factory, wayback, tmp_path, monkeypatch):
    intranet = site_factory("127.0.0.2")  # a private page: refused by the check, kept off the archive
    intranet.routes["/reform"] = lambda req: send(req, 200, article([TODAY]))
    wayback.add_capture(intranet.url("/reform"), "20210105120000", body=article([CITED]))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CITEWATCH_SHARE_PRIVATE", raising=False)
    (tmp_path / "citations.yaml").write_text(
        f'citations:\n  - id: "1"\n    date: 2021-02-01\n    url: {intranet.url("/reform")}\n'
        f"    citing_text: {json.dumps(CITING['removed'][1])}\n",
        encoding="utf-8",
    )
    args = ["run", "--timeout", "3", "--retries", "0", "--allow-host", "127.0.0.1"]  # the archive stand-in only
    res = CliRunner().invoke(main, [*args, "--wayback-endpoint", wayback.endpoint], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert replays(wayback, "/reform") == 0 and intranet.hits("/reform") == 0
    (row,) = report(tmp_path)["results"]
    assert [(q["verdict"], q["reason"]) for q in row["quotes"]] == [("unverifiable", "not-fetched")]


def test_a_dead_page_is_checked_against_its_copy_from_then_and_is_not_called_deviated(world):
    site, wayback, tmp = world
    site.routes["/reform"] = lambda req: send(req, 404, "<title>Not found</title>")
    assert run(wayback).exit_code == 0
    removed = quote_of(report(tmp), "removed")
    assert (removed["verdict"], removed["where"]) == ("found", "archive")
    assert cit.load(tmp / "citations.yaml").citations[4].url_status != "deviated"


def test_reading_a_page_too_slow_to_analyse_stops_at_its_deadline(monkeypatch, tmp_path):
    """A pathological page costs its citation a verdict (unverifiable, too slow), not the run its time."""
    import time

    from pipeline.archive.wayback import WaybackClient, WaybackSettings
    from pipeline.model import Citation, Fetch, LinkCheck, PartialDate, Result, Status
    from pipeline.quotes import pagetext
    from pipeline.quotes.copies import CitedCopies
    from pipeline.quotes.stage import QuoteSettings, SourceTexts, ask

    monkeypatch.setattr(pagetext, "html_main_text", lambda html, url=None: time.sleep(3) or "")
    url = "http://example.org/said"
    cited = Citation("1", url=url, date=PartialDate(2021, 2, 1))
    asked = ask([(cited, None)])
    asked[0].quotes = ["a total failure and would be scrapped within a year"]
    copies = CitedCopies(tmp_path, None, WaybackClient(WaybackSettings()))
    texts = SourceTexts(asked, [url], QuoteSettings(drift=False, deadline=0.3), copies, lambda u: False)
    fetched = Fetch(url=url, http_status=200, headers={"content-type": "text/html"}, body=article([SAID]).encode())
    started = time.monotonic()
    texts.on_fetch(fetched, LinkCheck(url=url, status=Status.LIVE, reason="HTTP 200"))
    results = [Result(cited)]
    texts.finish(results, {})  # waits for the stage's reader, which waits for the page at most its deadline
    assert time.monotonic() - started < 1.5
    assert [(q.verdict.value, q.reason.value) for q in results[0].quotes] == [("unverifiable", "too-slow")]


def test_a_source_cited_from_several_places_has_the_quotes_of_each(tmp_path):
    from pipeline.quotes.stage import ask

    (tmp_path / "citations.yaml").write_text(
        "article:\n  title: A post\n  date: 2021-03-04\ncitations:\n"
        '  - id: "link-1"\n    kind: link\n    url: http://example.org/a\n'
        '    citing_text: "It said “the plan was a total failure”."\n'
        "    places:\n"
        '      - citing_text: "It said “the plan was a total failure”."\n'
        '      - citing_text: "And “it will be scrapped next year”, it added."\n'
        '  - id: "2"\n    date: 2019-05-06\n    access_date: 2020-01-02\n    url: http://example.org/b\n'
        '  - id: "3"\n    date: 2019-05-06\n    url: http://example.org/c\n'
        "    note: BBC, “A story,” 6 May 2019, http://example.org/c. Accessed 3 June 2023.\n",
        encoding="utf-8",
    )
    cf = cit.load(tmp_path / "citations.yaml")
    asked, read, noted = ask([(c, cf) for c in cf.citations])
    assert read.near.isoformat() == "2020-01-02" and read.quotes == []  # the day it was read
    assert noted.near.isoformat() == "2023-06-03"  # as the note's own words say
    assert asked.quotes == ["the plan was a total failure", "it will be scrapped next year"]
    assert asked.near.isoformat() == "2021-03-04"  # no date of its own: the article's


POST = """---
title: A post
date: 2021-02-01
---
# A post

The minister said the plan was “a total failure and would be
scrapped within a year”.[^1] According to [the agency]({base}/reform), “the reform had cut waiting times by half in every region”.

[^1]: Example News, "The plan," {base}/said
"""


def test_an_articles_own_sentences_are_checked_from_extract_to_report(world):
    """The citing text comes from the article itself: a footnote's sentence and a link's."""
    site, wayback, tmp = world
    (tmp / "citations.yaml").unlink()
    (tmp / "post.md").write_text(POST.format(base=site.url("").rstrip("/")), encoding="utf-8")
    res = run(wayback, "post.md")
    assert res.exit_code == 0, res.output
    data = json.loads((tmp / "reports" / "post.json").read_text(encoding="utf-8"))
    by_url = {r["url"]: r for r in data["results"]}
    note, link = by_url[site.url("/said")], by_url[site.url("/reform")]
    assert [(q["text"], q["verdict"], q["where"]) for q in note["quotes"]] == [
        ("a total failure and would be scrapped within a year", "found", "live")
    ]
    assert [(q["verdict"], q["where"]) for q in link["quotes"]] == [("found", "archive")]  # cited by the post's date
    entries = {c.url: c for c in cit.load(tmp / "citations.yaml").citations}
    assert entries[site.url("/reform")].url_status == "deviated"


def test_a_large_page_is_read_within_its_deadline_and_gives_the_same_verdicts():
    """A page of 64 KB or more is read in the check's child process (deadline, memory cap)."""
    import time

    from pipeline.model import Fetch, LinkCheck, Status
    from pipeline.pagereader import needs_child
    from pipeline.quotes.check import check_quote
    from pipeline.quotes.pagetext import live_text, read_text

    url = "http://example.org/long"
    big = article([SAID] + [f"Paragraph {i} of a long report on rural services." for i in range(2000)])
    fetched = Fetch(url=url, http_status=200, headers={"content-type": "text/html"}, body=big.encode())
    assert needs_child(fetched)
    live = live_text(fetched, LinkCheck(url=url, status=Status.LIVE, reason="HTTP 200"), quotes=["a total failure"])
    assert check_quote("a total failure and would be scrapped within a year", live).verdict.value == "found"

    slow = "<html><body>" + "<p>word word word</p>" * 40_000 + "</body></html>"  # 2 MB of paragraphs: seconds
    started = time.monotonic()
    read = read_text(Fetch(url=url, http_status=200, body=slow.encode()), deadline=0.3)
    assert read.reason is not None and read.reason.value == "too-slow"
    assert time.monotonic() - started < 0.3 + 2.0 + 2.0  # the deadline, the kill grace, a busy machine


def test_a_copy_kept_for_the_run_lets_go_of_its_searches_once_its_citations_are_decided(tmp_path):
    """Copies from then stay in memory for the whole run (200,000 at scale): what searching
    them made (their words, several times their size) is let go once their source is decided."""
    import datetime as dt

    from pipeline.archive.wayback import WaybackClient, WaybackSettings
    from pipeline.model import Citation, Fetch, LinkCheck, PartialDate, Result, Status
    from pipeline.quotes.copies import CitedCopies, CitedCopy
    from pipeline.quotes.pagetext import PageText
    from pipeline.quotes.stage import QuoteSettings, SourceTexts, ask

    url = "http://example.org/said"
    copies = CitedCopies(tmp_path, None, WaybackClient(WaybackSettings()))
    then = PageText(f"Officials said {SAID} in a statement.", None, "en", "https://web.archive.org/web/2021/x")
    kept = CitedCopy(url, dt.date(2021, 2, 1), then.url, dt.datetime(2021, 1, 5, tzinfo=dt.UTC), then)
    copies.path_for(url).parent.mkdir(parents=True)
    copies.path_for(url).write_text(json.dumps(kept.to_store()), encoding="utf-8")
    cited = [Citation(str(i), url=url, date=PartialDate(2021, 2, 1), citing_text=f"“{SAID}”") for i in range(2)]
    texts = SourceTexts(ask([(c, None) for c in cited]), [url, url], QuoteSettings(), copies, lambda u: False)
    fetched = Fetch(url=url, http_status=200, headers={"content-type": "text/html"}, body=article(["Gone."]).encode())
    texts.on_fetch(fetched, LinkCheck(url=url, status=Status.LIVE, reason="HTTP 200"))
    results = [Result(c) for c in cited]
    texts.finish(results, {})
    assert [q.where.value for r in results for q in r.quotes] == ["archive", "archive"]
    copy = copies.stored(url, dt.date(2021, 2, 1))
    assert copy.text._words is None and copy.text._found == {}


def _stage_for(tmp_path, n: int, drift: bool = False, readers=None):
    """A stage over ``n`` citations of ``n`` small pages, half quoting what their page says."""
    from pipeline.archive.wayback import WaybackClient, WaybackSettings
    from pipeline.model import Citation, Fetch, LinkCheck, PartialDate, Status
    from pipeline.quotes.copies import CitedCopies
    from pipeline.quotes.stage import QuoteSettings, SourceTexts, ask

    urls = [f"http://example.org/page/{i}" for i in range(n)]
    quote = {
        0: "“a total failure and would be scrapped within a year”",
        1: "“the reform had cut waiting times by half”",
    }
    cited = [
        Citation(str(i), url=u, date=PartialDate(2021, 2, 1), citing_text=f"It said {quote[i % 2]}.")
        for i, u in enumerate(urls)
    ]
    copies = CitedCopies(tmp_path, None, WaybackClient(WaybackSettings()))
    texts = SourceTexts(
        ask([(c, None) for c in cited]), urls, QuoteSettings(drift=drift), copies, lambda u: False, readers
    )
    pages = [
        (
            Fetch(url=u, http_status=200, headers={"content-type": "text/html"}, body=article([SAID]).encode()),
            LinkCheck(url=u, status=Status.LIVE, reason="HTTP 200"),
        )
        for u in urls
    ]
    return texts, cited, pages


def _finished(texts, results, seconds: float = 20.0) -> None:
    """``texts.finish(results, {})``, failing (not hanging) if it does not return in time."""
    import threading

    done = threading.Thread(target=texts.finish, args=(results, {}), daemon=True)
    done.start()
    done.join(seconds)
    assert not done.is_alive(), "finish never returned: a page handed to the reader was lost"


def test_small_pages_are_read_by_the_stages_reader_while_the_check_goes_on(monkeypatch, tmp_path):
    """Pages handed over faster than they are read wait in a bounded queue (the check's
    worker waits for room), none is lost, and a reader that ran out of pages and ended is
    started again by the next one."""
    import threading
    import time

    from pipeline.model import Result
    from pipeline.quotes import stage

    monkeypatch.setattr(stage, "READ_QUEUE", 2)
    monkeypatch.setattr(stage, "READER_IDLE", 0.05)
    texts, cited, pages = _stage_for(tmp_path, 12)

    def handed(batch) -> None:
        """The check's workers handing ``batch`` over, failing (not hanging) if none can."""
        workers = [threading.Thread(target=texts.on_fetch, args=p, daemon=True) for p in batch]
        for w in workers:
            w.start()
        for w in workers:
            w.join(10)
        assert not any(w.is_alive() for w in workers), "a worker waits for room that never comes"

    handed(pages[:8])
    deadline = time.monotonic() + 10
    while any(t.name == "citewatch-quotes" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.02)  # the reader ends once idle
    assert not any(t.name == "citewatch-quotes" for t in threading.enumerate())
    handed(pages[8:])  # a new reader
    results = [Result(c, check) for c, (_, check) in zip(cited, pages, strict=True)]
    _finished(texts, results)
    assert [q.verdict.value for r in results for q in r.quotes] == ["found", "not-found"] * 6


def test_a_fault_while_reading_a_page_costs_its_quotes_a_verdict_not_the_run(monkeypatch, tmp_path):
    """A bug of ours on one page (in the reader thread) leaves that page's quotes unverifiable
    — never not-found — and the reader goes on with the next pages."""
    from pipeline.model import Result
    from pipeline.quotes import decide

    real = decide.live_text

    def faulty(fetch, check, *a, **k):
        if fetch.url.endswith("/page/1") and fetch.body:  # read in the reader thread (not unread, after)
            raise RuntimeError("a page nobody foresaw")
        return real(fetch, check, *a, **k)

    monkeypatch.setattr(decide, "live_text", faulty)
    texts, cited, pages = _stage_for(tmp_path, 4)
    for p in pages:
        texts.on_fetch(*p)
    results = [Result(c, check) for c, (_, check) in zip(cited, pages, strict=True)]
    _finished(texts, results)
    assert [q.verdict.value for r in results for q in r.quotes] == ["found", "unverifiable", "found", "not-found"]


def _keep_copy(tmp_path, url: str, text: str) -> None:
    """The copy of ``url`` from its citation time (2021-02-01), as a first run left it in archive/."""
    import datetime as dt

    from pipeline.archive.wayback import WaybackClient, WaybackSettings
    from pipeline.quotes.copies import CitedCopies, CitedCopy
    from pipeline.quotes.pagetext import PageText

    copies = CitedCopies(tmp_path, None, WaybackClient(WaybackSettings()))
    archived = f"http://wayback.invalid/web/20210105120000/{url}"
    stamp = dt.datetime(2021, 1, 5, 12, tzinfo=dt.UTC)
    copy = CitedCopy(url, dt.date(2021, 2, 1), archived, stamp, PageText(text, None, "en", archived))
    path = copies.path_for(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(copy.to_store()), encoding="utf-8")


def _verdicts_of(results) -> list:
    return [([(q.verdict.value, q.where) for q in r.quotes], r.drift.verdict.value, r.drift.removed) for r in results]


def test_pages_decided_in_the_child_process_get_the_verdicts_read_here_gives(tmp_path):
    """The stage's work runs in the check's page-reading child (off the GIL of the check's
    network threads): small pages in batches from the reader thread, a large one from its
    worker; quotes, drift and what was removed come out as when read in this process."""
    from pipeline.model import Fetch, Result
    from pipeline.pagereader import LARGE_PAGE, PageReaders

    big = article([SAID, *[f"Paragraph {i} of a long story about the budget." for i in range(1500)]])
    assert len(big) >= LARGE_PAGE
    got = {}
    for way, processes in (("here", 0), ("child", 1)):
        readers = PageReaders(processes)
        work = tmp_path / way
        texts, cited, pages = _stage_for(work, 6, drift=True, readers=readers)
        last = pages[-1]
        pages[-1] = (Fetch(url=last[0].url, http_status=200, headers=last[0].headers, body=big.encode()), last[1])
        for i, (fetched, _) in enumerate(pages):
            then = SAID if i % 3 else "The minister praised the plan on Monday. It was a good plan, he said."
            _keep_copy(work, fetched.url, then)
        try:
            for p in pages:
                texts.on_fetch(*p)
            results = [Result(c, check) for c, (_, check) in zip(cited, pages, strict=True)]
            _finished(texts, results)
            assert readers._answered is (way == "child")  # the child did the work, or there was none
        finally:
            readers.close()
        got[way] = _verdicts_of(results)
    assert got["child"] == got["here"]
    quotes, drift, removed = got["child"][0]
    assert quotes == [("found", "live")] and drift == "changed"
    assert removed == ["The minister praised the plan on Monday.", "It was a good plan, he said."]
    assert got["child"][1][:2] == ([("not-found", None)], "unchanged")
    assert got["child"][5][:2] == ([("not-found", None)], "unchanged")  # the large page still says all it did


def test_a_child_stuck_on_a_batch_is_killed_and_its_pages_read_here(tmp_path, monkeypatch):
    """A child that does not answer (stopped where its own timer cannot reach it) holds the
    stage up for a bounded time: it is killed, and the batch's pages are read in this
    process, each under its own deadline — no verdict lost, none wrong."""
    import os
    import signal
    import time

    from pipeline import pagereader
    from pipeline.model import Result
    from pipeline.pagereader import PageReaders
    from pipeline.quotes import stage

    monkeypatch.setattr(stage, "BATCH_DEADLINES", 1)
    monkeypatch.setattr(pagereader, "KILL_GRACE", 0.2)
    readers = PageReaders(1)
    try:
        child = readers.call(os.getpid, (), 5.0)
        assert child != os.getpid()
        texts, cited, pages = _stage_for(tmp_path, 4, readers=readers)
        texts.settings.deadline = 0.5
        os.kill(child, signal.SIGSTOP)
        started = time.monotonic()
        for p in pages:
            texts.on_fetch(*p)
        results = [Result(c, check) for c, (_, check) in zip(cited, pages, strict=True)]
        _finished(texts, results)
        assert time.monotonic() - started < 0.5 + 0.2 + 2.0  # the bound, the grace, a busy machine
        assert [q.verdict.value for r in results for q in r.quotes] == ["found", "not-found"] * 2
    finally:
        readers.close()


def test_in_the_child_a_step_is_stopped_by_a_timer_not_left_running_on_a_thread(monkeypatch):
    """In a page-reading child, an article's extraction past its deadline is interrupted
    (the page is ``too-slow``); no helper thread goes on with it, using the child's CPU."""
    import threading
    import time

    from pipeline import pagereader
    from pipeline.model import Fetch
    from pipeline.quotes import pagetext

    assert threading.current_thread() is threading.main_thread()  # where a child does its work
    finished = []

    def slow(html, url=None):
        until = time.monotonic() + 3
        while time.monotonic() < until:  # Python code, as trafilatura's is: a timer interrupts it
            pass
        finished.append(url)
        return "never"

    def no_helper(job):
        raise AssertionError("a helper thread was asked to read in the child")

    monkeypatch.setattr(pagereader, "_IN_CHILD", True)
    monkeypatch.setattr(pagetext, "html_main_text", slow)
    monkeypatch.setattr(pagetext._HELPERS, "submit", no_helper)
    fetched = Fetch(url="http://example.org/a", http_status=200, body=article([SAID]).encode())
    started = time.monotonic()
    read = pagetext.read_text(fetched, deadline=0.3)
    assert time.monotonic() - started < 1.5
    assert read.reason is not None and read.reason.value == "too-slow"
    assert finished == []


def test_at_the_finish_pages_still_waiting_are_read_here_not_left_to_the_child(tmp_path, monkeypatch):
    """Once the check is over, the pages still waiting for the child are read in this
    process too: the child runs at a lower priority, and on a loaded machine the finish
    would wait for it alone. The batch the child holds is still its own."""
    import os
    import signal

    from pipeline import pagereader
    from pipeline.model import Result
    from pipeline.pagereader import PageReaders
    from pipeline.quotes import decide, stage

    monkeypatch.setattr(stage, "BATCH", 1)
    monkeypatch.setattr(stage, "BATCH_DEADLINES", 1)
    monkeypatch.setattr(pagereader, "KILL_GRACE", 0.2)
    read_here = []
    real = decide.decide

    def counted(url, *args):  # in this process only: the child has its own module
        read_here.append(url)
        return real(url, *args)

    monkeypatch.setattr(decide, "decide", counted)
    readers = PageReaders(1)
    try:
        child = readers.call(os.getpid, (), 5.0)
        texts, cited, pages = _stage_for(tmp_path, 6, readers=readers)
        texts.settings.deadline = 0.5
        os.kill(child, signal.SIGSTOP)  # a child that gets no CPU
        for p in pages:
            texts.on_fetch(*p)
        results = [Result(c, check) for c, (_, check) in zip(cited, pages, strict=True)]
        _finished(texts, results)
    finally:
        readers.close(kill=True)
    assert [q.verdict.value for r in results for q in r.quotes] == ["found", "not-found"] * 3
    assert sorted(read_here) == sorted(f.url for f, _ in pages)  # the one sent (killed, read again) and the rest
