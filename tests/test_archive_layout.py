"""One archive/ folder, several runs: the lock that keeps them from losing each other's data,
and the WARC index that is rebuilt when a run died before writing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipeline.archive.history import History
from pipeline.archive.layout import ArchiveBusy, ArchiveLayout, locked
from pipeline.archive.stage import ArchiveSettings
from pipeline.run import Job, RunSettings, run

from .conftest import check_settings
from .servers import html
from .wayback_standin import WaybackStandin

ROOT = Path(__file__).resolve().parent.parent


def cli_process(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def citations_for(urls: list[str]) -> str:
    return "citations:\n" + "".join(
        f"  - id: '{i}'\n    title: Story {i}\n    url: {u}\n" for i, u in enumerate(urls, 1)
    )


def test_two_runs_at_once_on_one_archive_lose_nothing(tmp_path, site):
    """Two `citewatch run` started together on one archive/: the second waits for the first,
    so every check is in the history and every capture in snapshots.json."""
    for n in range(40):
        site.routes[f"/story-{n}"] = html(f"Story {n}")
    urls = [site.url(f"/story-{n}") for n in range(40)]
    wayback = WaybackStandin()
    try:
        (tmp_path / "a.yaml").write_text(citations_for(urls[:30]), encoding="utf-8")
        (tmp_path / "b.yaml").write_text(citations_for(urls[10:]), encoding="utf-8")
        common = ["--allow-private", "--force", "--no-probe", "--timeout", "3", "--retries", "0"]
        common += ["--wayback-endpoint", wayback.endpoint, "--cdx-per-minute", "6000"]
        common += ["--captures-per-minute", "6000", "--wayback-poll", "0"]
        keys = {"WAYBACK_ACCESS_KEY": "AK", "WAYBACK_SECRET_KEY": "SK", "CITEWATCH_LOCK_WAIT": "60"}
        procs = [
            cli_process(tmp_path, "run", "--citations", f"{n}.yaml", "--reports-dir", f"reports-{n}", *common, env=keys)
            for n in ("a", "b")
        ]
        outs = [p.communicate(timeout=90) for p in procs]
    finally:
        wayback.stop()
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, out + err
    history = History(tmp_path / "archive")
    checks = {u: len(history.checks(u)) for u in urls}
    assert checks == {u: 2 if 10 <= n < 30 else 1 for n, u in enumerate(urls)}  # no check lost
    index = json.loads(ArchiveLayout.at(tmp_path / "archive").snapshots.read_text(encoding="utf-8"))
    assert set(index) == set(urls)  # every URL's capture is in snapshots.json
    assert sum(len(v) for v in index.values()) == len(wayback.jobs) == 40


def test_a_second_run_waits_a_bounded_time_then_refuses_naming_the_holder(tmp_path, site):
    site.routes["/s"] = html("A story")
    (tmp_path / "citations.yaml").write_text(citations_for([site.url("/s")]), encoding="utf-8")
    with locked(tmp_path / "archive", wait=0, command="citewatch run weekly.md"):
        started = time.monotonic()
        p = cli_process(tmp_path, "check", "--allow-private", env={"CITEWATCH_LOCK_WAIT": "0.5"})
        out, err = p.communicate(timeout=30)
        took = time.monotonic() - started
    assert p.returncode == 1
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"in use by pid {os.getpid()}" in err and "citewatch run weekly.md" in err
    assert 0.5 <= took < 10
    assert site.hits("/s") == 0  # refused before any network work
    assert not (tmp_path / "archive" / "history").exists()


def test_a_killed_holder_does_not_leave_the_archive_locked(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pipeline.archive.layout import locked\n"
            "with locked(sys.argv[1], command='holder'):\n    print('held', flush=True); time.sleep(60)",
            str(tmp_path / "archive"),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ArchiveBusy, match=f"pid {holder.pid} .*: holder"):
            with locked(tmp_path / "archive", wait=0.2):
                pass
    finally:
        holder.kill()  # kill -9: no clean-up runs in the holder
        holder.wait(10)
    with locked(tmp_path / "archive", wait=1):  # the kernel dropped the lock with the process
        pass


def local_copy_settings(tmp_path: Path) -> RunSettings:
    """A run that rechecks every URL and keeps local copies only (no Wayback Machine)."""
    check = check_settings(probe=False)
    check.force = True
    return RunSettings(
        check=check,
        archive=ArchiveSettings(wayback=None),
        archive_dir=tmp_path / "archive",
        reports_dir=tmp_path / "reports",
    )


def local_copy_run(tmp_path: Path, citations: Path):
    report = run([Job(citations)], local_copy_settings(tmp_path)).reports[0].report
    return next(s["archive_url"] for s in report["results"][0]["snapshots"] if s["kind"] == "local")


def record_kinds(path: Path) -> list[str]:
    with open(path, "rb") as f:
        return [r.rec_type for r in ArchiveIterator(f) if r.rec_type in ("response", "revisit")]


@pytest.mark.parametrize("damage", ["missing", "stale"])
def test_the_warc_index_is_rebuilt_when_missing_or_older_than_the_warc_files(tmp_path, site, damage):
    """A run killed before its end leaves WARC records the index never heard of: the next
    run reads them back, so an unchanged page is still stored once and its copy found."""
    site.routes["/story"] = html("An unchanged story", body="same words " * 300)
    p = tmp_path / "citations.yaml"
    p.write_text(citations_for([site.url("/story")]), encoding="utf-8")
    layout = ArchiveLayout.at(tmp_path / "archive")
    first_copy = local_copy_run(tmp_path, p)
    first_warc = layout.root / first_copy.split("#")[0]
    if damage == "missing":
        layout.warc_index.unlink()
    else:  # as a run killed after its WARC, before its index: the index is as before that run
        layout.warc_index.write_text("{}\n", encoding="utf-8")
        layout.warc_indexed.write_text("{}\n", encoding="utf-8")
    time.sleep(0.01)
    second_copy = local_copy_run(tmp_path, p)
    assert second_copy == first_copy  # the report points at the copy the first run stored
    second_warc = next(w for w in layout.warc_files() if w != first_warc)
    assert record_kinds(second_warc) == ["revisit"]  # not stored twice
    index = json.loads(layout.warc_index.read_text(encoding="utf-8"))
    assert [e["warc"] for e in index[site.url("/story")]] == [
        str(first_warc.relative_to(layout.root)),
        str(second_warc.relative_to(layout.root)),
    ]


def test_a_warc_cut_short_by_a_kill_is_indexed_up_to_its_last_whole_record(tmp_path, site):
    from pipeline.archive.warc import load_index

    for n in range(3):
        site.routes[f"/s{n}"] = html(f"Story {n}", body=f"words {n} " * 400)
    p = tmp_path / "citations.yaml"
    p.write_text(citations_for([site.url(f"/s{n}") for n in range(3)]), encoding="utf-8")
    local_copy_run(tmp_path, p)
    layout = ArchiveLayout.at(tmp_path / "archive")
    (warc,) = layout.warc_files()
    last = max(e[-1]["offset"] for e in json.loads(layout.warc_index.read_text(encoding="utf-8")).values())
    layout.warc_index.unlink()
    warc.write_bytes(warc.read_bytes()[: last + 100])  # killed while writing the last response
    index = load_index(layout.root)
    assert len(index) == 2 and all(e[0]["warc"] == str(warc.relative_to(layout.root)) for e in index.values())


def test_the_lock_file_stays_out_of_a_commit_of_archive(tmp_path):
    """Scheduled jobs `git add archive/`: the lock a run leaves behind is ignored by git."""
    import subprocess

    from pipeline.archive.layout import locked

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with locked(tmp_path / "archive", 1):
        pass
    (tmp_path / "archive" / "history.txt").write_text("x\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "archive"], check=True)
    added = subprocess.run(
        ["git", "-C", str(tmp_path), "diff", "--cached", "--name-only"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "archive/.lock" not in added and "archive/history.txt" in added


def test_snapshots_json_is_written_on_a_clock_not_once_per_snapshot(tmp_path, monkeypatch):
    """Rewriting the whole index after each of 200,000 snapshots made the stage quadratic;
    what was found is still all there once the stage ends."""
    import datetime as dt

    from pipeline.archive import stage
    from pipeline.model import Snapshot

    writes = []
    real = stage.write_atomic
    monkeypatch.setattr(stage, "write_atomic", lambda path, text, **kw: (writes.append(path), real(path, text, **kw)))
    index = stage.SnapshotIndex(tmp_path)
    when = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    for i in range(500):
        url = f"https://example.org/{i}"
        index.add(Snapshot(url, f"https://web.archive.org/web/20240102000000/{url}", when, "wayback", 200))
    index.save()
    assert len(writes) <= 3
    saved = json.loads(ArchiveLayout.at(tmp_path).snapshots.read_text(encoding="utf-8"))
    assert len(saved) == 500 and saved == index.data


def test_a_fresh_clone_does_not_read_every_warc_file_back(tmp_path, site, monkeypatch):
    """git checks warc-index.json out before warc/ (path order), so on a fresh clone (every
    scheduled CI run) every WARC file is newer than the index: judged by times, each run
    read them all back, minutes at 200,000 URLs. The index says which files it covers.
    An archive from before that list is judged by the times once, then has one."""
    from pipeline.archive import warc

    site.routes["/story"] = html("An unchanged story", body="same words " * 300)
    p = tmp_path / "citations.yaml"
    p.write_text(citations_for([site.url("/story")]), encoding="utf-8")
    layout = ArchiveLayout.at(tmp_path / "archive")
    local_copy_run(tmp_path, p)
    read_back = []
    real = warc.read_entries
    monkeypatch.setattr(warc, "read_entries", lambda path, root: (read_back.append(path.name), real(path, root))[1])

    def clone_times():  # as checked out: the index first, then each WARC file a little later
        now = time.time()
        os.utime(layout.warc_index, (now - 5, now - 5))
        for w in layout.warc_files():
            os.utime(w, (now, now))

    clone_times()
    local_copy_run(tmp_path, p)
    assert read_back == []
    layout.warc_indexed.unlink()  # an archive from before the list: the times decide, once
    clone_times()
    local_copy_run(tmp_path, p)
    assert len(read_back) == len(layout.warc_files()) - 1  # all but that run's own
    read_back.clear()
    clone_times()
    local_copy_run(tmp_path, p)
    assert read_back == []
