"""End to end through the CLI: an article whose sources live on loopback, a Wayback stand-in,
all four reports, exit statuses, "changed since last run", and resuming."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from pipeline import citations as cit
from pipeline.cli import main

from .conftest import ROOT
from .servers import html, redirect, send, slow
from .wayback_standin import WaybackStandin

SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))

ARTICLE = """# Sources under test

Live {{live}}[^1], gone[^2], moved[^3], walled[^4], vanished[^5], translated[^6], paid[^7], hostile[^8].

[^1]: Example News, "A live story," December 23, 2021, {base}/live
[^2]: Example News, "A story that is gone," May 1, 2020, {base}/dead
[^3]: Example News, "A moved story," 2021, {base}/moved
[^4]: Example News, "A walled story," 2021, {base}/blocked
[^5]: Example News, "A vanished story," 2021, {base}/soft
[^6]: VOA, "Chinese Police Coerce Students to Become Undercover Agents," October 30, 2020, {base}/zh
[^7]: Example News, "A paid story," 2021, {base}/paid
[^8]: Example News, "<script>alert(1)</script>", 2021, {base}/xss
"""

EXPECTED = {
    "1": "live",
    "2": "dead",
    "3": "redirected",
    "4": "blocked",
    "5": "soft-404",
    "6": "live",
    "7": "live",
    "8": "live",
}


@pytest.fixture
def world(site, tmp_path, monkeypatch):
    site.routes["/live"] = html("A live story")
    site.routes["/dead"] = html("gone", status=404)
    site.routes["/moved"] = redirect("/new-home-of-the-story", 301)
    site.routes["/new-home-of-the-story"] = html("A moved story")
    site.routes["/blocked"] = lambda req: send(
        req, 403, "<title>Just a moment...</title><script src='/cdn-cgi/challenge-platform/x'></script>"
    )
    site.routes["/soft"] = redirect("/", 302)
    site.routes["/"] = html("Example News front page")
    site.routes["/zh"] = lambda req: send(
        req,
        200,
        (
            "<html><head><meta charset=gbk><title>中国警方胁迫留学生充当线人</title></head><body>"
            + "内容" * 300
            + "</body></html>"
        ).encode("gbk"),
        content_type="text/html",
    )
    site.routes["/paid"] = html("A paid story", body="Subscribe to continue reading. " + "words " * 100)
    site.routes["/xss"] = html("<script>alert(1)</script> | pipes | and [brackets](x)")
    wayback = WaybackStandin()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WAYBACK_ACCESS_KEY", "AK")
    monkeypatch.setenv("WAYBACK_SECRET_KEY", "SK")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    (tmp_path / "post.md").write_text(ARTICLE.format(base=site.url("").rstrip("/")), encoding="utf-8")
    yield site, wayback, tmp_path
    wayback.stop()


def cli(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def run_args(wayback, *extra):
    return [
        "run",
        *extra,
        "--allow-private",
        "--timeout",
        "3",
        "--read-timeout",
        "2",
        "--retries",
        "0",
        # a stand-in has no rate limit; the real defaults stay under the documented ones
        "--wayback-endpoint",
        wayback.endpoint,
        "--cdx-per-minute",
        "6000",
        "--captures-per-minute",
        "6000",
        "--wayback-poll",
        "0",
    ]


def results(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(path.read_text(encoding="utf-8"))["results"]}


def test_run_end_to_end(world, monkeypatch):
    site, wayback, tmp = world
    res = cli(*run_args(wayback, "post.md", "--citations", "citations.yaml", "--junit", "reports/junit.xml"))
    assert res.exit_code == 0, res.output
    for ext in ("md", "html", "json"):
        assert (tmp / "reports" / f"post.{ext}").exists()
    report = json.loads((tmp / "reports" / "post.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, SCHEMA)
    got = {r["id"]: r["status"] for r in report["results"]}
    assert got == EXPECTED
    by = results(tmp / "reports" / "post.json")
    assert by["6"]["title_match"]["verdict"] == "other-language"
    assert by["7"]["paywalled"] is True
    assert by["1"]["title_match"]["verdict"] == "match" and by["1"]["archive_url"].startswith(wayback.endpoint)
    assert by["3"]["final_url"].endswith("/new-home-of-the-story")
    # every URL fetched once (the soft-404 probe aside)
    assert site.hits("/live") == 1 and site.hits("/dead") == 1
    # escaping in every format
    html_text = (tmp / "reports" / "post.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html_text.split("<script>", 1)[0] + html_text.rsplit("</script>", 1)[-1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    md = (tmp / "reports" / "post.md").read_text(encoding="utf-8")
    assert "[Example News · \\<script\\>alert\\(1\\)\\</script\\>](<" in md
    assert "| \\<script\\>alert\\(1\\)\\</script\\> \\| pipes |" in md  # the page title, pipe escaped
    junit = (tmp / "reports" / "junit.xml").read_text(encoding="utf-8")
    assert junit.count("<testcase") == 8 and "<failure" not in junit  # nothing confirmed yet
    # citations.yaml got the archive links
    assert "archive_url:" in (tmp / "citations.yaml").read_text(encoding="utf-8")


def test_second_run_reports_changes_and_confirms(world, monkeypatch):
    site, wayback, tmp = world
    confirm = ["--confirm-checks", "2", "--confirm-days", "0", "--force"]
    first = cli(*run_args(wayback, "post.md", "--citations", "c.yaml", *confirm))
    assert first.exit_code == 0, first.output
    changes = json.loads((tmp / "reports" / "post.json").read_text())["changes"]
    assert set(changes["newly_failing"]) == {"2", "5"}

    site.routes["/soft"] = html("A vanished story")  # came back
    second = cli(*run_args(wayback, "post.md", "--citations", "c.yaml", *confirm, "--junit", "reports/j.xml"))
    assert second.exit_code == 2, second.output
    report = json.loads((tmp / "reports" / "post.json").read_text())
    assert report["changes"]["confirmed_dead"] == ["2"]
    assert report["changes"]["recovered"] == ["5"]
    assert report["changes"]["newly_failing"] == []
    assert report["exit_status"] == 2
    md = (tmp / "reports" / "post.md").read_text(encoding="utf-8")
    assert "**Confirmed dead**: {2}" in md and "**Recovered**: {5}" in md
    junit = (tmp / "reports" / "j.xml").read_text(encoding="utf-8")
    assert junit.count("<failure") == 1


def test_a_page_that_changed_its_headline_is_reported(world):
    site, wayback, tmp = world
    first = cli(*run_args(wayback, "post.md", "--no-wayback"))
    assert first.exit_code == 0, first.output
    site.routes["/live"] = html("A live story, corrected: the minister did not resign")
    site.routes["/paid"] = html("A  PAID story!", body="Subscribe to continue reading. " + "words " * 100)
    second = cli(*run_args(wayback, "post.md", "--no-wayback", "--force"))
    assert second.exit_code == 0, second.output
    changes = json.loads((tmp / "reports" / "post.json").read_text())["changes"]
    assert changes["retitled"] == ["1"]  # spacing, case and punctuation are not a new headline
    assert changes["previous_titles"] == {"1": "A live story"}
    md = (tmp / "reports" / "post.md").read_text(encoding="utf-8")
    assert "**Retitled**: {1} (was “A live story”)" in md
    assert "<b>Retitled</b>: 1 (was “A live story”)" in (tmp / "reports" / "post.html").read_text(encoding="utf-8")


def test_fail_on_verdicts(world, monkeypatch):
    """A title verdict named by --fail-on alone makes the exit status 2 (no status does:
    nothing is confirmed on a first run), and the JUnit file says which citation and why;
    ``citewatch report`` later writes the same JUnit file from the saved run."""
    site, wayback, tmp = world
    site.routes["/live"] = html("Rice harvest figures for the northern provinces in 1987")
    res = cli(*run_args(wayback, "post.md", "--fail-on", "date:mismatch", "--no-wayback", "--junit", "reports/j.xml"))
    assert res.exit_code == 0, res.output  # a verdict that is not named does not count
    res = cli(*run_args(wayback, "post.md", "--fail-on", "title:mismatch", "--no-wayback", "--junit", "reports/j.xml"))
    assert res.exit_code == 2, res.output
    junit = (tmp / "reports" / "j.xml").read_text(encoding="utf-8")
    assert junit.count("<failure") == 1 and 'message="title mismatch: ' in junit
    assert cli("report", "--junit", "reports/again.xml").exit_code == 0
    assert (tmp / "reports" / "again.xml").read_text(encoding="utf-8") == junit


def test_report_rerenders_without_network(world, monkeypatch):
    site, wayback, tmp = world
    cli(*run_args(wayback, "post.md", "--no-wayback"))
    before = (tmp / "reports" / "post.md").read_text(encoding="utf-8")
    shutil.rmtree(tmp / "reports")
    site.stop_hits = len(site.log)
    res = cli("report")
    assert res.exit_code == 0, res.output
    assert (tmp / "reports" / "post.md").read_text(encoding="utf-8") == before
    assert len(site.log) == site.stop_hits  # nothing fetched


def test_step_summary_is_appended(world, monkeypatch):
    site, wayback, tmp = world
    summary = tmp / "summary.md"
    summary.write_text("earlier step\n")
    res = cli(*run_args(wayback, "post.md", "--no-wayback"), env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert res.exit_code == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "## citewatch: Sources under test" in text


def test_interrupted_run_resumes(world, monkeypatch):
    """Ctrl-C during the checks: finished checks are kept; the next run does not redo them."""
    from pipeline import results as results_mod
    from pipeline import run as run_mod

    site, wayback, tmp = world
    real = results_mod.check_run
    # each page takes 0.15 s, so the run cannot finish before the interrupt is acted on,
    # however slowly this machine schedules the collecting thread
    for path, route in list(site.routes.items()):
        site.routes[path] = slow(0.15, route)

    def interrupted(urls, settings, history, on_fetch=None, on_progress=None, fetcher=None):
        def progress(url, outcome):
            if len([u for u in history.all_urls()]) >= 3:
                raise KeyboardInterrupt

        return real(urls, settings, history, on_fetch=on_fetch, on_progress=progress, fetcher=fetcher)

    monkeypatch.setattr(results_mod, "check_run", interrupted)
    res = cli(*run_args(wayback, "post.md", "--no-wayback", "--concurrency", "1"))
    assert res.exit_code == 130
    assert "interrupted" in res.output
    done = set(run_mod.History(tmp / "archive").all_urls())
    assert 3 <= len(done) < 8
    assert not (tmp / "reports" / "post.json").exists()  # no half-made report
    monkeypatch.setattr(results_mod, "check_run", real)
    hits_before = {p: site.hits(p) for p in ("/live", "/paid", "/zh")}
    res = cli(*run_args(wayback, "post.md", "--no-wayback"))
    assert res.exit_code == 0, res.output
    report = json.loads((tmp / "reports" / "post.json").read_text())
    skipped_fresh = [r for r in report["results"] if r["status"] == "skipped"]
    assert skipped_fresh and all("fresh" in r["reason"] for r in skipped_fresh)
    assert sum(site.hits(p) - n for p, n in hits_before.items()) <= 3


def test_several_articles_share_fetches_and_get_an_index(world, monkeypatch):
    site, wayback, tmp = world
    (tmp / "other.md").write_text(
        f'Again[^a].\n\n[^a]: Example News, "A live story," 2021, {site.url("/live")}\n', encoding="utf-8"
    )
    res = cli(*run_args(wayback, "post.md", "other.md", "--no-wayback"))
    assert res.exit_code == 0, res.output
    assert site.hits("/live") == 1
    assert (tmp / "citations" / "post.yaml").exists() and (tmp / "citations" / "other.yaml").exists()
    index = (tmp / "reports" / "index.md").read_text(encoding="utf-8")
    assert "post.md" in index and "other.md" in index


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_html_report_in_headless_chromium(world, monkeypatch):
    site, wayback, tmp = world
    cli(*run_args(wayback, "post.md", "--no-wayback"))
    page = tmp / "reports" / "post.html"
    profile = tmp / "chrome-profile"
    out = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=90,
    )
    dom = out.stdout.decode("utf-8", "replace")
    console = [line for line in out.stderr.decode("utf-8", "replace").splitlines() if "CONSOLE" in line]
    assert not console, console
    assert "8 of 8 shown" in dom  # the script ran
    assert 'data-count="citations"><span class="n">8</span>' in dom
    assert 'data-count="live"><span class="n">4</span>' in dom
    assert "alert(1)" in dom and "<script>alert(1)</script>" not in dom


def test_a_bad_citation_is_reported_in_its_row_and_the_run_goes_on(world):
    site, wayback, tmp = world
    (tmp / "citations.yaml").write_text(
        "citations:\n"
        f"  - id: '1'\n    title: A live story\n    url: {site.url('/live')}\n"
        "  - id: '2'\n    title: Typed by hand\n    url: not a url at all\n"
        "  - id: '3'\n    title: Impossible date\n    date: 2023-13\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(main, run_args(wayback, "--no-wayback"), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "citations.yaml:7: citation 2: url must be an http(s) URL" in res.stderr
    report = json.loads((tmp / "reports" / "citations.json").read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in report["results"]}
    assert rows["1"]["status"] == "live"
    assert rows["2"]["status"] == "error" and "malformed URL" in rows["2"]["reason"]
    assert len(rows) == 3  # nothing dropped
    bad = {(f["footnote"], f["line"]) for f in report["findings"] if f["code"] == "bad-citation"}
    assert bad == {("2", 7), ("3", 10)}
    # --no-wayback still writes url_status back (one line more above the bad entry)
    written = (tmp / "citations.yaml").read_text(encoding="utf-8").splitlines()
    assert "    url_status: live" in written
    bad_line = next(i for i, line in enumerate(written, 1) if "not a url at all" in line)
    # the strict `check` still refuses the file, naming the lines
    strict = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    assert strict.exit_code == 1 and f"citations.yaml:{bad_line}:" in strict.stderr


def test_several_articles_can_share_one_citations_file(world):
    site, wayback, tmp = world
    (tmp / "other.md").write_text(
        f'Again[^1].\n\n[^1]: Example News, "A live story," 2021, {site.url("/live")}\n', encoding="utf-8"
    )
    (tmp / "shared.yaml").write_text("# one file for the whole site\ncitations: []\n", encoding="utf-8")
    res = cli(*run_args(wayback, "post.md", "other.md", "--citations", "shared.yaml", "--no-wayback"))
    assert res.exit_code == 0, res.output
    ids = [c.id for c in cit.load(tmp / "shared.yaml").citations]
    assert ids[:2] == ["post:1", "post:2"] and "other:1" in ids and len(ids) == 9
    assert "# one file for the whole site" in (tmp / "shared.yaml").read_text(encoding="utf-8")
    assert site.hits("/live") == 1
    post = json.loads((tmp / "reports" / "post.json").read_text(encoding="utf-8"))
    other = json.loads((tmp / "reports" / "other.json").read_text(encoding="utf-8"))
    assert len(post["results"]) == 8 and [r["id"] for r in other["results"]] == ["other:1"]
    assert post["article"]["title"] == "Sources under test"
    # a second run keeps the namespaces apart: nothing of post.md is flagged as removed from other.md
    res = cli(*run_args(wayback, "post.md", "other.md", "--citations", "shared.yaml", "--no-wayback"))
    assert res.exit_code == 0
    assert "note_removed" not in (tmp / "shared.yaml").read_text(encoding="utf-8")


def test_stages_arrive_as_typed_events_sized_by_distinct_urls(site, tmp_path):
    """The check stage's event carries the number of distinct URLs (the progress bar's
    size) as a number; nobody parses it out of the message."""
    from pipeline.archive.stage import ArchiveSettings
    from pipeline.run import Job, RunSettings, Stage, run

    from .conftest import check_settings

    site.routes["/a"] = html("A")
    site.routes["/b"] = html("B")
    urls = [site.url("/a"), site.url("/a"), site.url("/b")]
    (tmp_path / "c.yaml").write_text(
        "citations:\n" + "".join(f"  - id: '{n}'\n    url: {u}\n" for n, u in enumerate(urls, 1)), encoding="utf-8"
    )
    settings = RunSettings(
        check=check_settings(retries=0),
        archive=ArchiveSettings(wayback=None),
        archive_dir=tmp_path / "a",
        reports_dir=tmp_path / "r",
        local_copy=False,
    )
    events = []
    outcome = run([Job(tmp_path / "c.yaml")], settings, on_stage=events.append)
    # the archive stage runs without the Wayback Machine too: it writes url_status back
    assert [e.stage for e in events] == [Stage.CHECK, Stage.ARCHIVE, Stage.REPORT]
    assert events[0].urls == 2 and str(events[0]) == "check: 2 distinct URLs from 1 article"
    assert [r["status"] for r in outcome.reports[0].report["results"]] == ["live", "live", "live"]


def test_a_run_writes_the_same_files_whether_citations_yaml_is_held_small_or_round_trip(world, monkeypatch):
    """The write-backs made to the text (citations_text) change nothing a user sees: the
    second run over the same archive writes citations.yaml and every report alike, byte for
    byte but the times of day, whether it held the file small or as a round-trip document."""
    import re

    site, wayback, tmp = world
    assert cli(*run_args(wayback, "post.md", "--citations", "citations.yaml")).exit_code == 0
    (tmp / "citations.yaml").write_text(
        "# kept by hand\n" + (tmp / "citations.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    copies = {}
    for way in ("small", "round-trip"):
        folder = tmp / way
        folder.mkdir()
        for name in ("citations.yaml", "archive"):
            (shutil.copytree if (tmp / name).is_dir() else shutil.copy)(tmp / name, folder / name)
        monkeypatch.chdir(folder)
        if way == "round-trip":
            monkeypatch.setattr(cit, "load_for_run", lambda path, lenient=False: cit.load(path, lenient=lenient))
        assert cli(*run_args(wayback, "--citations", "citations.yaml")).exit_code == 0
        times = re.compile(
            r'\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(\+00:00|Z)?|\d{14}|\d+(\.\d+)? ?m?s\b|"elapsed_ms": \d+'
        )
        copies[way] = {
            p.relative_to(folder).as_posix(): times.sub("<time>", p.read_text(encoding="utf-8"))
            for p in [folder / "citations.yaml", *sorted((folder / "reports").iterdir())]
        }
    assert "url_status: live" in copies["small"]["citations.yaml"]
    assert copies["small"] == copies["round-trip"]
