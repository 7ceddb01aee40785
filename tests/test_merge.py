"""Sharding a run across a CI job matrix (--shard K/N) and putting it back together
(citewatch merge): the merged archive and report say what one unsharded run says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.shard import parse_shard, shard_of, site_of

from .servers import Site, html, redirect
from .wayback_standin import WaybackStandin


def _two_sites_per_shard() -> list[str]:
    """Loopback addresses, two whose site hashes to each of 4 shards: every shard has work."""
    hosts: list[str] = []
    for i in range(2, 60):
        if (
            sum(shard_of(f"http://127.0.0.{j}/", 4) == shard_of(f"http://127.0.0.{i}/", 4) for j in map(_last, hosts))
            < 2
        ):
            hosts.append(f"127.0.0.{i}")
    return hosts[:8]


def _last(host: str) -> int:
    return int(host.rsplit(".", 1)[1])


HOSTS = _two_sites_per_shard()


@pytest.fixture
def sites():
    started = [Site(h) for h in HOSTS]
    for s in started:
        s.routes["/live"] = html("A live story")
        s.routes["/gone"] = html("gone", status=404)
        s.routes["/moved"] = redirect("/new-home", 301)
        s.routes["/new-home"] = html("A moved story")
    wayback = WaybackStandin()
    yield started, wayback
    wayback.stop()
    for s in started:
        s.stop()


def citations_yaml(sites: list[Site]) -> str:
    lines, n = ["citations:"], 0
    for s in sites:
        for path, title in (("/live", "A live story"), ("/gone", "A gone story"), ("/moved", "A moved story")):
            n += 1
            lines += [f"  - id: '{n}'", "    publisher: Example News", f"    title: {title}", f"    url: {s.url(path)}"]
    n += 1
    lines += [f"  - id: '{n}'", "    publisher: Example News", "    title: A note without an address"]
    return "\n".join(lines) + "\n"


def run_in(folder: Path, wayback: WaybackStandin, monkeypatch, *extra: str):
    monkeypatch.chdir(folder)
    args = ["run", "--citations", "citations.yaml", "--allow-private", "--timeout", "3", "--read-timeout", "2"]
    args += ["--retries", "0", "--wayback-endpoint", wayback.endpoint, "--cdx-per-minute", "6000"]
    args += ["--captures-per-minute", "6000", "--wayback-poll", "0.05", "--no-probe", *extra]
    return CliRunner().invoke(main, args, catch_exceptions=False)


def statuses(report: Path) -> dict[str, str]:
    return {r["id"]: r["status"] for r in json.loads(report.read_text(encoding="utf-8"))["results"]}


def history(archive: Path) -> dict[str, list[tuple]]:
    """Per URL, what each check saw (its time aside: the runs differ by seconds)."""
    out = {}
    for path in (archive / "history").glob("*/*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[data["url"]] = [
            (c["status"], c.get("http_status"), c.get("final_url"), c.get("reason")) for c in data["checks"]
        ]
    return out


def test_four_shards_merged_say_what_one_run_says(sites, tmp_path, monkeypatch):
    started, wayback = sites
    monkeypatch.setenv("WAYBACK_ACCESS_KEY", "AK")
    monkeypatch.setenv("WAYBACK_SECRET_KEY", "SK")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    text = citations_yaml(started)
    assert {shard_of(s.url("/live"), 4) for s in started} == {1, 2, 3, 4}  # every shard has work
    for name in ("whole", "merged", "shard-1", "shard-2", "shard-3", "shard-4"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "citations.yaml").write_text(text, encoding="utf-8")

    assert run_in(tmp_path / "whole", wayback, monkeypatch).exit_code == 0
    hits_after_whole = sum(s.hits("/live") for s in started)
    for k in range(1, 5):
        res = run_in(tmp_path / f"shard-{k}", wayback, monkeypatch, "--shard", f"{k}/4")
        assert res.exit_code == 0, res.output
    # each URL was fetched by exactly one shard: a site is never split
    assert sum(s.hits("/live") for s in started) == 2 * hits_after_whole
    shard_ids = [set(statuses(tmp_path / f"shard-{k}" / "reports" / "citations.json")) for k in range(1, 5)]
    assert sum(len(ids) for ids in shard_ids) == 25 and set.union(*shard_ids) == {str(i) for i in range(1, 26)}

    monkeypatch.chdir(tmp_path / "merged")
    res = CliRunner().invoke(main, ["merge", *(f"../shard-{k}" for k in range(1, 5))], catch_exceptions=False)
    assert res.exit_code == 0, res.output

    whole, merged = tmp_path / "whole", tmp_path / "merged"
    assert statuses(merged / "reports" / "citations.json") == statuses(whole / "reports" / "citations.json")
    assert history(merged / "archive") == history(whole / "archive")
    report = json.loads((merged / "reports" / "citations.json").read_text(encoding="utf-8"))
    assert (
        report["summary"] == json.loads((whole / "reports" / "citations.json").read_text(encoding="utf-8"))["summary"]
    )
    assert "A moved story" in (merged / "reports" / "citations.html").read_text(encoding="utf-8")
    # every local copy is indexed and its WARC file is there
    index = json.loads((merged / "archive" / "warc-index.json").read_text(encoding="utf-8"))
    assert set(index) == set(json.loads((whole / "archive" / "warc-index.json").read_text(encoding="utf-8")))
    assert all((merged / "archive" / e["warc"]).is_file() for entries in index.values() for e in entries)
    assert len(list((merged / "archive" / "warc").glob("*.warc.gz"))) == 4
    # and the index says it covers them: a fresh clone of the merged archive reads none back
    covered = json.loads((merged / "archive" / "warc-indexed.json").read_text(encoding="utf-8"))
    assert covered == {w.name: w.stat().st_size for w in (merged / "archive" / "warc").glob("*.warc.gz")}
    # the archive links the shards wrote into their citations.yaml are in ours
    written = (merged / "citations.yaml").read_text(encoding="utf-8")
    assert (
        written.count("archive_url:")
        == (whole / "citations.yaml").read_text(encoding="utf-8").count("archive_url:")
        > 0
    )
    # merging again adds nothing
    again = CliRunner().invoke(main, ["merge", *(f"../shard-{k}" for k in range(1, 5))], catch_exceptions=False)
    assert again.exit_code == 0 and history(merged / "archive") == history(whole / "archive")
    assert "0 history file(s), 0 WARC file(s)" in again.output


def test_two_shards_naming_a_warc_alike_keep_both(tmp_path):
    """Two fresh runners can start in the same second with the same pid: both copies stay,
    and the second shard's history and index point at its own, renamed file."""
    from pipeline.merge import merge_archives

    for k, body in ((1, b"first shard's bytes"), (2, b"second shard's bytes")):
        archive = tmp_path / f"shard-{k}"
        (archive / "warc").mkdir(parents=True)
        (archive / "warc" / "citewatch-20260101000000-7.warc.gz").write_bytes(body)
        (archive / "history" / "h").mkdir(parents=True)
        check = {
            "at": f"2026-01-01T00:00:0{k}+00:00",
            "status": "live",
            "warc": "warc/citewatch-20260101000000-7.warc.gz#offset=0",
        }
        (archive / "history" / "h" / f"{k}.json").write_text(json.dumps({"url": f"http://h/{k}", "checks": [check]}))
        entry = {"warc": "warc/citewatch-20260101000000-7.warc.gz", "offset": 0, "timestamp": "20260101000000"}
        (archive / "warc-index.json").write_text(json.dumps({f"http://h/{k}": [entry]}))
    out = merge_archives(tmp_path / "archive", [tmp_path / "shard-1", tmp_path / "shard-2"])
    files = sorted(p.name for p in (tmp_path / "archive" / "warc").iterdir())
    assert files == ["citewatch-20260101000000-7-1.warc.gz", "citewatch-20260101000000-7.warc.gz"]
    assert out.renamed_warcs
    covered = json.loads((tmp_path / "archive" / "warc-indexed.json").read_text())
    assert covered == {
        name: len(b"first shard's bytes") if name == files[1] else len(b"second shard's bytes") for name in files
    }
    index = json.loads((tmp_path / "archive" / "warc-index.json").read_text())
    second = index["http://h/2"][0]["warc"]
    assert (tmp_path / "archive" / second).read_bytes() == b"second shard's bytes"
    assert (tmp_path / "archive" / index["http://h/1"][0]["warc"]).read_bytes() == b"first shard's bytes"
    hist = history_checks(tmp_path / "archive", "http://h/2")
    assert hist[0]["warc"].startswith(second + "#")
    # merged again (a re-run of the merge job): no third copy, the same single check
    merge_archives(tmp_path / "archive", [tmp_path / "shard-1", tmp_path / "shard-2"])
    assert sorted(p.name for p in (tmp_path / "archive" / "warc").iterdir()) == files
    assert history_checks(tmp_path / "archive", "http://h/2") == hist


