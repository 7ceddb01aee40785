"""Files and inputs a user (or a hostile commit) gets wrong: a folder that cannot be written,
a full disk, a saved run whose name is a path, YAML nested 10,000 deep, a password in a URL,
and the process's exit. Each ends in one line and the right exit status, or in nothing
at all — never a traceback, an "internal error" with exit 0, or a secret on screen."""

from __future__ import annotations

import errno
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.files import cannot_write, safe_stem, writable_problem

from .conftest import ROOT
from .servers import html


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def citations_for(url: str) -> str:
    return f'citations:\n  - id: "1"\n    publisher: Example\n    title: A page\n    url: {url}\n'


@pytest.fixture
def project(tmp_path, monkeypatch, site):
    site.routes["/page"] = html("A page")
    monkeypatch.chdir(tmp_path)
    Path("citations.yaml").write_text(citations_for(site.url("/page")), encoding="utf-8")
    Path("blocker").write_text("a regular file: nothing can be created under it\n", encoding="utf-8")
    return site


def one_line_exit_1(res, expected: str) -> None:
    assert res.exit_code == 1, res.output
    assert res.stderr.strip().splitlines() == [f"citewatch: {expected}"], res.stderr
    assert "Traceback" not in res.output and "internal error" not in res.output


# ----------------------------------------------------------------------------- unwritable folders
@pytest.mark.parametrize(
    "option, where",
    [("--archive-dir", "blocker/archive/history"), ("--reports-dir", "blocker/reports")],
)
def test_an_unwritable_folder_is_one_line_before_any_request(project, option, where):
    folder = where.rsplit("/history", 1)[0]
    res = cli("run", "--no-wayback", "--allow-private", "--timeout", "2", option, folder)
    one_line_exit_1(res, f"cannot write {where}: not a directory")
    assert project.log == []  # refused before the network work


def test_check_and_report_refuse_an_unwritable_folder_too(project):
    one_line_exit_1(
        cli("check", "--allow-private", "--archive-dir", "blocker/a"), "cannot write blocker/a/history: not a directory"
    )
    one_line_exit_1(cli("report", "--reports-dir", "blocker/r"), "cannot write blocker/r: not a directory")


@pytest.fixture
def read_only_mount(tmp_path):
    target = tmp_path / "ro"
    target.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(target)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here ({mounted.stderr.decode().strip()})")
    yield target
    subprocess.run(["umount", str(target)], check=False)


def test_a_read_only_file_system_is_named(project, read_only_mount):
    res = cli("run", "--no-wayback", "--allow-private", "--archive-dir", str(read_only_mount / "archive"))
    one_line_exit_1(res, f"cannot write {read_only_mount / 'archive' / 'history'}: read-only file system")
    assert project.log == []


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "no space left on device"), (errno.EROFS, "read-only file")])
def test_a_disk_that_fills_during_the_run_is_one_line_not_an_internal_error(project, monkeypatch, code, words):
    import pipeline.archive.history as history

    def full(path, *args, **kw):
        raise OSError(code, errno.errorcode[code] and __import__("os").strerror(code), str(path))

    monkeypatch.setattr(history, "write_atomic", full)  # the folder passed the check; then the disk filled
    res = cli("run", "--no-wayback", "--allow-private", "--timeout", "2", "--retries", "0")
    assert res.exit_code == 1, res.output
    assert "cannot write archive/history/" in res.stderr and words in res.stderr
    assert len(res.stderr.strip().splitlines()) <= 3 and "Traceback" not in res.output
    assert "internal error" not in res.output


def test_a_write_that_fails_midway_names_the_file_it_was_for(tmp_path, monkeypatch):
    """ENOSPC from write() carries no file name: the one-line error still names the file."""
    import os

    from pipeline import files

    def no_space(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "write", no_space)
    target = tmp_path / "reports" / "post.md"
    target.parent.mkdir()
    with pytest.raises(OSError) as caught:
        files.write_atomic(target, "text")
    assert cannot_write(caught.value) == f"cannot write {target}: no space left on device"
    assert list(target.parent.iterdir()) == []  # and no temporary file left behind


