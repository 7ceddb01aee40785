"""citewatch.toml: found like ruff's, flags over it, every value's origin shown, unknown
keys named with their line; the rules it holds (exclude, include, accept) as a user sees
them in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.config import key_lines
from pipeline.vocab import ExitStatus

from .servers import html, send

FAST = ["--allow-private", "--timeout", "3", "--retries", "0", "--no-probe"]


def cli(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def setting(output: str, key: str) -> str:
    """The line of ``citewatch config``'s listing for ``key``."""
    return next(line for line in output.splitlines() if line.startswith((f"{key} =", f"# {key} =")))


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "posts").mkdir()
    monkeypatch.chdir(tmp_path / "posts")
    return tmp_path


def test_config_lists_each_setting_and_where_it_came_from(project, monkeypatch):
    (project / "citewatch.toml").write_text(
        '# checks for the blog\ntimeout = 12\nper-host = 1\n\nfail-on = ["dead", "blocked"]\n', encoding="utf-8"
    )
    monkeypatch.setenv("CITEWATCH_WAYBACK_ENDPOINT", "http://127.0.0.1:9/wayback")
    res = cli("config", "--per-host", "3")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert f"# config file: {project / 'citewatch.toml'}" in out
    assert setting(out, "timeout").startswith("timeout = 12.0") and setting(out, "timeout").endswith("citewatch.toml:2")
    assert setting(out, "per-host").startswith("per-host = 3") and setting(out, "per-host").endswith("# flag")
    assert setting(out, "fail-on").startswith('fail-on = "dead,blocked"') and "citewatch.toml:5" in out
    assert setting(out, "wayback-endpoint").endswith("# env CITEWATCH_WAYBACK_ENDPOINT")
    assert setting(out, "retries").endswith("# default")


def test_the_file_is_found_upward_but_not_above_the_repository(project, tmp_path):
    (project.parent / "citewatch.toml").write_text("timeout = 1\n", encoding="utf-8")  # outside the repo
    assert "none found" in cli("config").stdout
    (project / "pyproject.toml").write_text('[project]\nname = "blog"\n\n[tool.citewatch]\ntimeout = 7\n')
    out = cli("config").stdout
    assert setting(out, "timeout").startswith("timeout = 7.0") and setting(out, "timeout").endswith("pyproject.toml:5")
    (project / "posts" / "citewatch.toml").write_text("timeout = 9\n", encoding="utf-8")
    assert setting(cli("config").stdout, "timeout").startswith("timeout = 9.0")  # the nearest wins


def test_a_named_config_file_is_used(project):
    (project / "ci.toml").write_text("concurrency = 4\n", encoding="utf-8")
    out = cli("config", "--config", str(project / "ci.toml")).stdout
    assert setting(out, "concurrency").startswith("concurrency = 4")
    res = cli("config", "--config", "nope.toml")
    assert res.exit_code == ExitStatus.INPUT and res.stderr.strip() == "citewatch: nope.toml: no such config file"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timeout = 5\n\nper_host = 2\n", "citewatch.toml:3: unknown key 'per_host' (did you mean 'per-host'?)"),
        ("[accept]\n'a.example' = [403]\n[colours]\nx = 1\n", "citewatch.toml:3: unknown key 'colours'"),
        ('timeout = "soon"\n', "citewatch.toml:1: timeout: 'soon' is not a valid float range."),
        ('recheck-after = "2"\n', "citewatch.toml:1: recheck-after: '2' has no unit; give a unit: 2d, 12h, 30m"),
        ("[accept]\n\"a.example\" = ['x']\n", "citewatch.toml:2: 'a.example=' is not HOST=STATUS[,STATUS]"),
        ("timeout = \n", "citewatch.toml: not valid TOML (Invalid value (at line 1, column 11))"),
        ("allow-private = true\n", "citewatch.toml:1: allow-private is a flag only (--allow-private)"),
        ('exclude = ["ok", "("]\n', "citewatch.toml:1: '(' is not a regular expression"),
        # the Wayback keys go to this endpoint: a committed file must not point them elsewhere
        ('wayback-endpoint = "https://evil.example"\n', "citewatch.toml:1: wayback-endpoint is a flag or environment"),
        ('[hosts."a.org"]\nper_host = 1\n', "citewatch.toml:1: unknown key 'per_host' in hosts.a.org"),
        ('[hosts."a.org"]\nper-host = 0\n', "citewatch.toml:1: 'a.org=0/' is not HOST=N[/SECONDS]"),
        ('[hosts."a.org"]\nmin-interval = "soon"\n', "citewatch.toml:1: 'a.org=?' is not HOST=N[/SECONDS]"),
    ],
)
def test_a_bad_config_is_one_line_naming_file_and_line(project, text, message):
    (project / "citewatch.toml").write_text(text, encoding="utf-8")
    for command in (["check"], ["run"], ["config"]):
        res = cli(*command)
        assert res.exit_code == ExitStatus.INPUT
        line = res.stderr.strip()
        assert "\n" not in line and "Traceback" not in res.output
        assert line.startswith("citewatch: ") and message in line.replace(str(project) + "/", ""), line
    assert cli("check", "--help").exit_code == 0  # help still shows