def history_checks(archive: Path, url: str) -> list[dict]:
    for path in (archive / "history").glob("*/*.json"):
        data = json.loads(path.read_text())
        if data["url"] == url:
            return data["checks"]
    return []


def test_a_site_is_never_split_and_the_hash_is_stable():
    # one registered domain, one shard, whatever the subdomain
    assert site_of("https://news.bbc.co.uk/a") == site_of("https://WWW.BBC.co.uk/b") == "bbc.co.uk"
    assert len({shard_of(f"https://{sub}.example.com/x", 7) for sub in ("www", "news", "m", "a.b")}) == 1
    # sha1, not Python's per-process salted hash: a value every runner agrees on
    # (pinned: a change here moves sites between the shards of everyone's matrix)
    assert [shard_of(f"https://www.{name}.com/", 4) for name in ("example", "nytimes", "ft", "axios")] == [1, 2, 3, 4]
    assert shard_of(None, 4) == shard_of("not a url", 4) == 1  # no site: shard 1 reports it, once
    assert parse_shard("2/4").index == 2


@pytest.mark.parametrize("bad", ["0/4", "5/4", "4", "a/b", "1/0"])
def test_a_bad_shard_is_a_one_line_error(bad, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "citations.yaml").write_text("citations:\n  - id: '1'\n    url: http://127.0.0.1:9/x\n")
    res = CliRunner().invoke(main, ["check", "--shard", bad])
    assert res.exit_code == 1
    assert res.output.strip().splitlines()[-1].startswith("citewatch: --shard") and "Traceback" not in res.output