def test_cannot_write_names_the_folder_of_a_temporary_file():
    e = OSError(errno.EROFS, "Read-only file system", "reports/.post.md.1f-2.tmp")
    assert cannot_write(e) == "cannot write reports: read-only file system"
    assert writable_problem(Path(__file__)) is not None  # a file is no folder


# ----------------------------------------------------------------------------- report NAME
def test_report_never_writes_outside_the_reports_dir(project, tmp_path):
    assert cli("run", "--no-wayback", "--allow-private", "--timeout", "2").exit_code == 0
    saved = json.loads(Path("archive/runs/citations.json").read_text(encoding="utf-8"))
    saved["name"] = "../../escaped"
    Path("archive/runs/evil.json").write_text(json.dumps(saved), encoding="utf-8")
    res = cli("report", "evil", "--reports-dir", "out/reports")
    assert res.exit_code == 0, res.output
    written = [Path(line) for line in res.stdout.split()]
    assert written and all(p.resolve().parent == (tmp_path / "out" / "reports").resolve() for p in written)
    assert not list(tmp_path.parent.glob("escaped*")) and not list(tmp_path.glob("escaped*"))
    bad = cli("report", "../runs/evil", "--reports-dir", "out/reports")
    assert bad.exit_code == 1 and "no saved run" in bad.stderr


def test_safe_stem_keeps_ordinary_names():
    assert safe_stem("hostage-diplomacy") == "hostage-diplomacy"
    assert safe_stem("Notes from 北京") == "Notes from 北京"
    assert "/" not in safe_stem("../../x") and not safe_stem("../../x").startswith(".")
    assert safe_stem("..") == "report"


# ----------------------------------------------------------------------------- YAML depth
@pytest.mark.parametrize(
    "text, line",
    [
        ('citations:\n  - id: "1"\n    note: ' + "[" * 10_000 + "]" * 10_000 + "\n", 3),
        ('citations:\n  - id: "1"\n    note:\n' + "".join(" " * (6 + 2 * i) + "a:\n" for i in range(10_000)), 65),
    ],
    ids=["flow", "block"],
)
def test_yaml_nested_ten_thousand_deep_is_one_line(tmp_path, monkeypatch, text, line):
    monkeypatch.chdir(tmp_path)
    Path("citations.yaml").write_text(text, encoding="utf-8")
    for command in (["check"], ["run", "--no-wayback"]):
        res = cli(*command)
        one_line_exit_1(res, f"citations.yaml:{line}: nested more than 64 levels deep (a citation needs 4)")


# ----------------------------------------------------------------------------- credentials
def test_a_password_in_a_url_is_never_shown_or_kept(project, tmp_path):
    url = project.url("/page").replace("http://", "http://editor:hunter2@")
    Path("citations.yaml").write_text(citations_for(url), encoding="utf-8")
    res = cli("run", "--no-wayback", "--allow-private", "--timeout", "2", "--junit", "reports/junit.xml")
    assert res.exit_code == 0, res.output
    assert "hunter2" not in res.output
    written = [p for p in Path("archive").rglob("*") if p.is_file()] + list(Path("reports").rglob("*.*"))
    assert written
    for path in written:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)  # the WARC: one gzip member per record
        assert b"hunter2" not in data, path
    assert any(p.name.endswith(".warc.gz") for p in written)
    assert "editor:***@" in Path("reports/citations.md").read_text(encoding="utf-8")
    assert "hunter2" in Path("citations.yaml").read_text(encoding="utf-8")  # the user's own file is theirs
    assert project.hits("/page") >= 1


# ----------------------------------------------------------------------------- exit
def test_a_warm_up_that_comes_after_the_exit_began_is_silent():
    """The check's warm-up thread starts the page-reading pool; when a run is over before
    it gets there, the interpreter is already shutting down and refuses new executors."""
    script = (
        "import threading\n"
        "from pipeline.pagereader import PageReaders\n"
        "r = PageReaders(1)\n"
        "go = threading.Event()\n"
        "threading.Thread(target=lambda: (go.wait(), r.start()), name='citewatch-warm-up', daemon=True).start()\n"
        "threading._shutdown()\n"  # what the interpreter and the console script do on the way out
        "go.set()\n"
        "import time; time.sleep(1)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0
    assert "Exception in thread" not in out.stderr and "Traceback" not in out.stderr, out.stderr
