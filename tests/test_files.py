"""Atomic writes and the history's memory of which files exist."""

import itertools
import os
import stat

import pytest

from pipeline import files
from pipeline.archive.history import History
from pipeline.model import LinkCheck, Status


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_new_files_get_the_usual_permissions(tmp_path, umask_022):
    # a report a CI job publishes must be readable by the web server, not 0600
    files.write_atomic(tmp_path / "reports" / "a.html", "<p>hi</p>")
    assert mode(tmp_path / "reports" / "a.html") == 0o644
    assert (tmp_path / "reports" / "a.html").read_text(encoding="utf-8") == "<p>hi</p>"


def test_a_rewritten_file_keeps_its_permissions(tmp_path, umask_022):
    p = tmp_path / "citations.yaml"
    p.write_text("citations: []\n", encoding="utf-8")
    os.chmod(p, 0o640)  # shared with a group, not with the world
    files.write_atomic(p, "citations:\n  - id: '1'\n", durable=True)
    assert mode(p) == 0o640
    assert p.read_text(encoding="utf-8") == "citations:\n  - id: '1'\n"


def test_a_crashed_writers_leftover_temp_file_is_stepped_over(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_names", itertools.count())
    leftover = tmp_path / f".out.txt.{files._pid:x}-0.tmp"
    leftover.write_text("half a file", encoding="utf-8")
    files.write_atomic(tmp_path / "out.txt", "whole")
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "whole"
    assert leftover.read_text(encoding="utf-8") == "half a file"  # not ours to delete


def test_read_text_decodes_utf8_and_large_files(tmp_path):
    p = tmp_path / "big.txt"
    text = "Zürich 北京 " * 20000  # several read() calls
    p.write_text(text, encoding="utf-8")
    assert files.read_text(p) == text
    with pytest.raises(FileNotFoundError):
        files.read_text(tmp_path / "missing.txt")


def _check(url: str, status: Status = Status.LIVE) -> dict:
    from pipeline.archive.history import check_entry

    return check_entry(LinkCheck(url=url, status=status, reason="r"))


def test_history_sees_what_it_wrote_and_what_was_there(tmp_path):
    old = History(tmp_path)
    old.record("https://example.com/a", _check("https://example.com/a", Status.DEAD))

    history = History(tmp_path)  # a new run
    assert [c["status"] for c in history.checks("https://example.com/a")] == ["dead"]
    assert history.checks("https://example.com/b") == []  # the folder is listed once
    history.record("https://example.com/b", _check("https://example.com/b"))
    history.record("https://example.com/a", _check("https://example.com/a"))
    assert [c["status"] for c in history.checks("https://example.com/a")] == ["dead", "live"]
    assert [c["status"] for c in history.checks("https://example.com/b")] == ["live"]
    assert sorted(History(tmp_path).all_urls()) == ["https://example.com/a", "https://example.com/b"]


def test_a_damaged_history_file_does_not_stop_a_run(tmp_path):
    history = History(tmp_path)
    path = history.path_for("https://example.com/a")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"{\xff not json")
    assert History(tmp_path).checks("https://example.com/a") == []


def test_a_linked_file_is_written_through_the_link(tmp_path):
    real = tmp_path / "shared" / "citations.yaml"
    real.parent.mkdir()
    real.write_text("citations: []\n", encoding="utf-8")
    link = tmp_path / "citations.yaml"
    link.symlink_to(real)
    files.write_atomic(link, "citations:\n  - id: '1'\n", durable=True)
    assert link.is_symlink()  # still a link
    assert real.read_text(encoding="utf-8") == "citations:\n  - id: '1'\n"
