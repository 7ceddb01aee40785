"""The command line's habits, as a user of lychee, curl or pytest expects them: quiet and
verbose, colour, stdout for results and stderr for the rest, '-' for stdin and stdout,
one table of exit codes, durations with units, counts said right."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.vocab import ExitStatus, exit_status_table
from pipeline.wording import plural

from .conftest import ROOT
from .servers import html

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cli(*args, env=None, input=None, color=False):
    return CliRunner().invoke(main, list(args), env=env, input=input, color=color, catch_exceptions=False)


FAST = ["--allow-private", "--timeout", "3", "--retries", "0", "--no-probe"]


@pytest.fixture
def two_sources(site, tmp_path, monkeypatch):
    """citations.yaml with a live page and a dead one, on a loopback site."""
    site.route("/live")(html("A live story"))
    site.route("/gone")(html("Not here", status=404))
    monkeypatch.chdir(tmp_path)
    Path("citations.yaml").write_text(
        f"citations:\n  - id: '1'\n    url: {site.url('/live')}\n    title: A live story\n"
        f"  - id: '2'\n    url: {site.url('/gone')}\n",
        encoding="utf-8",
    )
    return site


# -- what goes where -------------------------------------------------------------------


def test_check_prints_results_on_stdout_and_progress_on_stderr(two_sources):
    res = cli("check", *FAST)
    assert "live" in res.stdout and "2 citations, 2 with a URL" in res.stdout
    assert "[2/2]" in res.stderr and "[2/2]" not in res.stdout


def test_quiet_prints_the_summary_only(two_sources):
    res = cli("check", "-q", *FAST)
    assert len(res.stdout.strip().splitlines()) == 1
    assert res.stdout.startswith("2 citations, 2 with a URL: ")
    assert "[1/2]" not in res.stderr


def test_no_progress_drops_the_per_url_lines_but_keeps_the_results(two_sources):
    res = cli("check", "--no-progress", *FAST)
    assert "[1/2]" not in res.stderr
    assert "/gone" in res.stdout


def test_verbose_says_where_the_settings_came_from(two_sources):
    Path("citewatch.toml").write_text('timeout = 3\nexclude = ["/nothing-here"]\n', encoding="utf-8")
    res = cli("check", "-v", *FAST)
    assert re.search(r"^citewatch: config: .*citewatch.toml$", res.stderr, re.M)
    assert "citewatch: exclude '/nothing-here' (citewatch.toml:2)" in res.stderr
    assert "config" not in cli("check", *FAST).stderr


def test_json_dash_puts_only_the_report_on_stdout(two_sources):
    res = cli("check", "--json", "-", *FAST)
    report = json.loads(res.stdout)  # nothing else on stdout
    assert {r["id"]: r["check"]["status"] for r in report["results"]} == {"1": "live", "2": "dead"}
    assert "2 citations, 2 with a URL" in res.stderr


def test_colour_on_a_terminal_but_not_with_no_color_or_never(two_sources):
    assert ANSI.search(cli("check", *FAST, color=True).stdout)  # a terminal: coloured
    assert not ANSI.search(cli("check", *FAST, color=True, env={"NO_COLOR": ""}).stdout)
    assert not ANSI.search(cli("check", *FAST, "--color", "never", color=True).stdout)
    assert not ANSI.search(cli("check", *FAST).stdout)  # a pipe: plain
    assert ANSI.search(cli("check", *FAST, "--color", "always").stdout)
    assert ANSI.search(cli("check", *FAST, "--color", "always", env={"NO_COLOR": "1"}).stdout)


@pytest.mark.parametrize("command", ["extract", "check", "archive", "run", "report", "resolve", "export", "config"])
def test_every_command_that_prints_takes_the_output_options(command):
    text = cli(command, "--help").output
    for option in ("-q, --quiet", "-v, --verbose", "--no-progress", "--color [auto|always|never]"):
        assert option in text, (command, option)


# -- stdin and stdout ---------------------------------------------------------------------

ONE_NOTE = 'A claim.[1]\n\nNotes\n\n[1] Example News, "A live story", 2021.\n'


def test_extract_reads_stdin_and_writes_the_citations_to_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli("extract", "-", "--name", "post", "-o", "-", input=ONE_NOTE)
    assert res.exit_code == 0, res.output
    assert "A live story" in res.stdout and "source: post" in res.stdout
    assert "1 note (text)" in res.stderr and "1 of 1 note has no URL" in res.stderr
    assert "1 warning" in res.stderr or "0 warnings" in res.stderr
    assert not list(tmp_path.iterdir())  # -o -: nothing written


def test_run_reads_an_article_from_stdin_and_names_its_reports(site, tmp_path, monkeypatch):
    site.route("/live")(html("A live story"))
    monkeypatch.chdir(tmp_path)
    article = f'A claim.[^1]\n\n[^1]: Example News, "A live story", 2021, {site.url("/live")}\n'
    res = cli("run", "-", "--name", "post", "--no-wayback", "--no-local", *FAST, input=article)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "reports" / "post.html").is_file()
    assert "post: 1 citation (1 live)" in res.stdout
    assert "source: post" in Path("citations.yaml").read_text(encoding="utf-8")
    piped = cli("run", "-", "--name", "post", "--no-wayback", "--force", "--json", "-", *FAST, input=article)
    assert json.loads(piped.stdout)["results"][0]["check"]["status"] == "live"  # stdin in, JSON out
    assert "post: 1 citation" in piped.stderr


def test_a_word_file_on_stdin_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["extract", "-"], input=b"PK\x03\x04rest-of-a-zip")
    assert res.exit_code == ExitStatus.INPUT
    assert res.stderr.strip().splitlines() == [
        "citewatch: stdin (stdin): a .docx or .odt cannot be read from stdin; give its file name"
    ]


# -- exit codes, durations, counts -------------------------------------------------------


def test_help_shows_the_one_table_of_exit_codes():
    text = cli("--help").output
    for status in ExitStatus:
        assert re.search(rf"^\s+{status.value}\s+{re.escape(status.meaning[:30])}", text, re.M), status
    assert "Exit status:" in cli("run", "--help").output


def test_readme_exit_codes_are_the_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert exit_status_table(markdown=True) in readme


@pytest.mark.parametrize("option", ["--recheck-after", "--max-age"])
def test_a_duration_without_unit_is_refused(two_sources, option):
    res = cli("archive", option, "2", "--no-wayback", *FAST)
    assert res.exit_code == ExitStatus.INPUT
    assert res.stderr.strip() == f"citewatch: {option}: '2' has no unit; give a unit: 2d, 12h, 30m (s, m, h, d or w)"


def test_counts_are_said_right():
    assert [plural(n, "error") for n in (0, 1, 2)] == ["0 errors", "1 error", "2 errors"]
    assert plural(1, "check") == "1 check" and plural(3, "match") == "3 matches"
    assert plural(2, "confirmed problem") == "2 confirmed problems"


def test_a_failure_seen_once_says_1_check(two_sources):
    res = cli("check", *FAST)
    assert "1 check]" in res.stdout and "check(s)" not in res.stdout


# -- report ------------------------------------------------------------------------------


def test_report_with_nothing_saved_says_so_and_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli("report")
    assert res.exit_code == ExitStatus.INPUT
    assert "no saved run, nothing to render" in res.stderr
    assert not (tmp_path / "reports").exists()


def test_report_rewrites_the_index_with_each_articles_counts(site, tmp_path, monkeypatch):
    site.route("/live")(html("A live story"))
    site.route("/gone")(html("Not here", status=404))
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text(f'One.[^1]\n\n[^1]: "A live story", 2021, {site.url("/live")}\n', encoding="utf-8")
    Path("b.md").write_text(f'Two.[^1]\n\n[^1]: "Gone", 2021, {site.url("/gone")}\n', encoding="utf-8")
    assert cli("run", "a.md", "b.md", "--no-wayback", *FAST).exit_code == 0
    (tmp_path / "reports" / "index.html").unlink()
    res = cli("report")
    assert res.exit_code == 0, res.output
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert ".cards{" in index  # the report's own stylesheet
    assert re.search(r"<td><a href=\"a.html\">.*1 live", index)
    assert re.search(r"<td><a href=\"b.html\">.*1 dead", index)
    assert "1 live" in (tmp_path / "reports" / "index.md").read_text(encoding="utf-8")
    assert "rendered 2 reports and the index" in res.stderr  # stdout: only the files written
    assert all(Path(line).is_file() for line in res.stdout.splitlines())
