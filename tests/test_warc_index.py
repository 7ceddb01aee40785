"""archive/warc-index.json read a URL at a time and merged streamed (warc_index.py): the
same file the whole-file rewrite wrote, revisit records across runs, an interrupted merge,
and a damaged index said in one line and rebuilt from the WARC files."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipeline.archive import warc_index
from pipeline.archive.layout import ArchiveLayout
from pipeline.archive.warc import WarcArchive
from pipeline.model import Fetch
from pipeline.run import Job, run

from .servers import html
from .test_archive_layout import citations_for, local_copy_settings


def whole_file_merge(index: dict[str, list[dict]], additions: list[tuple[str, dict]]) -> str:
    """What warc.py wrote before: the index parsed whole, each entry added, encoded whole."""
    for cited, entry in additions:
        entries = index.setdefault(cited, [])
        if not any(e.get("warc") == entry["warc"] and e.get("offset") == entry["offset"] for e in entries):
            entries.append(entry)
            entries.sort(key=lambda e: e.get("timestamp") or "")
        index[cited] = entries[-10:]
    return json.dumps(index, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def entry(url: str, n: int, **extra) -> dict:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=7 * n, seconds=len(url))
    e = {
        "url": url,
        "cited_url": url,
        "warc": f"warc/citewatch-{n:02d}.warc.gz",
        "offset": 100 * n + len(url),
        "timestamp": when.strftime("%Y%m%d%H%M%S"),
        "warc_date": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "digest": "sha1:" + "A" * 32,
        "http_status": 200,
        "truncated": False,
        "bytes": 10,
        "status": "live",
    }
    return e | extra


def random_index(rng: random.Random) -> dict[str, list[dict]]:
    urls = [f"https://news.example/{rng.randrange(10**6)}" for _ in range(40)]
    urls += ['https://ex.example/ünïcode "quoted" \\ path', "https://ex.example/a\u2028b", "https://a.example/"]
    index = {}
    for url in urls:
        weeks = rng.choice([0, 1, 3, 10])
        index[url] = [
            entry(url, n, **({"revisit_of": {"warc": "warc/x", "offset": 1, "timestamp": "1"}} if n % 2 else {}))
            for n in range(weeks)
        ]
    return index


@pytest.mark.parametrize("chunk", [7, 64, 1000, 1 << 20])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_streamed_merge_writes_what_the_whole_file_rewrite_wrote(tmp_path, monkeypatch, chunk, seed):
    """Same bytes as the old parse-add-encode, whatever the read size falls on (a block cut
    by the 1 MB read was once read wrong): kept copies, the 10-copy cut, new URLs before,
    between and after the old ones, a copy added twice, keys with quotes and non-ASCII."""
    monkeypatch.setattr(warc_index, "_CHUNK", chunk)
    rng = random.Random(seed)
    index = random_index(rng)
    path = tmp_path / "warc-index.json"
    path.write_text(json.dumps(index, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    old_urls = sorted(index)
    additions = [(u, entry(u, 11)) for u in rng.sample(old_urls, 15)]
    additions += [(u, entry(u, 11)) for u in ["https://0.example/", "https://news.example/5x", "https://zz.example/"]]
    additions.append((old_urls[3], dict(index[old_urls[3]][-1]) if index[old_urls[3]] else entry(old_urls[3], 12)))
    additions.append((old_urls[4], entry(old_urls[4], 12, truncated=True)))
    by_url: dict[str, list[dict]] = {}
    for url, e in additions:
        by_url.setdefault(url, []).append(e)
    assert warc_index.read_index(path) == index
    for parsed in (False, True):
        path.write_text(json.dumps(index, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        warc_index.merge(path, sorted(by_url.items()), parsed=parsed)
        assert path.read_text(encoding="utf-8") == whole_file_merge(json.loads(json.dumps(index)), additions)


def test_an_empty_or_missing_index_merges_like_the_old_one(tmp_path):
    path = tmp_path / "warc-index.json"
    warc_index.merge(path, [])
    assert path.read_text() == "{}\n"
    warc_index.merge(path, [("http://a/", [entry("http://a/", 1)])])
    assert path.read_text() == whole_file_merge({}, [("http://a/", entry("http://a/", 1))])


def fetch(url: str, body: bytes, day: int) -> Fetch:
    return Fetch(
        url=url,
        final_url=url,
        http_status=200,
        headers={"content-type": "text/html"},
        body=body,
        started_at=dt.datetime(2024, 5, day, 9, 0, tzinfo=dt.UTC),
    )


def one_run(root: Path, run_id: str, day: int, pages: dict[str, bytes]) -> WarcArchive:
    warc = WarcArchive(root, run_id=run_id)
    for url, body in pages.items():
        warc.write(fetch(url, body, day))
    warc.close()
    return warc


def kinds(path: Path) -> dict[str, str]:
    with open(path, "rb") as f:
        return {
            r.rec_headers.get_header("WARC-Target-URI"): r.rec_type
            for r in ArchiveIterator(f)
            if r.rec_type in ("response", "revisit")
        }


PAGES = {f"https://news.example/{n}": f"<html>story {n}</html>".encode() for n in range(6)}


def test_unchanged_pages_get_revisit_records_across_runs(tmp_path):
    """The latest copy is what a revisit points at; a page that went A, B, A is stored again
    (only the latest copy per URL is remembered: the price of a bounded lookup)."""
    first = one_run(tmp_path, "a", 1, PAGES)
    second = one_run(tmp_path, "b", 8, PAGES)
    changed = dict(PAGES) | {"https://news.example/0": b"<html>new</html>"}
    third = one_run(tmp_path, "c", 15, changed)
    back = one_run(tmp_path, "d", 22, PAGES)
    assert set(kinds(first.path).values()) == {"response"}
    assert set(kinds(second.path).values()) == {"revisit"}
    assert kinds(third.path)["https://news.example/0"] == "response"
    assert kinds(back.path)["https://news.example/0"] == "response"  # A, B, A
    assert kinds(back.path)["https://news.example/1"] == "revisit"
    index = json.loads((tmp_path / "warc-index.json").read_text(encoding="utf-8"))
    copies = index["https://news.example/1"]
    assert [e["warc"] for e in copies] == [f"warc/citewatch-{r}.warc.gz" for r in "abcd"]
    assert copies[3]["revisit_of"] == {k: copies[2][k] for k in ("warc", "offset", "timestamp")}


def test_an_interrupted_merge_leaves_the_old_index_whole(tmp_path, monkeypatch):
    one_run(tmp_path, "a", 1, PAGES)
    index = tmp_path / "warc-index.json"
    before = index.read_bytes()
    calls = []

    join = warc_index._join_block

    def stop(key, pieces):
        calls.append(key)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return join(key, pieces)

    monkeypatch.setattr(warc_index, "_join_block", stop)
    warc = WarcArchive(tmp_path, run_id="b")
    for url, body in PAGES.items():
        warc.write(fetch(url, body + b"changed", 8))
    with pytest.raises(KeyboardInterrupt):
        warc.close()
    assert index.read_bytes() == before
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))  # no half-written file left
    monkeypatch.undo()
    one_run(tmp_path, "c", 15, {})  # the next run indexes the copies the stopped one wrote
    index_now = json.loads(index.read_text(encoding="utf-8"))
    for url in PAGES:
        assert [e["warc"] for e in index_now[url]] == ["warc/citewatch-a.warc.gz", "warc/citewatch-b.warc.gz"]


def damage_cut_line(text: str) -> str:
    lines = text.split("\n")
    n = next(i for i, line in enumerate(lines) if '"digest"' in line and i > 20)
    lines[n] = lines[n][:12]
    return "\n".join(lines)


def damage_conflict(text: str) -> str:
    lines = text.split("\n")
    n = next(i for i, line in enumerate(lines) if line.startswith(' "https://news.example/3"'))
    return "\n".join(lines[:n] + ["<<<<<<< HEAD", *lines[n : n + 4], "=======", ">>>>>>> theirs"] + lines[n + 4 :])


def damage_end(text: str) -> str:
    return text[: len(text) * 2 // 3]


def damage_out_of_order(text: str) -> str:
    lines = text.split("\n")
    n = next(i for i, line in enumerate(lines) if line.startswith(' "https://news.example/2"'))
    lines[n] = ' "https://news.example/0": ['
    return "\n".join(lines)


@pytest.mark.parametrize(
    "damage", [damage_cut_line, damage_conflict, damage_end, damage_out_of_order, lambda text: "not json at all\n"]
)
def test_a_damaged_index_is_said_in_one_line_and_rebuilt_from_the_warc_files(tmp_path, damage):
    """Before, any damage read as an empty index: the next run's index kept its own copies
    only, and wrote no revisit records. Now: one problem naming the file (and line), no
    traceback, every copy still indexed, unchanged pages still revisits."""
    one_run(tmp_path, "a", 1, PAGES)
    index = tmp_path / "warc-index.json"
    index.write_text(damage(index.read_text(encoding="utf-8")), encoding="utf-8")
    second = one_run(tmp_path, "b", 8, PAGES)
    assert len(second.problems) == 1 and "\n" not in second.problems[0]
    assert second.problems[0].startswith(str(index)) and ": line " in second.problems[0]
    assert "rebuilt from the WARC files" in second.problems[0]
    assert set(kinds(second.path).values()) == {"revisit"}
    rebuilt = json.loads(index.read_text(encoding="utf-8"))
    assert {url: [e["warc"] for e in rebuilt[url]] for url in PAGES} == {
        url: ["warc/citewatch-a.warc.gz", "warc/citewatch-b.warc.gz"] for url in PAGES
    }
    third = one_run(tmp_path, "c", 15, PAGES)
    assert third.problems == []  # said once: the index written back is whole


def test_a_damaged_list_found_only_by_the_merge_is_rebuilt_too(tmp_path):
    """A run that wrote nothing reads no lookup; its merge (WARC files of a killed run to
    index) finds the damage, says it, and rebuilds."""
    one_run(tmp_path, "a", 1, PAGES)
    index = tmp_path / "warc-index.json"
    text = damage_cut_line(index.read_text(encoding="utf-8"))
    warc = WarcArchive(tmp_path, run_id="b")
    warc.write(fetch("https://news.example/new", b"new", 8))
    warc._file.close()  # killed after its WARC, before its index
    warc._file = None
    index.write_text(text, encoding="utf-8")
    old = (tmp_path / "warc" / "citewatch-b.warc.gz").stat().st_mtime - 60
    os.utime(index, (old, old))
    idle = one_run(tmp_path, "c", 15, {})
    assert len(idle.problems) == 1 and "line " in idle.problems[0]
    rebuilt = json.loads(index.read_text(encoding="utf-8"))
    assert set(rebuilt) == set(PAGES) | {"https://news.example/new"}


def test_an_index_in_another_layout_is_read_whole_and_written_back_in_this_one(tmp_path):
    one_run(tmp_path, "a", 1, PAGES)
    index = tmp_path / "warc-index.json"
    data = json.loads(index.read_text(encoding="utf-8"))
    index.write_text(json.dumps(data), encoding="utf-8")  # one line, as another tool may write it
    second = one_run(tmp_path, "b", 8, PAGES)
    assert second.problems == [] and set(kinds(second.path).values()) == {"revisit"}
    text = index.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def test_a_run_says_a_damaged_index_among_its_notes(tmp_path, site):
    site.routes["/story"] = html("A story", body="same words " * 100)
    citations = tmp_path / "citations.yaml"
    citations.write_text(citations_for([site.url("/story")]), encoding="utf-8")
    settings = local_copy_settings(tmp_path)
    run([Job(citations)], settings)
    layout = ArchiveLayout.at(tmp_path / "archive")
    layout.warc_index.write_text("{\n <<<<<<< HEAD\n", encoding="utf-8")
    outcome = run([Job(citations)], settings)
    said = [n for n in outcome.notes if str(layout.warc_index) in n]
    assert len(said) == 1 and "line 2" in said[0]
    assert len(json.loads(layout.warc_index.read_text(encoding="utf-8"))[site.url("/story")]) == 2
