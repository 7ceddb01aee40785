"""Large archives: reports streamed to disk, write-backs by index, the typo search cached."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline import citations as cit
from pipeline.files import write_atomic
from pipeline.model import Citation, Finding, LinkCheck, Result, Severity
from pipeline.report import json as json_report
from pipeline.report import model as report_model
from pipeline.vocab import Status
from pipeline.yamlstream import streamed_load


def report_of(n: int, findings: int = 1) -> report_model.Report:
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    results = [
        Result(
            citation=Citation(id=str(i), title=f"Story «{i}»", url=f"http://example.com/{i}"),
            check=LinkCheck(url=f"http://example.com/{i}", status=Status.LIVE, reason="HTTP 200 OK", checked_at=now),
        )
        for i in range(n)
    ]
    found = [
        Finding("marker-without-note", f"note {i} is not there", str(i), i, Severity.WARNING) for i in range(findings)
    ]
    return report_model.build("post", results, found, article={"title": "A post"}, generated_at=now)


def whole(report: report_model.Report) -> str:
    """The JSON as one json.dumps of the whole report (what the streamed text must equal)."""
    return json.dumps(json_report.to_dict(report), ensure_ascii=False, indent=2) + "\n"


def test_the_streamed_json_report_is_the_same_text_as_one_dump(tmp_path):
    for report in (report_of(3), report_of(0, findings=0), report_of(1, findings=0), report_of(0)):
        path = tmp_path / "post.json"
        write_atomic(path, json_report.pieces(report))
        assert path.read_text(encoding="utf-8") == whole(report)
        assert json_report.from_dict(json.loads(path.read_text(encoding="utf-8"))).summary == report.summary


def test_a_report_is_written_result_by_result_not_held_whole():
    report = report_of(2000)
    sizes = [len(p) for p in json_report.pieces(report)]
    assert len(sizes) > 2000 and max(sizes) < 2000  # no piece holds more than one result


def test_write_backs_find_their_entry_after_the_file_changes(tmp_path):
    path = tmp_path / "citations.yaml"
    path.write_text("citations:\n" + "".join(f"  - id: '{i}'\n    url: http://e.com/{i}\n" for i in range(5)))
    cf = cit.load(path)
    assert cf.entry("3")["url"] == "http://e.com/3"
    del cf.entries[1]  # an entry removed (a note deleted from the article)
    assert cf.entry("3")["url"] == "http://e.com/3" and cf.entry("1") is None
    cf.entries.insert(0, {"id": "9", "url": "http://e.com/9"})
    assert cf.entry("9")["url"] == "http://e.com/9" and cf.entry("4")["url"] == "http://e.com/4"


def test_a_large_html_report_lists_every_problem_and_leaves_the_quiet_rows_to_the_json():
    from pipeline.report import html as html_report
    from pipeline.report.html_large import FULL_LIST

    report = report_of(FULL_LIST + 1000, findings=0)
    for r in report.results[::300]:  # a few failures among thousands of live sources
        r.check.status = Status.DEAD
    dead = sum(r.check.status is Status.DEAD for r in report.results)
    page = html_report.render(report_model.build("post", report.results))
    assert page.count('data-status="dead"') == dead
    assert 'data-status="live"' not in page
    assert f"{len(report.results) - dead:,} of {len(report.results):,} citations are not listed" in page
    assert 'id="load-json"' in page and len(page) < 60_000  # 3,000 full rows: ~2 MB
    small = html_report.render(report_of(10, findings=0))
    assert small.count('data-status="live"') == 10 and 'id="load-json"' not in small


YAML_SAMPLES = [
    "citations:\n"
    "  - id: '1'  # a comment\n"
    '    title: "12:30"\n'
    "    date: 2023-10-11\n"
    "    n: 12\n"
    "    f: 1.5\n"
    "    b: yes\n"
    "    t: true\n"
    "    x: ~\n"
    '    u: "Überall «quoted»"\n'
    "    l: [1, a, {k: v}]\n"
    "  - id: 2\n"
    "    url: http://x/y?a=b#c\n"
    "    multi: |\n      two\n      lines\n",
    "a: 1\n",
    "[]\n",
    "",
]


def test_a_large_citations_file_is_read_as_a_stream_of_values_equal_to_yaml_load():
    import tracemalloc

    import yaml

    for text in YAML_SAMPLES:
        assert streamed_load(text, cit.fast_yaml_loader()) == yaml.load(text, Loader=cit.fast_yaml_loader())
    for unusual in ("a: &x 1\nb: *x\n", "a: !!str 1\n", "? [1]\n: 2\n", "<<: {a: 1}\n"):
        try:
            streamed_load(unusual, cit.fast_yaml_loader())
        except Exception:
            continue
        raise AssertionError(f"{unusual!r} should go to the full loaders")
    text = "citations:\n" + "".join(
        f"  - id: '{i}'\n    title: Story {i}\n    url: http://e.com/{i}\n" for i in range(5000)
    )
    peaks = []
    for load in (
        lambda t: streamed_load(t, cit.fast_yaml_loader()),
        lambda t: yaml.load(t, Loader=cit.fast_yaml_loader()),
    ):
        tracemalloc.start()
        value = load(text)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert len(value["citations"]) == 5000
    assert peaks[0] < peaks[1] / 2  # no graph of nodes for the whole file at once


def test_a_large_file_loads_through_the_stream(tmp_path, monkeypatch):
    monkeypatch.setattr(cit, "STREAM_FROM", 10)
    path = tmp_path / "citations.yaml"
    path.write_text(YAML_SAMPLES[0], encoding="utf-8")
    cf = cit.load(path, for_update=False)
    assert [c.id for c in cf.citations] == ["1", "2"] and cf.citations[0].title == "12:30" and cf.read_only


def test_a_saved_run_read_result_by_result_is_the_report_read_whole(tmp_path):
    for report in (report_of(3), report_of(0, findings=0), report_of(1, findings=2)):
        path = tmp_path / "post.json"
        write_atomic(path, json_report.pieces(report))
        whole_read = json_report.from_dict(json.loads(path.read_text(encoding="utf-8")))
        with path.open(encoding="utf-8") as lines:
            assert json_report.read_saved(lines, lambda r: r) == whole_read


def test_a_saved_run_cut_short_is_not_read_as_a_shorter_run(tmp_path):
    path = tmp_path / "post.json"
    write_atomic(path, json_report.pieces(report_of(3)))
    text = path.read_text(encoding="utf-8")
    for cut in (text[: text.index('"id": "2"')], text[: text.rindex('"findings"')]):
        with pytest.raises(ValueError):
            json_report.read_saved(cut.splitlines(keepends=True), lambda r: r)


def test_the_last_run_is_compared_without_holding_it_whole(tmp_path):
    """A run compares with the last one (what changed, verdicts kept for fresh pages): at
    200,000 results the saved run parsed whole was several GB beside this run's results."""
    import tracemalloc

    from pipeline.archive.layout import ArchiveLayout
    from pipeline.run import _previous_run

    saved = ArchiveLayout.at(tmp_path).run_report("post")
    saved.parent.mkdir(parents=True)
    write_atomic(saved, json_report.pieces(report_of(2000)))

    def peak(read) -> int:
        tracemalloc.start()
        try:
            read()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    previous = _previous_run(tmp_path, "post")
    assert [r.check.status for r in previous.results] == [Status.LIVE] * 2000
    assert peak(lambda: _previous_run(tmp_path, "post")) * 2 < peak(
        lambda: json.loads(saved.read_text(encoding="utf-8"))
    )


