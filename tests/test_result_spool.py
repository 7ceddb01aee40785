"""A run's results spooled to disk (result_spool.py): read back equal, put back when
changed, the same files written as with the results held in memory, and no file left
behind, whether the run ends or is interrupted."""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from pipeline import result_spool
from pipeline import run as run_mod
from pipeline.model import (
    Candidate,
    Citation,
    LinkCheck,
    Match,
    PageMeta,
    PartialDate,
    Place,
    Result,
    Snapshot,
    SnapshotKind,
    Verdict,
)
from pipeline.quotes.verdicts import Drift, DriftVerdict, QuoteCheck, QuoteVerdict, Where
from pipeline.result_spool import ResultSpool
from pipeline.vocab import Status

from . import test_run
from .test_run import cli, run_args
from .wayback_standin import WaybackStandin

world = test_run.world  # the fixture: an article whose sources live on loopback, a Wayback stand-in

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def a_result(c: Citation) -> Result:
    return Result(
        citation=c,
        check=LinkCheck(
            c.url or "", Status.LIVE, "HTTP 200 OK", 200, chain=[{"url": "x", "status": 301}], checked_at=NOW
        ),
        page=PageMeta(
            title="Story «1»",
            title_candidates=[Candidate("Story «1»", "og:title"), Candidate("Story «1» | News", "<title>")],
            published=dt.date(2021, 12, 23),
        ),
        title_match=Match(Verdict.MATCH, "Story «1»", "Story «1»", 1.0),
        date_match=Match(Verdict.UNKNOWN, None, "2021-12-23"),
        verified_against="live page",
        snapshots=[Snapshot(c.url or "", "warc/x.warc.gz#offset=1", NOW, SnapshotKind.LOCAL, 200, "local WARC copy")],
        quotes=[QuoteCheck("a quote", QuoteVerdict.FOUND, Where.LIVE, 100.0, "the page's words")],
        drift=Drift(DriftVerdict.UNKNOWN, note="no archived copy from the citation time"),
    )


def test_a_result_read_back_is_equal_and_carries_the_same_citation_object():
    citations = [
        Citation(id=str(i), title="Story", url=f"http://e.com/{i}", date=PartialDate(2021, 5), places=[Place(3)])
        for i in range(3)
    ]
    spool = ResultSpool(citations)
    assert len(spool) == 3 and not spool.has(1)
    with pytest.raises(LookupError):
        spool[1]
    for i, c in enumerate(citations):
        spool[i] = a_result(c)
    assert [spool[i] for i in range(3)] == [a_result(c) for c in citations] == list(spool)
    assert spool[2].citation is citations[2]  # a write-back to the citation is seen by every reader
    r = spool[0]
    assert r is not spool[0]  # a copy: a change counts once put back
    r.archive_note, r.check.reason = "noted", "changed"
    assert spool[0].archive_note is None
    spool[0] = r
    assert (spool[0].archive_note, spool[0].check.reason) == ("noted", "changed")
    other = Citation(id="x", url="http://e.com/x")  # not the run's citation: kept in the record
    spool[1] = a_result(other)
    assert spool[1].citation == other and spool[1].citation is not citations[1]
    view = spool[1:3]
    assert [r.citation.id for r in view] == ["x", "2"] and view.citation(1) is citations[2]
    view[1] = Result(citations[2])
    assert spool[2] == Result(citations[2])
    spool.close()
    assert spool.closed


def spooled_files() -> list[str]:
    """This process's open files that are result spools (anonymous: '… (deleted)' or
    '/tmp/#123 (deleted)' on Linux)."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(tempfile.gettempdir()) and target.endswith("(deleted)"):
            out.append(target)
    return out


@pytest.fixture
def spools(monkeypatch, tmp_path):
    """Every spool a run makes, with the temporary folder one of the test's own."""
    made: list[ResultSpool] = []

    class Recorded(ResultSpool):
        def __init__(self, citations):
            super().__init__(citations)
            made.append(self)

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setattr(run_mod, "ResultSpool", Recorded)
    return made, folder


class Held(list):
    """Results held in memory, as before the spool: the same calls, plain objects."""

    def __init__(self, citations):
        super().__init__([None] * len(citations))
        self._citations = citations

    def has(self, i):
        return self[i] is not None

    def citation(self, i):
        return self._citations[i]

    def close(self):
        pass


