"""``citewatch merge`` a URL (and a result) at a time: the same files as the whole-file
merge it replaced, and a damaged shard index said in one line, the rest merged, nothing lost."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.archive.layout import ArchiveLayout
from pipeline.archive.warc import _stale
from pipeline.cli import main
from pipeline.merge import MergeOutcome, _merge_url_lists, _same, merge_indexes


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _random_index(rng: random.Random, urls: list[str]) -> dict:
    index = {}
    for url in rng.sample(urls, rng.randint(0, len(urls))):
        entries = []
        for _ in range(rng.randint(0, 4)):
            ts = f"2026010{rng.randint(1, 3)}000000"
            entries.append({"warc": f"warc/w{rng.randint(1, 2)}.warc.gz", "offset": rng.randint(0, 2), "timestamp": ts})
        if rng.random() < 0.5:
            entries.sort(key=lambda e: e["timestamp"])  # as a run writes them; sometimes not
        index[url] = entries
    return index


@pytest.mark.parametrize("seed", range(40))
def test_the_streamed_merge_writes_what_the_whole_file_merge_wrote(tmp_path, seed):
    rng = random.Random(seed)
    urls = [f"http://h{i % 3}/é{i}" for i in range(12)]
    ours, theirs = _random_index(rng, urls), _random_index(rng, urls)
    if rng.random() < 0.3:
        theirs = {**ours, **{k: v for k, v in theirs.items() if rng.random() < 0.3}}  # mostly the base
    rename = rng.random() < 0.3

    def rewrite(text: str) -> str:
        return text.replace('"warc/w2.warc.gz', '"warc/w2-1.warc.gz') if rename else text

    for force in (False, True):
        whole, streamed = tmp_path / f"whole-{force}", tmp_path / f"streamed-{force}"
        for folder in (whole, streamed):
            _write(folder / "ours.json", ours)
            _write(folder / "theirs.json", theirs)
        _merge_url_lists(whole / "theirs.json", whole / "ours.json", rewrite, MergeOutcome(), force=force)
        out = MergeOutcome()
        damaged = merge_indexes(
            streamed / "theirs.json", streamed / "ours.json", rewrite if rename else _same, out, force=force
        )
        assert not damaged and not out.problems
        assert (streamed / "ours.json").read_bytes() == (whole / "ours.json").read_bytes()
        assert sorted(p.name for p in streamed.iterdir()) == ["ours.json", "theirs.json"]  # no temporary left


def test_an_unchanged_index_is_not_written_again(tmp_path):
    index = {"http://h/a": [{"warc": "warc/w.warc.gz", "offset": 0, "timestamp": "20260101000000"}]}
    _write(tmp_path / "ours.json", index)
    _write(tmp_path / "theirs.json", index)
    old = time.time() - 100
    os.utime(tmp_path / "ours.json", (old, old))
    merge_indexes(tmp_path / "theirs.json", tmp_path / "ours.json", _same, MergeOutcome())
    assert (tmp_path / "ours.json").stat().st_mtime == old


def test_a_merged_index_keeps_a_urls_last_ten_copies_as_a_run_does(tmp_path):
    # the base had ten weekly copies; the shard's run fetched the URL again and dropped the
    # oldest, as a run keeps ten. A plain union brought the dropped one back: eleven
    def copy(week: int) -> dict:
        return {"warc": f"warc/w{week}.warc.gz", "offset": 0, "timestamp": f"202601{week:02d}000000"}

    url = "http://h/a"
    _write(tmp_path / "ours.json", {url: [copy(w) for w in range(1, 11)]})
    _write(tmp_path / "theirs.json", {url: [copy(w) for w in range(2, 12)]})
    merge_indexes(tmp_path / "theirs.json", tmp_path / "ours.json", _same, MergeOutcome(), keep=10)
    merged = json.loads((tmp_path / "ours.json").read_text(encoding="utf-8"))[url]
    assert [e["timestamp"] for e in merged] == [f"202601{w:02d}000000" for w in range(2, 12)]


def _shard(root: Path, k: int, urls: list[str]) -> Path:
    archive = root / f"shard-{k}"
    warc = f"warc/citewatch-2026010{k}000000-1.warc.gz"
    (archive / "warc").mkdir(parents=True)
    (archive / warc).write_bytes(f"shard {k}".encode())
    index = {u: [{"warc": warc, "offset": n, "timestamp": f"2026010{k}000000"}] for n, u in enumerate(urls)}
    _write(archive / "warc-index.json", index)
    snaps = {u: [{"archive_url": f"https://web.archive.org/web/1/{u}", "timestamp": "2026-01-01"}] for u in urls}
    _write(archive / "snapshots.json", snaps)
    return archive


def test_a_damaged_shard_index_is_one_line_and_the_rest_is_merged(tmp_path, monkeypatch):
    _shard(tmp_path, 1, ["http://a/1", "http://a/2"])
    two = _shard(tmp_path, 2, ["http://b/1", "http://b/2", "http://b/3"])
    index = two / "warc-index.json"
    lines = index.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if '"offset": 1' in line)
    lines[at] = '   "offset": 1\n'  # its comma lost: http://b/2's copies no longer parse
    index.write_text("".join(lines), encoding="utf-8")
    snaps = two / "snapshots.json"
    snaps.write_text(snaps.read_text(encoding="utf-8").replace('"http://b/3": [', '"http://b/3": [[', 1))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["merge", "shard-1", "shard-2"])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    warnings = [line for line in res.output.splitlines() if line.startswith("citewatch: warning:")]
    assert len(warnings) == 2, res.output
    # in the order merged: snapshots.json, then the WARC index; each names the file and line
    assert warnings[0].startswith("citewatch: warning: shard-2/snapshots.json: line 14: not a URL's list of copies")
    assert warnings[0].endswith("; left out of the merge")
    # the line after the lost comma: where a JSON reader finds it missing
    said = f"citewatch: warning: shard-2/warc-index.json: line {at + 2}: the copies of http://b/2 do not parse"
    assert warnings[1].startswith(said), warnings[1]
    assert warnings[1].endswith("left out of the merge, its copies read back from the WARC files")
    merged = json.loads((tmp_path / "archive" / "warc-index.json").read_text(encoding="utf-8"))
    assert sorted(merged) == ["http://a/1", "http://a/2", "http://b/1", "http://b/3"]
    got = json.loads((tmp_path / "archive" / "snapshots.json").read_text(encoding="utf-8"))
    assert sorted(got) == ["http://a/1", "http://a/2", "http://b/1", "http://b/2"]
    # nothing lost: every WARC file is newer than the index, so the next run reads their
    # records back in, http://b/2's copy among them
    layout = ArchiveLayout.at(tmp_path / "archive")
    assert _stale(layout, None) == layout.warc_files() and len(layout.warc_files()) == 2


def test_a_damaged_target_index_keeps_the_rest_and_is_read_back(tmp_path, monkeypatch):
    one = _shard(tmp_path, 1, ["http://a/1"])
    target = tmp_path / "archive"
    _write(target / "warc-index.json", {"http://z/1": [{"warc": "warc/old.warc.gz", "offset": 0, "timestamp": "1"}]})
    (target / "warc").mkdir()
    (target / "warc" / "citewatch-20250101000000-1.warc.gz").write_bytes(b"old")
    text = (target / "warc-index.json").read_text(encoding="utf-8")
    (target / "warc-index.json").write_text(text.replace("}\n", "<<<<<<< HEAD\n}\n", 1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["merge", str(one)])
    assert res.exit_code == 0 and "Traceback" not in res.output
    assert f"{Path('archive') / 'warc-index.json'}: line " in res.output
    merged = json.loads((target / "warc-index.json").read_text(encoding="utf-8"))
    assert "http://a/1" in merged
    layout = ArchiveLayout.at(target)
    assert _stale(layout, None) == layout.warc_files()


def _saved(archive: Path, ids: list[int], when: str, note: str) -> None:
    from pipeline.files import write_atomic
    from pipeline.model import Citation, LinkCheck, Result
    from pipeline.report import json as json_report
    from pipeline.report import model as report_model
    from pipeline.vocab import Status

    results = []
    for i in ids:
        c = Citation(id=str(i), title=f"Story {i} {note}", publisher="News", url=f"http://h{i % 3}/{i}")
        status = Status.DEAD if i % 4 == 0 else Status.LIVE
        results.append(Result(c, check=LinkCheck(c.url, status, "HTTP 404" if i % 4 == 0 else "HTTP 200")))
    report = report_model.build("citations", results, article={"title": "A"}, notes=[note], exit_status=len(ids) % 2)
    report.generated_at = when
    (archive / "runs").mkdir(parents=True, exist_ok=True)
    write_atomic(archive / "runs" / "citations.json", json_report.pieces(report))


def test_saved_runs_merged_a_result_at_a_time_are_the_whole_merge(tmp_path):
    """The merged saved run, read lazily, is byte for byte what merging the whole reports
    wrote; a citation in two shards keeps the newest shard's result."""
    from pipeline.merge import merge_reports, merge_saved_runs, saved_lazily
    from pipeline.report import json as json_report
    from pipeline.run import saved_run

    _saved(tmp_path / "s1", [1, 10, 2, 7], "2026-01-01T00:00:02+00:00", "one")
    _saved(tmp_path / "s2", [3, 10, 11], "2026-01-01T00:00:01+00:00", "two")
    shards = [tmp_path / "s1", tmp_path / "s2"]
    assert merge_saved_runs(tmp_path / "archive", shards) == ["citations"]
    whole = json_report.dumps(merge_reports([saved_run(s, "citations") for s in shards]))
    assert (tmp_path / "archive" / "runs" / "citations.json").read_text(encoding="utf-8") == whole
    merged = saved_lazily(tmp_path / "archive", "citations")
    assert [r.citation.id for r in merged.results] == ["1", "2", "3", "7", "10", "11"]
    assert json_report.dumps(merged) == whole and merged.results[4].citation.title == "Story 10 one"