def test_the_markdown_report_is_written_a_row_at_a_time_and_reads_as_one_render(tmp_path):
    from pipeline.report import markdown as md_report

    report = report_of(2000, findings=3)
    report.notes = ["a note"]
    pieces = list(md_report.pieces(report))
    assert len(pieces) > 2000 and max(len(p) for p in pieces[1:]) < 2000  # no piece holds the table
    path = tmp_path / "post.md"
    write_atomic(path, md_report.pieces(report))
    assert path.read_text(encoding="utf-8") == md_report.render(report) == "".join(pieces)


def test_a_page_and_a_verdict_are_written_field_by_field_with_every_field():
    """to_dict spells the fields out (asdict's deep copy was a third of writing a JSON
    report): a field added to PageMeta or Match must reach the reports too."""
    import dataclasses

    from pipeline.model import Candidate, Match, PageMeta
    from pipeline.vocab import Verdict

    page = PageMeta(**{f.name: f"x{i}" for i, f in enumerate(dataclasses.fields(PageMeta))})
    page.title_candidates = [Candidate("A title", "og:title")]
    page.published, page.updated = dt.date(2024, 1, 2), dt.date(2024, 1, 3)
    assert page.to_dict() == {**dataclasses.asdict(page), "published": "2024-01-02", "updated": "2024-01-03"}
    assert list(page.to_dict()) == [f.name for f in dataclasses.fields(PageMeta)]
    full = Match(Verdict.PARTIAL, "a", "b", 0.5, "why", "c")
    assert full.to_dict() == dataclasses.asdict(full)
    assert Match(Verdict.UNKNOWN, None, None).to_dict() == {"verdict": Verdict.UNKNOWN}