def test_a_run_through_the_spool_writes_the_same_files_as_one_holding_its_results(world, monkeypatch):
    """Reports, citations.yaml, the saved run and snapshots.json byte for byte (but the times
    of day), first run and a second one that compares with it, with a Wayback stand-in
    (a dead page verified against its copy), whether the results are spooled or held."""
    site, _, tmp = world
    times = re.compile(
        r'\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(\+00:00|Z)?|\d{14}|\d+(\.\d+)? ?m?s\b|"elapsed_ms": \d+'
        r"|offset=\d+"  # where in the WARC: pages are written in the order they arrive
    )
    copies = {}
    for way in ("spooled", "held"):
        folder = tmp / way
        folder.mkdir()
        shutil.copy(tmp / "post.md", folder / "post.md")
        monkeypatch.chdir(folder)
        if way == "held":
            monkeypatch.setattr(run_mod, "ResultSpool", Held)
        texts = []
        wayback = WaybackStandin()  # each way its own: the first's captures would be the second's snapshots
        page = "<html><head><title>A story that is gone</title></head><body>" + "x " * 300 + "</body></html>"
        wayback.add_capture(site.url("/dead"), "20200420000000", body=page)  # the dead page's copy
        try:
            for _ in range(2):
                res = cli(*run_args(wayback, "post.md", "--citations", "citations.yaml"))
                assert res.exit_code == 0, res.output
                files = [folder / "citations.yaml", *sorted((folder / "reports").iterdir())]
                files += [folder / "archive" / "snapshots.json", *sorted((folder / "archive" / "runs").iterdir())]
                texts.append(
                    {
                        p.relative_to(folder).as_posix(): times.sub(
                            "<t>", p.read_text("utf-8").replace(wayback.endpoint, "<wb>")
                        )
                        for p in files
                    }
                )
        finally:
            wayback.stop()
        copies[way] = texts
    assert "url_status: live" in copies["spooled"][0]["citations.yaml"]
    assert '"archive_url": "<wb>/web/' in copies["spooled"][0]["reports/post.json"]  # links written back
    assert '"verified_against": "<wb>/web/' in copies["spooled"][0]["reports/post.json"]  # a dead page's copy
    assert copies["spooled"] == copies["held"]


def test_the_saved_run_is_the_json_report(world, spools):
    site, wayback, tmp = world
    assert cli(*run_args(wayback, "post.md", "--no-wayback")).exit_code == 0
    saved = tmp / "archive" / "runs" / "post.json"
    assert saved.read_bytes() == (tmp / "reports" / "post.json").read_bytes()


def test_the_spool_leaves_nothing_behind_after_a_run(world, spools):
    made, folder = spools
    site, wayback, tmp = world
    before = spooled_files()
    assert cli(*run_args(wayback, "post.md", "--no-wayback")).exit_code == 0
    assert len(made) == 1 and list(folder.iterdir()) == []  # never a name in the folder
    del made[:]  # the last reference to the run's reports and their spool
    gc.collect()
    assert spooled_files() == before


def test_an_interrupted_run_closes_its_spool_at_once(world, spools, monkeypatch):
    """Ctrl-C during the archive stage: the spool's file is closed (its space given back)
    before the command says it was interrupted, and no name was ever left in the folder."""
    made, folder = spools
    site, wayback, tmp = world

    def interrupted(*args, **kwargs):
        assert made and not made[0].closed and spooled_files()  # the spool is open while the run works
        raise KeyboardInterrupt

    monkeypatch.setattr(run_mod, "archive_results", interrupted)
    before = len(spooled_files())
    res = cli(*run_args(wayback, "post.md", "--no-wayback"))
    assert res.exit_code == 130 and "interrupted" in res.output
    assert len(made) == 1 and made[0].closed
    assert list(folder.iterdir()) == [] and len(spooled_files()) < before + 1
    assert not (tmp / "reports" / "post.json").exists()


def test_the_spool_is_an_anonymous_file_in_the_temporary_folder(spools):
    made, folder = spools
    spool = run_mod.ResultSpool([Citation(id="1")])
    spool[0] = Result(Citation(id="1"))
    assert list(folder.iterdir()) == []
    if Path("/proc/self/fd").is_dir():
        assert any(f.startswith(str(folder)) for f in spooled_files())
    spool.close()
    assert not any(f.startswith(str(folder)) for f in spooled_files())


def test_every_dataclass_of_a_result_is_pickled_by_its_fields():
    """The fast reducers cover what a result is made of (a new dataclass in model.py
    falls back to pickle's own way: correct, only slower)."""
    covered = set(result_spool._REDUCERS)
    for cls in (LinkCheck, PageMeta, Candidate, Match, Snapshot, QuoteCheck, Drift, PartialDate, Status, Verdict):
        assert cls in covered
