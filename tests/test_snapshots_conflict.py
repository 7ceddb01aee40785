"""archive/snapshots.json after two branches' scheduled jobs both committed it: git's
conflict markers in the file must not cost the snapshots either branch found."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

from pipeline.archive import conflicted, stage
from pipeline.archive.layout import ArchiveLayout
from pipeline.model import Snapshot


def _entry(url: str, day: int) -> dict:
    return {
        "url": url,
        "archive_url": f"https://web.archive.org/web/202401{day:02d}000000/{url}",
        "timestamp": f"2024-01-{day:02d}T00:00:00+00:00",
        "kind": "wayback",
        "http_status": 200,
    }


def _wayback_copy(url: str) -> Snapshot:
    return Snapshot(
        url, f"https://web.archive.org/web/20240105000000/{url}", dt.datetime(2024, 1, 5, tzinfo=dt.UTC), "wayback", 200
    )


def _git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)


def _conflicted_snapshots(repo, diff3: bool = False):
    """A real merge conflict: main and a branch each add a snapshot to the same file."""
    path = ArchiveLayout.at(repo / "archive").snapshots
    path.parent.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "ci@example.org")
    _git(repo, "config", "user.name", "ci")
    if diff3:
        _git(repo, "config", "merge.conflictStyle", "diff3")
    shared = "https://example.org/shared"

    def write(extra: list[tuple[str, int]]) -> None:
        data = {shared: [_entry(shared, 1)]} | {u: [_entry(u, d)] for u, d in extra}
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    write([])
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "first run")
    _git(repo, "checkout", "-qb", "other")
    write([("https://example.org/x-theirs", 3)])
    _git(repo, "commit", "-qam", "other branch's weekly run")
    _git(repo, "checkout", "-q", "main")
    write([("https://example.org/x-ours", 2)])
    _git(repo, "commit", "-qam", "main's weekly run")
    merged = _git(repo, "merge", "other")
    assert merged.returncode != 0 and "<<<<<<<" in path.read_text(encoding="utf-8")
    return path


def test_a_git_conflicted_snapshots_file_keeps_both_branches_snapshots(tmp_path):
    path = _conflicted_snapshots(tmp_path)
    index = stage.SnapshotIndex(tmp_path / "archive")
    new = "https://example.org/new"
    index.add(_wayback_copy(new))
    index.save()
    saved = json.loads(path.read_text(encoding="utf-8"))  # parses: the markers are gone
    assert set(saved) == {
        "https://example.org/shared",
        "https://example.org/x-ours",
        "https://example.org/x-theirs",
        new,
    }
    assert len(saved["https://example.org/shared"]) == 1  # on both sides, kept once
    assert "conflict" in index.problem and str(path) in index.problem


def test_a_diff3_conflict_leaves_the_common_ancestor_out(tmp_path):
    path = _conflicted_snapshots(tmp_path, diff3=True)
    assert "|||||||" in path.read_text(encoding="utf-8")
    index = stage.SnapshotIndex(tmp_path / "archive")
    assert set(index.data) == {
        "https://example.org/shared",
        "https://example.org/x-ours",
        "https://example.org/x-theirs",
    }
    index.save()
    assert set(json.loads(path.read_text(encoding="utf-8"))) == set(index.data)


def test_a_snapshots_file_that_is_not_json_is_set_aside_not_overwritten(tmp_path):
    path = ArchiveLayout.at(tmp_path).snapshots
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"https://example.org/a": [{"archive_url": "x", "timesta', encoding="utf-8")
    index = stage.SnapshotIndex(tmp_path)
    kept = list(path.parent.glob("snapshots.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8").startswith('{"https://example.org/a"')
    assert kept[0].name in index.problem and index.data == {}


def test_sides_of_a_text_without_a_whole_conflict():
    assert conflicted.sides('{"a": 1}\n') is None
    assert conflicted.sides("<<<<<<< HEAD\n{}\n=======\n") is None  # left open: not git's shape
    assert conflicted.sides("x\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> other\ny\n") == ("x\na\ny\n", "x\nb\ny\n")


def test_a_snapshots_file_that_is_not_utf8_is_set_aside_not_overwritten(tmp_path):
    path = ArchiveLayout.at(tmp_path).snapshots
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes('{"https://a.example/café": []}'.encode("latin-1"))
    index = stage.SnapshotIndex(tmp_path)
    new = "https://b.example/"
    index.add(_wayback_copy(new))
    index.save()
    kept = list(path.parent.glob("snapshots.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b'{"https://a.example/caf\xe9"')
    assert index.problem and kept[0].name in index.problem
