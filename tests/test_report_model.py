"""One typed report for every renderer: a saved run read back renders exactly as the run
did (Markdown, HTML, JUnit, JSON), so `citewatch report` and the run say the same."""

from __future__ import annotations

import datetime as dt

from pipeline.model import (
    Candidate,
    Citation,
    Finding,
    LinkCheck,
    Match,
    PageMeta,
    PartialDate,
    Problem,
    Result,
    Severity,
    Snapshot,
    Status,
    UrlStatus,
)
from pipeline.report import html, junit, markdown
from pipeline.report import json as json_report
from pipeline.report import model as report_model

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def rich_results() -> list[Result]:
    live = Result(
        Citation("1", "Example News", "A story", PartialDate(2021, 12), "https://example.org/a"),
        check=LinkCheck("https://example.org/a", Status.LIVE, "HTTP 200 OK", 200, checked_at=NOW, elapsed_ms=12),
        page=PageMeta(
            title="A story",
            title_source="og:title",
            title_candidates=[Candidate("A story", "og:title")],
            published=dt.date(2021, 12, 3),
        ),
        title_match=Match("match", "A story", "A story", score=1.0),
        date_match=Match("partial", "2021-12", None, detail="month only"),
        verified_against="live page",
        snapshots=[Snapshot("https://example.org/a", "warc/2024.warc.gz#1", NOW, "local")],
    )
    dead = Result(
        Citation("post:2", None, "Gone", None, "https://example.org/b", archive_url="https://web.archive.org/x"),
        check=LinkCheck(
            "https://example.org/b",
            Status.DEAD,
            "HTTP 404 Not Found",
            404,
            checked_at=NOW,
            confirmed=True,
            failing_since=NOW - dt.timedelta(days=9),
            failing_checks=4,
            previous_status=Status.DEAD,
        ),
        archive_note="closest snapshot offered",
    )
    dead.citation.archive_date = dt.date(2020, 1, 2)
    dead.citation.url_status = UrlStatus.DEAD
    unresolved = Result(
        Citation("3", "Other", "No link", candidates=[{"url": "https://c.example/1", "confidence": 0.8}]),
        check=LinkCheck("", Status.SKIPPED, "no URL in the footnote", checked_at=NOW),
    )
    return [live, dead, unresolved]


def rich_report() -> report_model.Report:
    return report_model.build(
        "post",
        rich_results(),
        [Finding("missing-date", "no date", "3", 7), Finding("bad-citation", "x", "post:2", 9, Severity.ERROR)],
        article={"title": "A post"},
        changes=report_model.Changes(previous_run="2024-04-01T00:00:00+00:00", confirmed_dead=["post:2"]),
        exit_status=2,
        notes=["lookup-only"],
        problems=[Problem("post:2", "dead: HTTP 404 Not Found")],
        generated_at=NOW,
    )


def test_a_saved_report_reads_back_into_the_same_typed_report():
    report = rich_report()
    data = json_report.to_dict(report)
    again = json_report.from_dict(data)
    assert json_report.to_dict(again) == data
    assert again.results[1].check.failing_since == report.results[1].check.failing_since
    assert again.results[0].local_copy == "warc/2024.warc.gz#1"
    assert again.summary == report.summary


def test_every_renderer_says_the_same_for_a_run_and_its_saved_copy():
    report = rich_report()
    again = json_report.from_dict(json_report.to_dict(report))
    for render in (markdown.render, html.render, junit.render, json_report.dumps):
        assert render(again) == render(report)


def test_the_summary_counts_statuses_verdicts_and_copies_from_the_results():
    s = rich_report().summary
    assert s.by_status == {Status.DEAD: 1, Status.LIVE: 1, Status.SKIPPED: 1}
    assert (s.citations, s.with_url, s.confirmed_problems, s.archived, s.local_copies) == (3, 2, 1, 1, 1)
    assert s.by_verdict["title"] == {"match": 1} and s.by_verdict["date"] == {"partial": 1}


def test_not_checked_verdicts_are_shown_neutral_without_a_score():
    """ "unverified" and "unconfirmed" are not alarms: muted in HTML, plain in Markdown, and
    no similarity score that reads as a failed comparison; a mismatch keeps its alarm."""
    result = rich_results()[0]
    result.title_match = Match("mismatch", "A story", "Another story", score=0.41)
    result.date_match = Match("unverified", "2021-12", None, detail="no page was read")
    result.publisher_match = Match("unconfirmed", "Example News", "example.org", score=0.33)
    report = report_model.build("post", [result], [], generated_at=NOW)
    page = html.render(report)
    assert '<span class="v v-bad" title="">mismatch 0.41</span>' in page
    assert 'class="v v-neutral" title="no page was read">unverified</span>' in page
    assert 'class="v v-neutral" title="">unconfirmed</span>' in page
    text = markdown.render(report)
    assert "| mismatch (0.41) | *unverified* | *unconfirmed* |" in text