def test_key_lines_are_found_in_tables_and_across_arrays():
    text = 'exclude = [\n  "a=b",\n  "c",\n]\ntimeout = 1\n[accept]\n"x.org" = [403]\n'
    lines = key_lines(text)
    assert lines[("exclude",)] == 1 and lines[("timeout",)] == 5 and lines[("accept", "x.org")] == 7


@pytest.fixture
def sources(site, tmp_path, monkeypatch):
    site.route("/live")(html("A live story"))
    site.route("/tracker")(html("A tracker"))
    site.route("/tracker-ok")(html("A tracker we check"))
    site.route("/bot-wall")(lambda req: send(req, 403, "<title>Access denied</title>"))
    monkeypatch.chdir(tmp_path)
    urls = [site.url(p) for p in ("/live", "/tracker", "/tracker-ok", "/bot-wall")]
    Path("citations.yaml").write_text(
        "citations:\n" + "".join(f"  - id: '{i}'\n    url: {u}\n" for i, u in enumerate(urls, 1)), encoding="utf-8"
    )
    return site


def statuses(report: dict) -> dict[str, tuple[str, str]]:
    return {r["id"]: (r["check"]["status"], r["check"]["reason"]) for r in report["results"]}


def test_excluded_urls_are_skipped_by_rule_and_never_requested(sources):
    Path("citewatch.toml").write_text('exclude = ["/tracker"]\ninclude = ["-ok$"]\n', encoding="utf-8")
    res = cli("check", "--json", "-", *FAST)
    got = statuses(json.loads(res.stdout))
    assert got["2"] == ("skipped", "excluded by rule '/tracker' (citewatch.toml:1)")
    assert got["3"][0] == "live"  # include: checked despite the exclude pattern
    assert sources.hits("/tracker") == 0 and sources.hits("/tracker-ok") == 1
    flagged = statuses(json.loads(cli("check", "--json", "-", "--exclude", "live$", "--force", *FAST).stdout))
    assert flagged["1"] == ("skipped", "excluded by rule 'live$' (--exclude)")


def test_an_accepted_status_counts_as_live_and_fails_nothing(sources):
    res = cli("check", "--json", "-", "--fail-on", "blocked", *FAST)
    assert res.exit_code == ExitStatus.PROBLEMS and statuses(json.loads(res.stdout))["4"][0] == "blocked"
    Path("citewatch.toml").write_text('fail-on = "blocked"\n\n[accept]\n"127.0.0.1" = [403]\n', encoding="utf-8")
    res = cli("check", "--json", "-", *FAST)
    assert res.exit_code == ExitStatus.OK, res.output
    status, reason = statuses(json.loads(res.stdout))["4"]
    assert status == "live" and reason.startswith("HTTP 403 accepted for 127.0.0.1 (citewatch.toml:4)")
    assert '"127.0.0.1" = [403]' in cli("config").stdout


def test_the_readme_sample_config_is_valid_and_means_what_it_says(project):
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sample = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    (project / "citewatch.toml").write_text(sample, encoding="utf-8")
    res = cli("config")
    assert res.exit_code == 0, res.output
    assert setting(res.stdout, "per-host").startswith("per-host = 1")
    assert setting(res.stdout, "exclude").startswith('exclude = ["^https?://(www\\\\.)?x\\\\.com/"]')
    assert '"example.com" = [403]' in res.stdout
    assert '[hosts."slow.example.org"]' in res.stdout


def test_a_host_limit_from_the_file_holds_that_host_to_one_request_at_a_time(site, tmp_path, monkeypatch):
    from .servers import slow

    for n in range(4):
        site.route(f"/p{n}")(slow(0.3, html(f"Page {n}")))
    monkeypatch.chdir(tmp_path)
    Path("citations.yaml").write_text(
        "citations:\n" + "".join(f"  - id: '{n}'\n    url: {site.url(f'/p{n}')}\n" for n in range(4)), encoding="utf-8"
    )
    args = ["check", "--per-host", "4", "--force", *FAST]
    assert cli(*args).exit_code == 0
    assert site.max_active > 1  # the run's own limit lets them overlap
    site.max_active = 0
    Path("citewatch.toml").write_text('[hosts."127.0.0.1"]\nper-host = 1\nmin-interval = 0.1\n', encoding="utf-8")
    assert cli(*args).exit_code == 0
    assert site.max_active == 1
    starts = sorted(t for _, path, t in site.log[-4:])
    assert all(b - a >= 0.3 for a, b in zip(starts, starts[1:], strict=False))  # one after another
    assert '[hosts."127.0.0.1"]' in cli("config").stdout
