"""qa2's adversarial findings on this session's work (result spool, WARC index, cached
check, write-back, CLI guards), each a test that failed before its fix."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline.archive.history import ConfirmPolicy, History, annotate, fresh
from pipeline.check import check_run
from pipeline.model import LinkCheck, Status

from .conftest import check_settings
from .servers import html


def _history_file(history: History, url: str, checks: object) -> None:
    path = history.path_for(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url, "checks": checks}, indent=2), encoding="utf-8")


@pytest.mark.parametrize(
    "checks",
    [
        [{"at": "last tuesday", "status": "live", "http_status": 200}],  # a date edited by hand
        [{"at": 12345, "status": "live"}],  # a number
        [{"at": "2026-11-30T10:00:00+00:00", "status": "live"}, "oops"],  # a check that is not one
        {"at": "2026-11-30T10:00:00+00:00"},  # checks that are not a list
        [{"at": "2026-11-30T10:00:00+00:00", "status": "gone-ish"}],  # a status of no vocabulary
        [{"status": "dead"}, {"at": None, "status": "dead"}],
        [{"at": "2026-11-30T10:00:00+00:00", "status": "live", "final_url": 5}],  # TypeError in the report
        [{"at": "2026-11-30T10:00:00+00:00", "status": "live", "http_status": "200"}],
    ],
)
def test_a_history_file_damaged_by_hand_costs_no_run(site, tmp_path, checks):
    """archive/ is committed and merged by people: a history file that is JSON but not the
    tool's (a git merge resolved by hand, an edit) was a traceback that stopped the whole
    run, in the cached path before any worker (AttributeError, ValueError from an 'at' that
    is not a date): the file's bad checks are left out and the URL is checked again."""
    site.routes["/a"] = html("Story A")
    site.routes["/b"] = html("Story B")
    history = History(tmp_path)
    _history_file(history, site.url("/a"), checks)
    ran = check_run([site.url("/a"), site.url("/b")], check_settings(probe=False), History(tmp_path))
    assert ran.outcomes[site.url("/a")].check.status is Status.LIVE
    assert ran.outcomes[site.url("/b")].check.status is Status.LIVE
    assert site.hits("/a") == 1  # not taken as fresh
    again = History(tmp_path).checks(site.url("/a"))
    assert again and again[-1]["status"] == "live"


def test_a_last_check_from_the_future_is_not_fresh():
    """A runner whose clock was a year ahead once (or a clock that went back since): the
    check it wrote is "fresh" for as long as now - then < recheck_after, i.e. for a year,
    and a dead page stayed "live (fresh in the cache)" in every weekly report."""
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    ahead = {"at": "2027-12-01T00:00:00+00:00", "status": "live"}
    assert fresh([ahead], dt.timedelta(days=2), now) is None
    recent = {"at": "2026-11-30T12:00:00+00:00", "status": "live"}
    assert fresh([recent], dt.timedelta(days=2), now) == recent


def test_a_failure_dated_in_the_future_does_not_confirm_early():
    """Three failures in one day, one of them stamped a week ahead by a wrong clock: the
    span counted to the future date and confirmed a failure that had lasted hours."""
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    previous = [
        {"at": "2026-12-08T10:00:00+00:00", "status": "dead"},
        {"at": "2026-12-01T09:00:00+00:00", "status": "dead"},
    ]
    check = LinkCheck(url="https://example.org/x", status=Status.DEAD, reason="HTTP 404", checked_at=now)
    annotate(check, previous, ConfirmPolicy())
    assert check.failing_checks == 3
    assert not check.confirmed


