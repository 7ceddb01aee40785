"""--offline: a run with no network at all, from what archive/ stored. Every address a run
could ask (the sources, the Wayback Machine, Memento) points at one loopback server that
records requests: offline, it records none."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.vocab import ExitStatus

from .servers import html

FAST = ["--allow-private", "--timeout", "3", "--retries", "0", "--no-probe"]


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def by_id(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(path.read_text(encoding="utf-8"))["results"]}


def test_offline_run_makes_no_request_and_renders_from_the_history(site, tmp_path, monkeypatch):
    site.route("/live")(html("Talks resume in Geneva"))
    site.route("/gone")(html("Not here", status=404))
    monkeypatch.chdir(tmp_path)
    base = site.url("").rstrip("/")
    article = (
        "One.[^1] Two.[^2]\n\n"
        f'[^1]: Example News, "Talks resume in Geneva", 2021, {base}/live\n'
        f'[^2]: Example News, "Gone", 2021, {base}/gone\n'
    )
    Path("post.md").write_text(article, encoding="utf-8")
    everything = [*FAST, "--wayback-endpoint", base, "--memento", base + "/timemap/{url}"]
    assert cli("run", "post.md", *everything, "--no-wayback").exit_code == 0
    online = by_id(tmp_path / "reports" / "post.json")

    # a third note, never checked, and the report deleted: offline must rebuild it
    Path("post.md").write_text(article.replace("Two.[^2]", "Two.[^2] Three.[^3]") + f"[^3]: New, {base}/new\n")
    (tmp_path / "reports" / "post.json").unlink()
    requests_before = len(site.log)
    res = cli("run", "post.md", "--offline", *everything)

    assert len(site.log) == requests_before, site.log[requests_before:]  # not one request
    assert res.exit_code == ExitStatus.OK, res.output
    offline = by_id(tmp_path / "reports" / "post.json")
    assert offline["1"]["check"]["status"] == "live" and offline["2"]["check"]["status"] == "dead"
    assert offline["1"]["check"]["reason"].startswith("offline: as checked at ")
    assert offline["1"]["title_match"]["verdict"] == online["1"]["title_match"]["verdict"] == "match"
    assert offline["2"]["check"]["failing_checks"] == 1  # confirmation as it stood
    assert offline["3"]["check"]["status"] == "skipped"
    assert offline["3"]["check"]["reason"] == "offline: never checked"
    assert (tmp_path / "reports" / "post.html").is_file()


def test_offline_check_adds_nothing_to_the_history(site, tmp_path, monkeypatch):
    site.route("/live")(html("A live story"))
    monkeypatch.chdir(tmp_path)
    Path("citations.yaml").write_text(f"citations:\n  - id: '1'\n    url: {site.url('/live')}\n", encoding="utf-8")
    cli("check", *FAST)
    history = sorted((tmp_path / "archive").rglob("*.json"))
    before = {p: p.read_bytes() for p in history}
    res = cli("check", "--offline", "--recheck-after", "0s", "--json", "-", *FAST)
    assert json.loads(res.stdout)["results"][0]["check"]["status"] == "live"
    assert {p: p.read_bytes() for p in sorted((tmp_path / "archive").rglob("*.json"))} == before
    assert site.hits("/live") == 1
