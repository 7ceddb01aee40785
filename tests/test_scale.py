"""Large archives: reports streamed to disk, write-backs by index, the typo search cached."""

from __future__ import annotations

import datetime as dt
import json

from pipeline import citations as cit
from pipeline.files import write_atomic
from pipeline.model import Citation, Finding, LinkCheck, Result, Severity
from pipeline.report import json as json_report
from pipeline.report import model as report_model
from pipeline.vocab import Status


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