def test_offline_reads_a_history_file_damaged_by_hand(tmp_path):
    """--offline renders from the history alone: a check without a date (or with one that
    is not a date) was a TypeError/ValueError traceback there."""
    from pipeline.offline import stored_outcomes

    history = History(tmp_path)
    url = "https://example.org/a"
    _history_file(history, url, [{"at": "2026-11-30T10:00:00+00:00", "status": "live"}, {"status": "dead"}])
    got = stored_outcomes([url], History(tmp_path), ConfirmPolicy())[url]
    assert got.check.status is Status.LIVE


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporary_files_a_killed_run_left_in_the_archive_are_removed_and_never_committed(tmp_path):
    """A run killed (SIGKILL, a CI job's timeout) while write_atomic wrote left its temporary
    file (.warc-index.json.<pid>-<n>.tmp: as big as the index, 1 GB at 200,000 URLs) in
    archive/ for good, and the weekly job's `git add archive` committed it. The next run,
    holding the lock, removes those of processes that are gone; .gitignore keeps them out."""
    import os

    from pipeline.archive.layout import locked

    archive = tmp_path / "archive"
    (archive / "warc").mkdir(parents=True)
    (archive / "runs").mkdir()
    (archive / ".gitignore").write_text(".lock\n", encoding="utf-8")  # as the release before wrote it
    gone = _dead_pid()
    leftovers = [
        archive / f".warc-index.json.{gone:x}-1f.tmp",
        archive / f".snapshots.json.{gone:x}-0.tmp",
        archive / "runs" / f".post.json.{gone:x}-3.tmp",
    ]
    kept = [
        archive / f".snapshots.json.{1:x}-0.tmp",  # a process that is alive (init): not ours to remove
        archive / "notes.tmp",  # a person's file
        archive / ".draft.tmp",
    ]
    for p in leftovers + kept:
        p.write_text("{", encoding="utf-8")
    with locked(archive, wait=1):
        pass
    assert [p for p in leftovers if p.exists()] == []
    assert all(p.exists() for p in kept)
    ignore = (archive / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".lock" in ignore and ".*.tmp" in ignore
    # a person's own .gitignore is kept as it is
    (archive / ".gitignore").write_text("*.warc.gz\n", encoding="utf-8")
    with locked(archive, wait=1):
        pass
    assert (archive / ".gitignore").read_text(encoding="utf-8") == "*.warc.gz\n"
    assert os.path.exists(archive / ".lock")


def test_sigterm_ends_a_run_as_ctrl_c_does(site, tmp_path):
    """A CI job cancelled or timed out gets SIGTERM: Python's default ended the run at once,
    no finally block ran (temporary files left in archive/ and reports/, no "interrupted"
    line, exit -15). It is now an interruption: finished work kept, exit 130. And at once:
    the requests on the wire are cut, not waited for until their 20 s deadline (a runner
    kills a cancelled job ~10 s after asking), and none of them is recorded as a failure."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from .servers import hang

    site.routes["/fast"] = html("Fast story")
    for n in range(4):
        site.routes[f"/slow{n}"] = hang(site)
    urls = [site.url("/fast")] + [site.url(f"/slow{n}") for n in range(4)]
    (tmp_path / "c.yaml").write_text(
        "citations:\n" + "".join(f"  - id: '{i}'\n    url: {u}\n" for i, u in enumerate(urls, 1)), encoding="utf-8"
    )
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "check", "c.yaml", "--allow-private", "--archive-dir", "a"]
        + ["--timeout", "20", "--read-timeout", "20", "--no-progress"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not list((tmp_path / "a" / "history").glob("*/*.json")):  # the fast URL is done
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() else "slow"
            time.sleep(0.05)
        time.sleep(0.3)  # the slow requests are on the wire
        stderr, took = _terminated(proc)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert took < 10, f"the run waited {took:.1f} s for requests it could cut"
    assert History(tmp_path / "a").all_urls() == [site.url("/fast")]  # finished work kept, cut ones not failed


def test_a_full_temporary_folder_is_named_not_a_file(monkeypatch, tmp_path):
    """The result spool lives in TMPDIR: when it filled (a small tmpfs /tmp on a CI runner,
    ~3 KB a citation), the run ended with "cannot write a file: no space left on device",
    and the user looked at archive/'s disk, which had room."""
    import errno
    import os
    import tempfile

    from pipeline import result_spool
    from pipeline.files import cannot_write
    from pipeline.model import Citation, Result

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    citations = [Citation(id="1", url="http://e.com/1")]
    spool = result_spool.ResultSpool(citations)

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(result_spool.os, "pwrite", full)
    with pytest.raises(OSError) as raised:
        spool[0] = Result(citations[0])
    spool.close()
    line = cannot_write(raised.value)
    assert str(tmp_path) in line and "TMPDIR" in line and "no space left on device" in line


@pytest.mark.parametrize(
    "edit",
    [
        {"timestamp": 20991231000000},  # a number: the merge's sort compared int with str
        {"timestamp": None},  # a revisit's strptime(None)
        {"timestamp": ""},
        {"digest": 5},  # _pack's digest.startswith
        {"warc": None},
        {"warc": "../../../../etc/hostname"},  # a file outside archive/ taken as the earlier copy
        {"url": 7},
    ],
)
def test_a_copy_edited_by_hand_in_the_warc_index_costs_no_run(tmp_path, edit):
    """warc-index.json is committed, so people edit and merge it. A copy whose fields are
    JSON of another type was a TypeError at the end of the run (the merge's sort: no index
    written, no reports, and the same at every run after), or an "internal error" verdict
    for a page that answered (the revisit lookup): such a copy is never the one a revisit
    points at, and the merge keeps going."""
    from .test_warc_index import PAGES, kinds, one_run

    one_run(tmp_path, "a", 1, PAGES)
    path = tmp_path / "warc-index.json"
    index = json.loads(path.read_text(encoding="utf-8"))
    for url in list(index)[:3]:
        index[url][-1].update(edit)
    path.write_text(json.dumps(index, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    second = one_run(tmp_path, "b", 8, PAGES)
    got = kinds(second.path)
    edited = list(index)[:3]
    assert all(got[u] == "response" for u in edited)  # stored again: no earlier copy to trust
    assert all(got[u] == "revisit" for u in PAGES if u not in edited)
    after = json.loads(path.read_text(encoding="utf-8"))
    assert all(after[u][-1]["warc"] == "warc/citewatch-b.warc.gz" for u in PAGES)


@pytest.mark.parametrize("agent", ["Редакция-factcheck/1.0", "测试/1.0", "a\u2028b", "a\x85b"])
def test_a_user_agent_a_header_cannot_carry_is_a_usage_error(tmp_path, monkeypatch, agent):
    """HTTP header values are Latin-1 (http.client encodes them so): a newsroom's name in
    Cyrillic or Chinese in --user-agent made every URL 'error: internal error
    (UnicodeEncodeError)', exit 0 — every source blamed for a setting. C1 controls (U+0085)
    are controls too."""
    from click.testing import CliRunner

    from pipeline.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "citations.yaml").write_text("citations:\n  - id: '1'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--offline", "--user-agent", agent])
    assert result.exit_code in (1, 2) and "--user-agent" in result.output
    # from the config file too
    (tmp_path / "citewatch.toml").write_text(f'user-agent = "{agent}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--offline"])
    assert result.exit_code in (1, 2) and "user-agent" in result.output, result.output


def test_a_latin1_user_agent_is_still_sent(site, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pipeline.cli import main

    seen = []

    def route(req):
        seen.append(req.headers.get("User-Agent"))
        html("Story")(req)

    site.routes["/a"] = route
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(f"citations:\n  - id: '1'\n    url: {site.url('/a')}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "c.yaml", "--allow-private", "--user-agent", "café/1.0"])
    assert result.exit_code == 0, result.output
    assert seen and seen[0].encode("latin-1") == "café/1.0".encode("latin-1")


def test_a_git_conflict_in_a_history_file_keeps_both_sides_checks(tmp_path):
    """Two branches' weekly jobs each added a check to a URL's history; git left conflict
    markers in the file. The file did not parse, so the run took the URL as never checked
    and wrote its history again from scratch: every earlier check lost, a failing streak
    (3 checks over 3 days to confirm) started over. Each check is one line: they are read
    back line by line, both sides kept, in time order, once each; a file cut short keeps
    its whole lines."""
    history = History(tmp_path)
    url = "https://example.org/gone"
    checks = [{"at": f"2026-11-{d:02d}T10:00:00+00:00", "status": "dead", "http_status": 404} for d in (1, 8, 15)]
    history.record(url, checks[0])
    history.record(url, checks[1])
    path = history.path_for(url)
    text = path.read_text(encoding="utf-8")
    ours = json.dumps(checks[2], sort_keys=True)
    theirs = json.dumps({"at": "2026-11-14T09:00:00+00:00", "status": "dead", "http_status": 404}, sort_keys=True)
    last = "    " + json.dumps(checks[1], ensure_ascii=False, sort_keys=True)
    conflicted = text.replace(
        last + "\n", f"{last},\n<<<<<<< HEAD\n    {ours}\n=======\n    {theirs}\n>>>>>>> other-branch\n"
    )
    assert conflicted != text
    path.write_text(conflicted, encoding="utf-8")
    got = History(tmp_path).checks(url)
    assert [c["at"][:10] for c in got] == ["2026-11-01", "2026-11-08", "2026-11-14", "2026-11-15"]
    # cut short in the middle of a line: the whole lines before it are kept
    path.write_text(text[: text.index(last) + len(last) - 5], encoding="utf-8")
    assert [c["at"][:10] for c in History(tmp_path).checks(url)] == ["2026-11-01"]


@pytest.mark.parametrize(
    "text",
    [
        "[]\n",  # valid JSON, not an object: AttributeError 'list' has no 'setdefault'
        '{"https://e.org/a": 5, "https://e.org/b": [null, 3, {"archive_url": "x", "timestamp": null}],'
        ' "https://e.org/c": [{"timestamp": "2020"}]}\n',  # TypeError: 'int' object is not iterable
    ],
)
def test_a_snapshots_file_edited_by_hand_costs_no_run(tmp_path, text):
    """archive/snapshots.json is committed and merged by people: a file of another shape
    ended the archive stage with a traceback (and the run with it, no reports). Entries that
    are not the tool's are left out; the good ones are kept; the file is written back whole
    (the quotes' stage reads it after)."""
    import datetime as dt

    from pipeline.archive.stage import SnapshotIndex
    from pipeline.model import Snapshot, SnapshotKind

    good = {"archive_url": "https://wb/e.org/keep", "timestamp": "2024-01-02T00:00:00+00:00", "url": "https://e.org/k"}
    data = json.loads(text)
    if isinstance(data, dict):
        data["https://e.org/k"] = [good]
    (tmp_path / "snapshots.json").write_text(json.dumps(data), encoding="utf-8")
    index = SnapshotIndex(tmp_path)
    for url in ("https://e.org/a", "https://e.org/b", "https://e.org/c", "https://e.org/k"):
        index.add(
            Snapshot(
                url=url,
                archive_url=f"https://wb/{url}",
                timestamp=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
                kind=SnapshotKind.WAYBACK,
            )
        )
    index.save()
    after = json.loads((tmp_path / "snapshots.json").read_text(encoding="utf-8"))
    assert isinstance(after, dict)
    assert all(isinstance(v, list) and all(isinstance(e, dict) for e in v) for v in after.values())
    assert after["https://e.org/a"][-1]["archive_url"] == "https://wb/https://e.org/a"
    if isinstance(data, dict):
        assert after["https://e.org/k"][0] == good


def test_a_damaged_snapshots_file_is_written_again_even_when_nothing_is_found(tmp_path):
    from pipeline.archive.stage import SnapshotIndex

    (tmp_path / "snapshots.json").write_text("[]\n", encoding="utf-8")
    SnapshotIndex(tmp_path).save()
    assert json.loads((tmp_path / "snapshots.json").read_text(encoding="utf-8")) == {}


@pytest.mark.parametrize(
    "page",
    [
        5,
        {"title": 5},
        {"title": "Story A", "published": "not a date"},
        {"title": "Story A", "title_candidates": [5, {"value": None}]},
    ],
)
def test_a_page_edited_by_hand_in_the_history_costs_no_run(site, tmp_path, page):
    """A fresh URL's stored page (history's "page") of another shape: AttributeError,
    TypeError or ValueError in the cached path, before any worker, and the run ended in a
    traceback. Such a check is not answered from the cache: the URL is fetched again."""
    from pipeline.metadata import page_from_dict

    site.routes["/a"] = html("Story A")
    url = site.url("/a")
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    _history_file(History(tmp_path), url, [{"at": now, "status": "live", "http_status": 200, "page": page}])
    ran = check_run([url], check_settings(probe=False), History(tmp_path))
    assert ran.outcomes[url].check.status is Status.LIVE
    assert ran.outcomes[url].page is not None and ran.outcomes[url].page.title == "Story A"
    assert page_from_dict(page) is None


@pytest.mark.parametrize("snapshots", ['{"https://e.org/a": [null, 5]}', '{"https://e.org/a": 5}'])
def test_merge_of_a_shard_whose_snapshots_file_was_edited_by_hand_costs_no_traceback(tmp_path, snapshots):
    from pipeline.merge import merge_archives

    good = {"archive_url": "https://wb/a", "timestamp": "2024-01-02T00:00:00+00:00", "url": "https://e.org/b"}
    base = tmp_path / "archive"
    base.mkdir()
    (base / "snapshots.json").write_text(json.dumps({"https://e.org/b": [good]}), encoding="utf-8")
    shard = tmp_path / "shard" / "archive"
    shard.mkdir(parents=True)
    (shard / "snapshots.json").write_text(snapshots, encoding="utf-8")
    merge_archives(base, [shard])
    after = json.loads((base / "snapshots.json").read_text(encoding="utf-8"))
    assert after["https://e.org/b"] == [good]
    assert all(isinstance(v, list) and all(isinstance(e, dict) for e in v) for v in after.values())


def _terminated(proc) -> tuple[str, float]:
    """SIGTERM ``proc`` (as a CI runner cancelling a job): its stderr, and the seconds it took to end."""
    import signal
    import time

    proc.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    _, stderr = proc.communicate(timeout=40)
    return stderr, time.monotonic() - asked


def _grandchildren(pid: int) -> list[int]:
    """The processes whose parent's parent is ``pid`` (a pool's page-reading children, under
    its forkserver)."""
    import os

    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    children = {p for p, parent in parents.items() if parent == pid}
    return [p for p, parent in parents.items() if parent in children]


def test_an_interrupted_run_does_not_wait_for_the_batch_a_child_is_reading(site, tmp_path):
    """The quotes stage sends small pages to the page-reading child in batches. On Ctrl-C or
    SIGTERM the run stops at once: the interpreter's exit waited for the batch in hand
    (here a child that never answers, as one reading slowly under load: up to the stuck-batch
    bound, 17 s, past the ~10 s a CI runner gives a cancelled job), which is not wanted."""
    import json as jsonlib
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from .servers import hang, slow

    quoted = jsonlib.dumps("It said “a total failure and would be scrapped within a year”.")
    pages = ["/p0"] + [f"/p{n}" for n in range(1, 6)]
    site.routes["/p0"] = html("First story", body="<p>A total failure and would be scrapped within a year.</p>")
    for path in pages[1:]:
        site.routes[path] = slow(1.0, html("Later story", body="<p>Nothing of the kind.</p>"))
    site.routes["/hang"] = hang(site)
    urls = [site.url(p) for p in [*pages, "/hang"]]
    (tmp_path / "c.yaml").write_text(
        "citations:\n"
        + "".join(
            f"  - id: '{i}'\n    date: 2021-02-01\n    url: {u}\n    citing_text: {quoted}\n"
            for i, u in enumerate(urls)
        )
    )
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "c.yaml", "--allow-private", "--no-wayback", "--no-drift"]
        + ["--timeout", "20", "--read-timeout", "20", "--no-progress", "--per-host", "8"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root), "CITEWATCH_PAGE_PROCESSES": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not (readers := _grandchildren(proc.pid)):  # spawned for the first batch
            assert time.monotonic() < deadline and proc.poll() is None, "no page-reading child started"
            time.sleep(0.02)
        for child in readers:
            os.kill(child, signal.SIGSTOP)  # the later pages' batch goes to a child that does not answer
        time.sleep(2.0)
        stderr, took = _terminated(proc)
    finally:
        proc.kill()
        for child in _grandchildren(proc.pid):
            os.kill(child, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert took < 8, f"the run waited {took:.1f} s for a child's batch"
